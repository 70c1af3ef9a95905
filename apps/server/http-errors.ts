import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ArcFaceError, type ErrorCode } from '../../src/core/index.js';

/** What a client sees of an internal error; the details go to the server log only. */
const INTERNAL_MESSAGE = 'Internal server error; the server log has the details';

/** Fastify's and @fastify/multipart's own error codes, mapped onto ours. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = Object.freeze({
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_FIELDS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_PROTO_VIOLATION: 'INVALID_ARGUMENT',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'INVALID_ARGUMENT',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'INVALID_ARGUMENT',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_ARGUMENT',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_ARGUMENT',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_ARGUMENT',
  FST_ERR_VALIDATION: 'INVALID_ARGUMENT',
});

/**
 * Any error a route or hook throws, as the coded error the client sees. ArcFaceError passes
 * through; Fastify's errors are mapped by code or status; anything else is INTERNAL with a generic
 * message, so no stack or internal detail leaves the server.
 *
 * @example
 * const e = toArcFaceError(err)
 */
export function toArcFaceError(err: unknown): ArcFaceError {
  if (err instanceof ArcFaceError) return err;
  const fe = err as Partial<FastifyError> & { validation?: unknown };
  if (fe.validation !== undefined) {
    return new ArcFaceError('INVALID_ARGUMENT', `Expected a valid request but ${fe.message ?? 'it is invalid'}`);
  }
  const mapped = typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped === 'PAYLOAD_TOO_LARGE') {
    return new ArcFaceError('PAYLOAD_TOO_LARGE', `Expected a request within the size limit but received more (${fe.message ?? 'too large'})`);
  }
  if (mapped !== undefined) return new ArcFaceError(mapped, fe.message ?? 'Invalid request');
  if (typeof fe.statusCode === 'number' && fe.statusCode === 413) {
    return new ArcFaceError('PAYLOAD_TOO_LARGE', `Expected a request within the size limit but received more (${fe.message ?? 'too large'})`);
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ArcFaceError('INVALID_ARGUMENT', fe.message ?? 'Invalid request');
  }
  return new ArcFaceError('INTERNAL', INTERNAL_MESSAGE);
}

/**
 * Sends `{code, message}` with the code's HTTP status, and `Retry-After` when the error carries
 * `details.retryAfterSeconds` (QUEUE_FULL, RATE_LIMITED). INTERNAL errors (including ones raised
 * in a worker) reach the client with a generic message only.
 *
 * @example
 * app.setErrorHandler((err, req, reply) => sendError(req, reply, err))
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const e = toArcFaceError(err);
  const retry = e.details?.retryAfterSeconds;
  if (typeof retry === 'number') reply.header('retry-after', String(Math.max(1, Math.ceil(retry))));
  if (e.code === 'INTERNAL' || e.httpStatus >= 500) request.log.error({ err }, 'request failed');
  const body = e.code === 'INTERNAL' ? { code: e.code, message: INTERNAL_MESSAGE } : e.toJSON();
  return reply.code(e.httpStatus).type('application/json; charset=utf-8').send(body);
}

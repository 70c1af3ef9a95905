import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ArcFaceError, asArcFaceError, type ErrorCode } from '../../../src/core/index.js';

/** What a client sees of an internal error; the details go to the server log only. */
const INTERNAL_MESSAGE = 'Internal server error; the server log has the details';

/** Fastify's and its plugins' own error codes, mapped onto ours. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = Object.freeze({
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_REQ_FILE_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_FILES_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_PARTS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_FIELDS_LIMIT: 'PAYLOAD_TOO_LARGE',
  FST_PROTO_VIOLATION: 'BODY_INVALID',
  FST_INVALID_JSON_FIELD_ERROR: 'BODY_INVALID',
  FST_MP_PREMATURE_CLOSE: 'BODY_INVALID',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BODY_INVALID',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'BODY_INVALID',
  FST_ERR_CTP_INVALID_JSON_BODY: 'BODY_INVALID',
  FST_ERR_CTP_BODY_TOO_LARGE_STREAM: 'PAYLOAD_TOO_LARGE',
  FST_ERR_BAD_URL: 'INVALID_ARGUMENT',
  FST_ERR_MAX_PARAM_LENGTH: 'URI_TOO_LONG',
  FST_ERR_ASYNC_CONSTRAINT: 'INVALID_ARGUMENT',
  FST_ERR_VALIDATION: 'INVALID_ARGUMENT',
  FST_ERR_HANDLER_TIMEOUT: 'REQUEST_TIMEOUT',
});

/** Our messages for Fastify's codes: theirs name internals ("FST_…", parser wording). */
const FASTIFY_MESSAGES: Readonly<Partial<Record<ErrorCode, string>>> = Object.freeze({
  PAYLOAD_TOO_LARGE: 'Expected a request within the size limit but received more',
  BODY_INVALID: 'Expected a well-formed request body of its declared content type but it could not be parsed',
  UNSUPPORTED_MEDIA_TYPE:
    'Expected a body of type application/json, multipart/form-data, image/* or application/octet-stream but received another content type',
  URI_TOO_LONG: 'Expected URL path segments of at most the id length limit but received a longer one',
  INVALID_ARGUMENT: 'Expected a valid request URL but it could not be decoded',
  REQUEST_TIMEOUT: 'Expected the request to arrive and be answered within the request timeout but it was not',
});

/** 5xx codes whose own message is safe and useful to a client (it says when to retry, nothing internal). */
const SHOWN_5XX: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['QUEUE_FULL', 'TIMEOUT']);

/**
 * Any error a route, hook, plugin or the framework raises, as the coded error the client sees. An
 * ArcFaceError passes through; schema validation failures become INVALID_ARGUMENT with ajv's
 * message (it names the field, never a library); Fastify's and its plugins' errors are mapped by code
 * onto our own messages; any other 4xx status keeps its class; everything else goes through the one
 * mapping in `src/core/errors.ts` (TypeError/RangeError → INVALID_ARGUMENT, else INTERNAL).
 *
 * @example
 * const e = toArcFaceError(err)
 */
export function toArcFaceError(err: unknown): ArcFaceError {
  if (err instanceof ArcFaceError) return err;
  const fe = (typeof err === 'object' && err !== null ? err : {}) as Partial<FastifyError> & { validation?: unknown };
  if (fe.validation !== undefined) {
    return new ArcFaceError('INVALID_ARGUMENT', `Expected a valid request but ${fe.message ?? 'it is invalid'}`, { cause: err });
  }
  const mapped = typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped !== undefined) return new ArcFaceError(mapped, FASTIFY_MESSAGES[mapped] ?? 'Invalid request', { cause: err });
  if (fe.statusCode === 413) return new ArcFaceError('PAYLOAD_TOO_LARGE', FASTIFY_MESSAGES.PAYLOAD_TOO_LARGE as string, { cause: err });
  if (fe.statusCode === 415) return new ArcFaceError('UNSUPPORTED_MEDIA_TYPE', FASTIFY_MESSAGES.UNSUPPORTED_MEDIA_TYPE as string, { cause: err });
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new ArcFaceError('INVALID_ARGUMENT', 'Expected a valid request but it was refused', { cause: err });
  }
  const e = asArcFaceError(err);
  return e.code === 'INTERNAL' ? new ArcFaceError('INTERNAL', INTERNAL_MESSAGE, { cause: err }) : e;
}

/**
 * Sends `{code, message}` with the code's HTTP status, and `Retry-After` when the error carries
 * `details.retryAfterSeconds` (QUEUE_FULL, RATE_LIMITED). A 5xx is logged with its stack and the
 * request id; its body (QUEUE_FULL and TIMEOUT aside) says only that the log has the details,
 * naming the request id.
 *
 * @example
 * app.setErrorHandler((err, req, reply) => sendError(req, reply, err))
 */
export function sendError(request: FastifyRequest, reply: FastifyReply, err: unknown): FastifyReply {
  const e = toArcFaceError(err);
  const retry = e.details?.retryAfterSeconds;
  if (typeof retry === 'number') reply.header('retry-after', String(Math.max(1, Math.ceil(retry))));
  // The rest of an oversized or late body is not read: the connection ends with this answer.
  if (e.code === 'PAYLOAD_TOO_LARGE' || e.code === 'REQUEST_TIMEOUT') reply.header('connection', 'close');
  if (e.httpStatus >= 500 && e.code !== 'QUEUE_FULL') request.log.error({ err, code: e.code }, 'request failed');
  // A 5xx's own message may quote a library or a path (a model file, the gallery file, SQLite's
  // report): it goes to the log; the client gets the code and the request id to find it there.
  const hidden = e.httpStatus >= 500 && !SHOWN_5XX.has(e.code);
  const body = hidden
    ? {
        code: e.code,
        message: `${e.code === 'INTERNAL' ? INTERNAL_MESSAGE : `The server could not complete the request (${e.code}); the server log has the details`} (request ${request.id})`,
      }
    : e.toJSON();
  return reply.code(e.httpStatus).type('application/json; charset=utf-8').send(body);
}

/**
 * A raw socket answer in our error shape, for errors Node raises before Fastify has a request
 * (malformed HTTP, headers too large, request timeout): Fastify's `clientErrorHandler`.
 *
 * @example
 * Fastify({ clientErrorHandler: (err, socket) => answerClientError(err, socket) })
 */
export function answerClientError(
  err: NodeJS.ErrnoException,
  socket: { writable: boolean; destroyed: boolean; write(s: string): unknown; destroy(e?: Error): unknown },
): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const e =
    err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? new ArcFaceError('REQUEST_TIMEOUT', 'Expected the whole request within the request timeout but it did not arrive')
      : err.code === 'HPE_HEADER_OVERFLOW'
        ? new ArcFaceError('HEADERS_TOO_LARGE', 'Expected request headers within the size limit but received more')
        : new ArcFaceError('BODY_INVALID', 'Expected a well-formed HTTP/1.1 request but it could not be parsed');
  const body = JSON.stringify(e.toJSON());
  const status = e.httpStatus;
  const reason = status === 408 ? 'Request Timeout' : status === 431 ? 'Request Header Fields Too Large' : 'Bad Request';
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
  }
  socket.destroy(err);
}

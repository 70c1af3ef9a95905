/**
 * The request hooks that keep every answer in our shape and every request bounded: request ids and
 * the one log line per request, security headers, the body-size check before any byte is read, and
 * strict parsing of numbers in query strings.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ArcFaceError } from '../../../src/core/index.js';

/** A plain decimal: optional minus, digits, optional fraction. No hex, exponent, spaces or Infinity. */
const PLAIN_DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?$/;
/** A plain decimal integer. */
const PLAIN_INTEGER = /^-?(0|[1-9][0-9]*)$/;

interface PropertySchema {
  readonly type?: unknown;
}

/**
 * Checks the query-string values a route declares as numbers before ajv coerces them: ajv (like
 * `Number()`) reads `0x1`, `"  1"`, `1e308` and `Infinity` as numbers, so they would pass or fail on
 * range alone. Only plain decimals pass here, integers within the safe range; ajv then checks range.
 *
 * @example
 * assertPlainNumbers(request) // throws INVALID_ARGUMENT for ?limit=0x1
 */
export function assertPlainNumbers(request: FastifyRequest): void {
  const schema = request.routeOptions.schema?.querystring as { properties?: Record<string, PropertySchema> } | undefined;
  const props = schema?.properties;
  if (props === undefined || typeof request.query !== 'object' || request.query === null) return;
  const query = request.query as Record<string, unknown>;
  for (const [name, prop] of Object.entries(props)) {
    if (prop.type !== 'integer' && prop.type !== 'number') continue;
    const raw = query[name];
    if (raw === undefined) continue;
    for (const v of Array.isArray(raw) ? raw : [raw]) {
      const text = String(v);
      const ok =
        prop.type === 'integer' ? PLAIN_INTEGER.test(text) && Number.isSafeInteger(Number(text)) : PLAIN_DECIMAL.test(text) && Number.isFinite(Number(text));
      if (!ok) {
        throw new ArcFaceError(
          'INVALID_ARGUMENT',
          `Expected querystring "${name}" to be a plain decimal ${prop.type === 'integer' ? 'integer' : 'number'} but received "${text.slice(0, 40)}"`,
        );
      }
    }
  }
}

/**
 * Strict positive integer ids in URLs (face ids, CompreFace image ids): digits only, no sign,
 * no leading zero, within the safe range; null for anything else.
 *
 * @example
 * parsePositiveId('42') // 42
 * parsePositiveId('0x2a') // null
 */
export function parsePositiveId(raw: string): number | null {
  if (!/^[1-9][0-9]{0,15}$/.test(raw)) return null;
  const n = Number(raw);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * Adds the hooks: `x-request-id` on every answer, one `info` log line per finished request
 * (method, URL, route, status, time; never headers or bodies), security headers (`nosniff`,
 * `no-referrer`, `X-Frame-Options: DENY`), 413 for a declared `Content-Length` over the body limit
 * before the body is read, and strict numbers in query strings.
 *
 * @example
 * registerHardening(app)
 */
export function registerHardening(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    const declared = request.headers['content-length'];
    // The route's own limit (the app's body limit, or the video upload cap on /v1/videos).
    const limit = request.routeOptions.bodyLimit;
    if (declared !== undefined && limit !== undefined && Number(declared) > limit) {
      throw new ArcFaceError(
        'PAYLOAD_TOO_LARGE',
        `Expected a request body of at most ${limit} bytes but Content-Length declares ${String(declared).slice(0, 20)}`,
      );
    }
  });
  app.addHook('preValidation', async (request) => assertPlainNumbers(request));
  app.addHook('onSend', async (_request, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        url: request.url,
        route: request.routeOptions.url ?? null,
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime * 10) / 10,
      },
      'request',
    );
  });
}

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ArcFaceError } from '../../../src/core/index.js';
import type { ServerContext } from '../context.js';
import { scopeAllows, type Scope } from '../services/index.js';

function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers['x-api-key'];
  const fromHeader = Array.isArray(header) ? header[0] : header;
  if (typeof fromHeader === 'string' && fromHeader.length > 0) return fromHeader.trim();
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m !== null) return m[1];
  }
  return undefined;
}

/**
 * The scope a route needs: its `config.scope`, else `read` under /v1 and /api, else public
 * (the web page, docs, health).
 *
 * @example
 * routeScope('/v1/detect', undefined) // 'read'
 */
export function routeScope(url: string | undefined, configured: Scope | 'public' | undefined): Scope | 'public' {
  if (configured !== undefined) return configured;
  if (url === undefined) return 'public';
  return url.startsWith('/v1/') || url.startsWith('/api/') ? 'read' : 'public';
}

/**
 * Adds the key check (401 missing or unknown, 403 too weak a scope) as an onRequest hook, before
 * any body is read. The per-key rate limit (@fastify/rate-limit) runs next, then
 * {@link registerAdmission}.
 *
 * @example
 * registerAuth(app, ctx)
 */
export function registerAuth(app: FastifyInstance, ctx: ServerContext): void {
  app.decorateRequest('apiKey', null);
  app.decorateRequest('clientGone', null);
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.inference === true) {
      const ac = new AbortController();
      reply.raw.once('close', () => {
        if (!reply.raw.writableFinished) ac.abort();
      });
      request.clientGone = ac.signal;
    }
    const scope = routeScope(request.routeOptions.url, request.routeOptions.config.scope);
    if (scope === 'public') return;
    if (!ctx.options.auth || ctx.keys === undefined) return;
    const key = presentedKey(request);
    if (key === undefined) {
      throw new ArcFaceError('UNAUTHORIZED', 'Expected an API key in the x-api-key header or Authorization: Bearer but received none');
    }
    // Every key store answers undefined for a key that cannot be one (empty, over 256 characters) without a lookup.
    const record = await ctx.keys.verify(key);
    if (record === undefined) throw new ArcFaceError('UNAUTHORIZED', 'Expected a valid API key but received one that is unknown or revoked');
    if (!scopeAllows(record.scope, scope)) {
      throw new ArcFaceError(
        'FORBIDDEN',
        `Expected a key with the "${scope}" scope for ${request.method} ${request.routeOptions.url ?? request.url} but received a "${record.scope}" key`,
      );
    }
    request.apiKey = record;
  });
}

/**
 * Whether the key a request was admitted with still holds its route's scope (not revoked, not
 * deleted): long-lived answers (Server-Sent Events) ask this again while they stay open. True when
 * the route is public or keys are off.
 *
 * @example
 * if (!(await keyStillValid(ctx, request))) closeStream()
 */
export async function keyStillValid(ctx: ServerContext, request: FastifyRequest): Promise<boolean> {
  const scope = routeScope(request.routeOptions.url, request.routeOptions.config.scope);
  if (scope === 'public' || !ctx.options.auth || ctx.keys === undefined) return true;
  const key = presentedKey(request);
  if (key === undefined) return false;
  const record = await ctx.keys.verify(key);
  return record !== undefined && scopeAllows(record.scope, scope);
}

/**
 * On inference routes, the queue admission check (503 QUEUE_FULL with Retry-After) once the key
 * and the rate limit have passed, still before the body is read (preParsing).
 *
 * @example
 * registerAdmission(app, ctx)
 */
export function registerAdmission(app: FastifyInstance, ctx: ServerContext): void {
  app.addHook('preParsing', async (request) => {
    if (request.routeOptions.config.inference === true) ctx.engine.admit();
  });
}

import type { FastifyInstance } from 'fastify';
import { ArcFaceError } from '../../../src/core/index.js';
import type { ServerContext } from '../context.js';
import type { ApiKeyStore, Scope } from '../services/index.js';

const ERRS = { 400: { $ref: 'Error#' }, 401: { $ref: 'Error#' }, 403: { $ref: 'Error#' }, 404: { $ref: 'Error#' } } as const;

function store(ctx: ServerContext): ApiKeyStore {
  if (ctx.keys === undefined) throw new ArcFaceError('NOT_FOUND', 'Expected a key store but the server runs without authentication');
  return ctx.keys;
}

/**
 * `/v1/keys`: list, create (the key is in this one response only) and revoke API keys; admin scope.
 *
 * @example
 * registerKeyRoutes(app, ctx)
 */
export function registerKeyRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const tags = ['keys'];
  app.get(
    '/v1/keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'List API keys (never the keys themselves)',
        response: { 200: { type: 'object', properties: { keys: { type: 'array', items: { $ref: 'ApiKey#' } } } }, ...ERRS },
      },
    },
    async () => ({
      keys: await store(ctx).list(),
    }),
  );

  app.post<{ Body: { scope: Scope; name?: string } }>(
    '/v1/keys',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Create an API key; the response holds the only copy',
        body: {
          type: 'object',
          required: ['scope'],
          properties: { scope: { type: 'string', enum: ['read', 'write', 'admin'] }, name: { type: 'string', maxLength: 200 } },
          additionalProperties: false,
        },
        response: { 201: { $ref: 'ApiKey#' }, ...ERRS },
      },
    },
    async (request, reply) =>
      reply.code(201).send(await store(ctx).create({ scope: request.body.scope, ...(request.body.name === undefined ? {} : { name: request.body.name }) })),
  );

  app.delete<{ Params: { id: string } }>(
    '/v1/keys/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Revoke an API key',
        params: { type: 'object', properties: { id: { type: 'string' } } },
        response: { 200: { $ref: 'ApiKey#' }, ...ERRS },
      },
    },
    async (request) => await store(ctx).revoke(request.params.id),
  );
}

import type { FastifyInstance } from 'fastify';
import type { ServerContext } from '../context.js';

/** Longest a readiness probe waits on the gallery before calling it unreachable (probes time out at ~1 s by default in Kubernetes). */
const READY_GALLERY_TIMEOUT_MS = 500;

/** The ffmpeg that decodes video jobs, as `/healthz` reports it (never its path). */
export interface FfmpegReport {
  readonly version: string;
  /** `option`, `env` (ARCFACE_FFMPEG), `system` (on PATH) or `bundled`. */
  readonly origin: string;
  /** True for the bundled 2018 build, which the server warns about. */
  readonly bundled: boolean;
}

/**
 * `GET /healthz` (the process answers; with video jobs on, the ffmpeg version and where it came from), `GET /readyz` (models loaded, stores reachable) and
 * `GET /metrics` (Prometheus text). All three are public and never touch a worker.
 *
 * @example
 * registerHealthRoutes(app, ctx)
 */
export function registerHealthRoutes(app: FastifyInstance, ctx: ServerContext, ffmpeg?: FfmpegReport): void {
  const tags = ['health'];
  const ffmpegSchema = { type: 'object', properties: { version: { type: 'string' }, origin: { type: 'string' }, bundled: { type: 'boolean' } } } as const;
  app.get(
    '/healthz',
    {
      config: { scope: 'public' },
      schema: {
        tags,
        security: [],
        summary: 'Liveness: the process answers; with video jobs on, which ffmpeg decodes them',
        response: { 200: { type: 'object', properties: { status: { type: 'string' }, ffmpeg: ffmpegSchema } } },
      },
    },
    async () => ({ status: 'ok', ...(ffmpeg === undefined ? {} : { ffmpeg }) }),
  );

  app.get(
    '/readyz',
    {
      config: { scope: 'public' },
      schema: {
        tags,
        security: [],
        summary: 'Readiness: models loaded in every worker, key store and gallery reachable',
        response: {
          200: { $ref: 'Readiness#' },
          503: { $ref: 'Readiness#' },
        },
      },
    },
    async (_request, reply) => {
      const problems: string[] = [];
      const info = ctx.engine.info;
      let modelsReady = false;
      try {
        await Promise.race([ctx.engine.ready, new Promise((_, rej) => setTimeout(() => rej(new Error('loading')), 0))]);
        modelsReady = true;
      } catch (err) {
        problems.push(`models: ${(err as Error).message}`);
      }
      if (ctx.keys !== undefined && !(await ctx.keys.ping())) problems.push('keys: store not reachable');
      let gallery: { subjects: number; faces: number } | null = null;
      if (ctx.options.gallery !== undefined) {
        const g = ctx.options.gallery;
        try {
          gallery = await Promise.race([g.count(), new Promise<never>((_, rej) => setTimeout(() => rej(new Error('timed out')), READY_GALLERY_TIMEOUT_MS))]);
        } catch (err) {
          problems.push(`gallery: ${(err as Error).message}`);
        }
      }
      const body = {
        status: problems.length === 0 && modelsReady ? 'ready' : 'not_ready',
        problems,
        models: info === undefined ? null : { fingerprint: info.fingerprint, embeddingSize: info.embeddingSize, threshold: info.threshold },
        gallery,
        queueDepth: ctx.engine.queueDepth,
      };
      return reply.code(body.status === 'ready' ? 200 : 503).send(body);
    },
  );

  app.get(
    '/metrics',
    { config: { scope: 'public' }, schema: { tags, security: [], summary: 'Prometheus metrics (text exposition 0.0.4)' } },
    async (_request, reply) => reply.type(ctx.metrics.contentType).send(await ctx.metrics.render()),
  );
}

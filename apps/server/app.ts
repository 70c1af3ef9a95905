import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import cors from '@fastify/cors';
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import { ArcFaceError } from '../../src/core/index.js';
import { MAX_ID_LENGTH } from '../../src/gallery/index.js';
import { chooseFfmpeg, ffmpegVersion } from '../../src/video/index.js';
import { registerAuth, registerAdmission, routeScope } from './plugins/auth.js';
import { makeContext, type ServerContext } from './context.js';
import type { InferenceEngine } from './services/engine.js';
import { EventBus } from './services/event-bus.js';
import { EventOut, hasEventSinks, MqttSink, type EventOutOptions } from './services/event-out/index.js';
import { registerHardening } from './plugins/hardening.js';
import { rateLimitStore } from './plugins/shared-rate-limit.js';
import { answerClientError, sendError } from './plugins/http-errors.js';
import { ServerMetrics } from './plugins/metrics.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { registerBrowserAssetRoutes } from './routes/browser-assets.js';
import { registerComprefaceRoutes } from './routes/compreface.js';
import { registerFaceRoutes } from './routes/faces.js';
import { registerHealthRoutes, type FfmpegReport } from './routes/health.js';
import { registerKeyRoutes } from './routes/keys.js';
import { registerPeopleRoutes } from './routes/people.js';
import { registerSubjectRoutes } from './routes/subjects.js';
import { registerAnonymizeRoutes } from './routes/anonymize.js';
import { registerVideoRoutes } from './routes/videos.js';
import { registerSightingRoutes } from './routes/sightings.js';
import { SHARED_SCHEMAS, withImageBodies } from './schemas.js';
import { VideoService, type VideoServiceOptions } from './services/video-jobs.js';
import { InferencePool, poolOptionsFrom } from './services/worker-pool.js';
import { recordAll } from './routes/sightings.js';
import type { TrackSighting } from '../../src/stream/index.js';

/** Options of {@link buildApp}: the server options plus an engine to share (tests, benchmarks). */
export interface BuildAppOptions extends ServerOptions {
  /** A running engine to use instead of starting workers; the app will not close it. */
  readonly engine?: InferenceEngine;
  /** Video jobs, anonymisation jobs and live streams (`/v1/videos`, `/v1/anonymize`, `/v1/streams`); off when absent. */
  readonly videos?: VideoServiceOptions;
  /** Where the server's events go besides SSE (MQTT, webhooks); nowhere when absent. */
  readonly events?: EventOutOptions;
  /**
   * Run every configured stream from the start, whether or not a client follows it; default: on
   * when `events` names a destination (MQTT and webhooks need events with nobody watching), else off.
   */
  readonly streamsAlwaysOn?: boolean;
}

/**
 * Content-Security-Policy of the web page: its own scripts and styles only, pictures from blob:
 * URLs (thumbnails, picked photos), API calls to this origin, no framing.
 */
const WEB_CSP =
  "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; " +
  "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * Content-Security-Policy of the API docs (Swagger UI): @fastify/swagger-ui's static policy (hashes
 * of its own inline script and style) with framing refused and no upgrade to https, which would break
 * the page on a plain-http loopback server.
 */
function docsCsp(header: string): string {
  return header.replace("frame-ancestors 'self'", "frame-ancestors 'none'").replace(/\s*upgrade-insecure-requests;?/, '');
}

/**
 * Longest URL path parameter (characters as sent, percent-encoded): an id of MAX_ID_LENGTH UTF-16
 * units of up to 3 UTF-8 bytes each, every byte written as %XX (9 characters per unit). Longer
 * parameters are refused with 414 URI_TOO_LONG; ids within it but over MAX_ID_LENGTH get 400.
 */
const MAX_PARAM_LENGTH = MAX_ID_LENGTH * 9;

function defaultWebRoot(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  for (const candidate of [resolve(here, '..', 'web'), resolve(here, '..', '..', '..', 'apps', 'web')]) {
    if (existsSync(resolve(candidate, 'index.html'))) return candidate;
  }
  return undefined;
}

/** Starts the administrator's event sinks on `bus`, with their counters and queue depths in the metrics. */
function startEventOut(app: FastifyInstance, bus: EventBus, metrics: ServerMetrics, options: BuildAppOptions): EventOut | undefined {
  if (!hasEventSinks(options.events)) return undefined;
  const out = EventOut.start(bus, options.events as EventOutOptions, {
    streams: Object.keys(options.videos?.streams ?? {}).sort(),
    report: { count: (sink, outcome) => metrics.countEventOut(sink, outcome), warn: (obj, msg) => app.log.warn(obj, msg) },
  });
  metrics.addSinkGauge('arcface_events_out_queue_depth', 'Events waiting to be sent, per sink.', () => out.sinks.map((s) => [s.name, s.queueDepth] as const));
  const mqtt = out.sinks.find((s): s is MqttSink => s instanceof MqttSink);
  if (mqtt !== undefined)
    metrics.addGauge({ name: 'arcface_mqtt_connected', help: '1 while the MQTT broker is connected, else 0.', read: () => (mqtt.connected ? 1 : 0) });
  return out;
}

/**
 * Builds the HTTP app (not listening): the /v1 API, the CompreFace-compatible /api/v1 routes,
 * health, metrics, OpenAPI and the web page. Inference runs in worker threads.
 *
 * @example
 * const app = await buildApp({ keys: KeyStore.open(':memory:'), gallery })
 * const res = await app.inject({ method: 'GET', url: '/healthz' })
 */
export async function buildApp(options: BuildAppOptions = {}): Promise<FastifyInstance> {
  const opts = resolveServerOptions(options);
  const app = Fastify({
    logger: { level: opts.logLevel, ...(opts.logStream === undefined ? {} : { stream: opts.logStream }) },
    // One line per request, written by the onResponse hook of hardening.ts, instead of Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: () => randomUUID(),
    bodyLimit: opts.bodyLimit,
    requestTimeout: opts.requestTimeoutMs,
    // Bounds the whole request, body arrival included (a slow client gets 408); one second past the
    // inference timeout, so a slow inference job is still answered by its own 504 first.
    handlerTimeout: opts.requestTimeoutMs + 1000,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (err, request, reply) => sendError(request, reply, err),
    clientErrorHandler: (err, socket) => answerClientError(err, socket),
    // Fastify's closing 503 has its own body shape; while closing, idle connections are closed and
    // answers on busy ones carry `connection: close` (onSend below), so a request that still arrives
    // on such a connection (pipelined) is simply served.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array' } },
  });
  const metrics = new ServerMetrics();
  const engine = options.engine ?? InferencePool.start(poolOptionsFrom(opts));
  const unsubscribe = engine.subscribe({
    onJob: (op, wait, run) => metrics.observeInference(op, wait, run),
    onReject: (reason) => metrics.countRejected(reason),
  });
  app.addHook('onClose', async () => {
    unsubscribe();
    if (options.engine === undefined) await engine.close();
  });
  const ctx: ServerContext = makeContext({
    options: opts,
    engine,
    keys: opts.keys,
    metrics,
    galleryPort: opts.gallery,
  });
  if (opts.auth) app.log.info('API keys required on /v1 and /api routes');
  else app.log.warn('AUTHENTICATION IS OFF: anyone who can reach this port can use and change the gallery');

  metrics.addGauge({ name: 'arcface_inference_queue_depth', help: 'Inference jobs waiting for a worker.', read: () => engine.queueDepth });
  metrics.addGauge({ name: 'arcface_inference_in_flight', help: 'Inference jobs running.', read: () => engine.inFlight });
  metrics.addGauge({ name: 'arcface_process_resident_memory_bytes', help: 'Resident set size of the server process.', read: () => process.memoryUsage().rss });
  if (opts.gallery !== undefined) {
    const g = opts.gallery;
    metrics.addGauge({ name: 'arcface_gallery_subjects', help: 'Subjects in the gallery.', read: async () => (await g.count()).subjects });
    metrics.addGauge({ name: 'arcface_gallery_faces', help: 'Enrolled faces in the gallery.', read: async () => (await g.count()).faces });
  }

  for (const s of SHARED_SCHEMAS) app.addSchema(s);
  app.setErrorHandler((err, request, reply) => sendError(request, reply, err));
  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    // The router refuses a parameter over MAX_PARAM_LENGTH by matching nothing (the web page's
    // wildcard route then finds no file): that is a URL too long, not a missing route.
    if (path.split('/').some((segment) => segment.length > MAX_PARAM_LENGTH)) {
      return sendError(
        request,
        reply,
        new ArcFaceError('URI_TOO_LONG', `Expected URL path segments of at most ${MAX_PARAM_LENGTH} characters but received a longer one`),
      );
    }
    const shown = path.length > 120 ? `${path.slice(0, 120)}…` : path;
    return sendError(request, reply, new ArcFaceError('NOT_FOUND', `Expected a known route but received ${request.method} ${shown}`));
  });
  const active = new Set<string>();
  app.decorate('httpInFlight', () => active.size);
  app.addHook('onRequest', async (request, reply) => {
    active.add(request.id);
    // 'close' comes once the response is sent or the client has gone, whichever is first.
    reply.raw.once('close', () => active.delete(request.id));
  });
  // During a graceful close, answers to requests already in flight end their keep-alive connection, so close() does not wait out keepAliveTimeout.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  registerHardening(app);
  app.addHook('onSend', async (request, reply, payload) => {
    if (closing) reply.header('connection', 'close');
    const type = String(reply.getHeader('content-type') ?? '');
    if (type.startsWith('text/html') && !request.url.startsWith('/docs')) reply.header('content-security-policy', WEB_CSP);
    return payload;
  });
  app.addHook('onResponse', async (request, reply) => {
    metrics.observeRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
  });
  const jsonParser = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  // No route reads text: a text/plain body is refused with 415 like any other unknown type.
  app.removeContentTypeParser('text/plain');
  // The CompreFace SDK sends DELETE with `content-type: application/json` and no body; an empty JSON body means none.
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: opts.bodyLimit }, (request, body, done) => {
    if (body === '') done(null, undefined);
    else jsonParser(request, typeof body === 'string' ? body : body.toString('utf8'), done);
  });
  app.addContentTypeParser(/^(application\/octet-stream|image\/[\w.+-]+)$/, { parseAs: 'buffer', bodyLimit: opts.bodyLimit }, (_req, body, done) =>
    done(null, body),
  );
  // Limits are set per request by readInput, against the one body limit.
  await app.register(multipart, { limits: { fileSize: opts.bodyLimit, fieldSize: opts.bodyLimit }, throwFileSizeLimit: true });
  if (opts.corsOrigins.length > 0) await app.register(cors, { origin: [...opts.corsOrigins], allowedHeaders: ['content-type', 'x-api-key', 'authorization'] });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'ArcFace.ts API',
        version: '1',
        description: 'Face detection, verification and identification. Send an API key in x-api-key or Authorization: Bearer.',
      },
      components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' }, bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }, { bearer: [] }],
    },
    transformObject: (d) => withImageBodies('openapiObject' in d ? d.openapiObject : d.swaggerObject),
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `def-${i}`) },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true, transformStaticCSP: docsCsp });
  registerAuth(app, ctx);
  // Per key (per address without auth), after the key check; route-level, so it runs after auth.
  await app.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    max: opts.rateLimit.max,
    // Shared by every replica when a counter is given (PostgreSQL); else this process's memory.
    ...(opts.rateLimitCounter === undefined ? {} : { store: rateLimitStore(opts.rateLimitCounter) }),
    timeWindow: opts.rateLimit.windowMs,
    // Health, docs and the page are never limited; model and bundle files are, per address.
    allowList: (request) =>
      routeScope(request.routeOptions.url, request.routeOptions.config.scope) === 'public' && request.routeOptions.config.rateLimited !== true,
    keyGenerator: (request) => (request.apiKey === null ? `ip:${request.ip}` : `key:${request.apiKey.id}`),
    errorResponseBuilder: (_request, c) =>
      new ArcFaceError(
        'RATE_LIMITED',
        `Expected at most ${c.max} requests per ${opts.rateLimit.windowMs} ms for this key but received more; retry in ${Math.max(1, Math.ceil(c.ttl / 1000))} s`,
        {
          details: { retryAfterSeconds: Math.max(1, Math.ceil(c.ttl / 1000)) },
        },
      ),
  });
  registerAdmission(app, ctx);
  let ffmpeg: FfmpegReport | undefined;
  if (options.videos !== undefined) {
    const choice = chooseFfmpeg(options.videos.ffmpegPath);
    ffmpeg = { version: ffmpegVersion(choice.path) ?? 'unknown', origin: choice.origin, bundled: choice.bundled };
    if (choice.bundled)
      app.log.warn({ ffmpeg }, 'video uploads are decoded by the bundled ffmpeg, a 2018 build that is no longer maintained; install a current ffmpeg');
  }
  registerHealthRoutes(app, ctx, ffmpeg);
  registerFaceRoutes(app, ctx);
  registerSubjectRoutes(app, ctx);
  registerKeyRoutes(app, ctx);
  registerComprefaceRoutes(app, ctx);
  registerPeopleRoutes(app, ctx);
  registerSightingRoutes(app, ctx);
  // The one bus of job and stream events: SSE clients and the event sinks all read from it.
  const bus = new EventBus(app.log);
  const eventOut = startEventOut(app, bus, metrics, options);
  if (options.videos !== undefined) {
    const port = options.gallery;
    let videos: VideoService;
    try {
      videos = VideoService.open(poolOptionsFrom(opts), {
        log: app.log,
        // Video frames obey the images' pixel rule unless the video options set their own.
        maxPixels: opts.maxPixels,
        // Every track that ends in a job or a stream becomes a sighting, recorded here one at a time.
        ...(port?.sightingsWrite === undefined || options.videos.galleryLocation === undefined
          ? {}
          : {
              onSightings: (source: string, list: readonly TrackSighting[]) => port.sightingsWrite?.((s) => recordAll(s, source, list)) ?? Promise.resolve([]),
            }),
        ...options.videos,
        bus,
        ffmpegPath: chooseFfmpeg(options.videos.ffmpegPath).path,
      });
    } catch (err) {
      // No app is returned to close: the broker connection must not keep the process alive.
      await eventOut?.close();
      throw err;
    }
    // Streams stop first, so that their last status still goes out before the sinks close.
    app.addHook('onClose', async () => {
      await videos.close();
      await eventOut?.close();
    });
    await app.register(async (sub) => {
      registerVideoRoutes(sub, ctx, videos);
      registerAnonymizeRoutes(sub, videos);
    });
    if (options.streamsAlwaysOn ?? eventOut !== undefined) videos.keepStreamsRunning();
  } else if (eventOut !== undefined) {
    app.addHook('onClose', async () => eventOut.close());
  }
  registerBrowserAssetRoutes(app, ctx);
  app.get('/openapi.json', { schema: { hide: true }, config: { scope: 'public' } }, async () => app.swagger());

  const webRoot = opts.webRoot ?? defaultWebRoot();
  if (webRoot !== undefined) await app.register(fastifyStatic, { root: webRoot, prefix: '/', index: ['index.html'], wildcard: true });
  return app;
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { ArcFaceError } from '../../../src/core/index.js';
import type { VideoJobView, VideoService } from '../video-jobs.js';

/** Seconds between SSE comment lines that keep proxies from closing an idle stream. */
const SSE_HEARTBEAT_MS = 15_000;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

function wantsEventStream(request: FastifyRequest): boolean {
  return String(request.headers.accept ?? '').includes('text/event-stream');
}

/**
 * Answers with Server-Sent Events: `event: <type>` + `data: <json>` per stream event, `event: end`
 * last. Returns once the client or the stream has ended.
 */
function sendEvents(request: FastifyRequest, reply: FastifyReply, subscribe: (listener: Parameters<VideoService['follow']>[1]) => () => void): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-content-type-options': 'nosniff',
    'x-accel-buffering': 'no',
  });
  let stop: () => void = () => undefined;
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
  const finish = (): void => {
    clearInterval(heartbeat);
    stop();
    if (!res.writableEnded) res.end();
  };
  request.raw.once('close', finish);
  stop = subscribe((e) => {
    if (e.kind === 'event') {
      res.write(`event: ${e.event.type}\ndata: ${JSON.stringify(e.event)}\n\n`);
    } else {
      res.write(`event: end\ndata: ${JSON.stringify({ status: e.status, ...(e.error === undefined ? {} : { error: e.error }) })}\n\n`);
      finish();
    }
  });
}

/**
 * `POST /v1/videos` (a video as the body, `Content-Type: video/*`, or a multipart `video` file) →
 * 202 with a job id; `GET /v1/videos/:id` (state and, once finished, the timeline),
 * `GET /v1/videos/:id/events` (JSON, or Server-Sent Events with `Accept: text/event-stream`),
 * `DELETE /v1/videos/:id`; `GET /v1/streams` and `GET /v1/streams/:name/events` (SSE) for the
 * live streams the administrator configured — a client names a stream, never a URL.
 *
 * @example
 * await app.register(async (sub) => registerVideoRoutes(sub, videos))
 */
export function registerVideoRoutes(app: FastifyInstance, videos: VideoService): void {
  const tags = ['videos'];
  // A video body is streamed to disk, never buffered: the parser hands the request stream on.
  app.addContentTypeParser(/^video\/[\w.+-]+$/, (_request, payload, done) => done(null, payload));

  app.post('/v1/videos', { config: { scope: 'read' }, schema: { tags, summary: 'Upload a video; faces are tracked and named in a background job' } }, async (request, reply) => {
    let body: Readable;
    if (request.isMultipart()) {
      const file = await request.file({ limits: { fileSize: Number.MAX_SAFE_INTEGER } });
      if (file === undefined || file.fieldname !== 'video') throw new ArcFaceError('INVALID_ARGUMENT', 'Expected a multipart file field named "video"');
      body = file.file;
    } else if (request.body !== undefined && typeof (request.body as Readable).pipe === 'function') {
      body = request.body as Readable;
    } else {
      const type = String(request.headers['content-type'] ?? 'no content type');
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected a video body (Content-Type video/…) or a multipart "video" file but received ${type}`);
    }
    let job: VideoJobView;
    try {
      job = await videos.submit(body);
    } catch (err) {
      // The rest of a refused upload is never read: the connection cannot carry another request.
      reply.header('connection', 'close');
      throw err;
    }
    return reply.code(202).header('location', `/v1/videos/${job.id}`).send(job);
  });

  app.get('/v1/videos/:id', { config: { scope: 'read' }, schema: { tags, params: idParams } }, async (request) => videos.view((request.params as { id: string }).id));

  app.get('/v1/videos/:id/events', { config: { scope: 'read' }, schema: { tags, params: idParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const view = videos.view(id);
    if (!wantsEventStream(request)) return { id, status: view.status, events: videos.events(id) };
    sendEvents(request, reply, (l) => videos.follow(id, l));
    return reply;
  });

  app.delete('/v1/videos/:id', { config: { scope: 'read' }, schema: { tags, params: idParams } }, async (request, reply) => {
    await videos.cancel((request.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.get('/v1/streams', { config: { scope: 'read' }, schema: { tags, summary: 'Live streams configured by the administrator, and the state of those opened' } }, async () => ({
    streams: videos.streamNames,
    running: videos.streamViews(),
  }));

  app.get('/v1/streams/:name/events', { config: { scope: 'read' }, schema: { tags, params: nameParams } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const subscribe = (l: Parameters<VideoService['listen']>[1]): (() => void) => videos.listen(name, l);
    if (!videos.streamNames.includes(name)) subscribe(() => undefined); // raises NOT_FOUND before the stream starts
    sendEvents(request, reply, subscribe);
    return reply;
  });
}

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Readable } from 'node:stream';
import { ArcFaceError } from '../../../src/core/index.js';
import { keyStillValid } from '../plugins/index.js';
import type { ServerContext } from '../context.js';
import { toArcFaceError } from '../plugins/index.js';
import type { AnonymizeTask, JobRequester, VideoJobView, VideoService } from '../services/index.js';

/** Seconds between SSE comment lines that keep proxies from closing an idle stream. */
const SSE_HEARTBEAT_MS = 15_000;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

function wantsEventStream(request: FastifyRequest): boolean {
  return String(request.headers.accept ?? '').includes('text/event-stream');
}

/**
 * Who asks: the key's id, and whether it sees every job (admin keys; everyone when keys are off).
 *
 * @example
 * videos.view(id, requester(request))
 */
export function requester(request: FastifyRequest): JobRequester {
  const key = request.apiKey;
  return { keyId: key?.id ?? null, admin: key === null || key.scope === 'admin' };
}

/**
 * Answers with Server-Sent Events: `event: <type>` + `data: <json>` per stream event, `event: end`
 * last. Every `recheckMs` the request's API key is checked again: once it is revoked (or weakened
 * below the route's scope) the stream ends with `{status: 'unauthorized', error}` and closes.
 */
function sendEvents(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: ServerContext,
  recheckMs: number,
  subscribe: (listener: Parameters<VideoService['listen']>[1]) => () => void,
): void {
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-content-type-options': 'nosniff',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  // Headers go out now, not with the first event: a client knows at once that the stream is open.
  res.flushHeaders();
  let stop: () => void = () => undefined;
  let ended = false;
  const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
  const finish = (): void => {
    ended = true;
    clearInterval(heartbeat);
    clearInterval(recheck);
    stop();
    if (!res.writableEnded) res.end();
  };
  const recheck = setInterval(() => {
    keyStillValid(ctx, request).then(
      (ok) => {
        if (ok || ended) return;
        const error = new ArcFaceError('UNAUTHORIZED', 'Expected a valid API key but this one was revoked while the stream was open').toJSON();
        res.write(`event: end\ndata: ${JSON.stringify({ status: 'unauthorized', error })}\n\n`);
        finish();
      },
      // The key store did not answer: fail closed.
      () => finish(),
    );
  }, recheckMs);
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

/** Media types of a raw video body: `video/*`, parameters allowed (`video/mp4; codecs="avc1.42E01E"`). */
const VIDEO_TYPE = /^video\/[\w.+-]+$/i;

/** Multipart overhead allowed over the largest video in one declared Content-Length (boundaries, part headers). */
const MULTIPART_SLACK = 64 * 1024;

/**
 * The body limit of a video upload route: the largest video plus multipart overhead.
 *
 * @example
 * app.post('/v1/videos', { bodyLimit: videoBodyLimit(videos) }, handler)
 */
export function videoBodyLimit(videos: VideoService): number {
  return videos.limits.maxBytes + MULTIPART_SLACK;
}

/**
 * Receives one uploaded video (a `video/*` body or a multipart `video` file) into a queued job, with the
 * upload rules of `/v1/videos`: admitted before a byte is read (the key's jobs, the queue, the disk
 * budget), streamed to disk within its limits, sniffed for a container, owned by the requesting key.
 * `anonymize` makes it an anonymisation job. Shared by `/v1/videos` and `/v1/anonymize`.
 *
 * @example
 * const job = await acceptVideoUpload(request, reply, videos)
 */
export async function acceptVideoUpload(request: FastifyRequest, reply: FastifyReply, videos: VideoService, anonymize?: AnonymizeTask): Promise<VideoJobView> {
  const who = requester(request);
  // Jobs count against their key, or against the client's address when the server runs without keys.
  const quota = who.keyId ?? `ip:${request.ip}`;
  const declared = Number(request.headers['content-length']);
  const declaredBytes = Number.isSafeInteger(declared) && declared >= 0 ? declared : undefined;
  // Refused before a byte of the body is read: the key's jobs, the queue, the disk budget. The
  // unread body is not drained: the connection closes with the answer.
  try {
    videos.admit(quota, declaredBytes);
  } catch (err) {
    reply.header('connection', 'close');
    throw err;
  }
  let body: Readable;
  let upload: string | undefined;
  if (request.isMultipart()) {
    let file: Awaited<ReturnType<FastifyRequest['file']>>;
    try {
      file = await request.file({ limits: { fileSize: Number.MAX_SAFE_INTEGER } });
    } catch (err) {
      const e = toArcFaceError(err);
      throw e.code === 'INTERNAL' ? new ArcFaceError('BODY_INVALID', 'Expected a well-formed multipart body but it could not be parsed', { cause: err }) : e;
    }
    if (file === undefined || file.fieldname !== 'video') throw new ArcFaceError('INVALID_ARGUMENT', 'Expected a multipart file field named "video"');
    body = file.file;
    upload = file.filename === '' ? undefined : file.filename;
  } else if (request.body !== undefined && typeof (request.body as Readable).pipe === 'function') {
    body = request.body as Readable;
  } else {
    const type = String(request.headers['content-type'] ?? 'no content type');
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected a video body (Content-Type video/…) or a multipart "video" file but received ${type.slice(0, 80)}`);
  }
  // Fastify's signal aborts on the request timeout and on the request's 'close', which also comes
  // once a body has fully arrived: only a body still incomplete then is abandoned.
  const abandoned = new AbortController();
  const onAbort = (): void => {
    if (!request.raw.complete)
      abandoned.abort(new ArcFaceError('REQUEST_TIMEOUT', 'Expected the whole upload within the request timeout but it stopped arriving'));
  };
  request.signal.addEventListener('abort', onAbort, { once: true });
  let job: VideoJobView;
  try {
    const by = {
      owner: who.keyId,
      quota,
      requestId: request.id,
      signal: abandoned.signal,
      ...(declaredBytes === undefined ? {} : { declaredBytes }),
      ...(upload === undefined ? {} : { upload }),
    };
    job = await videos.submit(body, by, anonymize);
  } catch (err) {
    // The rest of a refused upload is never read: the connection cannot carry another request.
    reply.header('connection', 'close');
    const e = toArcFaceError(err);
    // busboy's own errors (a malformed or cut part mid-body) are a malformed body, not a server fault.
    const malformed = request.isMultipart() && (e.code === 'INTERNAL' || e.code === 'PROTOCOL_INVALID');
    throw malformed ? new ArcFaceError('BODY_INVALID', 'Expected a well-formed multipart body but it could not be parsed', { cause: err }) : e;
  }
  request.signal.removeEventListener('abort', onAbort);
  return job;
}

/**
 * `POST /v1/videos` (a video as the body, `Content-Type: video/*`, or a multipart `video` file) →
 * 202 with a job id; `GET /v1/videos/:id` (state and, once finished, the timeline),
 * `GET /v1/videos/:id/events` (JSON, or Server-Sent Events with `Accept: text/event-stream`),
 * `DELETE /v1/videos/:id`; `GET /v1/streams` and `GET /v1/streams/:name/events` (SSE) for the
 * live streams the administrator configured — a client names a stream, never a URL. A job belongs
 * to the key that made it: other keys (admins aside) get 404.
 *
 * @example
 * await app.register(async (sub) => registerVideoRoutes(sub, ctx, videos))
 */
export function registerVideoRoutes(app: FastifyInstance, ctx: ServerContext, videos: VideoService): void {
  const tags = ['videos'];
  // A video body is streamed to disk, never buffered: the parser hands the request stream on. The
  // function sees the media type without its parameters, so `video/mp4; codecs=…` is a video too.
  app.addContentTypeParser(/^video\//i, (request, payload, done) => {
    const type = request.mediaType ?? '';
    if (!VIDEO_TYPE.test(type))
      done(new ArcFaceError('UNSUPPORTED_MEDIA_TYPE', `Expected a video/… media type but received "${type.slice(0, 80)}"`), undefined);
    else done(null, payload);
  });
  const bodyLimit = videoBodyLimit(videos);

  app.post(
    '/v1/videos',
    { bodyLimit, config: { scope: 'read' }, schema: { tags, summary: 'Upload a video; faces are tracked and named in a background job' } },
    async (request, reply) => {
      const job = await acceptVideoUpload(request, reply, videos);
      return reply.code(202).header('location', `/v1/videos/${job.id}`).send(job);
    },
  );

  app.get('/v1/videos/:id', { config: { scope: 'read' }, schema: { tags, params: idParams } }, async (request) =>
    videos.view((request.params as { id: string }).id, requester(request)),
  );

  app.get('/v1/videos/:id/events', { config: { scope: 'read' }, schema: { tags, params: idParams } }, async (request, reply) => {
    const { id } = request.params as { id: string };
    const who = requester(request);
    const view = videos.view(id, who);
    if (!wantsEventStream(request)) return { id, status: view.status, events: videos.events(id, who) };
    sendEvents(request, reply, ctx, videos.keyRecheckMs, (l) => videos.follow(id, who, l));
    return reply;
  });

  app.delete('/v1/videos/:id', { config: { scope: 'read' }, schema: { tags, params: idParams } }, async (request, reply) => {
    await videos.cancel((request.params as { id: string }).id, requester(request));
    return reply.code(204).send();
  });

  app.get(
    '/v1/streams',
    { config: { scope: 'read' }, schema: { tags, summary: 'Live streams configured by the administrator, and the state of those opened' } },
    async () => ({
      streams: videos.streamNames,
      running: videos.streamViews(),
    }),
  );

  app.get('/v1/streams/:name/events', { config: { scope: 'read' }, schema: { tags, params: nameParams } }, async (request, reply) => {
    const { name } = request.params as { name: string };
    const subscribe = (l: Parameters<VideoService['listen']>[1]): (() => void) => videos.listen(name, l);
    if (!videos.streamNames.includes(name)) subscribe(() => undefined); // raises NOT_FOUND before the stream starts
    sendEvents(request, reply, ctx, videos.keyRecheckMs, subscribe);
    return reply;
  });
}

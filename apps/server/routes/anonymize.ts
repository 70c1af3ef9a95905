import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { ArcFaceError } from '../../../src/core/index.js';
import { ANONYMIZE_DEFAULTS, COVER_STYLES, resolveAnonymizePolicy, type CoverStyle } from '../../../src/privacy/index.js';
import type { AnonymizeTask, VideoService } from '../services/index.js';
import { acceptVideoUpload, requester, videoBodyLimit } from './videos.js';

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;

/** A comma-separated identity list in a query: at most 2,000 characters (about a hundred ids). */
const IDS = { type: 'string', minLength: 1, maxLength: 2000 } as const;

const anonymizeQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    style: { type: 'string', enum: [...COVER_STYLES] },
    pad: { type: 'number', minimum: 0, maximum: 4 },
    keep: IDS,
    keepTag: { type: 'string', minLength: 1, maxLength: 64 },
    only: IDS,
  },
} as const;

interface AnonymizeQuery {
  style?: CoverStyle;
  pad?: number;
  keep?: string;
  keepTag?: string;
  only?: string;
}

/** The task a query asks for: at most one of `keep`, `keepTag` and `only`, checked by the library's policy rules. */
function taskOf(q: AnonymizeQuery): AnonymizeTask {
  const given = [q.keep, q.keepTag, q.only].filter((x) => x !== undefined).length;
  if (given > 1) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected at most one of keep, keepTag and only but received several');
  const list = (q.only ?? q.keep ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  const mode = q.only !== undefined ? 'only' : given === 1 ? 'keep' : 'all';
  // The tag is resolved against the gallery in the worker; the policy is checked here with a stand-in id.
  const policy = resolveAnonymizePolicy({
    mode,
    ids: q.keepTag !== undefined ? [q.keepTag] : list,
    style: q.style ?? ANONYMIZE_DEFAULTS.style,
    pad: q.pad ?? ANONYMIZE_DEFAULTS.pad,
  });
  return {
    mode: policy.mode,
    ids: q.keepTag === undefined ? policy.ids : [],
    style: policy.style,
    pad: policy.pad,
    ...(q.keepTag === undefined ? {} : { keepTag: q.keepTag }),
  };
}

/**
 * `POST /v1/anonymize?style=&pad=&keep=|keepTag=|only=` (a video as the body, `Content-Type: video/*`,
 * or a multipart `video` file) → 202 with a job id; `GET /v1/anonymize/:id` (state, and once done the
 * report and the link to the covered video), `GET /v1/anonymize/:id/video` (the covered MP4),
 * `DELETE /v1/anonymize/:id`. The same jobs as `/v1/videos` (one queue, the same upload limits, container
 * sniffing and ownership: another key's job answers 404), in their own family: a video job's id is
 * unknown here and the reverse. Must share the plugin scope of {@link registerVideoRoutes}'s video body parser.
 *
 * @example
 * await app.register(async (sub) => { registerVideoRoutes(sub, ctx, videos); registerAnonymizeRoutes(sub, videos) })
 */
export function registerAnonymizeRoutes(app: FastifyInstance, videos: VideoService): void {
  const tags = ['anonymize'];
  app.post(
    '/v1/anonymize',
    {
      bodyLimit: videoBodyLimit(videos),
      config: { scope: 'read' },
      schema: { tags, querystring: anonymizeQuery, summary: 'Upload a video; its faces are covered in a background job' },
    },
    async (request, reply) => {
      const task = taskOf(request.query as AnonymizeQuery);
      const job = await acceptVideoUpload(request, reply, videos, task);
      return reply.code(202).header('location', `/v1/anonymize/${job.id}`).send(job);
    },
  );

  app.get('/v1/anonymize/:id', { config: { scope: 'read' }, schema: { tags, params: idParams } }, async (request) =>
    videos.view((request.params as { id: string }).id, requester(request), 'anonymize'),
  );

  app.get('/v1/anonymize/:id/video', { config: { scope: 'read' }, schema: { tags, params: idParams } }, async (request, reply) => {
    const path = videos.anonymizedVideo((request.params as { id: string }).id, requester(request));
    const size = (await stat(path).catch(() => undefined))?.size;
    if (size === undefined) throw new ArcFaceError('NOT_FOUND', 'Expected the covered video of this job on the server but it is gone');
    return reply
      .header('content-type', 'video/mp4')
      .header('content-length', size)
      .header('cache-control', 'no-store')
      .header('content-disposition', 'attachment; filename="anonymized.mp4"')
      .send(createReadStream(path));
  });

  app.delete('/v1/anonymize/:id', { config: { scope: 'read' }, schema: { tags, params: idParams } }, async (request, reply) => {
    await videos.cancel((request.params as { id: string }).id, requester(request), 'anonymize');
    return reply.code(204).send();
  });
}

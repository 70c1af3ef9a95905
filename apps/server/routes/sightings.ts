import type { FastifyInstance } from 'fastify';
import { ArcFaceError } from '../../../src/core/index.js';
import type { Sighting, SightingEvent, Sightings } from '../../../src/sightings/index.js';
import type { TrackSighting } from '../../../src/stream/index.js';
import type { ServerContext } from '../context.js';
import { parsePositiveId } from '../plugins/index.js';

const tags = ['sightings'];
const idParams = (name: string) => ({ type: 'object', required: [name], properties: { [name]: { type: 'string', minLength: 1, maxLength: 20 } } }) as const;
const listQuery = {
  type: 'object',
  properties: {
    source: { type: 'string', minLength: 1, maxLength: 200 },
    unknown: { type: 'boolean' },
    since: { type: 'number', minimum: 0 },
    until: { type: 'number', minimum: 0 },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
  },
  additionalProperties: false,
} as const;
const teachBody = {
  type: 'object',
  required: ['identity'],
  additionalProperties: false,
  properties: {
    identity: { type: 'string', minLength: 1, maxLength: 200 },
    name: { type: 'string', minLength: 1, maxLength: 200 },
    includeLowQuality: { type: 'boolean' },
  },
} as const;

interface ListQuery {
  source?: string;
  unknown?: boolean;
  since?: number;
  until?: number;
  limit?: number;
}

/** A sighting or face id from the URL, by the server's one strict parser. */
function positive(raw: string, what: string): number {
  const n = parsePositiveId(raw);
  if (n === null) throw new ArcFaceError('INVALID_ARGUMENT', `Expected a positive integer ${what} (plain decimal digits) but received "${raw.slice(0, 40)}"`);
  return n;
}

/** A sighting as the API shows it: its visitor as `visitor-N`, its cover face's thumbnail URL. */
function view(s: Sighting): Record<string, unknown> {
  return {
    ...s,
    visitor: s.visitorId === null ? null : `visitor-${s.visitorId}`,
    thumbnail: s.coverFaceId === null ? null : `/v1/sightings/faces/${s.coverFaceId}/thumbnail`,
  };
}

/**
 * Records the tracks that ended in a stream or a video job, in order; returns their events.
 *
 * @example
 * const events = await recordAll(sightings, 'door', frame.sightings)
 */
export async function recordAll(s: Sightings, source: string, list: readonly TrackSighting[]): Promise<SightingEvent[]> {
  const events: SightingEvent[] = [];
  for (const t of list) events.push(...((await s.record(source, t))?.events ?? []));
  return events;
}

/**
 * Recent faces: `/v1/sightings` (list with filters, one, thumbnails, "this is X", "not X",
 * reprocess) and `/v1/visitors` (list, "this is X"). Reads need a `read` key, changes a `write` key.
 *
 * @example
 * registerSightingRoutes(app, ctx)
 */
export function registerSightingRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const read = async (): Promise<Sightings> => {
    const g = ctx.gallery();
    if (g.sightings === undefined) throw new ArcFaceError('NOT_FOUND', 'Expected a gallery that keeps sightings but this gallery has none');
    return g.sightings();
  };
  const write = <T>(fn: (s: Sightings) => Promise<T>): Promise<T> => {
    const g = ctx.gallery();
    if (g.sightingsWrite === undefined) throw new ArcFaceError('NOT_FOUND', 'Expected a gallery that keeps sightings but this gallery has none');
    return g.sightingsWrite(fn);
  };
  const teach = async (target: { sightingId: number } | { visitorId: number }, b: { identity: string; name?: string; includeLowQuality?: boolean }) => {
    return write((s) =>
      s.teach(target, { id: b.identity, ...(b.name === undefined ? {} : { name: b.name }) }, { includeLowQuality: b.includeLowQuality === true }),
    );
  };

  app.get<{ Querystring: ListQuery }>(
    '/v1/sightings',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'Recent sightings, newest first (filters: source, unknown only, time in ms since the epoch)', querystring: listQuery },
    },
    async (request) => {
      const q = request.query;
      const list = await (await read()).list({
        ...(q.source === undefined ? {} : { source: q.source }),
        ...(q.unknown === true ? { unknownOnly: true } : {}),
        ...(q.since === undefined ? {} : { since: q.since }),
        ...(q.until === undefined ? {} : { until: q.until }),
        limit: q.limit ?? 100,
      });
      return { sightings: list.map(view) };
    },
  );
  app.get(
    '/v1/visitors',
    { config: { scope: 'read' }, schema: { tags, summary: 'Visitors: unknown people seen again, across sources and restarts' } },
    async () => ({
      visitors: (await (await read()).visitors()).map((v) => ({
        ...v,
        thumbnail: v.coverFaceId === null ? null : `/v1/sightings/faces/${v.coverFaceId}/thumbnail`,
      })),
    }),
  );
  app.get<{ Params: { sightingId: string } }>(
    '/v1/sightings/:sightingId',
    { config: { scope: 'read' }, schema: { tags, summary: 'One sighting with the quality of each face', params: idParams('sightingId') } },
    async (request) => {
      const d = await (await read()).details(positive(request.params.sightingId, 'sighting id'));
      return { ...view(d), faces: d.faces.map((f) => ({ ...f, thumbnail: `/v1/sightings/faces/${f.faceId}/thumbnail` })) };
    },
  );
  app.get<{ Params: { faceId: string } }>(
    '/v1/sightings/faces/:faceId/thumbnail',
    { config: { scope: 'read' }, schema: { tags, summary: 'JPEG of a sighting face, aligned 112×112', params: idParams('faceId') } },
    async (request, reply) => {
      const jpeg = await (await read()).store.faceJpeg(positive(request.params.faceId, 'face id'));
      return reply.type('image/jpeg').header('cache-control', 'private, max-age=3600').send(Buffer.from(jpeg));
    },
  );
  app.post<{ Params: { sightingId: string }; Body: { identity: string; name?: string; includeLowQuality?: boolean } }>(
    '/v1/sightings/:sightingId/teach',
    {
      config: { scope: 'write' },
      schema: { tags, summary: '"This is X": enrol the sighting\'s good faces into identity X', params: idParams('sightingId'), body: teachBody },
    },
    async (request) => {
      return teach({ sightingId: positive(request.params.sightingId, 'sighting id') }, request.body);
    },
  );
  app.post<{ Params: { visitorId: string }; Body: { identity: string; name?: string; includeLowQuality?: boolean } }>(
    '/v1/visitors/:visitorId/teach',
    {
      config: { scope: 'write' },
      schema: { tags, summary: '"This is X": enrol a visitor\'s best faces into identity X', params: idParams('visitorId'), body: teachBody },
    },
    async (request) => {
      return teach({ visitorId: positive(request.params.visitorId.replace(/^visitor-/, ''), 'visitor id') }, request.body);
    },
  );
  app.post<{ Params: { sightingId: string }; Body: { identity?: string } | undefined }>(
    '/v1/sightings/:sightingId/reject',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: '"Not X": the sighting is not the identity it names; shows the templates that matched',
        params: idParams('sightingId'),
        body: { type: 'object', additionalProperties: false, properties: { identity: { type: 'string', minLength: 1, maxLength: 200 } } },
      },
    },
    async (request) => {
      const id = positive(request.params.sightingId, 'sighting id');
      const r = await write((s) => s.reject(id, request.body?.identity));
      return { ...r, sighting: view(r.sighting), culprits: r.culprits.map((c) => ({ ...c, thumbnail: `/v1/faces/${c.templateId}/thumbnail` })) };
    },
  );
  app.post<{ Body: ListQuery | undefined }>(
    '/v1/sightings/reprocess',
    { config: { scope: 'write' }, schema: { tags, summary: 'Re-decide recent sightings against the gallery as it is now', body: listQuery } },
    async (request) => {
      const q = request.body ?? {};
      return write((s) =>
        s.reprocess({
          ...(q.source === undefined ? {} : { source: q.source }),
          ...(q.unknown === true ? { unknownOnly: true } : {}),
          ...(q.since === undefined ? {} : { since: q.since }),
          ...(q.until === undefined ? {} : { until: q.until }),
          limit: q.limit ?? 1000,
        }),
      );
    },
  );
}

import type { FastifyInstance } from 'fastify';
import { ArcFaceError, sha256Digest } from '../../../src/core/index.js';
import type { NewPersonFace, People } from '../../../src/people/index.js';
import { faceQuality, qualityRejection } from '../../../src/quality/index.js';
import type { ServerContext } from '../context.js';
import { parsePositiveId } from '../plugins/index.js';
import { readInput } from '../plugins/index.js';
import { assertSameModel } from './subjects.js';

type PersonParams = { Params: { personId: string } };
const tags = ['people'];
const ERRS = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  403: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
  409: { $ref: 'Error#' },
  429: { $ref: 'Error#' },
} as const;
const personParams = { type: 'object', required: ['personId'], properties: { personId: { type: 'string', minLength: 1, maxLength: 20 } } } as const;

/** A person or face id from the URL, by the server's one strict parser (`0x2`, `2e0`, ` 2`, `2.0` are 400). */
function positive(raw: string, what: string): number {
  const n = parsePositiveId(raw);
  if (n === null) throw new ArcFaceError('INVALID_ARGUMENT', `Expected a positive integer ${what} (plain decimal digits) but received "${raw.slice(0, 40)}"`);
  return n;
}

/**
 * Ids in a JSON body must be JSON numbers: the schema's integer check runs after ajv's coercion,
 * which reads the strings `"0x1"`, `"1e0"` and `" 1"` as 1. Runs before validation.
 */
function assertJsonIds(body: unknown, fields: readonly string[]): void {
  if (typeof body !== 'object' || body === null) return;
  const record = body as Record<string, unknown>;
  for (const field of fields) {
    const v = record[field];
    if (v === undefined) continue;
    for (const item of Array.isArray(v) ? v : [v]) {
      if (typeof item !== 'number' || !Number.isSafeInteger(item) || item < 1) {
        throw new ArcFaceError(
          'INVALID_ARGUMENT',
          `Expected ${field} to hold positive integers as JSON numbers but received ${JSON.stringify(item)?.slice(0, 40) ?? typeof item}`,
        );
      }
    }
  }
}

async function people(ctx: ServerContext): Promise<People> {
  const g = ctx.gallery();
  if (g.people === undefined) throw new ArcFaceError('NOT_FOUND', 'Expected a gallery with people discovery but this gallery has none');
  return g.people();
}

/**
 * People discovery: `/v1/people` (list, one person, name, merge, split, hide, re-cluster), photo
 * uploads clustered incrementally (`POST /v1/people/photos`) and face thumbnails.
 *
 * @example
 * registerPeopleRoutes(app, ctx)
 */
export function registerPeopleRoutes(app: FastifyInstance, ctx: ServerContext): void {
  // People keeps one in-memory clusterer per gallery and server: its writes run one at a time, among
  // every server on the gallery where the gallery can order them (PostgreSQL), else in this one.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const g = ctx.gallery();
    if (g.peopleWrite !== undefined) return g.peopleWrite(fn);
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
  };
  app.get<{ Querystring: { hidden?: boolean } }>(
    '/v1/people',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'Persons found by clustering, most faces first', querystring: { type: 'object', properties: { hidden: { type: 'boolean' } } } },
    },
    async (request) => ({ people: await (await people(ctx)).list({ hidden: request.query.hidden === true }) }),
  );

  app.get<PersonParams>(
    '/v1/people/:personId',
    { config: { scope: 'read' }, schema: { tags, summary: 'One person and its faces', params: personParams } },
    async (request) => (await people(ctx)).show(positive(request.params.personId, 'person id')),
  );

  app.post(
    '/v1/people/photos',
    { config: { scope: 'write', inference: true }, schema: { tags, summary: 'Add photos (field "image"): every face is placed in a person incrementally' } },
    async (request) => {
      const input = await readInput(request, ['image', 'file']);
      if (input.images.length === 0) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected at least one image in "image" but received none');
      await assertSameModel(ctx, ctx.gallery());
      const p = await people(ctx);
      const photos = [];
      const skipped = [];
      for (const [i, img] of input.images.entries()) {
        const name = img.filename ?? `image-${i + 1}`;
        // A photo is known by its content: the same bytes posted again (under any name) are not embedded
        // again, and come back with their faces marked known.
        const sha256 = sha256Digest(img.bytes);
        const held = await p.knownPhotoFaces(sha256);
        if (held !== null) {
          photos.push({ file: name, faces: held });
          continue;
        }
        const r = await ctx.engine.run(
          { op: 'embed', image: img.bytes, maxPixels: ctx.options.maxPixels, select: 'all', thumbnails: true },
          request.clientGone ?? undefined,
        );
        const kept: Omit<NewPersonFace, 'photo'>[] = [];
        for (const f of r.faces) {
          const rejection = qualityRejection(faceQuality(f));
          if (rejection !== undefined) skipped.push({ file: name, reason: rejection.reason, message: rejection.message });
          else kept.push({ box: f.box, detScore: f.score, embedding: f.embedding, thumbnail: f.thumbnail });
        }
        if (r.faces.length === 0) skipped.push({ file: name, reason: 'NO_FACE', message: `Expected a face in ${name} but none was found` });
        if (kept.length === 0) continue;
        // Inside the write transaction the store checks the hash again: two requests with one photo add it once.
        photos.push({ file: name, faces: await serial(() => p.addPhoto(name, kept, { sha256 })) });
      }
      return { photos, skipped };
    },
  );

  app.post(
    '/v1/people/recluster',
    { config: { scope: 'write' }, schema: { tags, summary: 'Re-cluster every face not fixed by hand (stable person ids)' } },
    async () => serial(async () => (await people(ctx)).recluster()),
  );

  app.post<PersonParams & { Body: { name: string; id?: string } }>(
    '/v1/people/:personId/name',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Name a person: its faces become a gallery subject',
        params: personParams,
        body: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1, maxLength: 200 }, id: { type: 'string', minLength: 1, maxLength: 200 } },
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { personId: { type: 'integer' }, identityId: { type: 'string' } } }, ...ERRS },
      },
    },
    async (request) =>
      serial(async () =>
        (await people(ctx)).name(
          positive(request.params.personId, 'person id'),
          request.body.name,
          request.body.id === undefined ? {} : { id: request.body.id },
        ),
      ),
  );

  app.post<PersonParams & { Body: { into: number } }>(
    '/v1/people/:personId/merge',
    {
      config: { scope: 'write' },
      preValidation: async (request) => assertJsonIds(request.body, ['into']),
      schema: {
        tags,
        summary: 'Move every face of this person into another',
        params: personParams,
        body: { type: 'object', required: ['into'], properties: { into: { type: 'integer', minimum: 1 } }, additionalProperties: false },
      },
    },
    async (request) => {
      const from = positive(request.params.personId, 'person id');
      await serial(async () => (await people(ctx)).merge(from, request.body.into));
      return { merged: from, into: request.body.into };
    },
  );

  app.post<{ Body: { faceIds: number[]; into?: number } }>(
    '/v1/people/split',
    {
      config: { scope: 'write' },
      preValidation: async (request) => assertJsonIds(request.body, ['faceIds', 'into']),
      schema: {
        tags,
        summary: 'Move faces to a new person (or into an existing one)',
        body: {
          type: 'object',
          required: ['faceIds'],
          properties: {
            faceIds: { type: 'array', minItems: 1, maxItems: 10000, items: { type: 'integer', minimum: 1 } },
            into: { type: 'integer', minimum: 1 },
          },
          additionalProperties: false,
        },
      },
    },
    async (request) => serial(async () => (await people(ctx)).split(request.body.faceIds, request.body.into)),
  );

  app.post<{ Params: { faceId: string } }>(
    '/v1/people/faces/:faceId/reject',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: '"Not this person": the face leaves its person for good (a cannot-link every re-cluster honours)',
        params: { type: 'object', properties: { faceId: { type: 'string' } } },
      },
    },
    async (request) => serial(async () => (await people(ctx)).reject(positive(request.params.faceId, 'face id'))),
  );

  app.post<PersonParams & { Body: { hidden?: boolean } }>(
    '/v1/people/:personId/hide',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Hide (or show again) a person',
        params: personParams,
        body: { type: 'object', properties: { hidden: { type: 'boolean' } }, additionalProperties: false },
      },
    },
    async (request) => {
      const id = positive(request.params.personId, 'person id');
      const hidden = request.body?.hidden !== false;
      await serial(async () => (await people(ctx)).hide(id, hidden));
      return { personId: id, hidden };
    },
  );

  app.get<{ Params: { faceId: string } }>(
    '/v1/people/faces/:faceId/thumbnail',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'JPEG of a clustered face, aligned 112×112', params: { type: 'object', properties: { faceId: { type: 'string' } } } },
    },
    async (request, reply) => {
      const jpeg = await (await people(ctx)).faceThumbnail(positive(request.params.faceId, 'face id'));
      if (jpeg === null) throw new ArcFaceError('NOT_FOUND', `Expected a thumbnail for face ${request.params.faceId} but none is stored`);
      return reply.type('image/jpeg').header('cache-control', 'private, max-age=3600').send(Buffer.from(jpeg));
    },
  );
}

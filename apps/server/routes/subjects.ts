import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { ArcFaceError } from '../../../src/core/index.js';
import { MAX_ID_LENGTH, modelMismatch } from '../../../src/gallery/index.js';
import { chooseEnrolmentFace, faceTemplate, parseFaceChoice, type EnrolFaceChoice } from '../../../src/ingest/index.js';
import type { ServerContext } from '../context.js';
import type { EmbeddedFace } from '../services/index.js';
import type { GalleryPort, NewFace } from '../services/index.js';
import { parsePositiveId } from '../plugins/index.js';
import { readInput, type UploadedImage } from '../plugins/index.js';
import { IMAGE_ERRORS } from '../schemas.js';
import { engineInfo, faceJson } from './faces.js';

type IdParams = { Params: { id: string } };

/**
 * How an enrolment request names the face of a photo with several: `select` and `box` query parameters.
 *
 * @example
 * querystring: { type: 'object', properties: { ...ENROL_FACE_QUERY } }
 */
export const ENROL_FACE_QUERY = {
  select: {
    type: 'string',
    enum: ['dominant', 'largest', 'central'],
    default: 'dominant',
    description: 'Which face of a photo with several: the clearly dominant one (else 422 MULTIPLE_FACES), the largest or the most central',
  },
  box: { type: 'string', pattern: '^\\s*-?[0-9.]+\\s*(,\\s*-?[0-9.]+\\s*){3}$', description: 'x1,y1,x2,y2: enrol the detected face overlapping this box' },
} as const;

/**
 * The face choice of an enrolment request's `select` / `box` query parameters (the library's one
 * parser, `parseFaceChoice`).
 *
 * @example
 * enrolFaceChoice({ box: '10,10,120,140' }) // [10, 10, 120, 140]
 */
export function enrolFaceChoice(q: { select?: string; box?: string }): EnrolFaceChoice {
  return parseFaceChoice(q);
}

/**
 * Embeds one face of each uploaded image, with a thumbnail: the face `choice` names (default the
 * clearly dominant one, see `chooseEnrolmentFace`), among faces scoring at least `minScore`.
 * NO_FACE / MULTIPLE_FACES name the image.
 *
 * @example
 * const faces = await embedForEnrolment(ctx, input.images)
 */
export async function embedForEnrolment(
  ctx: ServerContext,
  images: readonly UploadedImage[],
  signal?: AbortSignal,
  choice: EnrolFaceChoice = 'dominant',
  minScore = 0,
): Promise<{ face: EmbeddedFace; newFace: NewFace }[]> {
  if (images.length === 0) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected at least one image in "image" but received none');
  const out: { face: EmbeddedFace; newFace: NewFace }[] = [];
  const results = await Promise.all(
    images.map((img) => ctx.engine.run({ op: 'embed', image: img.bytes, maxPixels: ctx.options.maxPixels, select: 'all', thumbnails: true }, signal)),
  );
  results.forEach((r, i) => {
    const img = images[i] as UploadedImage;
    const what = `image ${i + 1}${img.filename === undefined ? '' : ` (${img.filename})`}`;
    if (r.faces.length === 0) throw new ArcFaceError('NO_FACE', `Expected a face in ${what} but the detector found none in ${r.width}×${r.height} pixels`);
    const candidates = r.faces.filter((f) => f.score >= minScore);
    if (candidates.length === 0)
      throw new ArcFaceError(
        'NO_FACE',
        `Expected a face with probability ≥ ${minScore} in ${what} but the best has ${Math.max(...r.faces.map((f) => f.score)).toFixed(3)}`,
      );
    const face = chooseEnrolmentFace(candidates, r.width, r.height, choice, what);
    const template = faceTemplate(face, { bytes: img.bytes, ...(img.filename === undefined ? {} : { fileName: img.filename }) });
    out.push({ face, newFace: face.thumbnail === undefined ? template : { ...template, thumbnail: face.thumbnail } });
  });
  return out;
}

/**
 * Checks the gallery was built by the serving recogniser; MODEL_MISMATCH otherwise.
 *
 * @example
 * await assertSameModel(ctx, ctx.gallery())
 */
export async function assertSameModel(ctx: ServerContext, gallery: GalleryPort): Promise<void> {
  const { fingerprint } = await engineInfo(ctx);
  if (gallery.fingerprint !== fingerprint) throw modelMismatch('the gallery', gallery.fingerprint, fingerprint);
}

function parseFaceId(raw: string): number {
  const n = parsePositiveId(raw);
  if (n === null) throw new ArcFaceError('INVALID_ARGUMENT', `Expected a positive integer face id but received "${raw.slice(0, 40)}"`);
  return n;
}

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH } } } as const;
const faceParams = { type: 'object', required: ['id', 'faceId'], properties: { id: { type: 'string' }, faceId: { type: 'string' } } } as const;
/** An enrolment's answer: 201 when a face was added, 200 when every photo was held already (`known`). */
const ENROLLED = {
  type: 'object',
  properties: {
    subjectId: { type: 'string' },
    faces: {
      type: 'array',
      items: { allOf: [{ $ref: 'Face#' }, { type: 'object', properties: { faceId: { type: 'integer' }, known: { type: 'boolean' } } }] },
    },
    audit: { $ref: 'Audit#' },
  },
} as const;
/** The receipt of a forget (`Gallery.forget`), without the server's file paths. */
const FORGET_RECEIPT = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    store: { type: 'string' },
    forgottenAt: { type: 'string', format: 'date-time' },
    durationMs: { type: 'number' },
    steps: { type: 'array', items: { type: 'string' } },
    deleted: { type: 'object', additionalProperties: { type: 'integer' } },
    scrub: { type: 'object', properties: { secureDelete: { type: 'boolean' }, walTruncated: { type: ['boolean', 'null'] }, vacuumed: { type: 'boolean' } } },
  },
} as const;
const ERRS = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  403: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
  409: { $ref: 'Error#' },
  429: { $ref: 'Error#' },
} as const;

/**
 * `/v1/subjects` CRUD, enrolment (`POST /v1/subjects/:id/faces`), faces, thumbnails and audit.
 *
 * @example
 * registerSubjectRoutes(app, ctx)
 */
export function registerSubjectRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const tags = ['subjects'];

  app.get(
    '/v1/subjects',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'List subjects',
        response: { 200: { type: 'object', properties: { subjects: { type: 'array', items: { $ref: 'Subject#' } } } }, ...ERRS },
      },
    },
    async () => ({
      subjects: await ctx.gallery().listSubjects(),
    }),
  );

  app.post<{ Body: { id?: string; name?: string; metadata?: Record<string, unknown> } }>(
    '/v1/subjects',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Create a subject (no faces yet); the id defaults to a random one',
        body: {
          type: 'object',
          properties: {
            id: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH },
            name: { type: 'string', maxLength: MAX_ID_LENGTH },
            metadata: { type: 'object', additionalProperties: true },
          },
          additionalProperties: false,
        },
        response: { 201: { $ref: 'Subject#' }, ...ERRS },
      },
    },
    async (request, reply) => {
      const id = request.body.id ?? randomBytes(8).toString('hex');
      const subject = await ctx.gallery().createSubject(id, {
        ...(request.body.name === undefined ? {} : { name: request.body.name }),
        ...(request.body.metadata === undefined ? {} : { metadata: request.body.metadata }),
      });
      return reply.code(201).send(subject);
    },
  );

  app.get<IdParams>(
    '/v1/subjects/:id',
    { config: { scope: 'read' }, schema: { tags, summary: 'One subject', params: idParams, response: { 200: { $ref: 'Subject#' }, ...ERRS } } },
    async (request) => ctx.gallery().getSubject(request.params.id),
  );

  app.patch<IdParams & { Body: { id?: string; name?: string } }>(
    '/v1/subjects/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary: 'Rename a subject: a new id, a new display name, or both',
        params: idParams,
        body: {
          type: 'object',
          properties: { id: { type: 'string', minLength: 1, maxLength: MAX_ID_LENGTH }, name: { type: 'string', maxLength: MAX_ID_LENGTH } },
          additionalProperties: false,
        },
        response: { 200: { $ref: 'Subject#' }, ...ERRS },
      },
    },
    async (request) =>
      ctx.gallery().updateSubject(request.params.id, {
        ...(request.body.id === undefined ? {} : { newId: request.body.id }),
        ...(request.body.name === undefined ? {} : { name: request.body.name }),
      }),
  );

  app.delete<IdParams & { Querystring: { forget?: boolean; vacuum?: boolean } }>(
    '/v1/subjects/:id',
    {
      config: { scope: 'write' },
      schema: {
        tags,
        summary:
          'Delete a subject and its faces; with forget=true, everything kept about it (people discovery faces too), scrubbed from the files, with a receipt',
        params: idParams,
        querystring: {
          type: 'object',
          properties: {
            forget: { type: 'boolean', default: false, description: 'Forget the subject for good and answer with a receipt' },
            vacuum: {
              type: 'boolean',
              default: false,
              description: 'With forget: rewrite the gallery tables after (SQLite VACUUM, PostgreSQL VACUUM FULL: locks them meanwhile)',
            },
          },
        },
        response: { 200: { type: 'object', properties: { deleted: { type: 'string' }, receipt: FORGET_RECEIPT } }, ...ERRS },
      },
    },
    async (request) => {
      if (request.query.forget === true)
        return { deleted: request.params.id, receipt: await ctx.gallery().forgetSubject(request.params.id, { vacuum: request.query.vacuum === true }) };
      await ctx.gallery().removeSubject(request.params.id);
      return { deleted: request.params.id };
    },
  );

  app.post<IdParams & { Querystring: { create?: boolean; select?: string; box?: string } }>(
    '/v1/subjects/:id/faces',
    {
      config: { scope: 'write', inference: true },
      schema: {
        tags,
        summary: 'Enrol faces: one face of each image in "image" (repeatable), the clearly dominant one unless select/box names it',
        params: idParams,
        querystring: {
          type: 'object',
          properties: { create: { type: 'boolean', default: false, description: 'Create the subject when missing' }, ...ENROL_FACE_QUERY },
        },
        response: {
          201: ENROLLED,
          200: ENROLLED,
          ...ERRS,
          ...IMAGE_ERRORS,
        },
      },
    },
    async (request, reply) => {
      const gallery = ctx.gallery();
      await assertSameModel(ctx, gallery);
      if (request.query.create !== true) await gallery.getSubject(request.params.id);
      const input = await readInput(request, ['image']);
      const embedded = await embedForEnrolment(ctx, input.images, request.clientGone ?? undefined, enrolFaceChoice(request.query));
      const added = await gallery.addFaces(
        request.params.id,
        embedded.map((e) => e.newFace),
        { create: request.query.create === true },
      );
      const audit = await gallery.audit(request.params.id);
      // A photo the subject holds already adds nothing: 200 with `known`, instead of 201.
      const faces = embedded.map((e, i) => ({ ...faceJson(e.face), faceId: added[i]?.faceId, known: added[i]?.known === true }));
      return reply.code(added.every((a) => a.known) ? 200 : 201).send({ subjectId: request.params.id, faces, audit });
    },
  );

  app.get<IdParams>(
    '/v1/subjects/:id/faces',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: "A subject's enrolled faces",
        params: idParams,
        response: { 200: { type: 'object', properties: { faces: { type: 'array', items: { $ref: 'SubjectFace#' } } } }, ...ERRS },
      },
    },
    async (request) => {
      await ctx.gallery().getSubject(request.params.id);
      return { faces: await ctx.gallery().listFaces(request.params.id) };
    },
  );

  app.delete<{ Params: { id: string; faceId: string } }>(
    '/v1/subjects/:id/faces/:faceId',
    {
      config: { scope: 'write' },
      schema: { tags, summary: 'Remove one enrolled face', params: faceParams, response: { 200: { $ref: 'SubjectFace#' }, ...ERRS } },
    },
    async (request) => {
      return ctx.gallery().removeFace(request.params.id, parseFaceId(request.params.faceId));
    },
  );

  app.get<{ Params: { faceId: string } }>(
    '/v1/faces/:faceId/thumbnail',
    {
      config: { scope: 'read' },
      schema: { tags, summary: 'JPEG of an enrolled face, aligned 112×112', params: { type: 'object', properties: { faceId: { type: 'string' } } } },
    },
    async (request, reply) => {
      const faceId = parseFaceId(request.params.faceId);
      const jpeg = await ctx.gallery().thumbnail(faceId);
      if (jpeg === undefined) throw new ArcFaceError('NOT_FOUND', `Expected a thumbnail for face ${faceId} but none is stored`);
      return reply.type('image/jpeg').header('cache-control', 'private, max-age=3600').send(Buffer.from(jpeg));
    },
  );

  app.get<IdParams>(
    '/v1/subjects/:id/audit',
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: "Audit a subject's faces: outliers, look-alikes of other subjects, duplicates",
        params: idParams,
        response: { 200: { $ref: 'Audit#' }, ...ERRS },
      },
    },
    async (request) => ctx.gallery().audit(request.params.id),
  );
}

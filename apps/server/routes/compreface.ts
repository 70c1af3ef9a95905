import type { FastifyInstance } from 'fastify';
import { ArcFaceError, cosine } from '../../../src/core/index.js';
import type { ServerContext } from '../context.js';
import { readInput, requireImage } from '../plugins/index.js';
import { IMAGE_ERRORS } from '../schemas.js';
import { CF_QUERY_SCHEMA, cfBox, cfEmbeddings, cfPlugins, cfSelect, cfSimilarity, cfSubject, parseImageId, type CfQuery } from './compreface-shapes.js';
import { engineInfo } from './faces.js';
import { assertSameModel, embedForEnrolment, ENROL_FACE_QUERY, enrolFaceChoice } from './subjects.js';
import { registerComprefaceSubjectRoutes } from './compreface-subjects.js';

type Q = { Querystring: CfQuery };
const tags = ['compreface'];
const BASE = '/api/v1/recognition';

/**
 * CompreFace-compatible routes, the subset its JS SDK uses: recognition (subjects, face examples,
 * recognize, verify against an example, by embedding), detection and verification services. Keys
 * go in `x-api-key`; one key serves every service (CompreFace has a key per service).
 *
 * @example
 * registerComprefaceRoutes(app, ctx)
 */
export function registerComprefaceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const maxPixels = ctx.options.maxPixels;
  const versions = async (): Promise<{ detector: string; calculator: string }> => {
    const info = await engineInfo(ctx);
    return { detector: ctx.options.detector ?? 'default', calculator: info.fingerprint };
  };
  registerComprefaceSubjectRoutes(app, ctx);

  app.post<{ Querystring: CfQuery & { select?: string; box?: string } }>(
    `${BASE}/faces`,
    {
      config: { scope: 'write', inference: true },
      schema: {
        tags,
        summary: 'Add a face example to a subject (created when missing): the clearly dominant face, unless select/box names one',
        querystring: { type: 'object', properties: { subject: { type: 'string' }, det_prob_threshold: { type: 'number' }, ...ENROL_FACE_QUERY } },
        response: IMAGE_ERRORS,
      },
    },
    async (request, reply) => {
      const subject = cfSubject(request);
      if (subject === undefined) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected the "subject" query parameter but received none');
      const gallery = ctx.gallery();
      await assertSameModel(ctx, gallery);
      const input = await readInput(request, ['file']);
      const min = request.query.det_prob_threshold ?? 0;
      const [e] = await embedForEnrolment(
        ctx,
        [{ field: 'file', bytes: requireImage(input, 'file'), filename: input.images[0]?.filename }],
        request.clientGone ?? undefined,
        enrolFaceChoice(request.query),
        min,
      );
      if (e === undefined) throw new ArcFaceError('NO_FACE', 'Expected a face in "file" but found none');
      const [added] = await gallery.addFaces(subject, [e.newFace], { create: true });
      const id = added?.faceId;
      return reply.code(201).send({ image_id: String(id), subject });
    },
  );

  app.get<{ Querystring: { page?: number; size?: number; subject?: string } }>(
    `${BASE}/faces`,
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'List face examples',
        querystring: {
          type: 'object',
          properties: {
            page: { type: 'integer', minimum: 0, default: 0 },
            size: { type: 'integer', minimum: 1, maximum: 1000, default: 20 },
            subject: { type: 'string' },
          },
        },
      },
    },
    async (request) => {
      const page = request.query.page ?? 0;
      const size = request.query.size ?? 20;
      const subject = request.query.subject === '' ? undefined : request.query.subject;
      const all = await ctx.gallery().listFaces(subject);
      return {
        faces: all.slice(page * size, page * size + size).map((f) => ({ image_id: String(f.faceId), subject: f.subjectId })),
        page_number: page,
        page_size: size,
        total_pages: Math.ceil(all.length / size),
        total_elements: all.length,
      };
    },
  );

  app.delete<{ Querystring: { subject?: string } }>(
    `${BASE}/faces`,
    {
      config: { scope: 'write' },
      schema: { tags, summary: "Delete a subject's examples, or every example", querystring: { type: 'object', properties: { subject: { type: 'string' } } } },
    },
    async (request) => {
      const gallery = ctx.gallery();
      const subject = request.query.subject === '' ? undefined : request.query.subject;
      const faces = await gallery.listFaces(subject);
      const removed = await gallery.removeFaces(faces.map((f) => f.faceId));
      return { deleted: removed.length };
    },
  );

  app.delete<{ Params: { imageId: string } }>(
    `${BASE}/faces/:imageId`,
    { config: { scope: 'write' }, schema: { tags, summary: 'Delete one example' } },
    async (request) => {
      const gallery = ctx.gallery();
      const faceId = parseImageId(request.params.imageId);
      const face = await gallery.getFace(faceId).catch((err: unknown) => {
        if (err instanceof ArcFaceError && err.code === 'NOT_FOUND')
          throw new ArcFaceError('NOT_FOUND', `Expected an existing image_id but received "${request.params.imageId}"`);
        throw err;
      });
      const removed = await gallery.removeFace(face.subjectId, faceId);
      return { image_id: String(removed.faceId), subject: removed.subjectId };
    },
  );

  app.post<{ Body: unknown }>(`${BASE}/faces/delete`, { config: { scope: 'write' }, schema: { tags, summary: 'Delete examples by id' } }, async (request) => {
    if (!Array.isArray(request.body)) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected a JSON array of image ids but received something else');
    const ids = (request.body as unknown[]).map((x) => parseImageId(String(x)));
    const removed = await ctx.gallery().removeFaces(ids);
    return removed.map((f) => ({ image_id: String(f.faceId), subject: f.subjectId }));
  });

  app.get<{ Params: { imageId: string } }>(
    `${BASE}/faces/:imageId/img`,
    { config: { scope: 'read' }, schema: { tags, summary: 'The stored (aligned) image of an example' } },
    async (request, reply) => {
      const jpeg = await ctx.gallery().thumbnail(parseImageId(request.params.imageId));
      if (jpeg === undefined) throw new ArcFaceError('NOT_FOUND', `Expected a stored image for "${request.params.imageId}" but none exists`);
      return reply.type('image/jpeg').send(Buffer.from(jpeg));
    },
  );

  app.post<Q>(
    `${BASE}/recognize`,
    {
      config: { scope: 'read', inference: true },
      schema: { tags, summary: 'Recognize every face of an image', querystring: CF_QUERY_SCHEMA, response: IMAGE_ERRORS },
    },
    async (request) => {
      const gallery = ctx.gallery();
      await assertSameModel(ctx, gallery);
      const image = requireImage(await readInput(request, ['file']), 'file');
      const r = await ctx.engine.run({ op: 'embed', image, maxPixels, select: 'all', thumbnails: false }, request.clientGone ?? undefined);
      const faces = cfSelect(r.faces, request.query);
      if (faces.length === 0) throw new ArcFaceError('NO_FACE', 'Expected a face in "file" but none was found');
      // Beyond CompreFace: each result says whether its best subject passes the identification threshold
      // (the one that holds the target FPIR at the gallery's size, unless the server sets one).
      const choice = await gallery.identificationThreshold(ctx.options.threshold === undefined ? {} : { threshold: ctx.options.threshold });
      const result = [];
      for (const f of faces) {
        const cands = await gallery.identify(f.embedding, request.query.prediction_count ?? 1);
        const best = cands[0];
        result.push({
          box: cfBox(f),
          subjects: cands.map((c) => ({ subject: c.subjectId, similarity: cfSimilarity(c.similarity) })),
          known: best !== undefined && best.similarity >= choice.threshold,
          threshold: choice.threshold,
          threshold_source: choice.source,
          ...cfPlugins(f, request.query),
        });
      }
      return request.query.status === true ? { result, plugins_versions: await versions() } : { result };
    },
  );

  app.post<Q & { Params: { imageId: string } }>(
    `${BASE}/faces/:imageId/verify`,
    {
      config: { scope: 'read', inference: true },
      schema: { tags, summary: 'Compare the faces of an image with one example', querystring: CF_QUERY_SCHEMA, response: IMAGE_ERRORS },
    },
    async (request) => {
      const example = await ctx.gallery().getFace(parseImageId(request.params.imageId));
      const image = requireImage(await readInput(request, ['file']), 'file');
      const r = await ctx.engine.run({ op: 'embed', image, maxPixels, select: 'all', thumbnails: false }, request.clientGone ?? undefined);
      const faces = cfSelect(r.faces, request.query);
      if (faces.length === 0) throw new ArcFaceError('NO_FACE', 'Expected a face in "file" but none was found');
      const result = faces.map((f) => ({ box: cfBox(f), similarity: cfSimilarity(cosine(f.embedding, example.embedding)), ...cfPlugins(f, request.query) }));
      return request.query.status === true ? { result, plugins_versions: await versions() } : { result };
    },
  );

  app.post<Q>(
    '/api/v1/detection/detect',
    { config: { scope: 'read', inference: true }, schema: { tags, summary: 'Detection service', querystring: CF_QUERY_SCHEMA, response: IMAGE_ERRORS } },
    async (request) => {
      const image = requireImage(await readInput(request, ['file']), 'file');
      const plugins = request.query.face_plugins ?? '';
      const needsEmbedding = plugins
        .split(',')
        .map((p) => p.trim())
        .includes('calculator');
      const r = needsEmbedding
        ? await ctx.engine.run({ op: 'embed', image, maxPixels, select: 'all', thumbnails: false }, request.clientGone ?? undefined)
        : await ctx.engine.run({ op: 'detect', image, maxPixels }, request.clientGone ?? undefined);
      const faces = cfSelect<(typeof r.faces)[number]>(r.faces, request.query);
      if (faces.length === 0) throw new ArcFaceError('NO_FACE', 'Expected a face in "file" but none was found');
      const result = faces.map((f) => ({ box: cfBox(f), ...cfPlugins(f, request.query) }));
      return request.query.status === true ? { result, plugins_versions: await versions() } : { result };
    },
  );

  app.post<Q>(
    '/api/v1/verification/verify',
    {
      config: { scope: 'read', inference: true },
      schema: { tags, summary: 'Verification service: faces of target_image against source_image', querystring: CF_QUERY_SCHEMA, response: IMAGE_ERRORS },
    },
    async (request) => {
      const input = await readInput(request, ['source_image', 'target_image']);
      const [src, tgt] = await Promise.all([
        ctx.engine.run(
          { op: 'embed', image: requireImage(input, 'source_image'), maxPixels, select: 'largest', thumbnails: false },
          request.clientGone ?? undefined,
        ),
        ctx.engine.run(
          { op: 'embed', image: requireImage(input, 'target_image'), maxPixels, select: 'all', thumbnails: false },
          request.clientGone ?? undefined,
        ),
      ]);
      const s = src.faces[0];
      if (s === undefined) throw new ArcFaceError('NO_FACE', 'Expected a face in "source_image" but none was found');
      const targets = cfSelect(tgt.faces, request.query);
      if (targets.length === 0) throw new ArcFaceError('NO_FACE', 'Expected a face in "target_image" but none was found');
      const matches = targets
        .map((f) => ({ box: cfBox(f), similarity: cfSimilarity(cosine(s.embedding, f.embedding)), ...cfPlugins(f, request.query) }))
        .sort((a, b) => b.similarity - a.similarity);
      const entry = { source_image_face: { box: cfBox(s), ...cfPlugins(s, request.query) }, face_matches: matches };
      return { result: [request.query.status === true ? { ...entry, plugins_versions: await versions() } : entry] };
    },
  );

  app.post<{ Querystring: { prediction_count?: number } }>(
    `${BASE}/embeddings/recognize`,
    {
      config: { scope: 'read' },
      schema: {
        tags,
        summary: 'Recognize by embedding',
        querystring: { type: 'object', properties: { prediction_count: { type: 'integer', minimum: 1, maximum: 100, default: 1 } } },
      },
    },
    async (request) => {
      const gallery = ctx.gallery();
      const vectors = cfEmbeddings(request.body, gallery.embeddingSize);
      const choice = await gallery.identificationThreshold(ctx.options.threshold === undefined ? {} : { threshold: ctx.options.threshold });
      const found = await gallery.identifyMany(vectors, request.query.prediction_count ?? 1);
      const result = vectors.map((v, i) => {
        const cands = found[i] ?? [];
        const best = cands[0];
        return {
          embedding: Array.from(v),
          similarities: cands.map((c) => ({ subject: c.subjectId, similarity: cfSimilarity(c.similarity) })),
          known: best !== undefined && best.similarity >= choice.threshold,
          threshold: choice.threshold,
          threshold_source: choice.source,
        };
      });
      return { result };
    },
  );

  app.post<{ Params: { imageId: string } }>(
    `${BASE}/embeddings/faces/:imageId/verify`,
    { config: { scope: 'read' }, schema: { tags, summary: 'Verify embeddings against one example' } },
    async (request) => {
      const gallery = ctx.gallery();
      const example = await gallery.getFace(parseImageId(request.params.imageId));
      const vectors = cfEmbeddings(request.body, gallery.embeddingSize);
      return { result: vectors.map((v) => ({ embedding: Array.from(v), similarity: cfSimilarity(cosine(v, example.embedding)) })) };
    },
  );
}

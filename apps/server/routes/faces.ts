import type { FastifyInstance } from 'fastify';
import { inImageInput } from '../../../src/core/index.js';
import { modelMismatch } from '../../../src/gallery/index.js';
import { type CompareSelection, DEFAULT_COMPARE_SELECTION } from '../../../src/pipeline/index.js';
import { faceQuality } from '../../../src/quality/index.js';
import { withoutNegatives } from '../../../src/sightings/index.js';
import type { ServerContext } from '../context.js';
import type { EngineInfo, FaceOut, Selection } from '../services/index.js';
import { readInput, requireImage, uploadName } from '../plugins/index.js';
import { IMAGE_ERRORS } from '../schemas.js';

const SELECTIONS = ['all', 'largest', 'central'] as const;
/** The faces a 1:1 comparison may use (`FaceRecognizer.compare`, CLI `compare`). */
const COMPARE_SELECTIONS: readonly CompareSelection[] = ['largest', 'central'];
/** Default number of candidates per face in /v1/identify. */
const DEFAULT_TOP_K = 3;
/** Most candidates per face a client may ask for. */
const MAX_TOP_K = 100;

/** Rounds to 6 decimals for JSON: float32 carries ~7 significant digits, so nothing real is lost. */
function r6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/**
 * A face for JSON, coordinates rounded to 0.01 px.
 *
 * @example
 * reply.send({ faces: faces.map(faceJson) })
 */
export function faceJson(f: FaceOut): { box: number[]; score: number; landmarks: number[][] } {
  const px = (v: number): number => Math.round(v * 100) / 100;
  return { box: f.box.map(px), score: r6(f.score), landmarks: f.landmarks.map(([x, y]) => [px(x), px(y)]) };
}

/**
 * The model info, waiting for the workers to load; raises their load error.
 *
 * @example
 * const { threshold } = await engineInfo(ctx)
 */
export async function engineInfo(ctx: ServerContext): Promise<EngineInfo> {
  const info = await ctx.engine.ready;
  return ctx.options.threshold === undefined ? info : { ...info, threshold: ctx.options.threshold };
}

const faceArray = { type: 'array', items: { $ref: 'Face#' } } as const;

/** Rethrows an unreadable upload's error (`IMAGE_*`) with the upload named: its form field and file name. */
function named(upload: string): (err: unknown) => never {
  return (err) => {
    throw inImageInput(err, upload);
  };
}

/**
 * `POST /v1/detect`, `/v1/embed`, `/v1/verify`, `/v1/identify`.
 *
 * @example
 * registerFaceRoutes(app, ctx)
 */
export function registerFaceRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const tags = ['faces'];
  const maxPixels = ctx.options.maxPixels;

  app.post(
    '/v1/detect',
    {
      config: { scope: 'read', inference: true },
      schema: {
        tags,
        summary: 'Find faces: boxes, scores and five landmarks',
        response: { 200: { type: 'object', properties: { width: { type: 'integer' }, height: { type: 'integer' }, faces: faceArray } }, ...IMAGE_ERRORS },
      },
    },
    async (request) => {
      const input = await readInput(request, ['image']);
      const image = requireImage(input, 'image');
      const r = await ctx.engine.run({ op: 'detect', image, maxPixels }, request.clientGone ?? undefined).catch(named(uploadName(input, 'image')));
      return { width: r.width, height: r.height, faces: r.faces.map(faceJson) };
    },
  );

  app.post<{ Querystring: { select?: Selection } }>(
    '/v1/embed',
    {
      config: { scope: 'read', inference: true },
      schema: {
        tags,
        summary: 'Detect, align and embed faces: unit-length embeddings',
        querystring: { type: 'object', properties: { select: { type: 'string', enum: SELECTIONS, default: 'all' } } },
        response: {
          200: {
            type: 'object',
            properties: {
              width: { type: 'integer' },
              height: { type: 'integer' },
              fingerprint: { type: 'string' },
              embeddingSize: { type: 'integer' },
              faces: {
                type: 'array',
                items: { allOf: [{ $ref: 'Face#' }, { type: 'object', properties: { embedding: { type: 'array', items: { type: 'number' } } } }] },
              },
            },
          },
          ...IMAGE_ERRORS,
        },
      },
    },
    async (request) => {
      const input = await readInput(request, ['image']);
      const image = requireImage(input, 'image');
      const job = { op: 'embed', image, maxPixels, select: request.query.select ?? 'all', thumbnails: false } as const;
      const r = await ctx.engine.run(job, request.clientGone ?? undefined).catch(named(uploadName(input, 'image')));
      const info = await engineInfo(ctx);
      return {
        width: r.width,
        height: r.height,
        fingerprint: info.fingerprint,
        embeddingSize: info.embeddingSize,
        faces: r.faces.map((f) => ({ ...faceJson(f), embedding: Array.from(f.embedding, r6) })),
      };
    },
  );

  app.post<{ Querystring: { select?: CompareSelection } }>(
    '/v1/verify',
    {
      config: { scope: 'read', inference: true },
      schema: {
        tags,
        summary: 'Same person? The largest face (or ?select=central) of each of two images, compared',
        querystring: {
          type: 'object',
          properties: {
            select: {
              type: 'string',
              enum: COMPARE_SELECTIONS,
              default: DEFAULT_COMPARE_SELECTION,
              description: 'Which face of a photo with several: the largest (default, as CLI `compare` and `enroll`) or the most central',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['similarity', 'match', 'threshold', 'select', 'faces'],
            properties: {
              similarity: { type: 'number', description: 'Cosine similarity, -1..1' },
              match: { type: 'boolean', description: 'similarity ≥ threshold' },
              threshold: { type: 'number' },
              select: { type: 'string', enum: COMPARE_SELECTIONS, description: 'The face selection used' },
              faces: {
                type: 'array',
                description: 'The compared face of image1, then of image2',
                items: {
                  allOf: [
                    { $ref: 'Face#' },
                    {
                      type: 'object',
                      properties: {
                        facesFound: { type: 'integer', description: 'Faces the detector found in this image' },
                        faceIndex: { type: 'integer', description: 'Which of them was compared (detector order, 0-based)' },
                      },
                    },
                  ],
                },
              },
            },
          },
          ...IMAGE_ERRORS,
        },
      },
    },
    async (request) => {
      const input = await readInput(request, ['image1', 'image2']);
      const images = [requireImage(input, 'image1'), requireImage(input, 'image2')] as const;
      const names = [`the first image, ${uploadName(input, 'image1')}`, `the second image, ${uploadName(input, 'image2')}`] as const;
      const select = request.query.select ?? DEFAULT_COMPARE_SELECTION;
      const { threshold } = await engineInfo(ctx);
      const r = await ctx.engine.run({ op: 'verify', images, names, maxPixels, select, threshold }, request.clientGone ?? undefined);
      return {
        similarity: r6(r.similarity),
        match: r.same,
        threshold: r.threshold,
        select: r.select,
        faces: r.faces.map((f) => ({ ...faceJson(f), facesFound: f.facesFound, faceIndex: f.faceIndex })),
      };
    },
  );

  app.post<{ Querystring: { limit?: number; threshold?: number; fpir?: number; record?: boolean; source?: string } }>(
    '/v1/identify',
    {
      config: { scope: 'read', inference: true },
      schema: {
        tags,
        summary: 'Who is this? Every face of the image against the gallery',
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: MAX_TOP_K, default: DEFAULT_TOP_K },
            threshold: {
              type: 'number',
              minimum: -1,
              maximum: 1,
              description: "Cosine for a match; default: the one that holds the target FPIR at the gallery's size",
            },
            fpir: { type: 'number', exclusiveMinimum: 0, maximum: 0.5, description: 'Target false positive identification rate (default 0.01)' },
            record: { type: 'boolean', description: 'Record each face as a sighting (Recent faces); the Identify page sets it' },
            source: { type: 'string', pattern: '^[A-Za-z0-9_.:-]{1,64}$', description: 'Source name of recorded sightings (default identify)' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              width: { type: 'integer' },
              height: { type: 'integer' },
              threshold: { type: 'number' },
              thresholdSource: {
                type: 'string',
                enum: ['given', 'fpir', 'floor', 'fixed'],
                description:
                  'given: the request or server option; fpir: from the impostor table at the gallery size; floor: the 1:1 threshold, higher; fixed: the 1:1 threshold, no table',
              },
              thresholdReason: { type: 'string' },
              faces: {
                type: 'array',
                items: {
                  allOf: [
                    { $ref: 'Face#' },
                    {
                      type: 'object',
                      properties: {
                        match: { anyOf: [{ $ref: 'Candidate#' }, { type: 'null' }] },
                        candidates: { type: 'array', items: { $ref: 'Candidate#' } },
                        sightingId: { type: 'integer', description: 'The sighting recorded for this face (with record=true)' },
                      },
                    },
                  ],
                },
              },
            },
          },
          ...IMAGE_ERRORS,
        },
      },
    },
    async (request) => {
      const gallery = ctx.gallery();
      const input = await readInput(request, ['image']);
      const image = requireImage(input, 'image');
      const record = request.query.record === true && gallery.sightingsWrite !== undefined;
      const r = await ctx.engine
        .run({ op: 'embed', image, maxPixels, select: 'all', thumbnails: record }, request.clientGone ?? undefined)
        .catch(named(uploadName(input, 'image')));
      const { fingerprint } = await engineInfo(ctx);
      if (gallery.fingerprint !== fingerprint) throw modelMismatch('the gallery', gallery.fingerprint, fingerprint);
      const given = request.query.threshold ?? ctx.options.threshold;
      const choice = await gallery.identificationThreshold({
        ...(given === undefined ? {} : { threshold: given }),
        ...(request.query.fpir === undefined ? {} : { fpir: request.query.fpir }),
      });
      const { threshold } = choice;
      const k = request.query.limit ?? DEFAULT_TOP_K;
      const faces = [];
      // "Not X" negatives turn a recorded look-alike away from X here too.
      const negatives = gallery.sightings === undefined ? new Map<string, Float32Array[]>() : await (await gallery.sightings()).negatives.current();
      for (const f of r.faces) {
        const ranked = (await gallery.identify(f.embedding, k)).map((c) => ({ ...c, id: c.subjectId, score: c.similarity }));
        const candidates = withoutNegatives(f.embedding, ranked, negatives).map((c) => ({
          subjectId: c.subjectId,
          name: c.name,
          similarity: r6(c.similarity),
        }));
        const best = candidates[0];
        const match = best !== undefined && best.similarity >= threshold ? best : null;
        const jpeg = f.thumbnail;
        const sighting =
          record && jpeg !== undefined
            ? await gallery.sightingsWrite?.((s) =>
                s.recordStill(
                  request.query.source ?? 'identify',
                  { jpeg, embedding: f.embedding, quality: faceQuality(f) },
                  {
                    identity: match?.subjectId ?? null,
                    score: best?.similarity ?? 0,
                  },
                ),
              )
            : undefined;
        faces.push({ ...faceJson(f), match, candidates, ...(sighting === undefined ? {} : { sightingId: sighting.sighting.sightingId }) });
      }
      return { width: r.width, height: r.height, threshold, thresholdSource: choice.source, thresholdReason: choice.reason, faces };
    },
  );
}

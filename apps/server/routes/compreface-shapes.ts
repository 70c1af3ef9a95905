import type { FastifyRequest } from 'fastify';
import { ArcFaceError } from '../../../src/core/index.js';
import type { EmbeddedFace, FaceOut } from '../services/index.js';
import { parsePositiveId } from '../plugins/index.js';

/** CompreFace's query parameters for recognition, detection and verification. */
export interface CfQuery {
  limit?: number;
  det_prob_threshold?: number;
  prediction_count?: number;
  face_plugins?: string;
  status?: boolean;
}

/**
 * JSON Schema of {@link CfQuery}; CompreFace clients send them all as strings.
 *
 * @example
 * app.post(url, { schema: { querystring: CF_QUERY_SCHEMA } }, handler)
 */
export const CF_QUERY_SCHEMA = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 0, default: 0, description: 'Most faces to return, largest first; 0 for all' },
    det_prob_threshold: { type: 'number', minimum: 0, maximum: 1, description: 'Least detector score of a face' },
    prediction_count: { type: 'integer', minimum: 1, maximum: 100, default: 1, description: 'Subjects per face' },
    face_plugins: { type: 'string', description: 'Comma-separated: landmarks, calculator (embedding); others are ignored' },
    status: { type: 'boolean', description: 'Add plugins_versions' },
  },
} as const;

/** A CompreFace box: integer pixel corners and the detector score. */
export interface CfBox {
  probability: number;
  x_min: number;
  y_min: number;
  x_max: number;
  y_max: number;
}

/**
 * A face's box in CompreFace's shape.
 *
 * @example
 * cfBox(face) // { probability: 0.98, x_min: 70, y_min: 80, x_max: 180, y_max: 200 }
 */
export function cfBox(f: FaceOut): CfBox {
  const [x1, y1, x2, y2] = f.box;
  return { probability: Math.round(f.score * 1e5) / 1e5, x_min: Math.round(x1), y_min: Math.round(y1), x_max: Math.round(x2), y_max: Math.round(y2) };
}

function area(f: FaceOut): number {
  return (f.box[2] - f.box[0]) * (f.box[3] - f.box[1]);
}

/**
 * Applies `det_prob_threshold` and `limit` (largest faces first, as CompreFace does).
 *
 * @example
 * const faces = cfSelect(result.faces, request.query)
 */
export function cfSelect<F extends FaceOut>(faces: readonly F[], q: CfQuery): F[] {
  const min = q.det_prob_threshold ?? 0;
  const kept = faces.filter((f) => f.score >= min).sort((a, b) => area(b) - area(a));
  return q.limit !== undefined && q.limit > 0 ? kept.slice(0, q.limit) : kept;
}

/**
 * The plugin outputs asked for in `face_plugins`: `landmarks` and `calculator` (the embedding).
 *
 * @example
 * Object.assign(out, cfPlugins(face, query))
 */
export function cfPlugins(f: FaceOut | EmbeddedFace, q: CfQuery): { landmarks?: number[][]; embedding?: number[] } {
  const plugins = (q.face_plugins ?? '').split(',').map((p) => p.trim());
  const out: { landmarks?: number[][]; embedding?: number[] } = {};
  if (plugins.includes('landmarks')) out.landmarks = f.landmarks.map(([x, y]) => [Math.round(x), Math.round(y)]);
  if (plugins.includes('calculator') && 'embedding' in f) out.embedding = Array.from(f.embedding);
  return out;
}

/**
 * CompreFace reports similarity in 0..1; cosine below 0 means "not alike" and is reported as 0.
 *
 * @example
 * cfSimilarity(-0.1) // 0
 */
export function cfSimilarity(cosine: number): number {
  return Math.round(Math.max(0, Math.min(1, cosine)) * 1e5) / 1e5;
}

/**
 * A CompreFace image id (our face id as a string) as a number.
 *
 * @example
 * parseImageId('42') // 42
 */
export function parseImageId(raw: string): number {
  const n = parsePositiveId(raw);
  if (n === null) throw new ArcFaceError('NOT_FOUND', `Expected an existing image_id but received "${raw.slice(0, 60)}"`);
  return n;
}

/**
 * The `subject` query parameter, required for adding examples.
 *
 * @example
 * const subject = cfSubject(request)
 */
export function cfSubject(request: FastifyRequest): string | undefined {
  const q = request.query as Record<string, unknown>;
  return typeof q.subject === 'string' && q.subject.length > 0 ? q.subject : undefined;
}

/**
 * Most embeddings in one request to the embedding routes: the faces of a crowded group photo. A
 * 512-d batch of 100 is about 1 MB of JSON and 100 gallery searches; one unbounded request of 2,800
 * held the server for 18 s.
 *
 * @example
 * MAX_EMBEDDINGS_PER_REQUEST // 100
 */
export const MAX_EMBEDDINGS_PER_REQUEST = 100;

/**
 * Reads the `{"embeddings": [[...], ...]}` body of the embedding routes, at most
 * {@link MAX_EMBEDDINGS_PER_REQUEST} finite vectors of `dim` values, normalised to unit length.
 *
 * @example
 * const vectors = cfEmbeddings(request.body, 512)
 */
export function cfEmbeddings(body: unknown, dim: number): Float32Array[] {
  const list = (body as { embeddings?: unknown } | null)?.embeddings;
  if (!Array.isArray(list) || list.length === 0) {
    throw new ArcFaceError('INVALID_ARGUMENT', 'Expected a body {"embeddings": [[numbers], ...]} with at least one embedding but received none');
  }
  if (list.length > MAX_EMBEDDINGS_PER_REQUEST) {
    throw new ArcFaceError(
      'PAYLOAD_TOO_LARGE',
      `Expected at most ${MAX_EMBEDDINGS_PER_REQUEST} embeddings in one request but received ${list.length}; send them in batches`,
    );
  }
  return list.map((v, i) => {
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected embeddings[${i}] to be an array of finite numbers but it is not`);
    }
    if (v.length !== dim) throw new ArcFaceError('EMBEDDING_SIZE_MISMATCH', `Expected embeddings[${i}] to have ${dim} values but received ${v.length}`);
    const out = Float32Array.from(v as number[]);
    let s = 0;
    for (const x of out) s += x * x;
    if (!Number.isFinite(s)) throw new ArcFaceError('INVALID_ARGUMENT', `Expected embeddings[${i}] to hold values within float32 range but it does not`);
    if (s === 0) throw new ArcFaceError('INVALID_ARGUMENT', `Expected embeddings[${i}] to be non-zero but it is all zeros`);
    const inv = 1 / Math.sqrt(s);
    for (let k = 0; k < out.length; k++) out[k] = (out[k] as number) * inv;
    return out;
  });
}

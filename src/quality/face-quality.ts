import { assertRgbImage, type DetectedFace, type RgbImage, assertNumber } from '../core/index.js';
import { assertLandmarks, estimatePose } from './pose.js';
import { laplacianVariance } from './sharpness.js';

/** How good a detected face is for recognition; see {@link faceQuality}. */
export interface FaceQuality {
  /** Face size in pixels: the short side of the detector box. */
  readonly size: number;
  /** Detector score. */
  readonly score: number;
  /** Degrees, from the five landmarks (see `estimatePose`); positive when the nose points to image right. */
  readonly yaw: number;
  /** Degrees, from the five landmarks; positive when the face looks up. */
  readonly pitch: number;
  /** Degrees, angle of the eye line (alignment removes it, so it does not enter `overall`). */
  readonly roll: number;
  /** cos(yaw)·cos(pitch), 0..1: 1 for a frontal face. */
  readonly frontalness: number;
  /** Variance of the Laplacian of the grey aligned crop (see `laplacianVariance`), when a crop was given. */
  readonly sharpness: number | undefined;
  /** Norm of the raw embedding before L2 normalisation, when known (one model output, not a flip sum). */
  readonly embeddingNorm: number | undefined;
  /** 0..1 combined score that ranks faces of one track; see {@link faceQuality} for the formula. */
  readonly overall: number;
}

/**
 * Reference values at which a factor of `overall` saturates at 1, from the median LFW face
 * (lfw-deepfunneled, yunet-n, w600k-mbf-int8, 112×112 crops; see `DEFAULT_QUALITY_LIMITS` for the
 * measurement): a face as good as the typical LFW photo gets full marks on that factor.
 */
export const QUALITY_REFERENCE = Object.freeze({
  /** Box short side: 112 px, the recogniser's input side; a larger face adds no detail to the crop. */
  size: 112,
  /** Median LFW crop sharpness (Laplacian variance): 113.8 over 400 photos. */
  sharpness: 114,
  /** Median LFW raw embedding norm (w600k-mbf-int8, no flip): 23.5 over 400 photos. */
  embeddingNorm: 23.5,
});

/**
 * Quality of a detected face from its box, score and landmarks, plus the aligned crop's sharpness and
 * the raw embedding norm when given.
 *
 * `overall` is the geometric mean of the available factors, each in 0..1:
 * `min(1, size / 112)`, `score`, `frontalness`, `min(1, sharpness / ref)` and
 * `min(1, embeddingNorm / ref)` with the references of {@link QUALITY_REFERENCE}. A geometric mean
 * punishes one bad factor (a sharp but profile face) more than an arithmetic one, and keeps faces with
 * and without crop on the same 0..1 scale. Within one track every face is measured the same way.
 *
 * @example
 * const q = faceQuality(face, crop, norm)
 * if (qualityRejection(q) === undefined) embed(crop)
 */
export function faceQuality(face: DetectedFace, crop?: RgbImage, embeddingNorm?: number): FaceQuality {
  if (typeof face !== 'object' || face === null)
    throw new TypeError(`Expected a detected face {box, score, landmarks} but received ${face === null ? 'null' : typeof face}`);
  const { box } = face;
  if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`Expected face.box to be four finite numbers but received ${JSON.stringify(box)}`);
  }
  const score = assertNumber('face.score', face.score, 0, 1);
  const landmarks = assertLandmarks(face.landmarks, 'face.landmarks');
  if (crop !== undefined) assertRgbImage('crop', crop);
  if (embeddingNorm !== undefined) assertNumber('embeddingNorm', embeddingNorm, 0, Number.MAX_VALUE);

  const size = Math.max(0, Math.min(box[2] - box[0], box[3] - box[1]));
  const pose = estimatePose(landmarks);
  const rad = Math.PI / 180;
  const frontalness = Math.max(0, Math.cos(pose.yaw * rad) * Math.cos(pose.pitch * rad));
  const sharpness = crop === undefined ? undefined : laplacianVariance(crop);
  return withOverall({ size, score, yaw: pose.yaw, pitch: pose.pitch, roll: pose.roll, frontalness, sharpness, embeddingNorm });
}

/**
 * The same quality once the face's embedding norm is known: the pose and sharpness measured before
 * are kept, only `embeddingNorm` and `overall` change (no second pass over the crop).
 *
 * @example
 * const q = faceQuality(face, crop)
 * const withNorm = withEmbeddingNorm(q, norms[0])
 */
export function withEmbeddingNorm(q: FaceQuality, embeddingNorm: number): FaceQuality {
  assertNumber('embeddingNorm', embeddingNorm, 0, Number.MAX_VALUE);
  return withOverall({
    size: q.size,
    score: q.score,
    yaw: q.yaw,
    pitch: q.pitch,
    roll: q.roll,
    frontalness: q.frontalness,
    sharpness: q.sharpness,
    embeddingNorm,
  });
}

/** The geometric mean of the measured factors, each capped at its reference (0 when any is 0). */
function withOverall(q: Omit<FaceQuality, 'overall'>): FaceQuality {
  const factors = [Math.min(1, q.size / QUALITY_REFERENCE.size), q.score, q.frontalness];
  if (q.sharpness !== undefined) factors.push(Math.min(1, q.sharpness / QUALITY_REFERENCE.sharpness));
  if (q.embeddingNorm !== undefined) factors.push(Math.min(1, q.embeddingNorm / QUALITY_REFERENCE.embeddingNorm));
  const overall = factors.some((f) => f <= 0) ? 0 : Math.exp(factors.reduce((s, f) => s + Math.log(f), 0) / factors.length);
  return Object.freeze({ ...q, overall });
}

/**
 * Face quality from what detection already gives: face size, detector score, head pose estimated
 * from the five landmarks, sharpness (variance of the Laplacian of the grey aligned crop) and the
 * embedding's raw norm when the caller has it. A simple estimate, enough to gate enrolment and
 * clustering with reasons: {@link qualityRejection} names the first limit a face fails.
 */
import type { DetectedFace, RgbImage } from '../core/types.js';

/** Quality signals of one face. */
export interface FaceQuality {
  /** Short side of the detection box (pixels). */
  readonly size: number;
  readonly score: number;
  /** Degrees, + when the nose points to the image's right. */
  readonly yaw: number;
  /** Degrees, + when the face looks down. */
  readonly pitch: number;
  /** 1 for a frontal face, 0 at 90° of yaw or pitch. */
  readonly frontalness: number;
  /** Variance of the Laplacian of the grey crop, undefined without a crop. */
  readonly sharpness: number | undefined;
  readonly embeddingNorm: number | undefined;
  /** 0…1 summary: size, score and frontalness multiplied. */
  readonly overall: number;
}

/**
 * Nose height between the eye line and the mouth line in the ArcFace template (InsightFace
 * `arcface_dst`: eyes y 51.5–51.7, nose 71.7, mouth 92.2–92.4): (71.7 − 51.6) / (92.3 − 51.6) ≈ 0.494.
 */
const FRONTAL_NOSE_RATIO = 0.494;
/** Face size at which the size factor of `overall` saturates: 112 px, the recogniser's input. */
const FULL_SIZE = 112;

const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));

/**
 * Quality of a detected face; `crop` (the aligned RGB crop) adds sharpness.
 *
 * @example
 * const q = faceQuality(face, crop)
 */
export function faceQuality(face: DetectedFace, crop?: RgbImage, embeddingNorm?: number): FaceQuality {
  const [x1, y1, x2, y2] = face.box;
  const size = Math.max(0, Math.min(x2 - x1, y2 - y1));
  const [le, re, nose, lm, rm] = face.landmarks;
  const eyeMid = [(le[0] + re[0]) / 2, (le[1] + re[1]) / 2] as const;
  const mouthMid = [(lm[0] + rm[0]) / 2, (lm[1] + rm[1]) / 2] as const;
  const eyeDist = Math.hypot(re[0] - le[0], re[1] - le[1]);
  // Eyes ±e/2 apart in the eye plane, nose tip D in front of it: turning by yaw θ moves the nose by
  // D·sin θ and shortens the eye distance to e·cos θ, so offset / (eye distance / 2) = (2D/e)·tan θ.
  // D/e ≈ 0.5 for adult faces (nose tip about 3 cm before the eyes, 6.3 cm apart: Farkas,
  // "Anthropometry of the Head and Face", 1994), which makes the ratio tan θ.
  const yaw = eyeDist > 0 ? (Math.atan((nose[0] - eyeMid[0]) / (eyeDist / 2)) * 180) / Math.PI : 90;
  const span = mouthMid[1] - eyeMid[1];
  const pitch = span > 0 ? clamp(((nose[1] - eyeMid[1]) / span - FRONTAL_NOSE_RATIO) * 180, -90, 90) : 90;
  const frontalness = 1 - Math.max(Math.abs(yaw), Math.abs(pitch)) / 90;
  const sharpness = crop === undefined ? undefined : laplacianVariance(crop);
  const overall = clamp(size / FULL_SIZE, 0, 1) * clamp(face.score, 0, 1) * clamp(frontalness, 0, 1);
  return { size, score: face.score, yaw, pitch, frontalness, sharpness, embeddingNorm, overall };
}

/**
 * Variance of the 4-neighbour Laplacian of the grey image (Pech-Pacheco et al., 2000): low for blur.
 *
 * @example
 * laplacianVariance(crop) // e.g. 350 for a sharp 112×112 face, under 30 for a blurred one
 */
export function laplacianVariance(img: RgbImage): number {
  const { width: w, height: h, data } = img;
  if (w < 3 || h < 3) return 0;
  const grey = new Float32Array(w * h);
  // ITU-R BT.601 luma weights.
  for (let i = 0; i < w * h; i++) grey[i] = 0.299 * (data[3 * i] as number) + 0.587 * (data[3 * i + 1] as number) + 0.114 * (data[3 * i + 2] as number);
  let s = 0;
  let s2 = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = (grey[i - 1] as number) + (grey[i + 1] as number) + (grey[i - w] as number) + (grey[i + w] as number) - 4 * (grey[i] as number);
      s += l;
      s2 += l * l;
      n++;
    }
  }
  const mean = s / n;
  return s2 / n - mean * mean;
}

/** What a kept face must reach. */
export interface QualityLimits {
  readonly minSize: number;
  readonly minScore: number;
  readonly maxYaw: number;
  readonly maxPitch: number;
  readonly minSharpness: number;
  readonly minEmbeddingNorm: number;
}

/**
 * Defaults: 20 px short side (below it the 112×112 crop is mostly interpolation); detector score
 * 0.5; |yaw| ≤ 60° and |pitch| ≤ 45° (beyond, five-point alignment breaks down); sharpness 0 and
 * embedding norm 0 (off until calibrated for a model).
 *
 * @example
 * qualityRejection(q, { ...DEFAULT_QUALITY_LIMITS, minSize: 40 })
 */
export const DEFAULT_QUALITY_LIMITS: Readonly<QualityLimits> = Object.freeze({
  minSize: 20, minScore: 0.5, maxYaw: 60, maxPitch: 45, minSharpness: 0, minEmbeddingNorm: 0,
});

/** Why a face was refused. */
export type QualityRejectionReason = 'FACE_TOO_SMALL' | 'LOW_DETECTION_SCORE' | 'POSE_TOO_FAR' | 'BLURRY' | 'LOW_EMBEDDING_NORM';

/**
 * The first limit a face fails, with a message, or undefined when it passes.
 *
 * @example
 * const r = qualityRejection(q, { minSize: 40 }); if (r) skipped.push({ file, reason: r.reason })
 */
export function qualityRejection(q: FaceQuality, limits: Partial<QualityLimits> = {}): { readonly reason: QualityRejectionReason; readonly message: string } | undefined {
  const l = { ...DEFAULT_QUALITY_LIMITS, ...limits };
  if (q.size < l.minSize) return { reason: 'FACE_TOO_SMALL', message: `Expected a face of at least ${l.minSize} px but received ${q.size.toFixed(0)} px` };
  if (q.score < l.minScore) return { reason: 'LOW_DETECTION_SCORE', message: `Expected a detector score of at least ${l.minScore} but received ${q.score.toFixed(3)}` };
  if (Math.abs(q.yaw) > l.maxYaw || Math.abs(q.pitch) > l.maxPitch) {
    return { reason: 'POSE_TOO_FAR', message: `Expected |yaw| ≤ ${l.maxYaw}° and |pitch| ≤ ${l.maxPitch}° but received yaw ${q.yaw.toFixed(0)}°, pitch ${q.pitch.toFixed(0)}°` };
  }
  if (q.sharpness !== undefined && q.sharpness < l.minSharpness) {
    return { reason: 'BLURRY', message: `Expected a sharpness of at least ${l.minSharpness} but received ${q.sharpness.toFixed(1)}` };
  }
  if (q.embeddingNorm !== undefined && q.embeddingNorm < l.minEmbeddingNorm) {
    return { reason: 'LOW_EMBEDDING_NORM', message: `Expected an embedding norm of at least ${l.minEmbeddingNorm} but received ${q.embeddingNorm.toFixed(2)}` };
  }
  return undefined;
}

import { assertNumber } from '../core/index.js';
import type { FaceQuality } from './face-quality.js';

/** Thresholds below (or, for pose, above) which a face is not worth embedding. */
export interface QualityLimits {
  /** Minimum box short side in pixels. */
  readonly minSize: number;
  /** Minimum detector score. */
  readonly minScore: number;
  /** Maximum |yaw| in degrees. */
  readonly maxYaw: number;
  /** Maximum |pitch| in degrees. */
  readonly maxPitch: number;
  /** Minimum Laplacian variance of the aligned crop (checked only when sharpness is known). */
  readonly minSharpness: number;
  /** Minimum raw embedding norm (checked only when the norm is known). */
  readonly minEmbeddingNorm: number;
}

/**
 * Default limits, chosen by measurement: `node --import tsx scripts/quality-lfw.ts ../shared 400`
 * (400 lfw-deepfunneled photos, one per person spread over the alphabet, yunet-n, central face,
 * w600k-mbf-int8, 112×112 crops; and the same photos blurred or downscaled). Ordinary LFW faces pass,
 * blurred and tiny ones fail; the note on each value gives the numbers. With these limits 98.3 % of the
 * LFW photos pass (the other 7 of 400 are turned beyond 45°); of the copies blurred with σ = 2, 78 %
 * (the recogniser still verifies them, TAR 98.7 %), σ = 4, 0.3 %; downscaled to 62×62 (24 px faces),
 * 55 %; to 42×42 (17 px), 0.5 %. Size and sharpness limits sit where verification accuracy starts to
 * fall (`scripts/quality-size.ts`), not where the distributions merely differ.
 *
 * @example
 * qualityRejection(q, { ...DEFAULT_QUALITY_LIMITS, maxYaw: 30 })
 */
export const DEFAULT_QUALITY_LIMITS: Readonly<QualityLimits> = Object.freeze({
  /**
   * 24 px. Verification against face size (`scripts/quality-size.ts`: 150 genuine pairs of LFW fold 1,
   * second photo downscaled, cosine ≥ 0.249): TAR 99.3 % at 94 px faces, 98.7 % at 34 px, 98.0 % at
   * 27 px, 96.7 % at 22 px, 94.7 % at 18 px, 76 % at 16 px. Below about 18 px recognition collapses;
   * 24 px keeps accepted faces near 97 % and above. Every original LFW face (82–121 px) passes.
   */
  minSize: 24,
  /** 0.6: ByteTrack's `det_thresh` (`track_thresh + 0.1`), the score at which a detection may start a track. LFW p1 is 0.91. */
  minScore: 0.6,
  /**
   * 45°: LFW |yaw| p95 32.5°, p99 47.5°. Verification on all 6000 LFW View-2 pairs binned by the larger
   * |yaw| of the pair (`scripts/quality-pose.ts`): TAR 98.6 % (0–15°, 951 genuine pairs), 99.3 %
   * (15–30°, 1536), 99.5 % (30–45°, 434), 95.8 % (45–60°, 72): accuracy falls beyond 45°.
   */
  maxYaw: 45,
  /**
   * 30°: LFW |pitch| p99 25.7° (mean −9.5° with yunet-n, a landmark convention; see `estimatePose`).
   * TAR 99.2 % below 15° and 98.7 % at 15–30° (all LFW pairs); LFW has almost no faces beyond 30°
   * (4 genuine pairs), so the limit bounds what was measured.
   */
  maxPitch: 30,
  /**
   * 10. Sharpness of LFW crops: p1 32, p5 46, median 114; Gaussian blur σ = 2 px on the 250×250 photo
   * gives median 14.5, σ = 3 5.5, σ = 4 2.8. Verification against blur (`scripts/quality-size.ts`, 150
   * genuine pairs, second photo blurred): TAR 99.3 % sharp, 99.3 % at σ 1, 98.7 % at σ 1.5 and 2,
   * 96.7 % at σ 3, 85.3 % at σ 4. The recogniser tolerates mild blur; 10 rejects σ ≥ 3 and keeps σ ≤ 2
   * mostly, and no original LFW face.
   */
  minSharpness: 10,
  /**
   * 16 (w600k-mbf-int8, one output, no flip): LFW p1 19.1, median 23.5; blur σ = 4 median 18.6, p5 16.0;
   * 42×42 downscale median 18.9, p5 15.5. The norm separates weakly on real faces, so this limit only
   * catches the worst crops and non-faces (a flat grey crop 6.2, noise 11.4, 112×112 background corners
   * of LFW photos 8.3–11.7); sharpness and size do the main work. The scale of the
   * norm belongs to the model: for a recogniser other than w600k-mbf-int8 (and its Luxonis export,
   * the same weights), measure it with `scripts/quality-lfw.ts` or set 0 to switch the check off.
   */
  minEmbeddingNorm: 16,
});

/** Why a face was not embedded. */
export type QualityRejectionReason = 'FACE_TOO_SMALL' | 'LOW_DETECTION_SCORE' | 'POSE_TOO_FAR' | 'BLURRY' | 'LOW_EMBEDDING_NORM';

/**
 * Validates partial limits over the defaults and returns a frozen copy.
 *
 * @example
 * resolveQualityLimits({ minSize: 60 }).maxYaw
 */
export function resolveQualityLimits(partial: Partial<QualityLimits> = {}): Readonly<QualityLimits> {
  if (typeof partial !== 'object' || partial === null) {
    throw new TypeError(`Expected a quality limits object but received ${partial === null ? 'null' : typeof partial}`);
  }
  const d = DEFAULT_QUALITY_LIMITS;
  const pick = (key: keyof QualityLimits, max: number): number => (partial[key] === undefined ? d[key] : assertNumber(key, partial[key], 0, max));
  return Object.freeze({
    minSize: pick('minSize', 100_000),
    minScore: pick('minScore', 1),
    maxYaw: pick('maxYaw', 90),
    maxPitch: pick('maxPitch', 90),
    minSharpness: pick('minSharpness', Number.MAX_VALUE),
    minEmbeddingNorm: pick('minEmbeddingNorm', Number.MAX_VALUE),
  });
}

const r = (v: number, digits = 1): string => v.toFixed(digits);

/**
 * The first limit a face fails, in the order size, score, pose, sharpness, norm; undefined when it
 * passes them all. Sharpness and norm are checked only when measured.
 *
 * @example
 * const why = qualityRejection(q) // { reason: 'BLURRY', message: 'Expected a sharpness of at least 10 but the face measures 3.1 (too blurry)' }
 */
export function qualityRejection(
  q: FaceQuality,
  limits: Partial<QualityLimits> = {},
): { readonly reason: QualityRejectionReason; readonly message: string } | undefined {
  if (typeof q !== 'object' || q === null) throw new TypeError(`Expected a FaceQuality but received ${q === null ? 'null' : typeof q}`);
  const l = resolveQualityLimits(limits);
  if (q.size < l.minSize)
    return { reason: 'FACE_TOO_SMALL', message: `Expected a face of at least ${l.minSize} px (box short side) but it is ${r(q.size)} px` };
  if (q.score < l.minScore)
    return { reason: 'LOW_DETECTION_SCORE', message: `Expected a detection score of at least ${l.minScore} but it is ${r(q.score, 3)}` };
  if (Math.abs(q.yaw) > l.maxYaw) return { reason: 'POSE_TOO_FAR', message: `Expected a face turned at most ±${l.maxYaw}° but its yaw is ${r(q.yaw)}°` };
  if (Math.abs(q.pitch) > l.maxPitch)
    return { reason: 'POSE_TOO_FAR', message: `Expected a face tilted at most ±${l.maxPitch}° but its pitch is ${r(q.pitch)}°` };
  if (q.sharpness !== undefined && q.sharpness < l.minSharpness) {
    return { reason: 'BLURRY', message: `Expected a sharpness of at least ${l.minSharpness} but the face measures ${r(q.sharpness)} (too blurry)` };
  }
  if (q.embeddingNorm !== undefined && q.embeddingNorm < l.minEmbeddingNorm) {
    return {
      reason: 'LOW_EMBEDDING_NORM',
      message: `Expected an embedding norm of at least ${l.minEmbeddingNorm} but it is ${r(q.embeddingNorm, 2)} (not a clear face)`,
    };
  }
  return undefined;
}

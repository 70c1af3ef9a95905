/**
 * Operating points read off an ROC: TAR at a target FAR (InsightFace style, nearest point), the
 * threshold that reaches a target FAR (for calibration) and the equal error rate.
 *
 * Scores here are the ROC's scores; the protocol uses `score = -distance`, so a score threshold `s`
 * is a squared-L2 distance threshold `-s` and a cosine threshold `1 + s/2` (unit vectors:
 * `d = 2 - 2cos`).
 */
import { assertNumber } from '../core/index.js';
import type { RocCurve } from './roc.js';

/** TAR at one target FAR. */
export interface TarAtFar {
  /** The target FAR. */
  readonly far: number;
  /**
   * False when the impostor count cannot resolve this FAR: fewer than `1 / far` impostor pairs
   * means not even one false accept can be observed at that rate (3,000 pairs cannot measure 1e-4).
   */
  readonly measurable: boolean;
  /** TAR at the ROC point whose FAR is nearest the target (first such point); null when not measurable. */
  readonly tar: number | null;
  /** The FAR actually reached at that point; null when not measurable. */
  readonly achievedFar: number | null;
}

/**
 * Whether `impostor` impostor pairs can measure a false accept rate of `far`.
 *
 * @example
 * farMeasurable(0.0001, 3000) // false
 */
export function farMeasurable(far: number, impostor: number): boolean {
  // A relative slack absorbs 1/far not being exact in binary (e.g. 1/1e-3).
  return impostor * far >= 1 - 1e-9;
}

/**
 * TAR at the ROC point whose FAR is nearest `far` — InsightFace's reading of `roc_curve` output
 * (`argmin |fpr - far|`, first minimum).
 *
 * @example
 * tarAtFar(rocCurve(scores, same), 1e-3).tar
 */
export function tarAtFar(roc: RocCurve, far: number): TarAtFar {
  assertNumber('far', far, Number.MIN_VALUE, 1);
  if (!farMeasurable(far, roc.impostor)) return { far, measurable: false, tar: null, achievedFar: null };
  let best = 0;
  let bestGap = Number.POSITIVE_INFINITY;
  for (let i = 0; i < roc.far.length; i++) {
    const gap = Math.abs((roc.far[i] as number) - far);
    if (gap < bestGap) {
      bestGap = gap;
      best = i;
    }
  }
  return { far, measurable: true, tar: roc.tar[best] as number, achievedFar: roc.far[best] as number };
}

/** A decision threshold that reaches a target FAR on the evaluated pairs. */
export interface FarThreshold {
  /** The target FAR. */
  readonly far: number;
  /** See {@link TarAtFar.measurable}. */
  readonly measurable: boolean;
  /** Accept when cosine similarity ≥ this; null when not measurable. */
  readonly cosine: number | null;
  /** Accept when squared L2 distance of unit embeddings ≤ this (`2 − 2·cosine`); null when not measurable. */
  readonly distance: number | null;
  /** FAR and TAR on the evaluated pairs at this threshold; null when not measurable. */
  readonly achievedFar: number | null;
  readonly tar: number | null;
}

/**
 * The most lenient threshold whose FAR does not exceed `far`: the last ROC point with FAR ≤ target.
 * Use a curve built with `dropIntermediate: false` so every distinct score is a candidate.
 *
 * @example
 * thresholdAtFar(rocCurve(negDist, same, { dropIntermediate: false }), 1e-3).cosine
 */
export function thresholdAtFar(roc: RocCurve, far: number): FarThreshold {
  assertNumber('far', far, Number.MIN_VALUE, 1);
  if (!farMeasurable(far, roc.impostor)) {
    return { far, measurable: false, cosine: null, distance: null, achievedFar: null, tar: null };
  }
  let k = 0;
  for (let i = 0; i < roc.far.length; i++) if ((roc.far[i] as number) <= far) k = i;
  // Point 0 has threshold +Infinity (accept nothing): report the strictest real score instead.
  const score = Number.isFinite(roc.thresholds[k] as number) ? (roc.thresholds[k] as number) : (roc.thresholds[1] as number) + 1e-6;
  const distance = -score;
  return { far, measurable: true, cosine: 1 - distance / 2, distance, achievedFar: roc.far[k] as number, tar: roc.tar[k] as number };
}

/** Equal error rate: where FAR equals FRR = 1 − TAR. */
export interface EqualErrorRate {
  /** The rate, interpolated linearly between the two ROC points that bracket the crossing. */
  readonly eer: number;
  /** Squared-L2 distance threshold of the bracketing point nearer the crossing. */
  readonly distance: number;
  /** The same threshold as a cosine. */
  readonly cosine: number;
}

/**
 * Equal error rate of an ROC whose scores are negative distances.
 *
 * @example
 * equalErrorRate(rocCurve(negDist, same, { dropIntermediate: false })).eer
 */
export function equalErrorRate(roc: RocCurve): EqualErrorRate {
  const n = roc.far.length;
  for (let i = 1; i < n; i++) {
    const g1 = (roc.far[i] as number) - (1 - (roc.tar[i] as number));
    if (g1 < 0) continue;
    const g0 = (roc.far[i - 1] as number) - (1 - (roc.tar[i - 1] as number));
    const t = g1 === g0 ? 0 : -g0 / (g1 - g0);
    const f0 = roc.far[i - 1] as number;
    const eer = f0 + t * ((roc.far[i] as number) - f0);
    const near = t <= 0.5 && Number.isFinite(roc.thresholds[i - 1] as number) ? i - 1 : i;
    const distance = -(roc.thresholds[near] as number);
    return { eer, distance, cosine: 1 - distance / 2 };
  }
  const last = n - 1;
  const distance = -(roc.thresholds[last] as number);
  return { eer: roc.far[last] as number, distance, cosine: 1 - distance / 2 };
}

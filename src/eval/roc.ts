/**
 * ROC of a verification score over all pairs, with the semantics of scikit-learn's `roc_curve`
 * (which InsightFace's evaluation scripts call): one operating point per distinct score, pairs
 * accepted when `score >= threshold`, an extra first point at (0, 0) with threshold +Infinity, and
 * collinear points dropped (`drop_intermediate=True`, sklearn's default).
 */
import { assertPairArrays } from './pair-arrays.js';

/** Options of {@link rocCurve}. */
export interface RocOptions {
  /** Drop points that lie on a straight horizontal or vertical run (sklearn `drop_intermediate`). */
  readonly dropIntermediate: boolean;
}

/** Defaults of {@link RocOptions}: sklearn's defaults. */
export const ROC_DEFAULTS: Readonly<RocOptions> = Object.freeze({ dropIntermediate: true });

/** An ROC curve: parallel arrays, FAR and TAR non-decreasing, thresholds decreasing. */
export interface RocCurve {
  /** False accept rate (false positive rate) of each point. */
  readonly far: Float64Array;
  /** True accept rate (true positive rate) of each point. */
  readonly tar: Float64Array;
  /** Score threshold of each point: pairs with `score >= threshold` are accepted. */
  readonly thresholds: Float64Array;
  /** Number of genuine (same) pairs. */
  readonly genuine: number;
  /** Number of impostor (different) pairs. */
  readonly impostor: number;
}

/**
 * ROC curve of `scores` (higher = more alike) against the labels `same`.
 *
 * @example
 * const roc = rocCurve([0.9, 0.2, 0.7], [true, false, true])
 */
export function rocCurve(scores: ArrayLike<number>, same: ArrayLike<boolean>, options: Partial<RocOptions> = {}): RocCurve {
  assertPairArrays('scores', scores, same);
  const dropIntermediate = options.dropIntermediate ?? ROC_DEFAULTS.dropIntermediate;
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i);
  // Descending score; ties keep a fixed order, which cannot change the curve since tied scores
  // collapse into one point.
  order.sort((a, b) => (scores[b] as number) - (scores[a] as number) || a - b);

  const tps: number[] = [];
  const fps: number[] = [];
  const thr: number[] = [];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < n; k++) {
    const i = order[k] as number;
    if (same[i] === true) tp++;
    else fp++;
    const next = order[k + 1];
    if (next === undefined || (scores[next] as number) !== (scores[i] as number)) {
      tps.push(tp);
      fps.push(fp);
      thr.push(scores[i] as number);
    }
  }

  let keep = tps.map((_, i) => i);
  if (dropIntermediate && tps.length > 2) {
    // sklearn keeps index i when the second difference of fps or tps at i is non-zero.
    keep = keep.filter((i) => {
      if (i === 0 || i === tps.length - 1) return true;
      const d2f = (fps[i + 1] as number) - 2 * (fps[i] as number) + (fps[i - 1] as number);
      const d2t = (tps[i + 1] as number) - 2 * (tps[i] as number) + (tps[i - 1] as number);
      return d2f !== 0 || d2t !== 0;
    });
  }

  const m = keep.length + 1;
  const far = new Float64Array(m);
  const tar = new Float64Array(m);
  const thresholds = new Float64Array(m);
  thresholds[0] = Number.POSITIVE_INFINITY;
  const genuine = tp;
  const impostor = fp;
  keep.forEach((src, j) => {
    far[j + 1] = impostor === 0 ? Number.NaN : (fps[src] as number) / impostor;
    tar[j + 1] = genuine === 0 ? Number.NaN : (tps[src] as number) / genuine;
    thresholds[j + 1] = thr[src] as number;
  });
  return { far, tar, thresholds, genuine, impostor };
}

/**
 * Area under a curve by the trapezoidal rule (sklearn `auc`), x non-decreasing.
 *
 * @example
 * const a = trapezoidAuc(roc.far, roc.tar)
 */
export function trapezoidAuc(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length || x.length < 2) {
    throw new RangeError(`Expected two arrays of equal length of at least 2 points but received ${x.length} and ${y.length}`);
  }
  let area = 0;
  for (let i = 1; i < x.length; i++) {
    area += (((x[i] as number) - (x[i - 1] as number)) * ((y[i] as number) + (y[i - 1] as number))) / 2;
  }
  return area;
}

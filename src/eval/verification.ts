/**
 * The k-fold verification protocol exactly as InsightFace `recognition/arcface_torch/eval/verification.py`
 * (`calculate_roc`) computes it on LFW:
 * - distance = squared L2 distance of unit embeddings;
 * - folds are contiguous and unshuffled (`KFold(n_splits, shuffle=False)`: the first `n % k`
 *   folds hold one pair more); with one fold, train and test are all pairs (`LFold`);
 * - a pair is predicted "same" when `distance < threshold`;
 * - for each fold the threshold of the grid with the best accuracy on the other folds is chosen
 *   (first best, `np.argmax`) and the accuracy on the held-out fold is reported;
 * - the summary is the mean and the population standard deviation (`np.std`) of fold accuracies.
 */
import { assertInteger } from '../core/index.js';
import { assertPairArrays } from './pair-arrays.js';

/** InsightFace's threshold grid: `np.arange(0, 4, 0.01)`, i.e. `i * 0.01` for i in 0..399. */
export const INSIGHTFACE_THRESHOLD_COUNT = 400;
/** Step of InsightFace's threshold grid. */
export const INSIGHTFACE_THRESHOLD_STEP = 0.01;

/** Options of {@link kFoldVerification}. */
export interface KFoldOptions {
  /** Number of folds; LFW View 2 has 10. */
  readonly folds: number;
  /** Candidate distance thresholds, tried in order (first best wins). */
  readonly thresholds: readonly number[];
  /**
   * Explicit fold ranges `[start, end)` covering all pairs in order (e.g. the splits of a video
   * protocol); when given, `folds` is ignored.
   */
  readonly ranges?: ReadonlyArray<readonly [number, number]>;
}

/**
 * The InsightFace threshold grid, `i * 0.01` for i in 0..399 (exactly what `np.arange` yields).
 *
 * @example
 * insightfaceThresholds()[153] // 1.53
 */
export function insightfaceThresholds(): number[] {
  return Array.from({ length: INSIGHTFACE_THRESHOLD_COUNT }, (_, i) => i * INSIGHTFACE_THRESHOLD_STEP);
}

/** Defaults of {@link KFoldOptions}: LFW's 10 folds and InsightFace's grid. */
export const KFOLD_DEFAULTS: Readonly<KFoldOptions> = Object.freeze({ folds: 10, thresholds: Object.freeze(insightfaceThresholds()) });

/** Result of one held-out fold. */
export interface FoldResult {
  /** 0-based fold index. */
  readonly fold: number;
  /** Pair index range `[start, end)` of the held-out fold. */
  readonly start: number;
  readonly end: number;
  /** Distance threshold chosen on the other folds. */
  readonly bestThreshold: number;
  /** Accuracy of that threshold on the other folds. */
  readonly trainAccuracy: number;
  /** Accuracy of that threshold on this fold. */
  readonly accuracy: number;
  /** TAR and FAR of that threshold on this fold (NaN when the fold has no pair of that kind). */
  readonly tar: number;
  readonly far: number;
}

/** Result of {@link kFoldVerification}. */
export interface KFoldResult {
  readonly folds: readonly FoldResult[];
  readonly accuracyMean: number;
  /** Population standard deviation (`np.std`, ddof 0). */
  readonly accuracyStd: number;
}

/**
 * Contiguous fold ranges of `sklearn.model_selection.KFold(n_splits=k, shuffle=False)`.
 *
 * @example
 * foldRanges(6000, 10)[1] // [600, 1200]
 */
export function foldRanges(pairs: number, folds: number): Array<readonly [number, number]> {
  assertInteger('folds', folds, 1, Math.max(1, pairs));
  const base = Math.floor(pairs / folds);
  const extra = pairs % folds;
  const out: Array<readonly [number, number]> = [];
  let start = 0;
  for (let f = 0; f < folds; f++) {
    const end = start + base + (f < extra ? 1 : 0);
    out.push([start, end]);
    start = end;
  }
  return out;
}

function assertRanges(ranges: ReadonlyArray<readonly [number, number]>, pairs: number): Array<readonly [number, number]> {
  let next = 0;
  for (const [i, r] of ranges.entries()) {
    if (!Array.isArray(r) || r[0] !== next || !Number.isInteger(r[1]) || r[1] <= r[0]) {
      throw new RangeError(`Expected fold range ${i} to start at ${next} and be non-empty but received ${JSON.stringify(r)}`);
    }
    next = r[1];
  }
  if (next !== pairs || ranges.length === 0) {
    throw new RangeError(`Expected fold ranges to cover all ${pairs} pairs but they cover ${next}`);
  }
  return [...ranges];
}

/**
 * Sum in numpy's order (`pairwise_sum` in `numpy/_core/src/umath/loops_utils.h.src`): sequential
 * below 8 values, eight interleaved accumulators up to 128, halves above; so `np.mean` and `np.std`
 * are reproduced to the last bit.
 *
 * @example
 * numpySum([0.1, 0.2, 0.3])
 */
export function numpySum(a: readonly number[], start = 0, n = a.length): number {
  if (n < 8) {
    let s = 0;
    for (let i = start; i < start + n; i++) s += a[i] as number;
    return s;
  }
  if (n <= NUMPY_PAIRWISE_BLOCK) {
    const r = a.slice(start, start + 8) as number[];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let k = 0; k < 8; k++) r[k] = (r[k] as number) + (a[start + i + k] as number);
    const [r0, r1, r2, r3, r4, r5, r6, r7] = r as [number, number, number, number, number, number, number, number];
    let s = r0 + r1 + (r2 + r3) + (r4 + r5 + (r6 + r7));
    for (; i < n; i++) s += a[start + i] as number;
    return s;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return numpySum(a, start, n2) + numpySum(a, start + n2, n - n2);
}

/** numpy's `PW_BLOCKSIZE`. */
const NUMPY_PAIRWISE_BLOCK = 128;

interface Counts {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

function counts(dist: ArrayLike<number>, same: ArrayLike<boolean>, threshold: number, inFold: (i: number) => boolean): Counts {
  const c: Counts = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (let i = 0; i < dist.length; i++) {
    if (!inFold(i)) continue;
    const predicted = (dist[i] as number) < threshold;
    if (same[i] === true) {
      if (predicted) c.tp++;
      else c.fn++;
    } else if (predicted) c.fp++;
    else c.tn++;
  }
  return c;
}

/** `float(tp + tn) / dist.size` as in `calculate_accuracy`. */
function accuracyOf(c: Counts): number {
  return (c.tp + c.tn) / (c.tp + c.tn + c.fp + c.fn);
}

/**
 * Runs the k-fold protocol on per-pair squared-L2 distances `dist` and labels `same`.
 *
 * @example
 * const { accuracyMean, accuracyStd } = kFoldVerification(dist, same)
 */
export function kFoldVerification(dist: ArrayLike<number>, same: ArrayLike<boolean>, options: Partial<KFoldOptions> = {}): KFoldResult {
  assertPairArrays('dist', dist, same);
  const ranges = options.ranges === undefined ? foldRanges(dist.length, options.folds ?? KFOLD_DEFAULTS.folds) : assertRanges(options.ranges, dist.length);
  const folds = ranges.length;
  const thresholds = options.thresholds ?? KFOLD_DEFAULTS.thresholds;
  if (thresholds.length === 0) throw new RangeError('Expected at least one threshold but received an empty list');
  const results: FoldResult[] = [];
  for (const [f, [start, end]] of ranges.entries()) {
    const isTest = (i: number): boolean => i >= start && i < end;
    const isTrain = folds === 1 ? (): boolean => true : (i: number): boolean => !isTest(i);
    let bestIndex = 0;
    let bestAccuracy = Number.NEGATIVE_INFINITY;
    thresholds.forEach((t, k) => {
      const acc = accuracyOf(counts(dist, same, t, isTrain));
      if (acc > bestAccuracy) {
        bestAccuracy = acc;
        bestIndex = k;
      }
    });
    const bestThreshold = thresholds[bestIndex] as number;
    const c = counts(dist, same, bestThreshold, isTest);
    results.push({
      fold: f,
      start,
      end,
      bestThreshold,
      trainAccuracy: bestAccuracy,
      accuracy: accuracyOf(c),
      tar: c.tp + c.fn === 0 ? Number.NaN : c.tp / (c.tp + c.fn),
      far: c.fp + c.tn === 0 ? Number.NaN : c.fp / (c.fp + c.tn),
    });
  }
  const accs = results.map((r) => r.accuracy);
  const mean = numpySum(accs) / accs.length;
  const variance = numpySum(accs.map((a) => (a - mean) * (a - mean))) / accs.length;
  return { folds: results, accuracyMean: mean, accuracyStd: Math.sqrt(variance) };
}

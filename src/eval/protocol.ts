/**
 * The whole verification evaluation of a list of pair distances: the InsightFace k-fold accuracy,
 * the ROC over all pairs with AUC, TAR at standard FARs, EER, calibrated thresholds and histograms.
 */
import { assertPairArrays } from './pair-arrays.js';
import { equalErrorRate, tarAtFar, thresholdAtFar, type EqualErrorRate, type FarThreshold, type TarAtFar } from './operating-points.js';
import { rocCurve, trapezoidAuc } from './roc.js';
import { kFoldVerification, KFOLD_DEFAULTS, type KFoldResult } from './verification.js';
import { scoreHistogram, type ScoreHistogram } from './histogram.js';

/** The FARs reported by default: 1e-1 … 1e-4, as in face-recognition papers. */
export const STANDARD_FARS: readonly number[] = Object.freeze([1e-1, 1e-2, 1e-3, 1e-4]);

/** Options of {@link evaluateVerification}. */
export interface ProtocolOptions {
  /** Number of folds (LFW: 10). */
  readonly folds: number;
  /** FARs at which TAR and thresholds are reported. */
  readonly fars: readonly number[];
  /** Explicit contiguous fold ranges (video splits); overrides `folds`. */
  readonly ranges?: ReadonlyArray<readonly [number, number]>;
}

/** Defaults of {@link ProtocolOptions}. */
export const PROTOCOL_DEFAULTS: Readonly<ProtocolOptions> = Object.freeze({ folds: KFOLD_DEFAULTS.folds, fars: STANDARD_FARS });

/** A compact ROC for reports and plots: the `drop_intermediate` curve as distance thresholds. */
export interface RocPoints {
  readonly far: readonly number[];
  readonly tar: readonly number[];
  /** Squared-L2 distance threshold of each point (accept when distance ≤ it); the first is -Infinity as null. */
  readonly distance: ReadonlyArray<number | null>;
}

/** Every figure of one evaluation. */
export interface VerificationMetrics {
  readonly pairs: number;
  readonly genuine: number;
  readonly impostor: number;
  readonly kfold: KFoldResult;
  readonly auc: number;
  readonly tarAtFar: readonly TarAtFar[];
  readonly thresholds: readonly FarThreshold[];
  readonly eer: EqualErrorRate;
  readonly roc: RocPoints;
  readonly histogram: ScoreHistogram;
}

/**
 * Evaluates squared-L2 distances of unit embeddings `dist` against labels `same`.
 *
 * @example
 * const m = evaluateVerification(dist, same)
 * console.log(m.kfold.accuracyMean, m.tarAtFar[2]?.tar)
 */
export function evaluateVerification(dist: ArrayLike<number>, same: ArrayLike<boolean>, options: Partial<ProtocolOptions> = {}): VerificationMetrics {
  assertPairArrays('dist', dist, same);
  const folds = options.folds ?? PROTOCOL_DEFAULTS.folds;
  const fars = options.fars ?? PROTOCOL_DEFAULTS.fars;
  const kfold = kFoldVerification(dist, same, options.ranges === undefined ? { folds } : { ranges: options.ranges });
  const scores = Float64Array.from(dist, (d) => -d);
  const roc = rocCurve(scores, same);
  const fullRoc = rocCurve(scores, same, { dropIntermediate: false });
  return {
    pairs: dist.length,
    genuine: roc.genuine,
    impostor: roc.impostor,
    kfold,
    auc: trapezoidAuc(roc.far, roc.tar),
    tarAtFar: fars.map((f) => tarAtFar(roc, f)),
    thresholds: fars.map((f) => thresholdAtFar(fullRoc, f)),
    eer: equalErrorRate(fullRoc),
    roc: {
      far: Array.from(roc.far),
      tar: Array.from(roc.tar),
      distance: Array.from(roc.thresholds, (s) => (Number.isFinite(s) ? -s : null)),
    },
    histogram: scoreHistogram(
      Float64Array.from(dist, (d) => 1 - d / 2),
      same,
    ),
  };
}

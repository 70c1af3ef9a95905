export { assertPairArrays } from './pair-arrays.js';
export { HISTOGRAM_BINS, scoreHistogram, type ScoreHistogram } from './histogram.js';
export { equalErrorRate, farMeasurable, tarAtFar, thresholdAtFar, type EqualErrorRate, type FarThreshold, type TarAtFar } from './operating-points.js';
export { evaluateVerification, PROTOCOL_DEFAULTS, STANDARD_FARS, type ProtocolOptions, type RocPoints, type VerificationMetrics } from './protocol.js';
export { ROC_DEFAULTS, rocCurve, trapezoidAuc, type RocCurve, type RocOptions } from './roc.js';
export {
  foldRanges,
  INSIGHTFACE_THRESHOLD_COUNT,
  INSIGHTFACE_THRESHOLD_STEP,
  insightfaceThresholds,
  KFOLD_DEFAULTS,
  kFoldVerification,
  type FoldResult,
  type KFoldOptions,
  type KFoldResult,
} from './verification.js';

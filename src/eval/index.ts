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
  numpySum,
  type FoldResult,
  type KFoldOptions,
  type KFoldResult,
} from './verification.js';
export { EmbeddingCache, type CachedEmbedding, type EmbeddingCacheKey } from './embedding-cache.js';
export { embedImageFiles, readEvalFile, type CentralFaceEmbedder, type EmbeddedFiles, type EmbedFilesOptions, type EmbedProgress } from './embed-files.js';
export {
  centralFallbackLandmarks,
  embedCentralFace,
  FALLBACK_CENTRE_Y,
  FALLBACK_FACE_FRACTION,
  FALLBACK_METHOD,
  squaredL2,
  type EvalRecognizer,
  type ImageEmbedding,
} from './face-embedding.js';
export { parseLfwPeople, readLfwPeople, type LfwPerson } from './lfw-people.js';
export { lfwImagePath, parseLfwPairs, readLfwPairs, uniqueLfwImages, type LfwImageRef, type LfwPair, type LfwPairs } from './lfw-pairs.js';
export { runLfwEvaluation, type LfwEvaluation, type LfwEvaluationOptions } from './lfw-evaluation.js';
export { histogramSvg, rocSvg, svgToPng } from './plots.js';
export { splitProtocolLines, readProtocolText, type ProtocolLine } from './protocol-text.js';
export { buildReport, reportMarkdown, writeReport, type EvalConfig, type EvalCounts, type EvalReport, type EvalTiming, type ReportFiles } from './report.js';
export { calibrateThreshold, parsePairScores, readPairScores, type PairScores } from './scores-file.js';
export {
  DEFAULT_FRAMES_PER_VIDEO,
  embedVideo,
  runVideoEvaluation,
  splitRanges,
  VIDEO_AGGREGATION,
  type VideoEvaluation,
  type VideoEvaluationOptions,
  type VideoTemplate,
} from './video-evaluation.js';
export {
  decodeVideoFrames,
  defaultFfmpegPath,
  FRAME_EXTENSIONS,
  probeVideo,
  resolveVideo,
  uniformSample,
  VIDEO_EXTENSIONS,
  type VideoFileInfo,
  type VideoSource,
} from './video-frames.js';
export { parseVideoSplits, readVideoSplits, type VideoPair } from './video-splits.js';
export { summaryText } from './summary.js';
export { motMetrics, MOT_DEFAULTS, type MotFrame, type MotObject, type MotSummary } from './mot-metrics.js';
export { GENUINE_FRR_LEVELS, SCORE_BIN, scoreCalibration, scoreHistograms, type ScoreCalibrationOptions, type ScoreHistograms } from './score-calibration.js';
export {
  detCurve,
  dirAtFpir,
  pointAtThreshold,
  rankK,
  REPORTED_FPIRS,
  scoreIdentification,
  type EvalGallery,
  type IdentificationPoint,
  type IdentificationScores,
} from './identification.js';
export { detSvg } from './det-plot.js';
export {
  readLabelledPhotos,
  runIdentification,
  type IdentificationRecognizer,
  type IdentificationRun,
  type IdentificationRunOptions,
  type LabelledPhotos,
} from './identification-run.js';

export {
  DEFAULT_QUALITY_LIMITS, faceQuality, laplacianVariance, qualityRejection, type FaceQuality, type QualityLimits, type QualityRejectionReason,
} from './face-quality.js';

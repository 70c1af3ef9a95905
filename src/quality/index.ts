export { QUALITY_REFERENCE, faceQuality, withEmbeddingNorm, type FaceQuality } from './face-quality.js';
export { DEFAULT_QUALITY_LIMITS, qualityRejection, resolveQualityLimits, type QualityLimits, type QualityRejectionReason } from './limits.js';
export { NOSE_DEPTH_TEMPLATE, assertLandmarks, estimatePose, type FacePose } from './pose.js';
export { laplacianVariance } from './sharpness.js';

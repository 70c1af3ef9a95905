export { ArcFaceError, ERROR_CODES, asArcFaceError, inImageInput, isArcFaceError, type ErrorCode } from './errors.js';
export { assertBoolean, assertInteger, assertNumber, assertOneOf, assertString } from './validate.js';
export {
  assertRgbImage,
  type Affine2x3,
  type Box,
  type DetectedFace,
  type DetectionPass,
  type Embedding,
  type Landmarks5,
  type Point,
  type RgbImage,
  type TensorInfo,
} from './types.js';
export { cosine, dot, l2norm, l2normalize } from './vector.js';
export { mulberry32 } from './random.js';
export { sha256Digest } from './digest.js';
export { redactUrl } from './redact.js';
export { sha256Hex } from './sha256.js';
export { createSimdKernels, type SimdKernels } from './simd-kernels.js';

export type { DetectOptions, FaceDetector } from './face-detector.js';
export { createFaceDetector, type CreateFaceDetectorOptions, type FaceDetectorSpec } from './create-face-detector.js';
export {
  DETECTOR_DEFAULTS,
  DETECTOR_KINDS,
  DETECTOR_PRESETS,
  resolveDetectorConfig,
  type DetectorConfig,
  type DetectorKind,
  type DetectorPreset,
} from './config.js';
export { OnnxFaceDetector } from './onnx-face-detector.js';
export { iou, nms, nmsVote, type ScoredBox, type ScoredFace } from './nms.js';

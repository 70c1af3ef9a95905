export { FaceRecognizer, RECOGNIZER_DEFAULTS, resolveDetectorSpec, type FaceRecognizerOptions, type RecognizeOptions } from './face-recognizer.js';
export { selectFaceIndices, selectFaces } from './select.js';
export {
  compareImages,
  DEFAULT_COMPARE_SELECTION,
  type CompareInput,
  type CompareOptions,
  type CompareRecognizer,
  type CompareResult,
  type CompareSelection,
  type ComparedFace,
} from './compare.js';
export { recognizeFiles, type FileResult, type RecognizeFilesOptions } from './recognize-files.js';
export type { FaceSelection, RecognitionResult, RecognizedFace } from './types.js';

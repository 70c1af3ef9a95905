export { FaceRecognizer, RECOGNIZER_DEFAULTS, resolveDetectorSpec, type FaceRecognizerOptions, type RecognizeOptions } from './face-recognizer.js';
export { selectFaces } from './select.js';
export { recognizeFiles, type FileResult, type RecognizeFilesOptions } from './stream.js';
export type { FaceSelection, RecognitionResult, RecognizedFace } from './types.js';
export { BOX_MIN_IOU, chooseEnrolmentFace, DOMINANCE_RATIO, prominence, type EnrolFaceChoice } from './enrol-face.js';

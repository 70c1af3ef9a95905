/**
 * ArcFace.ts public API (Node.js): what an application needs to detect, align, embed, compare and
 * identify faces, keep galleries, manage models and evaluate. The full surface of each concept stays
 * in its folder's barrel (`src/<folder>/index.ts`); the gallery's, with its stores, is also published
 * as `arcface-ts/gallery`. Validation helpers, math kernels and protocol internals are not exported.
 */

// Errors, domain types and vector math.
export { ArcFaceError, ERROR_CODES, isArcFaceError, type ErrorCode } from './core/index.js';
export type { Affine2x3, Box, DetectedFace, DetectionPass, Embedding, Landmarks5, Point, RgbImage } from './core/index.js';
export { cosine, dot, l2normalize } from './core/index.js';

// Images.
export { decodeImage, decodeImageFile, encodeJpeg, encodePng, SUPPORTED_FORMATS, DEFAULT_DECODE_LIMITS, type DecodeOptions } from './image/index.js';
export type { ExecutionProvider, RuntimeOptions } from './runtime/index.js';

// Models: registry, cache, contracts.
export {
  addModel,
  findKnownModel,
  KNOWN_MODELS,
  listModels,
  modelLabel,
  modelLocationsFromEnv,
  pullModel,
  resolveModelPath,
  verifyModels,
  type KnownModel,
  type ModelListing,
  type ModelLocations,
  type ModelSpec,
  type ModelSpecInput,
  type PullOptions,
} from './models/index.js';

// Detection, alignment, embedding.
export {
  createFaceDetector,
  DETECTOR_DEFAULTS,
  DETECTOR_KINDS,
  type DetectOptions,
  type DetectorKind,
  type FaceDetector,
  type FaceDetectorSpec,
} from './detect/index.js';
export { ARCFACE_TEMPLATE_112, estimateSimilarity, normCrop, type AlignedFace } from './align/index.js';
export { Embedder, EMBEDDER_DEFAULTS, type EmbedderOptions } from './embed/index.js';

// The pipeline: one call from photo to faces, and 1:1 comparison.
export {
  DEFAULT_COMPARE_SELECTION,
  FaceRecognizer,
  RECOGNIZER_DEFAULTS,
  recognizeFiles,
  type ComparedFace,
  type CompareOptions,
  type CompareResult,
  type CompareSelection,
  type FaceRecognizerOptions,
  type FaceSelection,
  type FileResult,
  type RecognitionResult,
  type RecognizedFace,
  type RecognizeOptions,
} from './pipeline/index.js';

// Galleries (1:N); stores and indexes are in `arcface-ts/gallery`.
export {
  Gallery,
  GALLERY_DEFAULTS,
  identifyImage,
  openGallery,
  verifyImage,
  type AuditFinding,
  type Candidate,
  type GalleryOptions,
  type IdentifiedFace,
  type IdentifyResult,
  type IdentityDetails,
  type VerifyResult,
} from './gallery/index.js';

// Enrolment: the one path from a photo to a template, its thumbnail and its SHA-256.
export { chooseEnrolmentFace, enrollImages, parseFaceChoice, type EnrolFaceChoice, type HeldImage, type SkippedImage } from './ingest/index.js';

// Evaluation.
export {
  calibrateThreshold,
  evaluateVerification,
  readLfwPairs,
  readPairScores,
  runLfwEvaluation,
  runVideoEvaluation,
  writeReport,
  type LfwEvaluation,
  type LfwEvaluationOptions,
  type PairScores,
  type VerificationMetrics,
  type VideoEvaluation,
  type VideoEvaluationOptions,
} from './eval/index.js';

// Open-set identification: the threshold that holds a target false positive identification rate.
export { DEFAULT_TARGET_FPIR, identificationThreshold, type ThresholdChoice } from './gallery/index.js';
export { runIdentification, type IdentificationRun, type IdentificationRunOptions } from './eval/index.js';

// Face quality (size, score, pose, sharpness, embedding norm) and its limits.
export { DEFAULT_QUALITY_LIMITS, faceQuality, qualityRejection, type FaceQuality, type QualityLimits, type QualityRejectionReason } from './quality/index.js';

// Video and streams: sources, tracking, identity per track, events and outputs.
export {
  createPushSource,
  drawOverlays,
  openVideoSource,
  toWebVtt,
  VideoWriter,
  type FrameSource,
  type Overlay,
  type PushSource,
  type VideoFrame,
  type VideoInfo,
  type VideoSourceOptions,
} from './video/index.js';
export {
  Tracker,
  TRACKER_DEFAULTS,
  TrackIdentity,
  UnknownLabeler,
  type Track,
  type TrackerOptions,
  type TrackIdentityOptions,
  type TrackerUpdate,
} from './track/index.js';
export {
  annotateFrame,
  buildTimeline,
  FaceStream,
  SHOT_CHANGE_DEFAULTS,
  ShotChangeDetector,
  timelineCues,
  watchFaces,
  withDetectorDownscale,
  type FaceStreamOptions,
  type FrameResult,
  type StreamEvent,
  type StreamRecognizer,
  type ShotChange,
  type ShotChangedEvent,
  type ShotChangeOptions,
  type Timeline,
  type SightingFace,
  type TrackSighting,
  type TrackSuspendedEvent,
  type TrackView,
  type WatchFacesOptions,
} from './stream/index.js';
export { motMetrics, type MotSummary } from './eval/index.js';

// Privacy: faces anonymised in photos and videos (every face, all but consenting identities, or only listed ones).
export {
  ANONYMIZE_DEFAULTS,
  anonymizePhoto,
  anonymizeVideo,
  COVER_STYLES,
  identitiesTagged,
  VideoAnonymizer,
  type AnonymizedFrame,
  type AnonymizedImage,
  type AnonymizeMode,
  type AnonymizePhotoOptions,
  type AnonymizePolicy,
  type AnonymizeReport,
  type AnonymizeVideoOptions,
  type CoverStyle,
  type KeptFace,
  type VideoAnonymizerOptions,
} from './privacy/index.js';

// People discovery: unlabelled photos clustered into persons, incrementally, named into identities.
export {
  addImages,
  contactSheetHtml,
  contactSheetPng,
  People,
  PEOPLE_DEFAULTS,
  syncFolders,
  type AddedFace,
  type AddedImages,
  type KnownImage,
  type PeopleOptions,
  type PersonConstraint,
  type PersonDetails,
  type PersonSummary,
  type ReclusterResult,
  type SkippedFace,
  type SyncSummary,
} from './people/index.js';

// Sightings ("Recent faces"): ended tracks stored with their best faces, visitors, "this is X" / "not X".
export {
  Sightings,
  SIGHTINGS_DEFAULTS,
  type Culprit,
  type Sighting,
  type SightingDetails,
  type SightingEvent,
  type SightingFilter,
  type SightingsOptions,
  type VisitorSummary,
} from './sightings/index.js';
export { averageLinkage, chineseWhispers, immichClustering, IncrementalClusterer, scoreClustering, type ClusterScores } from './cluster/index.js';

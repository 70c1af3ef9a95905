/**
 * ArcFace.ts in the browser: the same detectors, alignment, preprocessing, embedder and pipeline as
 * Node.js, on onnxruntime-web, with images decoded by the browser. Two backend files differ from
 * Node.js, each behind one small interface: the inference runtime (`runtime/ort-web.ts` for
 * `runtime/ort-node.ts`) and image decoding (`image/decode-web.ts` for `image/decode.ts`); models are
 * fetched by URL and checked against the registry (`models/model-source-web.ts`,
 * `models/registry-web.ts`). The browser build (`npm run build:browser`) makes the swap; see README,
 * "In the browser". Face quality, the tracker and the stream pipeline (`FaceStream`) are the same code
 * as in Node.js too.
 *
 * @example
 * import { FaceRecognizer } from 'arcface-ts/browser'
 * const fr = await FaceRecognizer.create({ modelBaseUrl: '/models' })
 * const { faces } = await fr.recognize(new Uint8Array(await file.arrayBuffer()))
 */
export * from './core/index.js';
export * from './align/index.js';
export * from './quality/index.js';
export * from './track/index.js';
export { invertAffine, warpAffine } from './image/warp.js';
export { sha256Hex } from './core/sha256.js';
export { DEFAULT_DECODE_LIMITS, resolveDecodeLimits, type DecodeLimits, type DecodeOptions } from './image/limits.js';
export { decodeImage } from './image/decode.js';
export { imageSourceToRgb } from './image/decode-web.js';
export { configureWebRuntime, webThreadsAvailable, type WebRuntimeSettings } from './runtime/ort-web.js';
export { ModelSession, resolveRuntimeOptions, type ExecutionProvider, type RuntimeOptions } from './runtime/index.js';
export { fetchModelBytes, MODEL_CACHE_NAME, type FetchedModel, type FetchModelOptions } from './models/model-fetch.js';
export { findKnownModel, findKnownModelByFileName, KNOWN_MODELS } from './models/known-models.js';
export type { KnownModel, ModelLicence } from './models/known-model.js';
export { licenceNotice } from './models/licence-notice.js';
export * from './detect/index.js';
export * from './embed/index.js';
export { FaceRecognizer, RECOGNIZER_DEFAULTS, type FaceRecognizerOptions, type RecognizeOptions } from './pipeline/face-recognizer.js';
export { selectFaces } from './pipeline/select.js';
export type { FaceSelection, RecognitionResult, RecognizedFace } from './pipeline/types.js';
export { embedCentralFace, squaredL2, type ImageEmbedding } from './eval/face-embedding.js';
export { kFoldVerification, type KFoldResult } from './eval/verification.js';
export { Gallery } from './gallery/gallery.js';
export { GALLERY_DEFAULTS, type GalleryOptions } from './gallery/config.js';
export { IndexedDbGalleryStore, INDEXEDDB_SCHEMA_VERSION, type IndexedDbStoreOptions } from './gallery/stores/indexeddb-store.js';
export { decodeExport, encodeExport, EXPORT_MAGIC, EXPORT_VERSION, type ExportHeader } from './gallery/export-format.js';
export type { GalleryStore, IdentityRecord, IdentitySummary, NewTemplate, TemplateRecord } from './gallery/stores/store.js';
export type { AuditFinding, Candidate, EnrollInput, IdentifyResult, IdentityDetails, VerifyResult } from './gallery/results.js';
export { FaceStream, type FaceStreamOptions, type StreamFrame, type StreamGallery, type StreamRecognizer } from './stream/face-stream.js';
export type {
  FrameResult,
  StreamEvent,
  ShotChangedEvent,
  TrackEndedEvent,
  TrackIdentifiedEvent,
  TrackStartedEvent,
  TrackSuspendedEvent,
  TrackView,
} from './stream/events.js';
export { buildTimeline, timelineCues, type Timeline } from './stream/timeline.js';
export { SHOT_CHANGE_DEFAULTS, ShotChangeDetector, type ShotChange, type ShotChangeOptions } from './stream/shot-change.js';
export { cropBox } from './stream/thumbnail-crop.js';
export { anonymizePhoto, type AnonymizePhotoOptions } from './privacy/anonymize-photo.js';
export { COVER_STYLES, coverRegions, padBox, type CoverRect, type CoverStyle } from './privacy/cover.js';
export { ANONYMIZE_DEFAULTS, type AnonymizedImage, type AnonymizeMode, type AnonymizePolicy, type KeptFace } from './privacy/policy.js';

export { ANNOTATION_COLORS, maxPredictedFrames, trackLabel, trackOverlays, type TrackOverlayOptions } from './stream/track-overlays.js';
export { placeLabels, type LabelPlacement, type LabelRequest } from './video/label-layout.js';

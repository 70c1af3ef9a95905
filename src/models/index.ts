export {
  modelFingerprint,
  validateModelSpec,
  type ChannelOrder,
  type ModelSpec,
  type ModelSpecInput,
  type ResolvedModel,
  type TensorLayout,
} from './spec.js';
export { checkContract, type ModelIo } from './contract.js';
export { readModelSource, type ModelSource } from './model-source.js';
export { resolveRecognizerSpec } from './resolve-spec.js';
export { parseArchiveConfig, SUPPORTED_ARCHIVE_VERSIONS, type ArchiveContract } from './nn-archive.js';
export { graphNormalisesInput, graphReordersChannels, isBatchExact, readOnnxNodes, type OnnxNodeInfo } from './onnx-graph.js';
export { readTarFiles } from './tar.js';
export type { CalibratedThreshold, KnownModel, ModelLicence, ModelOrigin, ModelTask, ScoreCalibration } from './known-model.js';
export { findKnownModel, findKnownModelByFileName, findKnownModelBySha256, KNOWN_MODELS } from './known-models.js';
export { knownModelOfFingerprint, modelLabel } from './model-label.js';
export { listModels, resolveModelPath, searchFolders, validateModelLocations, type ModelListing, type ModelLocations } from './registry.js';
export { modelLocationsFromEnv, type ModelEnvironment } from './env-locations.js';
export { addModel, sha256File, verifyModels, type AddedModel, type AddModelOptions, type VerifiedModel } from './cache.js';
export { PULL_DEFAULTS, pullModel, type FetchLike, type PulledModel, type PullOptions, type PullProgress } from './download.js';
export { LICENCE_MARKER_DIR, licenceNotice, licenceNoticeOnce } from './licence.js';
export { extractZipEntry, listZipEntries } from './zip-entry.js';
export { fetchModelBytes, MODEL_CACHE_NAME, type FetchedModel, type FetchModelOptions } from './model-fetch.js';

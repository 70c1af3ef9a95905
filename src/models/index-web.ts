/**
 * The models barrel of the browser build: package.json's `browser` map swaps `index.ts` for this file,
 * so code shared with Node.js imports `../models/index.js` in both. The same names as `index.ts` less
 * what needs Node.js (the model cache, downloads, archives, licence markers on disk); `model-source`,
 * `registry` and `env-locations` are themselves swapped for their `-web` twins.
 *
 * @example
 * import { resolveRecognizerSpec } from '../models/index.js' // this file in the browser bundle
 */
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
export type { CalibratedThreshold, KnownModel, ModelLicence, ModelOrigin, ModelTask, ScoreCalibration } from './known-model.js';
export { findKnownModel, findKnownModelByFileName, findKnownModelBySha256, KNOWN_MODELS } from './known-models.js';
export { knownModelOfFingerprint, modelLabel } from './model-label.js';
export { resolveModelPath, validateModelLocations, type ModelLocations } from './registry.js';
export { modelLocationsFromEnv, type ModelEnvironment } from './env-locations.js';
export { licenceNotice } from './licence-notice.js';
export { fetchModelBytes, MODEL_CACHE_NAME, type FetchedModel, type FetchModelOptions } from './model-fetch.js';

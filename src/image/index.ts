export {
  decodeImage,
  decodeImageFile,
  encodeJpeg,
  encodePng,
  readImageBytes,
  readImageHeader,
  sniffFormat,
  SUPPORTED_FORMATS,
  type ImageHeader,
} from './decode.js';
export { readFileBytes } from './read-file.js';
export { DEFAULT_DECODE_LIMITS, resolveDecodeLimits, type DecodeLimits, type DecodeOptions } from './limits.js';
export { warpAffine, invertAffine } from './warp.js';
export { IMAGE_EXTENSIONS } from './extensions.js';

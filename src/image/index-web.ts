/**
 * The image barrel of the browser build: package.json's `browser` map swaps `index.ts` for this file,
 * so code shared with Node.js imports `../image/index.js` in both. The same names as `index.ts` less
 * what needs Node.js: encoding (sharp) and `readFileBytes` (node:fs). `./decode.js` is itself swapped
 * for `decode-web.ts`.
 *
 * @example
 * import { decodeImage } from '../image/index.js' // this file in the browser bundle
 */
export { decodeImage, decodeImageFile, readImageBytes, readImageHeader, SUPPORTED_FORMATS, type ImageHeader } from './decode.js';
export { DEFAULT_DECODE_LIMITS, resolveDecodeLimits, type DecodeLimits, type DecodeOptions } from './limits.js';
export { warpAffine, invertAffine } from './warp.js';

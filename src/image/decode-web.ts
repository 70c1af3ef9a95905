import { ArcFaceError, type RgbImage } from '../core/index.js';
import type * as NodeDecode from './decode.js';
import { resolveDecodeLimits, type DecodeOptions } from './limits.js';
import { looksTruncated, sniffImageFormat } from './truncation.js';

export { looksTruncated } from './truncation.js';

/**
 * The browser image decoder: the same functions as `decode.ts` (sharp), on `createImageBitmap` and
 * `OffscreenCanvas`. The browser build swaps `decode.ts` for this file; each export is typed as its
 * Node twin, so the pipeline cannot tell them apart. EXIF orientation is applied
 * (`imageOrientation: 'from-image'`), alpha is dropped after the browser composites it (it stores
 * premultiplied pixels, so translucent pixels may differ from sharp's by rounding). Formats: what the
 * browser decodes (JPEG, PNG, WebP, GIF's first frame, AVIF; TIFF and HEIF usually not).
 */
export const SUPPORTED_FORMATS: typeof NodeDecode.SUPPORTED_FORMATS = Object.freeze(['jpeg', 'png', 'webp', 'gif', 'avif', 'bmp']);

/** What the header says. */
export type ImageHeader = NodeDecode.ImageHeader;

/**
 * Decodes image bytes to 8-bit RGB with EXIF orientation applied. The pixel limit is checked on
 * the decoded size (the browser's decoder has its own limits against decompression bombs).
 *
 * @example
 * const img = await decodeImage(new Uint8Array(await file.arrayBuffer()))
 */
export const decodeImage: typeof NodeDecode.decodeImage = async (bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> => {
  const limits = resolveDecodeLimits(options);
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`Expected a Uint8Array of image bytes but received ${typeof bytes}`);
  if (bytes.length > limits.maxBytes) {
    throw new ArcFaceError('IMAGE_TOO_LARGE', `Expected at most ${limits.maxBytes} encoded bytes but received ${bytes.length}`);
  }
  const bitmap = await openBitmap(bytes);
  try {
    const { width, height } = bitmap;
    if (width * height > limits.maxPixels) {
      throw new ArcFaceError('IMAGE_TOO_LARGE', `Expected at most ${limits.maxPixels} pixels but the image is ${width}×${height} = ${width * height}`, {
        details: { width, height, maxPixels: limits.maxPixels },
      });
    }
    return bitmapToRgb(bitmap);
  } finally {
    bitmap.close();
  }
};

/**
 * Reads the format and size of an image. The browser has no header-only reader, so this decodes.
 *
 * @example
 * const { width, height } = await readImageHeader(bytes)
 */
export const readImageHeader: typeof NodeDecode.readImageHeader = async (bytes: Uint8Array): Promise<ImageHeader> => {
  const bitmap = await openBitmap(bytes);
  const { width, height } = bitmap;
  bitmap.close();
  return { format: sniffImageFormat(bytes) ?? 'unknown', width, height, orientedWidth: width, orientedHeight: height };
};

/**
 * In the browser a "path" is a URL: fetches it, with `FILE_NOT_FOUND` for an error or no answer.
 *
 * @example
 * const bytes = await readImageBytes('/photos/ada.jpg')
 */
export const readImageBytes: typeof NodeDecode.readImageBytes = async (url: string): Promise<Uint8Array> => {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (cause) {
    throw new ArcFaceError('FILE_NOT_FOUND', `Expected an image at ${url} but it could not be fetched (${(cause as Error).message})`, { cause });
  }
  if (!response.ok) throw new ArcFaceError('FILE_NOT_FOUND', `Expected an image at ${url} but the server answered HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
};

/**
 * Fetches and decodes an image URL.
 *
 * @example
 * const img = await decodeImageFile('/photos/ada.jpg')
 */
export const decodeImageFile: typeof NodeDecode.decodeImageFile = async (url: string, options: DecodeOptions = {}): Promise<RgbImage> =>
  decodeImage(await readImageBytes(url), options);

/**
 * RGB pixels of a bitmap, video frame or canvas (a camera frame needs no encoding round trip).
 *
 * @example
 * const frame = imageSourceToRgb(videoElement, videoElement.videoWidth, videoElement.videoHeight)
 */
export function imageSourceToRgb(source: CanvasImageSource, width: number, height: number): RgbImage {
  const canvas = new OffscreenCanvas(width, height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (ctx === null) throw new ArcFaceError('INTERNAL', 'Expected a 2D canvas context but the browser gave none');
  ctx.drawImage(source, 0, 0);
  const rgba = ctx.getImageData(0, 0, width, height).data;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    data[j] = rgba[i] as number;
    data[j + 1] = rgba[i + 1] as number;
    data[j + 2] = rgba[i + 2] as number;
  }
  return { width, height, data };
}

function bitmapToRgb(bitmap: ImageBitmap): RgbImage {
  return imageSourceToRgb(bitmap, bitmap.width, bitmap.height);
}

async function openBitmap(bytes: Uint8Array): Promise<ImageBitmap> {
  if (bytes.length === 0) throw new ArcFaceError('IMAGE_EMPTY', 'Expected image bytes but received an empty input (0 bytes)');
  const format = sniffImageFormat(bytes);
  if (format === undefined) {
    throw new ArcFaceError(
      'IMAGE_UNSUPPORTED_FORMAT',
      `Expected an image in one of ${SUPPORTED_FORMATS.join(', ')} but received ${bytes.length} bytes in no format this browser recognises`,
    );
  }
  // The browser paints a cut image grey where sharp (failOn: 'error') refuses it: refuse it here too.
  if (looksTruncated(bytes)) throw new ArcFaceError('IMAGE_TRUNCATED', `Expected a complete image but the ${bytes.length}-byte ${format} input ends early`);
  try {
    return await createImageBitmap(new Blob([bytes.slice().buffer]), { imageOrientation: 'from-image', premultiplyAlpha: 'none' });
  } catch (cause) {
    if (!SUPPORTED_FORMATS.includes(format)) {
      throw new ArcFaceError(
        'IMAGE_UNSUPPORTED_FORMAT',
        `Expected an image in one of ${SUPPORTED_FORMATS.join(', ')} but received ${format}, which this browser does not decode`,
        { cause },
      );
    }
    throw new ArcFaceError(
      'IMAGE_CORRUPT',
      `Expected a decodable image but the ${bytes.length}-byte ${format} input is corrupt (${(cause as Error).message})`,
      { cause },
    );
  }
}

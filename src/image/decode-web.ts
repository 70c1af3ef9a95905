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
    return await bitmapToRgb(bitmap);
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
  return { width, height, data: rgbxToRgb(ctx.getImageData(0, 0, width, height).data, width * height) };
}

/** True on a little-endian machine (every browser in practice), where the word-wise repacking below holds. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * RGB bytes of RGBX/RGBA pixels (the fourth byte dropped). Four pixels at a time as 32-bit words: 16
 * bytes in, 12 out; the same bytes as a byte-by-byte copy, in about a third of the time on large images.
 */
export function rgbxToRgb(rgbx: Uint8Array | Uint8ClampedArray, pixels: number): Uint8Array {
  const data = new Uint8Array(pixels * 3);
  let p = 0;
  if (LITTLE_ENDIAN && rgbx.byteOffset % 4 === 0) {
    const src = new Uint32Array(rgbx.buffer, rgbx.byteOffset, pixels);
    const dst = new Uint32Array(data.buffer, 0, Math.floor(pixels / 4) * 3);
    for (let w = 0; p + 4 <= pixels; p += 4, w += 3) {
      const a = src[p] as number;
      const b = src[p + 1] as number;
      const c = src[p + 2] as number;
      const d = src[p + 3] as number;
      dst[w] = (a & 0xffffff) | (b << 24);
      dst[w + 1] = ((b >>> 8) & 0xffff) | (c << 16);
      dst[w + 2] = ((c >>> 16) & 0xff) | (d << 8);
    }
  }
  for (; p < pixels; p++) {
    data[3 * p] = rgbx[4 * p] as number;
    data[3 * p + 1] = rgbx[4 * p + 1] as number;
    data[3 * p + 2] = rgbx[4 * p + 2] as number;
  }
  return data;
}

/** WebCodecs' `VideoFrame`, the part used here (TypeScript's DOM types may lack the `format` of `copyTo`). */
interface PixelFrame {
  allocationSize(o: { format: 'RGBX' }): number;
  copyTo(dest: Uint8Array, o: { format: 'RGBX' }): Promise<readonly { offset: number; stride: number }[]>;
  close(): void;
}
type PixelFrameClass = new (source: ImageBitmap, init: { timestamp: number }) => PixelFrame;

/**
 * RGB pixels of a decoded bitmap. Copied out through a WebCodecs `VideoFrame` as RGBX where the browser
 * has it (the bitmap's own pixels, without drawing on a canvas and reading it back: a 12-megapixel photo
 * took 150–236 ms instead of 284–294), else through a canvas. Both give the same bytes.
 */
async function bitmapToRgb(bitmap: ImageBitmap): Promise<RgbImage> {
  const { width, height } = bitmap;
  const Frame = (globalThis as { VideoFrame?: PixelFrameClass }).VideoFrame;
  if (Frame !== undefined) {
    let frame: PixelFrame | undefined;
    try {
      frame = new Frame(bitmap, { timestamp: 0 });
      const rgbx = new Uint8Array(frame.allocationSize({ format: 'RGBX' }));
      const [plane] = await frame.copyTo(rgbx, { format: 'RGBX' });
      if (plane?.offset === 0 && plane.stride === width * 4 && rgbx.length === width * height * 4)
        return { width, height, data: rgbxToRgb(rgbx, width * height) };
    } catch {
      // No RGBX copy in this browser: the canvas below.
    } finally {
      frame?.close();
    }
  }
  return imageSourceToRgb(bitmap, width, height);
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

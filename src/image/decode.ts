import sharp, { type Metadata } from 'sharp';
import { ArcFaceError, type RgbImage } from '../core/index.js';
import { resolveDecodeLimits, type DecodeOptions } from './limits.js';
import { readFileBytes } from './read-file.js';
import { looksTruncated, sniffImageFormat } from './truncation.js';

export { looksTruncated } from './truncation.js';

/** Formats accepted by {@link decodeImage} (sharp's names). HEIF/AVIF depend on sharp's build. */
export const SUPPORTED_FORMATS: readonly string[] = Object.freeze(['jpeg', 'png', 'webp', 'gif', 'tiff', 'avif', 'heif']);

/** What the header says, read before any pixel is decoded. */
export interface ImageHeader {
  readonly format: string;
  readonly width: number;
  readonly height: number;
  /** Width and height after EXIF orientation is applied. */
  readonly orientedWidth: number;
  readonly orientedHeight: number;
}

const TRUNCATION_HINTS = /premature end|truncat|unexpected end|not enough data|short read|end of (file|stream|data)|incomplete/i;

/**
 * The format a file's first bytes declare, or undefined: JPEG (FF D8 FF), PNG (89 "PNG" 0D 0A 1A 0A),
 * GIF ("GIF8"), WebP ("RIFF" … "WEBP"), TIFF ("II*\0" / "MM\0*"), and ISO-BMFF ("ftyp" at offset 4:
 * AVIF, HEIF). Everything else (SVG and other XML, PDF, text) is refused before any parser runs.
 *
 * @example
 * sniffFormat(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])) // 'jpeg'
 */
export function sniffFormat(bytes: Uint8Array): string | undefined {
  const format = sniffImageFormat(bytes);
  // sharp reads AVIF through its HEIF loader and has no BMP loader.
  return format === 'bmp' ? undefined : format === 'avif' ? 'heif' : format;
}

/**
 * A decoder failure in our own words; the decoder's message stays in `cause` (for logs), never in
 * the message, which reaches clients.
 */
function classifyDecodeFailure(err: unknown, bytes: Uint8Array): ArcFaceError {
  const byteLength = bytes.length;
  const msg = err instanceof Error ? err.message : String(err);
  if (/unsupported image format/i.test(msg)) {
    return new ArcFaceError(
      'IMAGE_UNSUPPORTED_FORMAT',
      `Expected an image in one of ${SUPPORTED_FORMATS.join(', ')} but received ${byteLength} bytes in none of them`,
      { cause: err },
    );
  }
  if (looksTruncated(bytes) || TRUNCATION_HINTS.test(msg)) {
    return new ArcFaceError('IMAGE_TRUNCATED', `Expected a complete image but the ${byteLength}-byte input ends early`, { cause: err });
  }
  return new ArcFaceError('IMAGE_CORRUPT', `Expected a decodable image but the ${byteLength}-byte input is corrupt`, { cause: err });
}

/**
 * Reads an image header (format and size) without decoding pixels.
 *
 * @example
 * const { width, height } = await readImageHeader(bytes)
 */
export async function readImageHeader(bytes: Uint8Array): Promise<ImageHeader> {
  if (bytes.length === 0) throw new ArcFaceError('IMAGE_EMPTY', 'Expected image bytes but received an empty input (0 bytes)');
  if (sniffFormat(bytes) === undefined) {
    throw new ArcFaceError(
      'IMAGE_UNSUPPORTED_FORMAT',
      `Expected an image in one of ${SUPPORTED_FORMATS.join(', ')} but received ${bytes.length} bytes that start like none of them`,
    );
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw classifyDecodeFailure(err, bytes);
  }
  const format = meta.format ?? 'unknown';
  if (!SUPPORTED_FORMATS.includes(format)) {
    throw new ArcFaceError('IMAGE_UNSUPPORTED_FORMAT', `Expected an image in one of ${SUPPORTED_FORMATS.join(', ')} but received format "${format}"`);
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (width < 1 || height < 1) {
    throw new ArcFaceError('IMAGE_CORRUPT', `Expected positive image dimensions in the ${format} header but received ${width}×${height}`);
  }
  const swap = (meta.orientation ?? 1) >= 5;
  return { format, width, height, orientedWidth: swap ? height : width, orientedHeight: swap ? width : height };
}

/** Background under transparent pixels: white, the page colour a browser composites them over. */
const ALPHA_BACKGROUND = '#ffffff';

/**
 * Decodes image bytes to 8-bit sRGB RGB: EXIF orientation applied; grey, CMYK, palette and 16-bit
 * images converted; an alpha channel is composited over white, as a browser shows the image on a
 * white page (dropping it, as OpenCV's `imread(IMREAD_COLOR)` does, would reveal whatever colours
 * sit under transparent pixels: a fully transparent PNG could match a face); GIF and other
 * multi-page formats give their first frame. The pixel limit is checked from the header first, so a
 * decompression bomb costs nothing.
 *
 * @example
 * const img = await decodeImage(await readFile('face.jpg'))
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<RgbImage> {
  const limits = resolveDecodeLimits(options);
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`Expected a Uint8Array or Buffer of image bytes but received ${typeof bytes}`);
  if (bytes.length > limits.maxBytes) {
    throw new ArcFaceError('IMAGE_TOO_LARGE', `Expected at most ${limits.maxBytes} encoded bytes but received ${bytes.length}`);
  }
  const header = await readImageHeader(bytes);
  const pixels = header.width * header.height;
  if (pixels > limits.maxPixels) {
    throw new ArcFaceError(
      'IMAGE_TOO_LARGE',
      `Expected at most ${limits.maxPixels} pixels but the ${header.format} header declares ${header.width}×${header.height} = ${pixels}`,
      { details: { width: header.width, height: header.height, maxPixels: limits.maxPixels } },
    );
  }
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error', pages: 1, page: 0 })
      .rotate()
      .toColourspace('srgb')
      .flatten({ background: ALPHA_BACKGROUND })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) {
      throw new ArcFaceError('IMAGE_CORRUPT', `Expected 3 colour channels after conversion but received ${info.channels}`);
    }
    return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
  } catch (err) {
    if (err instanceof ArcFaceError) throw err;
    throw classifyDecodeFailure(err, bytes);
  }
}

/**
 * Reads and decodes an image file. A missing file raises `FILE_NOT_FOUND`.
 *
 * @example
 * const img = await decodeImageFile('photos/alice.jpg')
 */
export async function decodeImageFile(path: string, options: DecodeOptions = {}): Promise<RgbImage> {
  return decodeImage(await readImageBytes(path), options);
}

/**
 * Reads a file's bytes with a coded error for a missing path or a directory.
 *
 * @example
 * const bytes = await readImageBytes('alice.jpg')
 */
export async function readImageBytes(path: string): Promise<Uint8Array> {
  return readFileBytes(path, 'an image file');
}

/**
 * Encodes an RGB image as PNG (for crops, annotated images and reports).
 *
 * @example
 * await writeFile('crop.png', await encodePng(crop))
 */
export async function encodePng(img: RgbImage): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .png()
    .toBuffer();
}

/**
 * Encodes an RGB image as JPEG.
 *
 * @example
 * await writeFile('face.jpg', await encodeJpeg(img, 90))
 */
export async function encodeJpeg(img: RgbImage, quality = 90): Promise<Buffer> {
  return sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

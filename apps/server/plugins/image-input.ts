import type { FastifyRequest } from 'fastify';
import { ArcFaceError } from '../../../src/core/index.js';

/** One uploaded image. */
export interface UploadedImage {
  readonly field: string;
  readonly bytes: Uint8Array;
  readonly filename: string | undefined;
}

/** Images and plain fields of one request, whatever its encoding. */
export interface RequestInput {
  readonly images: UploadedImage[];
  readonly fields: Readonly<Record<string, string>>;
}

const DATA_URL = /^data:[\w.+-]+\/[\w.+-]+;base64,/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;

/**
 * Decodes a base64 (or base64url, or `data:` URL) image string.
 *
 * @example
 * const bytes = decodeBase64Image('file', body.file)
 */
export function decodeBase64Image(field: string, value: unknown): Uint8Array {
  if (typeof value !== 'string' || value.length === 0) {
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected base64 image data in "${field}" but received ${value === null ? 'null' : typeof value === 'string' ? 'an empty string' : typeof value}`,
    );
  }
  const raw = value.replace(DATA_URL, '').replace(/\s+/g, '');
  if (!BASE64.test(raw)) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected base64 image data in "${field}" but received ${raw.length} characters that are not base64`);
  }
  const bytes = Buffer.from(raw, raw.includes('-') || raw.includes('_') ? 'base64url' : 'base64');
  if (bytes.length === 0) throw new ArcFaceError('IMAGE_EMPTY', `Expected image bytes in "${field}" but it decodes to 0 bytes`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

/** Most multipart parts, files and text fields per request: two images for verify, a handful for enrolment. */
const MULTIPART_LIMITS = Object.freeze({ files: 16, fields: 32, parts: 64 });

function tooLarge(limit: number): ArcFaceError {
  return new ArcFaceError('PAYLOAD_TOO_LARGE', `Expected a request body of at most ${limit} bytes but received more`);
}

/**
 * A multipart parser failure as a coded error: the limits of @fastify/multipart keep their
 * FST_ codes (mapped by `http-errors.ts`); anything else the parser throws (no boundary, a garbage
 * or truncated body, a malformed part header) is the client's malformed body, never a 500.
 */
function multipartFailure(err: unknown, contentType: string): unknown {
  if (err instanceof ArcFaceError) return err;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('FST_') && code !== 'FST_MP_PREMATURE_CLOSE') return err;
  if (!/;\s*boundary=/i.test(contentType)) {
    return new ArcFaceError(
      'BODY_INVALID',
      'Expected a boundary parameter in the multipart/form-data Content-Type but received none ' +
        '(a client that sets this header by hand drops it; so does the CompreFace SDK given a file path it cannot read)',
      { cause: err },
    );
  }
  return new ArcFaceError('BODY_INVALID', 'Expected a complete multipart/form-data body but it is malformed or ends early', { cause: err });
}

/**
 * Reads images from a request: multipart files (and base64 text fields) named in `imageFields`,
 * a JSON object whose `imageFields` hold base64 strings (a field may hold an array of them), or a
 * raw `image/*` / `application/octet-stream` body, which counts as the first image field. Other
 * multipart text fields come back in `fields`. A multipart body counts against the route's one
 * body limit as a whole (files and fields together; 413 past it, a cut text field included); files
 * in fields not asked for are drained without being kept.
 *
 * @example
 * const { images } = await readInput(request, ['image1', 'image2'])
 */
export async function readInput(request: FastifyRequest, imageFields: readonly string[]): Promise<RequestInput> {
  const images: UploadedImage[] = [];
  const fields: Record<string, string> = {};
  if (request.isMultipart()) {
    const limit = request.routeOptions.bodyLimit ?? Number.MAX_SAFE_INTEGER;
    let used = 0;
    const count = (n: number): void => {
      used += n;
      if (used > limit) throw tooLarge(limit);
    };
    try {
      for await (const part of request.parts({ limits: { ...MULTIPART_LIMITS, fileSize: limit, fieldSize: limit } })) {
        if (part.type === 'file') {
          const keep = imageFields.includes(part.fieldname);
          const chunks: Buffer[] = [];
          for await (const chunk of part.file as AsyncIterable<Buffer>) {
            count(chunk.length);
            if (keep) chunks.push(chunk);
          }
          if (part.file.truncated) throw tooLarge(limit);
          if (keep) {
            const buf = Buffer.concat(chunks);
            images.push({ field: part.fieldname, bytes: new Uint8Array(buf.buffer, buf.byteOffset, buf.length), filename: part.filename || undefined });
          }
        } else if (typeof part.value === 'string') {
          count(Buffer.byteLength(part.value));
          if (part.valueTruncated) throw tooLarge(limit);
          if (imageFields.includes(part.fieldname))
            images.push({ field: part.fieldname, bytes: decodeBase64Image(part.fieldname, part.value), filename: undefined });
          else fields[part.fieldname] = part.value;
        }
      }
    } catch (err) {
      throw multipartFailure(err, String(request.headers['content-type'] ?? ''));
    }
    return { images, fields };
  }
  const body: unknown = request.body;
  if (Buffer.isBuffer(body)) {
    images.push({ field: imageFields[0] ?? 'image', bytes: new Uint8Array(body.buffer, body.byteOffset, body.length), filename: undefined });
    return { images, fields };
  }
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    const obj = body as Record<string, unknown>;
    for (const name of imageFields) {
      const v = obj[name];
      if (v === undefined) continue;
      const list = Array.isArray(v) ? v : [v];
      list.forEach((item, i) => images.push({ field: name, bytes: decodeBase64Image(Array.isArray(v) ? `${name}[${i}]` : name, item), filename: undefined }));
    }
    for (const [k, v] of Object.entries(obj)) if (!imageFields.includes(k) && typeof v === 'string') fields[k] = v;
  }
  return { images, fields };
}

/**
 * The single image of `field`; INVALID_ARGUMENT when it is missing or given twice.
 *
 * @example
 * const bytes = requireImage(input, 'image')
 */
export function requireImage(input: RequestInput, field: string): Uint8Array {
  const found = input.images.filter((i) => i.field === field);
  if (found.length !== 1) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected one image in "${field}" (a multipart file, or base64 in a JSON body) but received ${found.length}`);
  }
  return (found[0] as UploadedImage).bytes;
}

/** Longest file name of an upload quoted back in a message. */
const MAX_SHOWN_FILENAME = 100;

/**
 * The file name a client gave an upload, as messages quote it back: its own words, control
 * characters dropped, cut at 100 characters, in double quotes.
 *
 * @example
 * shownFileName('holiday.mp4') // '"holiday.mp4"'
 */
export function shownFileName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is dropped
  return JSON.stringify(name.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_SHOWN_FILENAME));
}

/**
 * How a message names the image of `field`: the form field, and the file name the client gave its
 * upload ({@link shownFileName}), never a server path.
 *
 * @example
 * uploadName(input, 'image') // 'field "image" (file "photo.png")'
 */
export function uploadName(input: RequestInput, field: string): string {
  const file = input.images.find((i) => i.field === field)?.filename;
  return file === undefined ? `field "${field}"` : `field "${field}" (file ${shownFileName(file)})`;
}

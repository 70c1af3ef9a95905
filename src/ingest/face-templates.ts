import { normCrop } from '../align/index.js';
import { ArcFaceError, asArcFaceError, isArcFaceError, sha256Digest, type Box, type DetectedFace, type RgbImage } from '../core/index.js';
import type { NewTemplate } from '../gallery/index.js';
import { encodeJpeg } from '../image/index.js';
import { chooseEnrolmentFace, type EnrolFaceChoice } from './face-choice.js';

/** JPEG quality of face thumbnails (112×112 aligned crops: 3–4 KB each, clean enough to recognise a person). */
export const THUMBNAIL_QUALITY = 85;

/**
 * The thumbnail of an aligned face crop, as every stored face keeps it (gallery templates, people's
 * faces, sightings): a JPEG at {@link THUMBNAIL_QUALITY}.
 *
 * @example
 * const jpeg = await faceThumbnail(crop112)
 */
export async function faceThumbnail(crop: RgbImage): Promise<Uint8Array> {
  return new Uint8Array(await encodeJpeg(crop, THUMBNAIL_QUALITY));
}

/**
 * A face's size as templates record it: the longer side of its detection box, in pixels.
 *
 * @example
 * boxSide([10, 20, 60, 90]) // 70
 */
export function boxSide(b: Box): number {
  return Math.max(b[2] - b[0], b[3] - b[1]);
}

/**
 * The enrolment template of a chosen, embedded face of a photo: its embedding, the photo's file name
 * and SHA-256 (computed when not given), detection score and size. Every enrolment path makes its
 * templates here.
 *
 * @example
 * const template = faceTemplate({ embedding, box, score }, { bytes, fileName: 'ada.jpg' })
 */
export function faceTemplate(
  face: { readonly embedding: Float32Array; readonly box: Box; readonly score: number },
  img: Omit<IngestImage, 'fileName'> & { readonly fileName?: string },
): NewTemplate {
  return {
    embedding: face.embedding,
    ...(img.fileName === undefined ? {} : { sourceFile: img.fileName }),
    sourceSha256: img.sha256 ?? imageSha256(img.bytes),
    detScore: face.score,
    faceSize: boxSide(face.box),
  };
}

/** What bulk enrolment needs from a recogniser (`FaceRecognizer` satisfies it). */
export interface IngestRecognizer {
  readonly fingerprint: string;
  readonly embeddingSize: number;
  readonly embedder: { readonly inputSize: number };
  detect(input: Uint8Array): Promise<{ image: RgbImage; faces: DetectedFace[] }>;
  /** Embeds aligned crops, in model batches. */
  embedAligned(crops: readonly RgbImage[]): Promise<Float32Array[]>;
}

/** One photo to enrol: its bytes, the file name recorded with the template, and its SHA-256 when known. */
export interface IngestImage {
  readonly bytes: Uint8Array;
  readonly fileName: string;
  readonly sha256?: string;
}

/** A template made from a photo, with the JPEG of its aligned face; or the coded reason there is none. */
export type TemplateOutcome =
  | { readonly ok: true; readonly template: NewTemplate; readonly thumbnail: Uint8Array }
  | { readonly ok: false; readonly error: ArcFaceError };

/**
 * SHA-256 of image bytes as lower-case hex: the identity of a photo for idempotent enrolment.
 *
 * @example
 * imageSha256(await readFile('ada.jpg')) // 'e3b0c442…'
 */
export function imageSha256(bytes: Uint8Array): string {
  if (!(bytes instanceof Uint8Array)) throw new TypeError(`Expected image bytes as a Uint8Array but received ${typeof bytes}`);
  return sha256Digest(bytes);
}

/**
 * Bad input: a failure that no retry can mend (the photo is unreadable, has no face or several, the
 * file changed or vanished, the request is malformed). Model, gallery and unexpected failures are
 * not: they may pass (a busy database, a restarted server), so a queue retries them.
 *
 * @example
 * if (isBadInput(err)) deadLetter(job, err) // else retry with back-off
 */
export function isBadInput(err: unknown): boolean {
  if (!isArcFaceError(err)) return false;
  return (
    err.code.startsWith('IMAGE_') ||
    ['NO_FACE', 'MULTIPLE_FACES', 'FILE_NOT_FOUND', 'SOURCE_CHANGED', 'INVALID_ARGUMENT', 'PAYLOAD_TOO_LARGE'].includes(err.code)
  );
}

/**
 * Makes one enrolment template per photo: each is decoded and searched for faces, the face to enrol
 * chosen by `face` (default `dominant`, see `chooseEnrolmentFace`) and aligned; then every crop is
 * embedded in one call, so the recogniser runs full batches across photos. A photo that is bad input
 * gives `{ok: false, error}` (the others go on); model failures and other errors are thrown.
 *
 * @example
 * const outcomes = await makeFaceTemplates(recognizer, [{ bytes, fileName: 'ada1.jpg' }])
 * if (outcomes[0].ok) await gallery.enroll('ada', [outcomes[0].template], { append: true })
 */
export async function makeFaceTemplates(
  rec: IngestRecognizer,
  images: readonly IngestImage[],
  opts: { face?: EnrolFaceChoice } = {},
): Promise<TemplateOutcome[]> {
  if (!Array.isArray(images)) throw new TypeError(`Expected an array of images but received ${typeof images}`);
  const chosen: ({ crop: RgbImage; box: Box; score: number } | ArcFaceError)[] = [];
  for (const img of images) {
    try {
      const { image, faces } = await rec.detect(img.bytes);
      const face = chooseEnrolmentFace(faces, image.width, image.height, opts.face ?? 'dominant', img.fileName);
      chosen.push({ crop: normCrop(image, face.landmarks, rec.embedder.inputSize).crop, box: face.box, score: face.score });
    } catch (e) {
      const err = asArcFaceError(e);
      if (!isBadInput(err)) throw e;
      chosen.push(err);
    }
  }
  const crops = chosen.flatMap((c) => (c instanceof ArcFaceError ? [] : [c.crop]));
  const embeddings = crops.length === 0 ? [] : await rec.embedAligned(crops);
  const out: TemplateOutcome[] = [];
  let k = 0;
  for (const [i, c] of chosen.entries()) {
    if (c instanceof ArcFaceError) {
      out.push({ ok: false, error: c });
      continue;
    }
    const template = faceTemplate({ embedding: embeddings[k++] as Float32Array, box: c.box, score: c.score }, images[i] as IngestImage);
    out.push({ ok: true, template, thumbnail: await faceThumbnail(c.crop) });
  }
  return out;
}

import { createHash } from 'node:crypto';
import { basename } from 'node:path';
import { ArcFaceError, inImageInput, isArcFaceError, type ErrorCode, type Box } from '../core/index.js';
import { encodeJpeg, readImageBytes } from '../image/index.js';
import { chooseEnrolmentFace, type EnrolFaceChoice, type FaceSelection, type RecognitionResult } from '../pipeline/index.js';
import type { Gallery } from './gallery.js';
import type { IdentifyResult, VerifyResult } from './results.js';
import type { NewTemplate } from './store.js';
import { modelMismatch } from './validate.js';

/** What the image helpers need from a recogniser (`FaceRecognizer` satisfies it). */
export interface GalleryRecognizer {
  readonly fingerprint: string;
  readonly embeddingSize: number;
  recognize(input: Uint8Array, opts?: { select?: FaceSelection; includeCrops?: boolean }): Promise<RecognitionResult>;
}

/** JPEG quality of template thumbnails (112×112 aligned crops: a few KB each). */
export const THUMBNAIL_QUALITY = 85;

/** An image given as a file path or as encoded bytes with an optional file name. */
export type GalleryImage = string | { readonly bytes: Uint8Array; readonly fileName?: string };

/** An image enrolment skipped, with why. */
export interface SkippedImage {
  readonly fileName: string;
  readonly code: ErrorCode;
  readonly message: string;
}

function checkModel(gallery: Gallery, rec: GalleryRecognizer): void {
  if (rec.fingerprint !== gallery.fingerprint) {
    throw modelMismatch('the gallery', gallery.fingerprint, rec.fingerprint);
  }
  if (rec.embeddingSize !== gallery.embeddingSize) {
    throw new ArcFaceError('EMBEDDING_SIZE_MISMATCH', `Expected a recogniser of ${gallery.embeddingSize}-d embeddings but received ${rec.embeddingSize}-d`);
  }
}

async function load(image: GalleryImage): Promise<{ bytes: Uint8Array; fileName: string }> {
  if (typeof image === 'string') return { bytes: await readImageBytes(image), fileName: basename(image) };
  if (typeof image !== 'object' || image === null || !(image.bytes instanceof Uint8Array)) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected an image path or { bytes: Uint8Array } but received ${image === null ? 'null' : typeof image}`);
  }
  return { bytes: image.bytes, fileName: image.fileName ?? 'image' };
}

/**
 * Enrols one face of each image under `id` (one transaction for all). Images are known by content:
 * one whose photo (SHA-256 of its bytes) the identity holds already adds nothing and is listed in
 * `known`, so repeating an enrolment, with or without `append`, changes nothing. By default the clearly
 * dominant face (see `chooseEnrolmentFace`), or the face `opts.face` names (`largest`, `central`, a
 * box). Images without a face, with several comparable faces (`MULTIPLE_FACES`) or that fail to
 * decode are skipped and reported; when none yields a face, `MULTIPLE_FACES` if every image was
 * skipped for that, else `NO_FACE`.
 *
 * @example
 * const { templateIds, skipped } = await enrollImages(gallery, recognizer, 'ada', ['ada1.jpg', 'ada2.jpg'], { name: 'Ada' })
 */
export async function enrollImages(
  gallery: Gallery, recognizer: GalleryRecognizer, id: string, images: readonly GalleryImage[],
  opts: { name?: string; metadata?: Record<string, unknown>; append?: boolean; face?: EnrolFaceChoice } = {},
): Promise<{ id: string; templateIds: number[]; known: HeldImage[]; skipped: SkippedImage[] }> {
  checkModel(gallery, recognizer);
  const templates: NewTemplate[] = [];
  const names: string[] = [];
  const thumbnails: (Uint8Array | undefined)[] = [];
  const skipped: SkippedImage[] = [];
  for (const image of images) {
    const { bytes, fileName } = await load(image);
    try {
      const found = await recognizer.recognize(bytes, { select: 'all', includeCrops: true });
      const face = chooseEnrolmentFace(found.faces, found.width, found.height, opts.face ?? 'dominant', fileName);
      thumbnails.push(face.crop === undefined ? undefined : new Uint8Array(await encodeJpeg(face.crop, THUMBNAIL_QUALITY)));
      names.push(fileName);
      templates.push({
        embedding: face.embedding, sourceFile: fileName, sourceSha256: createHash('sha256').update(bytes).digest('hex'),
        detScore: face.score, faceSize: boxSide(face.box),
      });
    } catch (e) {
      if (!isArcFaceError(e) || e.code.startsWith('MODEL_')) throw e;
      skipped.push({ fileName, code: e.code, message: e.message });
    }
  }
  if (templates.length === 0 && skipped.length > 0 && skipped.every((k) => k.code === 'MULTIPLE_FACES')) {
    throw new ArcFaceError(
      'MULTIPLE_FACES',
      `Expected one clearly dominant face in at least one of ${images.length} image(s) for "${id}" but each holds several comparable faces: ${skipped[0]?.message}`,
      { details: { skipped } },
    );
  }
  if (templates.length === 0) {
    throw new ArcFaceError('NO_FACE', `Expected a face in at least one of ${images.length} image(s) for "${id}" but found none`, { details: { skipped } });
  }
  const { face: _face, ...enrollOpts } = opts;
  const out = await gallery.enroll(id, templates, { ...enrollOpts, skipHeldSources: true });
  const jpegs = out.results.flatMap((r, i) => {
    const jpeg = thumbnails[i];
    return jpeg === undefined || r.known || r.templateId === null ? [] : [{ templateId: r.templateId, jpeg }];
  });
  if (jpegs.length > 0) await gallery.putThumbnails(jpegs);
  const known = out.results.flatMap((r, i) => (r.known ? [{ fileName: names[i] as string, templateId: r.templateId }] : []));
  return { id: out.id, templateIds: out.templateIds, known, skipped };
}

/** An image whose photo the identity held already: nothing was enrolled for it. */
export interface HeldImage {
  readonly fileName: string;
  /** The template that holds the photo (null: removed meanwhile). */
  readonly templateId: number | null;
}

/** One face of an identified image. */
export interface IdentifiedFace extends IdentifyResult {
  readonly box: Box;
  readonly detScore: number;
}

/**
 * Identifies every face of an image; an image without faces gives an empty list.
 *
 * @example
 * const faces = await identifyImage(gallery, recognizer, 'crowd.jpg', { topK: 3 })
 */
export async function identifyImage(
  gallery: Gallery, recognizer: GalleryRecognizer, image: GalleryImage, opts: { topK?: number; threshold?: number; fpir?: number } = {},
): Promise<IdentifiedFace[]> {
  checkModel(gallery, recognizer);
  const { bytes } = await load(image);
  const { faces } = await recognizer.recognize(bytes, { select: 'all' });
  const out: IdentifiedFace[] = [];
  for (const f of faces) out.push({ box: f.box, detScore: f.score, ...(await gallery.identify(f.embedding, opts)) });
  return out;
}

/**
 * Verifies the largest face of an image against one identity; `NO_FACE` when there is none.
 *
 * @example
 * const { match, score } = await verifyImage(gallery, recognizer, 'door.jpg', 'ada')
 */
export async function verifyImage(
  gallery: Gallery, recognizer: GalleryRecognizer, image: GalleryImage, id: string, opts: { threshold?: number } = {},
): Promise<VerifyResult & { box: Box; facesFound: number; faceIndex: number }> {
  checkModel(gallery, recognizer);
  const { bytes, fileName } = await load(image);
  const result = await recognizer.recognize(bytes, { select: 'largest' }).catch((err: unknown) => {
    throw inImageInput(err, fileName);
  });
  const face = result.faces[0];
  if (face === undefined) throw new ArcFaceError('NO_FACE', `Expected a face in ${fileName} but none was found`);
  const which = { facesFound: result.facesFound ?? result.faces.length, faceIndex: face.faceIndex ?? 0 };
  return { ...(await gallery.verify(face.embedding, id, opts)), box: face.box, ...which };
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

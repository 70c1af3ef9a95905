import { basename } from 'node:path';
import { ArcFaceError, inImageInput, type Box } from '../core/index.js';
import { readImageBytes } from '../image/index.js';
import type { FaceSelection, RecognitionResult } from '../pipeline/index.js';
import type { Gallery } from './gallery.js';
import type { IdentifyResult, VerifyResult } from './results.js';
import { modelMismatch } from './validate.js';

/** What the image helpers need from a recogniser (`FaceRecognizer` satisfies it). */
export interface GalleryRecognizer {
  readonly fingerprint: string;
  readonly embeddingSize: number;
  recognize(input: Uint8Array, opts?: { select?: FaceSelection; includeCrops?: boolean }): Promise<RecognitionResult>;
}

/** An image given as a file path or as encoded bytes with an optional file name. */
export type GalleryImage = string | { readonly bytes: Uint8Array; readonly fileName?: string };

/**
 * Checks a recogniser makes the gallery's embeddings: `MODEL_MISMATCH` or `EMBEDDING_SIZE_MISMATCH`.
 *
 * @example
 * assertGalleryModel(gallery, recognizer)
 */
export function assertGalleryModel(gallery: Gallery, rec: { readonly fingerprint: string; readonly embeddingSize: number }): void {
  if (rec.fingerprint !== gallery.fingerprint) {
    throw modelMismatch('the gallery', gallery.fingerprint, rec.fingerprint);
  }
  if (rec.embeddingSize !== gallery.embeddingSize) {
    throw new ArcFaceError('EMBEDDING_SIZE_MISMATCH', `Expected a recogniser of ${gallery.embeddingSize}-d embeddings but received ${rec.embeddingSize}-d`);
  }
}

/**
 * The bytes and file name of a gallery image given as a path or as bytes.
 *
 * @example
 * const { bytes, fileName } = await readGalleryImage('ada.jpg')
 */
export async function readGalleryImage(image: GalleryImage): Promise<{ bytes: Uint8Array; fileName: string }> {
  if (typeof image === 'string') return { bytes: await readImageBytes(image), fileName: basename(image) };
  if (typeof image !== 'object' || image === null || !(image.bytes instanceof Uint8Array)) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected an image path or { bytes: Uint8Array } but received ${image === null ? 'null' : typeof image}`);
  }
  return { bytes: image.bytes, fileName: image.fileName ?? 'image' };
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
  gallery: Gallery,
  recognizer: GalleryRecognizer,
  image: GalleryImage,
  opts: { topK?: number; threshold?: number; fpir?: number } = {},
): Promise<IdentifiedFace[]> {
  assertGalleryModel(gallery, recognizer);
  const { bytes } = await readGalleryImage(image);
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
  gallery: Gallery,
  recognizer: GalleryRecognizer,
  image: GalleryImage,
  id: string,
  opts: { threshold?: number } = {},
): Promise<VerifyResult & { box: Box; facesFound: number; faceIndex: number }> {
  assertGalleryModel(gallery, recognizer);
  const { bytes, fileName } = await readGalleryImage(image);
  const result = await recognizer.recognize(bytes, { select: 'largest' }).catch((err: unknown) => {
    throw inImageInput(err, fileName);
  });
  const face = result.faces[0];
  if (face === undefined) throw new ArcFaceError('NO_FACE', `Expected a face in ${fileName} but none was found`);
  const which = { facesFound: result.facesFound ?? result.faces.length, faceIndex: face.faceIndex ?? 0 };
  return { ...(await gallery.verify(face.embedding, id, opts)), box: face.box, ...which };
}

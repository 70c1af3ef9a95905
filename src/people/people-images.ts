/**
 * Feeds people discovery from image files: every face of each photo is detected, embedded, checked
 * against the quality limits (refused faces are reported with their reason) and added to
 * {@link People} with a JPEG thumbnail of its aligned crop.
 */
import { readFile } from 'node:fs/promises';
import { ArcFaceError, isArcFaceError } from '../core/index.js';
import { encodeJpeg } from '../image/index.js';
import type { RecognitionResult } from '../pipeline/index.js';
import { faceQuality, qualityRejection, type QualityLimits } from '../quality/index.js';
import type { AddedFace, People } from './people.js';

/** What the helper needs from a recogniser (`FaceRecognizer` satisfies it). */
export interface PeopleRecognizer {
  readonly fingerprint: string;
  recognize(input: Uint8Array, opts: { select: 'all'; includeCrops: true }): Promise<RecognitionResult>;
}

/** A face or image left out, and why. */
export interface SkippedFace {
  readonly file: string;
  /** A quality rejection reason, `NO_FACE`, or the error code of an unreadable image. */
  readonly reason: string;
  readonly message: string;
}

/** Progress after each image. */
export interface ClusterProgress {
  readonly done: number;
  readonly total: number;
  readonly faces: number;
}

/** Result of {@link addImages}. */
export interface AddedImages {
  readonly images: readonly { readonly file: string; readonly faces: readonly AddedFace[] }[];
  readonly skipped: readonly SkippedFace[];
}

/** JPEG quality of stored thumbnails (112×112 crops: about 3–4 KB each). */
const THUMBNAIL_QUALITY = 85;

/**
 * Adds every face of each image file to `people`, incrementally.
 *
 * @example
 * const { images, skipped } = await addImages(people, recognizer, ['a.jpg', 'b.jpg'])
 */
export async function addImages(
  people: People, recognizer: PeopleRecognizer, files: readonly string[],
  opts: { limits?: Partial<QualityLimits>; onProgress?: (p: ClusterProgress) => void } = {},
): Promise<AddedImages> {
  if (recognizer.fingerprint !== people.gallery.fingerprint) {
    throw new ArcFaceError('MODEL_MISMATCH', `Expected a recogniser with fingerprint ${people.gallery.fingerprint} (the gallery's model) but received ${recognizer.fingerprint}`);
  }
  const images: { file: string; faces: AddedFace[] }[] = [];
  const skipped: SkippedFace[] = [];
  let faces = 0;
  for (const [i, file] of files.entries()) {
    let result: RecognitionResult;
    try {
      const bytes = await readFile(file).catch((cause: unknown) => {
        throw new ArcFaceError('FILE_NOT_FOUND', `Expected an image file at ${file} but it cannot be read`, { cause });
      });
      result = await recognizer.recognize(new Uint8Array(bytes), { select: 'all', includeCrops: true });
    } catch (e) {
      if (!isArcFaceError(e) || e.code.startsWith('MODEL_')) throw e;
      skipped.push({ file, reason: e.code, message: e.message });
      opts.onProgress?.({ done: i + 1, total: files.length, faces });
      continue;
    }
    const kept = [];
    for (const f of result.faces) {
      const rejection = qualityRejection(faceQuality(f, f.crop), opts.limits);
      if (rejection !== undefined) {
        skipped.push({ file, reason: rejection.reason, message: rejection.message });
        continue;
      }
      const thumbnail = f.crop === undefined ? undefined : new Uint8Array(await encodeJpeg(f.crop, THUMBNAIL_QUALITY));
      kept.push({ box: f.box, detScore: f.score, embedding: f.embedding, thumbnail });
    }
    if (result.faces.length === 0) skipped.push({ file, reason: 'NO_FACE', message: `Expected a face in ${file} but none was found` });
    if (kept.length > 0) {
      images.push({ file, faces: await people.addPhoto(file, kept) });
      faces += kept.length;
    }
    opts.onProgress?.({ done: i + 1, total: files.length, faces });
  }
  return { images, skipped };
}

/**
 * Feeds people discovery from image files: every face of each photo is detected, embedded, checked
 * against the quality limits (refused faces are reported with their photo, box and reason) and
 * added to {@link People} with a JPEG thumbnail of its aligned crop. Photos are known by the
 * SHA-256 of their bytes: one seen before (at this path or another) is not read by the recogniser
 * again and is reported as known.
 */
import { readFile, stat } from 'node:fs/promises';
import { ArcFaceError, isArcFaceError, sha256Digest, type Box } from '../core/index.js';
import { faceThumbnail } from '../ingest/index.js';
import type { RecognitionResult } from '../pipeline/index.js';
import { faceQuality, qualityRejection, type QualityLimits } from '../quality/index.js';
import type { AddedFace, People } from './people.js';

/** What the helper needs from a recogniser (`FaceRecognizer` satisfies it). */
export interface PeopleRecognizer {
  readonly fingerprint: string;
  recognize(input: Uint8Array, opts: { select: 'all'; includeCrops: true }): Promise<RecognitionResult>;
}

/** A face or a whole photo left out, and why. */
export interface SkippedFace {
  readonly file: string;
  /** A quality rejection reason, `NO_FACE`, or the error code of an unreadable image. */
  readonly reason: string;
  readonly message: string;
  /** The face left out; absent when the whole photo was (unreadable, no face). */
  readonly box?: Box;
  /** For a face left out: whether the photo's main (largest) face was kept, so the photo was not dropped. */
  readonly mainFaceKept?: boolean;
}

/** A photo known before this run (by its content), with where it was seen before when that differs. */
export interface KnownImage {
  readonly file: string;
  readonly sha256: string;
  /** Faces the photo gave when it was first added. */
  readonly faces: number;
  /** Its earlier path when the file was moved or renamed since. */
  readonly movedFrom?: string;
}

/** Progress after each image. */
export interface ClusterProgress {
  readonly done: number;
  readonly total: number;
  readonly faces: number;
}

/** Result of {@link addImages}. */
export interface AddedImages {
  /** Photos added now, with where each face went. */
  readonly images: readonly { readonly file: string; readonly faces: readonly AddedFace[] }[];
  /** Photos known already: nothing was added for them. */
  readonly known: readonly KnownImage[];
  readonly skipped: readonly SkippedFace[];
}

const area = (b: Box): number => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);

/**
 * Adds every face of each image file to `people`, incrementally.
 *
 * @example
 * const { images, skipped } = await addImages(people, recognizer, ['a.jpg', 'b.jpg'])
 */
export async function addImages(
  people: People,
  recognizer: PeopleRecognizer,
  files: readonly string[],
  opts: { limits?: Partial<QualityLimits>; onProgress?: (p: ClusterProgress) => void } = {},
): Promise<AddedImages> {
  if (recognizer.fingerprint !== people.gallery.fingerprint) {
    throw new ArcFaceError(
      'MODEL_MISMATCH',
      `Expected a recogniser with fingerprint ${people.gallery.fingerprint} (the gallery's model) but received ${recognizer.fingerprint}`,
    );
  }
  const images: { file: string; faces: AddedFace[] }[] = [];
  const known: KnownImage[] = [];
  const skipped: SkippedFace[] = [];
  let faces = 0;
  for (const [i, file] of files.entries()) {
    let result: RecognitionResult;
    let source: { sha256: string; size: number; mtimeMs: number };
    try {
      const [bytes, st] = await Promise.all([readFile(file), stat(file)]).catch((cause: unknown) => {
        throw new ArcFaceError('FILE_NOT_FOUND', `Expected an image file at ${file} but it cannot be read`, { cause });
      });
      source = { sha256: sha256Digest(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)), size: st.size, mtimeMs: st.mtimeMs };
      const held = await people.knownPhoto(source.sha256);
      if (held !== null) {
        if (held.path !== file || held.size !== source.size || held.mtimeMs !== source.mtimeMs) await people.seePhoto(source.sha256, file, source);
        known.push({ file, sha256: source.sha256, faces: held.faces, ...(held.path === file ? {} : { movedFrom: held.path }) });
        opts.onProgress?.({ done: i + 1, total: files.length, faces });
        continue;
      }
      result = await recognizer.recognize(new Uint8Array(bytes), { select: 'all', includeCrops: true });
    } catch (e) {
      if (!isArcFaceError(e) || e.code.startsWith('MODEL_')) throw e;
      skipped.push({ file, reason: e.code, message: e.message });
      opts.onProgress?.({ done: i + 1, total: files.length, faces });
      continue;
    }
    const kept = [];
    const refused: SkippedFace[] = [];
    const main = result.faces.reduce<Box | undefined>((m, f) => (m === undefined || area(f.box) > area(m) ? f.box : m), undefined);
    let mainKept = false;
    for (const f of result.faces) {
      const rejection = qualityRejection(faceQuality(f, f.crop), opts.limits);
      if (rejection !== undefined) {
        refused.push({ file, reason: rejection.reason, message: rejection.message, box: f.box });
        continue;
      }
      if (f.box === main) mainKept = true;
      const thumbnail = f.crop === undefined ? undefined : await faceThumbnail(f.crop);
      kept.push({ box: f.box, detScore: f.score, embedding: f.embedding, thumbnail });
    }
    for (const r of refused) skipped.push({ ...r, mainFaceKept: mainKept });
    if (result.faces.length === 0) skipped.push({ file, reason: 'NO_FACE', message: `Expected a face in ${file} but none was found` });
    // Recorded even without a face kept, so a re-run does not read the photo again.
    const added = await people.addPhoto(file, kept, source);
    if (added.some((a) => a.known)) known.push({ file, sha256: source.sha256, faces: added.length });
    else if (kept.length > 0) {
      images.push({ file, faces: added });
      faces += kept.length;
    }
    opts.onProgress?.({ done: i + 1, total: files.length, faces });
  }
  return { images, known, skipped };
}

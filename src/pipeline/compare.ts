import { ArcFaceError, type Box, type Landmarks5, type RgbImage, assertNumber, assertOneOf, dot, inImageInput } from '../core/index.js';
import type { FaceSelection, RecognitionResult } from './types.js';

/** Which face of a photo a 1:1 comparison uses. */
export type CompareSelection = Exclude<FaceSelection, 'all'>;

/**
 * The face compared when a photo holds several: the largest, everywhere (CLI `compare`, library
 * `compare`, `/v1/verify`, the web page). The largest face is the subject of a portrait or an ID
 * photo, which is what 1:1 verification is for; it is also the face enrolment keeps, so a photo
 * compares the way it would enrol. CompreFace's verification and face-api.js's `detectSingleFace`
 * likewise return one face per image rather than a position-based one; `central` remains a choice
 * for group photos cropped around their subject.
 */
export const DEFAULT_COMPARE_SELECTION: CompareSelection = 'largest';

/** Options of {@link compareImages}. */
export interface CompareOptions {
  /** `largest` (default) or `central`. */
  readonly select?: CompareSelection;
  /** Cosine at or above which the faces are the same person; default the recogniser's calibrated one. */
  readonly threshold?: number;
}

/** One side of a comparison: the face used and how many the photo held. */
export interface ComparedFace {
  readonly box: Box;
  readonly score: number;
  readonly landmarks: Landmarks5;
  /** Faces the detector found in the photo. */
  readonly facesFound: number;
  /** Position of the compared face among them (detector order, 0-based). */
  readonly faceIndex: number;
}

/** Result of a 1:1 comparison. */
export interface CompareResult {
  /** Cosine similarity of the two unit embeddings, −1..1. */
  readonly similarity: number;
  readonly same: boolean;
  readonly threshold: number;
  readonly select: CompareSelection;
  readonly faces: readonly [ComparedFace, ComparedFace];
}

/** What {@link compareImages} needs of a recogniser (a `FaceRecognizer`). */
export interface CompareRecognizer {
  readonly threshold: number | undefined;
  recognize(input: Uint8Array | RgbImage, options: { select: CompareSelection }): Promise<RecognitionResult>;
}

/** A photo to compare: its bytes or a decoded image, and a name for messages (its file name, when it has one). */
export interface CompareInput {
  readonly image: Uint8Array | RgbImage;
  readonly name?: string;
  /** How messages name the photo, in full (default "the first image (name)"); the server names form fields. */
  readonly label?: string;
}

/**
 * Compares the selected face of two photos. An unreadable image (`IMAGE_*`) and `NO_FACE` say which
 * photo: "the first image (a.jpg)", or "the second image" without a name; a recogniser without a
 * calibrated threshold needs `threshold`.
 *
 * @example
 * const r = await compareImages(fr, { image: bytesA, name: 'a.jpg' }, { image: bytesB, name: 'b.jpg' })
 * r.same // true
 */
export async function compareImages(rec: CompareRecognizer, a: CompareInput, b: CompareInput, options: CompareOptions = {}): Promise<CompareResult> {
  const select = assertOneOf('select', options.select ?? DEFAULT_COMPARE_SELECTION, ['largest', 'central'] as const);
  const threshold = options.threshold === undefined ? rec.threshold : assertNumber('threshold', options.threshold, -1, 1);
  if (threshold === undefined) {
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      'Expected a threshold: this recogniser has no calibrated one (calibrate with `arcface eval lfw` + `arcface calibrate`)',
    );
  }
  const sides = [];
  for (const [i, input] of [a, b].entries()) {
    const which = input.label ?? `the ${i === 0 ? 'first' : 'second'} image${input.name === undefined ? '' : ` (${input.name})`}`;
    const r = await rec.recognize(input.image, { select }).catch((err: unknown) => {
      throw inImageInput(err, which);
    });
    const face = r.faces[0];
    if (face === undefined) throw new ArcFaceError('NO_FACE', `Expected a face in ${which} but the detector found none`);
    sides.push({
      face,
      side: { box: face.box, score: face.score, landmarks: face.landmarks, facesFound: r.facesFound ?? r.faces.length, faceIndex: face.faceIndex ?? 0 },
    });
  }
  const [x, y] = sides as [(typeof sides)[number], (typeof sides)[number]];
  const similarity = dot(x.face.embedding, y.face.embedding);
  return { similarity, same: similarity >= threshold, threshold, select, faces: [x.side, y.side] };
}

/**
 * What evaluation needs from a recogniser, and the fallback for images where no face is found.
 *
 * Evaluation protocols count every pair, so an image without a detected face cannot simply be
 * dropped. Like InsightFace's LFW packing (which crops a fixed central region when its detector
 * fails), we embed a fixed central face: the ArcFace 112×112 template is placed on a square of side
 * {@link FALLBACK_FACE_FRACTION} × min(width, height) centred at (0.5, {@link FALLBACK_CENTRE_Y}) of
 * the image, and the image is aligned to it.
 */
import { arcfaceTemplate, normCrop } from '../align/index.js';
import type { Landmarks5, RgbImage } from '../core/index.js';
import { decodeImage } from '../image/index.js';
import type { FaceSelection, RecognitionResult } from '../pipeline/index.js';

/**
 * The part of `FaceRecognizer` that evaluation uses (the facade satisfies it structurally).
 */
export interface EvalRecognizer {
  /** Identifies detector + recogniser + options; part of the embedding cache key. */
  readonly fingerprint: string;
  readonly embeddingSize: number;
  recognize(input: Uint8Array | RgbImage, options: { select: FaceSelection }): Promise<RecognitionResult>;
  embedAligned(crops: readonly RgbImage[]): Promise<Float32Array[]>;
}

/**
 * Side of the fallback face square as a fraction of the shorter image side. It is the median
 * ratio (side of the square the 112 template maps to / image side) of faces that yunet-n finds in
 * LFW, measured with `npx tsx scripts/lfw-eval.ts --measure-fallback` on the first image of 400
 * people (first image of each, names sorted): 0.512 in 250×250 deep-funneled LFW, 0.514 in the
 * 150×150 originals (0.516 / 0.518 on another 400-people sample); 0.52 rounds these. LFW images are centred
 * on the face by construction (Viola-Jones crops), so a fixed central square is a sound guess.
 */
export const FALLBACK_FACE_FRACTION = 0.52;

/** Vertical centre of the fallback square as a fraction of the height (median 0.469 in both variants, same measurement). */
export const FALLBACK_CENTRE_Y = 0.47;

/** Names the fallback method in reports and in the cache key (change it when the method changes). */
export const FALLBACK_METHOD = 'central-square-0.52-y0.47';

/**
 * Landmarks of the fixed central face of a `width`×`height` image.
 *
 * @example
 * centralFallbackLandmarks(250, 250)
 */
export function centralFallbackLandmarks(width: number, height: number, fraction = FALLBACK_FACE_FRACTION): Landmarks5 {
  const side = fraction * Math.min(width, height);
  const x0 = width / 2 - side / 2;
  const y0 = height * FALLBACK_CENTRE_Y - side / 2;
  return arcfaceTemplate(112).map(([x, y]) => [x0 + (x / 112) * side, y0 + (y / 112) * side] as const) as unknown as Landmarks5;
}

/** One embedded image. */
export interface ImageEmbedding {
  readonly embedding: Float32Array;
  /** True when no face was found and the central fallback was embedded. */
  readonly fallback: boolean;
  /** Milliseconds spent in the recogniser: `recognize` plus, for a fallback, decode + align + embed. */
  readonly recognizerMs: number;
}

/**
 * Embeds the central face of an image (encoded bytes or decoded pixels), falling back to the fixed
 * central face when none is found.
 *
 * @example
 * const { embedding, fallback } = await embedCentralFace(recognizer, bytes)
 */
export async function embedCentralFace(recognizer: EvalRecognizer, input: Uint8Array | RgbImage): Promise<ImageEmbedding> {
  const t0 = performance.now();
  const result = await recognizer.recognize(input, { select: 'central' });
  const face = result.faces[0];
  if (face !== undefined) return { embedding: face.embedding, fallback: false, recognizerMs: performance.now() - t0 };
  const image = input instanceof Uint8Array ? await decodeImage(input) : input;
  const { crop } = normCrop(image, centralFallbackLandmarks(image.width, image.height));
  const [embedding] = await recognizer.embedAligned([crop]);
  if (embedding === undefined) throw new RangeError('Expected one embedding from embedAligned but received none');
  return { embedding, fallback: true, recognizerMs: performance.now() - t0 };
}

/**
 * Squared L2 distance of two unit embeddings (InsightFace's LFW distance), accumulated in float64.
 *
 * @example
 * squaredL2(a, b) // 2 - 2·cos(a, b) for unit vectors
 */
export function squaredL2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`Expected embeddings of equal length but received ${a.length} and ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (a[i] as number) - (b[i] as number);
    s += d * d;
  }
  return s;
}

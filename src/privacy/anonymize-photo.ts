/**
 * One photo anonymised: faces found (at a low score floor), named against a gallery when the mode asks,
 * then covered. No I/O and no Node.js module: the browser bundle runs the same code.
 */
import { normCrop } from '../align/index.js';
import { assertRgbImage, type DetectedFace, type RgbImage } from '../core/index.js';
import type { StreamGallery, StreamRecognizer } from '../stream/index.js';
import { coverRegions, padBox, type CoverRect } from './cover.js';
import { resolveAnonymizePolicy, type AnonymizedImage, type AnonymizePolicy, type KeptFace } from './policy.js';

/** Options of {@link anonymizePhoto}: the policy plus the models and, for `keep` and `only`, a gallery. */
export interface AnonymizePhotoOptions extends Partial<AnonymizePolicy> {
  /** Detector and recogniser (a `FaceRecognizer`); the caller owns it. */
  readonly recognizer: StreamRecognizer;
  /** Identities to name faces with; required by modes `keep` and `only`. */
  readonly gallery?: StreamGallery;
  /** Cosine for a known identity. Default: the gallery's identification threshold. */
  readonly threshold?: number;
}

/** A named face: its best identity at the threshold (or null) and the cosine to its best candidate. */
interface Naming {
  readonly identity: string | null;
  readonly score: number;
}

/**
 * Checks the options of the photo and video anonymisers: the policy, and a gallery when the mode names people.
 *
 * @example
 * const policy = checkAnonymizeOptions({ recognizer, mode: 'all' })
 */
export function checkAnonymizeOptions(options: AnonymizePhotoOptions): AnonymizePolicy {
  if (typeof options !== 'object' || options === null || typeof options.recognizer !== 'object' || options.recognizer === null) {
    throw new TypeError(`Expected options with a recognizer but received ${String(options)}`);
  }
  const policy = resolveAnonymizePolicy(options);
  if (policy.mode !== 'all' && options.gallery === undefined) {
    throw new TypeError(`Expected a gallery to name faces with in mode "${policy.mode}" but received none`);
  }
  return policy;
}

/**
 * Covers the faces of one photo. Mode `all` covers every face the detector finds at `coverScore`;
 * `keep` leaves visible only a face the gallery names, on its own, as one of `ids` at the threshold;
 * `only` covers only faces so named. Each covered box is grown by `pad`.
 *
 * @example
 * const { image, covered, kept } = await anonymizePhoto(photo, { recognizer, mode: 'all', style: 'pixelate' })
 */
export async function anonymizePhoto(image: RgbImage, options: AnonymizePhotoOptions): Promise<AnonymizedImage> {
  assertRgbImage('image', image);
  const policy = checkAnonymizeOptions(options);
  const faces = await options.recognizer.detector.detect(image, { scoreThreshold: policy.coverScore });
  const names = policy.mode === 'all' ? faces.map(() => ({ identity: null, score: 0 })) : await nameFaces(image, faces, options);
  const listed = new Set(policy.ids);
  const covered: CoverRect[] = [];
  const kept: KeptFace[] = [];
  faces.forEach((face, i) => {
    const name = names[i] as Naming;
    const isListed = name.identity !== null && listed.has(name.identity);
    const cover = policy.mode === 'all' || (policy.mode === 'keep' ? !isListed : isListed);
    if (!cover) {
      kept.push({ identity: name.identity, score: name.score, reason: policy.mode === 'keep' ? 'consented' : 'not-listed' });
      return;
    }
    const rect = padBox(face.box, policy.pad, image.width, image.height);
    if (rect !== undefined) covered.push(rect);
  });
  return { image: coverRegions(image, covered, policy.style), covered, kept };
}

async function nameFaces(image: RgbImage, faces: readonly DetectedFace[], options: AnonymizePhotoOptions): Promise<Naming[]> {
  const gallery = options.gallery as StreamGallery;
  if (faces.length === 0) return [];
  const size = options.recognizer.embedder.inputSize;
  const { embeddings } = await options.recognizer.embedder.embedWithNorms(faces.map((f) => normCrop(image, f.landmarks, size).crop));
  const out: Naming[] = [];
  for (const e of embeddings) {
    const r = await gallery.identify(e, { topK: 1, ...(options.threshold === undefined ? {} : { threshold: options.threshold }) });
    const top = r.candidates[0];
    out.push({ identity: top !== undefined && top.score >= r.threshold ? top.id : null, score: top === undefined ? 0 : Math.round(top.score * 1e6) / 1e6 });
  }
  return out;
}

/**
 * Who is covered: every face, every face but the consenting identities, or only the listed ones; the
 * options shared by photos and videos, validated once.
 */
import { ArcFaceError, assertInteger, assertNumber, assertOneOf, type RgbImage } from '../core/index.js';
import { COVER_STYLES, type CoverStyle } from './cover.js';

/** `all`: every face; `keep`: every face but those confidently named as one of `ids`; `only`: only faces named as one of `ids`. */
export type AnonymizeMode = 'all' | 'keep' | 'only';

/** The modes, for validation and help texts. */
export const ANONYMIZE_MODES: readonly AnonymizeMode[] = Object.freeze(['all', 'keep', 'only'] as const);

/** Options of the anonymiser, photos and videos alike. */
export interface AnonymizePolicy {
  readonly mode: AnonymizeMode;
  /** Identities kept visible (`keep`) or covered (`only`); empty for `all`. */
  readonly ids: readonly string[];
  readonly style: CoverStyle;
  /** The box grown by this share of its width and height on each side before covering. */
  readonly pad: number;
  /** Detector score floor for a face to cover: lower than a still-image threshold, since a missed face is the costly error. */
  readonly coverScore: number;
  /** Video: frames held back so a face found late is covered in the frames before (look-ahead). */
  readonly lookAhead: number;
  /** Video: frames a face's last cover is kept after the face is no longer found or tracked. */
  readonly hold: number;
  /** Video: extra padding per frame a box is predicted rather than detected (the prediction drifts). */
  readonly predictedPadPerFrame: number;
}

/**
 * Defaults. `pad` 0.35: detector boxes stop at the brows and the chin, and a partly hidden face gets
 * a box of its visible part only. Measured on the synthetic 640×360 clip of 4 LFW people, seed 2
 * (`npm run bench -- anonymize`), frames leaving a true face more than 10 % bare: 27 of 250 at pad
 * 0.25, 3 at 0.3, 0 at 0.35 (covers then take 37 % of the frame, against 33 % at 0.3). `coverScore` 0.3, the tracker's low-score floor
 * (`TRACKER_DEFAULTS.lowScore`): ByteTrack keeps those weak detections as real faces. `lookAhead` and
 * `hold` 5 frames (0.2 s at 25 fps): the tracker confirms a track after 3 hits, and the detector's misses
 * on the synthetic clips come in runs of at most 3 frames. `predictedPadPerFrame` 0.05: the box of a
 * constant-velocity prediction drifts by about a twentieth of its size per missed frame on real footage.
 */
export const ANONYMIZE_DEFAULTS: Readonly<AnonymizePolicy> = Object.freeze({
  mode: 'all',
  ids: Object.freeze([]) as readonly string[],
  style: 'blur',
  pad: 0.35,
  coverScore: 0.3,
  lookAhead: 5,
  hold: 5,
  predictedPadPerFrame: 0.05,
});

/**
 * The options completed with {@link ANONYMIZE_DEFAULTS} and checked: `keep` and `only` need at least
 * one identity, `all` takes none. A copy; the input is not changed.
 *
 * @example
 * const policy = resolveAnonymizePolicy({ mode: 'keep', ids: ['alice'], style: 'pixelate' })
 */
export function resolveAnonymizePolicy(options: Partial<AnonymizePolicy> = {}): AnonymizePolicy {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected anonymise options as an object but received ${String(options)}`);
  const mode = assertOneOf('mode', options.mode ?? ANONYMIZE_DEFAULTS.mode, ANONYMIZE_MODES);
  const ids = options.ids ?? [];
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string' || id.length === 0)) {
    throw new TypeError(`Expected ids as an array of non-empty strings but received ${JSON.stringify(ids).slice(0, 80)}`);
  }
  if (mode === 'all' && ids.length > 0)
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected no identities in mode "all" but received ${ids.length} (use mode "keep" or "only")`);
  if (mode !== 'all' && ids.length === 0) throw new ArcFaceError('INVALID_ARGUMENT', `Expected at least one identity in mode "${mode}" but received none`);
  return Object.freeze({
    mode,
    ids: Object.freeze([...new Set(ids)]),
    style: assertOneOf('style', options.style ?? ANONYMIZE_DEFAULTS.style, COVER_STYLES),
    pad: assertNumber('pad', options.pad ?? ANONYMIZE_DEFAULTS.pad, 0, 4),
    coverScore: assertNumber('coverScore', options.coverScore ?? ANONYMIZE_DEFAULTS.coverScore, 0, 1),
    lookAhead: assertInteger('lookAhead', options.lookAhead ?? ANONYMIZE_DEFAULTS.lookAhead, 0, 250),
    hold: assertInteger('hold', options.hold ?? ANONYMIZE_DEFAULTS.hold, 0, 250),
    predictedPadPerFrame: assertNumber('predictedPadPerFrame', options.predictedPadPerFrame ?? ANONYMIZE_DEFAULTS.predictedPadPerFrame, 0, 1),
  });
}

/** What a gallery must offer to turn a tag into identities: its list with metadata. A `Gallery` is one. */
export interface TaggedGallery {
  list(): Promise<readonly { readonly id: string; readonly metadata: Readonly<Record<string, unknown>> }[]>;
}

/**
 * The identities of a gallery whose metadata `tags` array holds `tag` (enrol with
 * `--metadata '{"tags":["consented"]}'`), sorted; an empty list is an error, so a mistyped tag never
 * silently keeps nobody (or covers nobody).
 *
 * @example
 * const ids = await identitiesTagged(gallery, 'consented')
 */
export async function identitiesTagged(gallery: TaggedGallery, tag: string): Promise<string[]> {
  if (typeof tag !== 'string' || tag.length === 0) throw new TypeError(`Expected a non-empty tag but received ${String(tag)}`);
  const ids = (await gallery.list()).filter((i) => Array.isArray(i.metadata.tags) && i.metadata.tags.includes(tag)).map((i) => i.id);
  if (ids.length === 0)
    throw new ArcFaceError('NOT_FOUND', `Expected identities tagged "${tag.slice(0, 64)}" in the gallery (metadata {"tags":[…]}) but found none`);
  return ids.sort();
}

/**
 * Checks that every listed identity is in the gallery: a mistyped id would silently cover a consenting
 * person (`keep`, the safe side) or leave a listed one bare (`only`), so both are refused alike.
 *
 * @example
 * await assertIdentitiesKnown(gallery, ['alice', 'bob'])
 */
export async function assertIdentitiesKnown(gallery: TaggedGallery, ids: readonly string[]): Promise<void> {
  const known = new Set((await gallery.list()).map((i) => i.id));
  const missing = ids.filter((id) => !known.has(id));
  if (missing.length > 0) {
    const named = missing.slice(0, 5).map((m) => JSON.stringify(m.slice(0, 64)));
    throw new ArcFaceError('IDENTITY_NOT_FOUND', `Expected identities of the gallery but ${missing.length} are not in it: ${named.join(', ')}`);
  }
}

/** A face left visible and why: in `keep` mode only ever a face confidently named as a consenting identity. */
export interface KeptFace {
  /** The consenting identity (`keep`), or the face's identity when known, else null (`only`). */
  readonly identity: string | null;
  /** Cosine of the face (photo) or the track template (video) to its best gallery identity; 0 when not compared. */
  readonly score: number;
  readonly reason: 'consented' | 'not-listed';
}

/** What one anonymised photo or frame shows. */
export interface AnonymizedImage {
  readonly image: RgbImage;
  /** Regions covered, in pixels `[x0, y0, x1, y1)` (padded and clipped). */
  readonly covered: readonly (readonly [number, number, number, number])[];
  /** Faces left visible, and why. */
  readonly kept: readonly KeptFace[];
}

/** Per-run report: faces covered, frames processed, faces kept visible and why. */
export interface AnonymizeReport {
  readonly mode: AnonymizeMode;
  readonly style: CoverStyle;
  readonly frames: number;
  /** Face regions covered, summed over frames (a face covered in 100 frames counts 100). */
  readonly facesCovered: number;
  /** Of those, regions covered although the detector did not find the face in that frame (predicted, look-ahead, held, cut). */
  readonly coveredWithoutDetection: number;
  /** Face appearances left visible, summed over frames. */
  readonly facesKept: number;
  /** Per identity left visible: frames and why. */
  readonly kept: readonly { readonly identity: string | null; readonly frames: number; readonly reason: KeptFace['reason'] }[];
  readonly seconds: number;
  readonly framesPerSecond: number;
}

import { assertNumber, assertInteger, assertString, l2normalize } from '../core/index.js';
import { type FaceQuality, qualityRejection, resolveQualityLimits, type QualityLimits } from '../quality/index.js';

/** Options of {@link TrackIdentity}. */
export interface TrackIdentityOptions {
  /** Best unit embeddings kept (by `quality.overall`) for the template. Default 5. */
  readonly maxTemplates: number;
  /** Embed again when a face's overall quality beats the best kept one by this much. Default 0.05. */
  readonly minQualityGain: number;
  /** Embed and decide again at least this often while the track lives (seconds). Default 2. */
  readonly redecideSeconds: number;
  /** Never embed one track more often than this (seconds). Default 0.2. */
  readonly minEmbedIntervalSeconds: number;
  /**
   * Cosine margin: a named track keeps its name unless its score falls below threshold − hysteresis,
   * and switches to another identity only if that one beats the current one by this margin. Default 0.05.
   */
  readonly hysteresis: number;
  /** Faces passing `qualityRejection` with these limits are frontal: one good face names a track. */
  readonly limits: Partial<QualityLimits>;
  /**
   * Faces beyond the frontal limits' yaw, up to this |yaw| (degrees), are embedded too, but name a track
   * only by agreement over several faces (`offFrontalAgreement`). 0 turns them off. Default 90.
   */
  readonly offFrontalMaxYaw: number;
  /**
   * A track seen only off-frontal is named X only when its last this many off-frontal faces, each
   * identified alone, all chose X at or above the threshold (and the track's template chooses X too).
   * Default 3.
   */
  readonly offFrontalAgreement: number;
}

/**
 * Default track-identity options.
 *
 * `maxTemplates` 5: the mean of a few good embeddings is a better template than one (set-based face
 * recognition, e.g. the IJB-B/C protocols average a subject's media; more than a handful adds little
 * once the best faces are in). `hysteresis` 0.05: a fifth of w600k-mbf-int8's calibrated threshold
 * (0.249 at FAR 1e-3 on LFW), a band that absorbs the jitter of a template refreshed with one more
 * face while keeping a name from outliving a clear fall below the threshold; a choice, not a
 * measurement. `minEmbedIntervalSeconds` 0.2 caps the recogniser at
 * 5 calls per track per second; `minQualityGain` 0.05 is a clear step on the 0..1 `overall` scale
 * (LFW photos: median 0.92, p5 0.77; downscaled 4×, median 0.53).
 *
 * @example
 * new TrackIdentity({ ...TRACK_IDENTITY_DEFAULTS, redecideSeconds: 5 })
 */
export const TRACK_IDENTITY_DEFAULTS: Readonly<TrackIdentityOptions> = Object.freeze({
  maxTemplates: 5,
  minQualityGain: 0.05,
  redecideSeconds: 2,
  minEmbedIntervalSeconds: 0.2,
  hysteresis: 0.05,
  limits: Object.freeze({}),
  offFrontalMaxYaw: 90,
  offFrontalAgreement: 3,
});

/** A gallery identity and its score against the track template. */
export interface IdentityCandidate {
  readonly id: string;
  readonly score: number;
}

/** The outcome of {@link TrackIdentity.decide}. */
export interface IdentityDecision {
  /** The track's identity after this decision, or null (unknown). */
  readonly identity: string | null;
  /** Score of `identity` (of the best candidate when unknown; -1 when there was none). */
  readonly score: number;
  /** Whether the identity changed with this decision. */
  readonly changed: boolean;
  /** The identity before this decision. */
  readonly previous: string | null;
}

interface Kept {
  readonly embedding: Float32Array;
  readonly overall: number;
}

/** The mean of unit embeddings, normalised. */
function meanTemplate(kept: readonly Kept[], length: number): Float32Array {
  const sum = new Float32Array(length);
  for (const k of kept) for (let i = 0; i < length; i++) sum[i] = (sum[i] as number) + (k.embedding[i] as number);
  return l2normalize(sum);
}

/**
 * The identity of one track, decided on a template of its best faces rather than frame by frame.
 *
 * The caller asks {@link wantsEmbedding} for each face of the track; only then does it run the
 * recogniser and hand the unit embedding to {@link addEmbedding}. The first acceptable face is embedded;
 * later ones when their quality beats the best kept by `minQualityGain`, or when `redecideSeconds` have
 * passed since the last embedding, never more often than `minEmbedIntervalSeconds`, never for a face
 * failing the quality limits. The template is the normalised mean of the `maxTemplates` best unit
 * embeddings. {@link decide} names the track with hysteresis so a stable track does not flicker.
 *
 * @example
 * const who = new TrackIdentity()
 * if (who.wantsEmbedding(q, pts)) who.addEmbedding(await embed(face), q, pts)
 * const d = who.decide(gallery.search(who.template!, 5), threshold, pts)
 * if (d.changed) emit({ type: 'track.identified', identity: d.identity })
 */
export class TrackIdentity {
  readonly options: Readonly<TrackIdentityOptions>;
  readonly #limits: Readonly<QualityLimits>;
  readonly #offLimits: Readonly<QualityLimits> | undefined;
  #kept: Kept[] = [];
  #keptOff: Kept[] = [];
  /** What each recent off-frontal face chose when identified alone (null: nobody at the threshold). */
  #votes: (string | null)[] = [];
  #template: Float32Array | undefined;
  #embeddings = 0;
  #lastEmbedPts = -Infinity;
  #identity: string | null = null;
  #score = -1;
  #decidedAt: number | undefined;

  constructor(options: Partial<TrackIdentityOptions> = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected an options object for TrackIdentity but received ${options === null ? 'null' : typeof options}`);
    }
    const d = TRACK_IDENTITY_DEFAULTS;
    const o: TrackIdentityOptions = {
      maxTemplates: options.maxTemplates === undefined ? d.maxTemplates : assertInteger('maxTemplates', options.maxTemplates, 1, 1000),
      minQualityGain: options.minQualityGain === undefined ? d.minQualityGain : assertNumber('minQualityGain', options.minQualityGain, 0, 1),
      redecideSeconds: options.redecideSeconds === undefined ? d.redecideSeconds : assertNumber('redecideSeconds', options.redecideSeconds, 0, 1e9),
      minEmbedIntervalSeconds:
        options.minEmbedIntervalSeconds === undefined
          ? d.minEmbedIntervalSeconds
          : assertNumber('minEmbedIntervalSeconds', options.minEmbedIntervalSeconds, 0, 1e9),
      hysteresis: options.hysteresis === undefined ? d.hysteresis : assertNumber('hysteresis', options.hysteresis, 0, 2),
      limits: Object.freeze({ ...(options.limits ?? {}) }),
      offFrontalMaxYaw: options.offFrontalMaxYaw === undefined ? d.offFrontalMaxYaw : assertNumber('offFrontalMaxYaw', options.offFrontalMaxYaw, 0, 90),
      offFrontalAgreement:
        options.offFrontalAgreement === undefined ? d.offFrontalAgreement : assertInteger('offFrontalAgreement', options.offFrontalAgreement, 1, 100),
    };
    this.#limits = resolveQualityLimits(o.limits);
    this.#offLimits = o.offFrontalMaxYaw > this.#limits.maxYaw ? resolveQualityLimits({ ...this.#limits, maxYaw: o.offFrontalMaxYaw }) : undefined;
    this.options = Object.freeze(o);
  }

  /** Whether the face with quality `quality` at time `pts` (seconds) should be embedded. */
  wantsEmbedding(quality: FaceQuality, pts: number): boolean {
    assertNumber('pts', pts, -1e12, 1e12);
    if (!this.accepts(quality)) return false;
    if (this.#embeddings === 0) return true;
    const since = pts - this.#lastEmbedPts;
    if (since < this.options.minEmbedIntervalSeconds) return false;
    // A track seen only off-frontal and not yet named gathers its agreeing faces at the fastest pace.
    if (this.#identity === null && this.#kept.length === 0 && this.#keptOff.length > 0) return true;
    const best = this.#kept[0]?.overall ?? this.#keptOff[0]?.overall ?? -Infinity;
    return quality.overall >= best + this.options.minQualityGain || since >= this.options.redecideSeconds;
  }

  /** Whether a face of this quality may be embedded at all (frontal, or off-frontal within `offFrontalMaxYaw`). */
  accepts(quality: FaceQuality): boolean {
    if (qualityRejection(quality, this.#limits) === undefined) return true;
    return this.#offLimits !== undefined && qualityRejection(quality, this.#offLimits) === undefined;
  }

  /** Whether a face of this quality is frontal (passes the frontal limits): one such face may name a track. */
  isFrontal(quality: FaceQuality): boolean {
    return qualityRejection(quality, this.#limits) === undefined;
  }

  /** True while the template rests on off-frontal faces only: naming then needs `offFrontalAgreement` votes. */
  get offFrontalOnly(): boolean {
    return this.#kept.length === 0 && this.#keptOff.length > 0;
  }

  /**
   * Records what the latest off-frontal face chose when identified on its own: the identity whose
   * score reached the threshold, or null.
   */
  vote(identity: string | null): void {
    if (identity !== null) assertString('identity', identity);
    this.#votes.push(identity);
    if (this.#votes.length > this.options.offFrontalAgreement) this.#votes.shift();
  }

  /**
   * Adds the embedding of a face of this track, measured at `pts` (seconds); it is normalised again
   * for safety. Counts as a recogniser call either way, but a face whose quality (now with its
   * embedding norm) fails the limits is not kept: returns whether it was.
   */
  addEmbedding(embedding: Float32Array, quality: FaceQuality, pts: number): boolean {
    if (!(embedding instanceof Float32Array) || embedding.length === 0) {
      throw new TypeError(`Expected a non-empty Float32Array embedding but received ${embedding === null ? 'null' : typeof embedding}`);
    }
    const first = this.#kept[0];
    if (first !== undefined && first.embedding.length !== embedding.length) {
      throw new RangeError(`Expected an embedding of length ${first.embedding.length} (as the track's earlier ones) but received ${embedding.length}`);
    }
    assertNumber('quality.overall', quality?.overall, 0, 1);
    assertNumber('pts', pts, -1e12, 1e12);
    this.#embeddings++;
    this.#lastEmbedPts = pts;
    if (!this.accepts(quality)) return false;
    const list = this.isFrontal(quality) ? this.#kept : this.#keptOff;
    list.push({ embedding: l2normalize(embedding), overall: quality.overall });
    list.sort((a, b) => b.overall - a.overall);
    list.length = Math.min(list.length, this.options.maxTemplates);
    // Frontal faces, once there are any, make the template alone: off-frontal ones are weaker evidence.
    this.#template = meanTemplate(this.#kept.length > 0 ? this.#kept : this.#keptOff, embedding.length);
    return true;
  }

  /** Counts a recogniser call whose face was not kept (checked against the track and found unclear). */
  countEmbedding(pts: number): void {
    assertNumber('pts', pts, -1e12, 1e12);
    this.#embeddings++;
    this.#lastEmbedPts = pts;
  }

  /** `pts` of the last recogniser call for this track (-Infinity before the first). */
  get lastEmbeddedAt(): number {
    return this.#lastEmbedPts;
  }

  /** Normalised mean of the kept unit embeddings; undefined before the first one. */
  get template(): Float32Array | undefined {
    return this.#template;
  }

  /**
   * Decides the track's identity from the gallery candidates for its template (sorted by score,
   * highest first) at the calibrated `threshold`: an unknown track takes the best candidate at or above
   * the threshold; a named track keeps its name while its score stays ≥ threshold − hysteresis, and
   * switches only to a candidate at or above the threshold that beats the current one by the hysteresis.
   */
  decide(candidates: readonly IdentityCandidate[], threshold: number, pts: number): IdentityDecision {
    if (!Array.isArray(candidates)) throw new TypeError(`Expected an array of candidates but received ${typeof candidates}`);
    candidates.forEach((c, i) => {
      if (typeof c !== 'object' || c === null) throw new TypeError(`Expected candidates[${i}] to be {id, score} but received ${String(c)}`);
      assertString(`candidates[${i}].id`, c.id);
      assertNumber(`candidates[${i}].score`, c.score, -1.0001, 1.0001);
      if (i > 0 && c.score > (candidates[i - 1] as IdentityCandidate).score) {
        throw new RangeError(`Expected candidates sorted by score, highest first, but candidates[${i}] (${c.score}) beats candidates[${i - 1}]`);
      }
    });
    assertNumber('threshold', threshold, -1, 1);
    assertNumber('pts', pts, -1e12, 1e12);
    const previous = this.#identity;
    const top = candidates[0];
    const h = this.options.hysteresis;
    let next: string | null = previous;
    if (previous === null) {
      if (top !== undefined && top.score >= threshold && this.#agreed(top.id)) next = top.id;
    } else {
      const current = candidates.find((c) => c.id === previous)?.score ?? -Infinity;
      if (top !== undefined && top.id !== previous && top.score >= threshold && top.score >= current + h) next = top.id;
      else if (current < threshold - h) next = null;
    }
    this.#identity = next;
    this.#decidedAt = pts;
    this.#score = next === null ? (top?.score ?? -1) : (candidates.find((c) => c.id === next) as IdentityCandidate).score;
    return { identity: next, score: this.#score, changed: next !== previous, previous };
  }

  /** Off-frontal tracks need their last `offFrontalAgreement` faces to have chosen `id`; frontal ones need nothing more. */
  #agreed(id: string): boolean {
    if (!this.offFrontalOnly) return true;
    const need = this.options.offFrontalAgreement;
    return this.#votes.length >= need && this.#votes.slice(-need).every((v) => v === id);
  }

  /** The current identity, or null. */
  get identity(): string | null {
    return this.#identity;
  }

  /** Score of the last decision. */
  get score(): number {
    return this.#score;
  }

  /** `overall` quality of the best kept face (e.g. to pick a track's thumbnail), undefined before the first. */
  get bestQuality(): number | undefined {
    return this.#kept[0]?.overall;
  }

  /** `pts` of the last decision, undefined before the first. */
  get decidedAt(): number | undefined {
    return this.#decidedAt;
  }

  /** Recogniser calls so far (embeddings added). */
  get embeddings(): number {
    return this.#embeddings;
  }
}

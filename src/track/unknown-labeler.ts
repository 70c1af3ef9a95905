import { assertInteger, assertNumber, dot, l2normalize } from '../core/index.js';

/** Options of {@link UnknownLabeler}. */
export interface UnknownLabelerOptions {
  /** Cosine at or above which a template re-finds an earlier unknown. Default 0.249 (see below). */
  readonly threshold?: number;
  /** Unknowns remembered; beyond, the least recently seen is forgotten (its label is not reused). Default 1000. */
  readonly maxUnknowns?: number;
}

/**
 * Default unknown-labeler threshold: w600k-mbf-int8's calibrated cosine threshold (0.249 at FAR 1e-3,
 * LFW View-2; `KNOWN_MODELS`), the same operating point the gallery decides at. Pass the recogniser's
 * own threshold for another model.
 */
export const UNKNOWN_LABELER_DEFAULTS = Object.freeze({ threshold: 0.249, maxUnknowns: 1000 });

interface Unknown {
  readonly label: string;
  readonly sum: Float32Array;
  template: Float32Array;
  seen: number;
}

/**
 * Stable `unknown-N` labels for tracks no gallery identity claims, so one stranger keeps one label
 * across tracks of the stream. A template re-finds the earlier unknown of highest cosine when that
 * cosine is ≥ threshold, and that unknown's template becomes the normalised running mean of the
 * templates given to it; otherwise a new label is made. Labels count up from 1 and are never reused.
 *
 * @example
 * const unknowns = new UnknownLabeler({ threshold: fr.threshold })
 * unknowns.label(track.template) // 'unknown-1'
 * unknowns.label(sameStrangerLater) // 'unknown-1' again
 */
export class UnknownLabeler {
  readonly threshold: number;
  readonly maxUnknowns: number;
  readonly #unknowns: Unknown[] = [];
  #next = 1;
  #clock = 0;

  constructor(options: UnknownLabelerOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`Expected an options object for UnknownLabeler but received ${options === null ? 'null' : typeof options}`);
    }
    this.threshold = options.threshold === undefined ? UNKNOWN_LABELER_DEFAULTS.threshold : assertNumber('threshold', options.threshold, -1, 1);
    this.maxUnknowns =
      options.maxUnknowns === undefined ? UNKNOWN_LABELER_DEFAULTS.maxUnknowns : assertInteger('maxUnknowns', options.maxUnknowns, 1, 1_000_000);
  }

  /** The label of the unknown this template belongs to, made when none is close enough. */
  label(template: Float32Array): string {
    if (!(template instanceof Float32Array) || template.length === 0) {
      throw new TypeError(`Expected a non-empty Float32Array template but received ${template === null ? 'null' : typeof template}`);
    }
    const first = this.#unknowns[0];
    if (first !== undefined && first.sum.length !== template.length) {
      throw new RangeError(`Expected a template of length ${first.sum.length} but received ${template.length}`);
    }
    const unit = l2normalize(template);
    this.#clock++;
    let best: Unknown | undefined;
    let bestScore = -Infinity;
    for (const u of this.#unknowns) {
      const s = dot(u.template, unit);
      if (s > bestScore) {
        bestScore = s;
        best = u;
      }
    }
    if (best !== undefined && bestScore >= this.threshold) {
      for (let i = 0; i < unit.length; i++) best.sum[i] = (best.sum[i] as number) + (unit[i] as number);
      best.template = l2normalize(best.sum);
      best.seen = this.#clock;
      return best.label;
    }
    if (this.#unknowns.length >= this.maxUnknowns) {
      let oldest = 0;
      this.#unknowns.forEach((u, i) => {
        if (u.seen < (this.#unknowns[oldest] as Unknown).seen) oldest = i;
      });
      this.#unknowns.splice(oldest, 1);
    }
    const created: Unknown = { label: `unknown-${this.#next++}`, sum: unit.slice(), template: unit, seen: this.#clock };
    this.#unknowns.push(created);
    return created.label;
  }

  /** Unknowns currently remembered. */
  get size(): number {
    return this.#unknowns.length;
  }
}

/**
 * "Not X": a sighting wrongly named X becomes a negative template of X. A probe is not X when it is
 * closer to one of X's negatives than to X itself, so the look-alike is turned away while X, and
 * every other identity, keeps the threshold it had.
 */
import { dot } from '../core/index.js';
import type { StreamGallery } from '../stream/index.js';
import type { SightingsStore } from './sightings-store.js';

/** A ranked candidate, as galleries return them. */
interface Ranked {
  readonly id: string;
  readonly score: number;
}

/**
 * Drops every candidate the probe is closer to a negative of than to the candidate itself.
 *
 * @example
 * const kept = withoutNegatives(probe, candidates, new Map([['ada', [lookAlike]]]))
 */
export function withoutNegatives<C extends Ranked>(
  probe: Float32Array,
  candidates: readonly C[],
  negatives: ReadonlyMap<string, readonly Float32Array[]>,
): C[] {
  return candidates.filter((c) => {
    const list = negatives.get(c.id);
    return list === undefined || !list.some((n) => dot(n, probe) > c.score);
  });
}

/**
 * How often a long-lived guard re-reads the negatives' stamp, ms: a "not X" given elsewhere (the
 * server, the CLI) reaches a running stream within this.
 */
export const NEGATIVES_RECHECK_MS = 1000;

/**
 * The negatives of a store, re-read when another writer changed them (checked at most every
 * {@link NEGATIVES_RECHECK_MS}).
 *
 * @example
 * const negatives = new NegativeCache(store, 512)
 * const kept = withoutNegatives(probe, candidates, await negatives.current())
 */
export class NegativeCache {
  readonly #store: SightingsStore;
  readonly #dim: number;
  #stamp = '';
  #checkedAt = Number.NEGATIVE_INFINITY;
  #map: Map<string, Float32Array[]> = new Map();

  constructor(store: SightingsStore, dim: number) {
    this.#store = store;
    this.#dim = dim;
  }

  /** The negatives now (re-read at once when `fresh`). */
  async current(fresh = false): Promise<ReadonlyMap<string, readonly Float32Array[]>> {
    const now = performance.now();
    if (!fresh && now - this.#checkedAt < NEGATIVES_RECHECK_MS) return this.#map;
    this.#checkedAt = now;
    const stamp = await this.#store.negativesStamp();
    if (stamp !== this.#stamp) {
      this.#map = await this.#store.negatives(this.#dim);
      this.#stamp = stamp;
    }
    return this.#map;
  }

  /**
   * A gallery for a face stream whose identification turns away the look-alikes recorded as
   * negatives (it asks the gallery for more candidates so one dropped leaves the next in line).
   */
  guard(gallery: StreamGallery): StreamGallery {
    return {
      identify: async (query, opts) => {
        const negatives = await this.current();
        const r = await gallery.identify(query, negatives.size === 0 ? opts : { ...opts, topK: (opts.topK ?? 5) + 2 });
        if (negatives.size === 0) return r;
        return { ...r, candidates: withoutNegatives(query, r.candidates, negatives).slice(0, opts.topK ?? 5) };
      },
    };
  }
}

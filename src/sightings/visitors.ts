/**
 * Persistent visitors: unknown sightings clustered incrementally ({@link IncrementalClusterer}, the
 * people clustering) one track embedding per sighting. Visitor ids come from the database and
 * persist across restarts and sources; the clusterer is rebuilt from the stored assignments when
 * another writer changed the unknown sightings.
 */
import { IncrementalClusterer, type IncrementalOptions } from '../cluster/index.js';
import type { RoomSql } from '../gallery/index.js';
import type { SightingsStore } from './sightings-store.js';

/**
 * Visitor clustering defaults. A sighting is one track's mean embedding, steadier than a photo's
 * face, so every sighting may start a visitor (`minFaces` 1) and joins one at an average cosine of
 * 0.4: on real footage (`video-real`, w600k-mbf-int8) same-person face pairs have cosine ≥ 0.404 and
 * different-person pairs ≤ 0.313 (see the stream's `RESUME_ABOVE`). Visitors never merge by
 * themselves (`mergeThreshold` above 1): a wrong merge of two strangers cannot be undone by a sighting.
 *
 * @example
 * new IncrementalClusterer(512, VISITOR_CLUSTERING)
 */
export const VISITOR_CLUSTERING: Readonly<IncrementalOptions> = Object.freeze({
  maxDistance: 0.6,
  minFaces: 1,
  joinThreshold: 0.4,
  neighbours: 32,
  mergeThreshold: 2,
  smallMargin: 0,
});

/** The clusterer and how its face and person numbers map to sighting and visitor ids. */
interface State {
  stamp: string;
  readonly clusterer: IncrementalClusterer;
  /** Person number → visitor id. */
  readonly visitorOf: Map<number, number>;
}

/**
 * Places unknown sightings into visitors.
 *
 * @example
 * const visitors = new VisitorClusters(store, 512)
 * const visitorId = await visitors.place(tx, sightingId, embedding, Date.now())
 */
export class VisitorClusters {
  readonly #store: SightingsStore;
  readonly #dim: number;
  readonly #options: Readonly<IncrementalOptions>;
  #state: State | undefined;

  constructor(store: SightingsStore, dim: number, options: Partial<IncrementalOptions> = {}) {
    this.#store = store;
    this.#dim = dim;
    this.#options = Object.freeze({ ...VISITOR_CLUSTERING, ...options });
    new IncrementalClusterer(dim, this.#options);
  }

  /** Forgets the clusterer (a re-decision or retention changed the unknown sightings); it is rebuilt on the next use. */
  invalidate(): void {
    this.#state = undefined;
  }

  /** Brings the clusterer up to the stored unknown sightings (rebuilt when another writer changed them). Call before a write. */
  async ready(): Promise<void> {
    await this.#current();
  }

  /** Notes the stored unknown sightings as the clusterer's own after a write committed. */
  async settle(): Promise<void> {
    if (this.#state !== undefined) this.#state.stamp = await this.#store.unknownStamp();
  }

  /**
   * Places one new unknown sighting (stored inside `q`, without a visitor) and returns its visitor id,
   * creating a visitor when it joins none. Call inside the write transaction that stored it, after
   * {@link VisitorClusters.ready}, and {@link VisitorClusters.settle} once it committed.
   */
  async place(q: RoomSql, sightingId: number, embedding: Float32Array, at: number): Promise<{ visitorId: number; created: boolean }> {
    const state = this.#state ?? (await this.#current());
    const changes = state.clusterer.add(embedding, sightingId);
    const person = changes[0]?.person ?? -1;
    let visitorId = state.visitorOf.get(person);
    const created = visitorId === undefined;
    if (visitorId === undefined) {
      visitorId = await this.#store.createVisitor(q, at);
      // A sighting left waiting (only with `minFaces` above 1) is a visitor of its own until the next rebuild.
      if (person >= 0) state.visitorOf.set(person, visitorId);
      else this.#state = undefined;
    }
    await this.#store.setVisitor(q, [sightingId], visitorId, at);
    return { visitorId, created };
  }

  /** The clusterer over every stored unknown sighting, rebuilt when the stored ones changed. */
  async #current(): Promise<State> {
    const stamp = await this.#store.unknownStamp();
    if (this.#state !== undefined && this.#state.stamp === stamp) return this.#state;
    const rows = await this.#store.unknownEmbeddings(this.#dim);
    const clusterer = new IncrementalClusterer(this.#dim, this.#options);
    const personOf = new Map<number, number>();
    const visitorOf = new Map<number, number>();
    const labels: number[] = [];
    const matrix = new Float32Array(rows.length * this.#dim);
    rows.forEach((r, i) => {
      matrix.set(r.embedding, i * this.#dim);
      if (r.visitorId === null) {
        labels.push(-1);
        return;
      }
      let p = personOf.get(r.visitorId);
      if (p === undefined) {
        p = personOf.size;
        personOf.set(r.visitorId, p);
        visitorOf.set(p, r.visitorId);
      }
      labels.push(p);
    });
    clusterer.load(
      matrix,
      labels,
      rows.map((r) => r.sightingId),
    );
    this.#state = { stamp, clusterer, visitorOf };
    return this.#state;
  }
}

/**
 * Incremental density clustering in Immich's style, with three changes that the cluster benchmark
 * measures: a face joins the person whose faces it matches best on average (average linkage to the
 * person's summed vector) rather than the person of its single nearest face, so one lookalike
 * cannot pull it into a stranger; it never joins a person that already has a face of its photo;
 * and a waiting (non-core) face is retried whenever a new face lands among its neighbours, so
 * arrival order matters less.
 *
 * Hand edits arrive as cannot-link pairs of faces: a face never joins a person holding a face it
 * is cannot-linked with, and two persons holding such a pair never merge.
 *
 * - core: at least `minFaces` faces (itself included, as Immich counts) within `maxDistance`;
 * - a face joins the best person among its neighbours' persons whose average cosine to it is at
 *   least `joinThreshold`; otherwise a core face starts a new person; otherwise it waits.
 */
import { assertInteger, assertNumber } from '../core/index.js';
import { cannotLinkTags } from './average-linkage.js';
import { GrowingIndex } from './growing-index.js';

/** Options of {@link IncrementalClusterer}. */
export interface IncrementalOptions {
  /** Cosine distance (1 − cosine) of the neighbourhood that makes a face core. */
  readonly maxDistance: number;
  /** Faces within `maxDistance`, the face itself included, that make it core. */
  readonly minFaces: number;
  /** Least average cosine to a person's faces to join it. */
  readonly joinThreshold: number;
  /** Neighbours searched per face. */
  readonly neighbours: number;
  /**
   * Two persons that meet at a new face merge when their average cosine reaches `mergeThreshold +
   * smallMargin / √(n·m)` (the full re-cluster's rule, {@link averageLinkage}); mergeThreshold > 1
   * turns merging off.
   */
  readonly mergeThreshold: number;
  readonly smallMargin: number;
}

/**
 * Defaults chosen on the tuning half of LFW (the people with even numbers in name order) with
 * w600k-mbf-int8 by `npm run bench -- cluster --sweep`: the best BCubed F1 among settings whose
 * persons mixing two people stay ≤ 0.5 % there. Faces of one person meet at cosine ≈ 0.4–0.8;
 * in a collection of thousands, lone strangers meet above 0.3 often (the recogniser's FAR 1e-3
 * threshold is 0.249 per pair), hence the margin asked of small persons.
 *
 * @example
 * new IncrementalClusterer(512, { ...INCREMENTAL_DEFAULTS, minFaces: 3 })
 */
export const INCREMENTAL_DEFAULTS: Readonly<IncrementalOptions> = Object.freeze({
  maxDistance: 0.6,
  minFaces: 2,
  joinThreshold: 0.25,
  neighbours: 32,
  mergeThreshold: 0.3,
  smallMargin: 0.1,
});

/** Where a face ended after an update. */
export interface FaceAssignment {
  readonly face: number;
  /** Person number, −1 while the face waits. */
  readonly person: number;
}

/**
 * Faces arrive one photo at a time; each gets a person or waits.
 *
 * @example
 * const c = new IncrementalClusterer(512)
 * c.add(embedding, photoId) // { face: 0, person: -1 } until a neighbour arrives
 */
export class IncrementalClusterer {
  readonly options: Readonly<IncrementalOptions>;
  readonly #index: GrowingIndex;
  readonly #person: number[] = [];
  readonly #photo: number[] = [];
  /** Cannot-link tags of each face (absent for most). */
  readonly #tags = new Map<number, number[]>();
  readonly #sums: Float64Array[] = [];
  readonly #sizes: number[] = [];
  readonly #photos: Set<number>[] = [];
  readonly #waiting = new Set<number>();
  readonly #members: number[][] = [];
  readonly #pinned = new Set<number>();

  constructor(dim: number, options: Partial<IncrementalOptions> = {}) {
    const o = { ...INCREMENTAL_DEFAULTS, ...options };
    assertNumber('maxDistance', o.maxDistance, 0, 2);
    assertInteger('minFaces', o.minFaces, 1, 1000);
    assertNumber('joinThreshold', o.joinThreshold, -1, 1);
    assertInteger('neighbours', o.neighbours, 1, 1024);
    assertNumber('mergeThreshold', o.mergeThreshold, -1, 2);
    assertNumber('smallMargin', o.smallMargin, 0, 2);
    this.options = Object.freeze(o);
    this.#index = new GrowingIndex(dim);
  }

  /** Faces added so far. */
  get faces(): number {
    return this.#index.rows;
  }

  /** Persons created so far. */
  get persons(): number {
    return this.#sizes.length;
  }

  /** Person of every face (−1 waiting), by face number. */
  labels(): Int32Array {
    return Int32Array.from(this.#person);
  }

  /**
   * Adds one face of photo `photo`; returns every face whose person changed (the new face first).
   *
   * @example
   * const changes = c.add(embedding, 17)
   */
  add(embedding: Float32Array, photo: number): FaceAssignment[] {
    const face = this.#index.add(embedding);
    this.#person.push(-1);
    this.#photo.push(photo);
    const changes: FaceAssignment[] = [];
    this.#place(face, embedding, changes);
    if ((this.#person[face] as number) < 0) changes.unshift({ face, person: -1 });
    return changes;
  }

  /**
   * Adds the faces of one photo together (they cannot join each other).
   *
   * @example
   * c.addPhoto([e1, e2], 3)
   */
  addPhoto(embeddings: readonly Float32Array[], photo: number): FaceAssignment[] {
    return embeddings.flatMap((e) => this.add(e, photo));
  }

  /**
   * Loads faces already clustered (a gallery's stored assignments) without placing them again:
   * `labels[i]` is face i's person (−1 waiting), persons numbered 0…m−1.
   *
   * @example
   * c.load(matrix, labels, photos, [[0, 5]]) // faces 0 and 5 never in one person
   */
  load(matrix: Float32Array, labels: ArrayLike<number>, photos: ArrayLike<number>, cannotLink: readonly (readonly [number, number])[] = []): void {
    const dim = this.#index.dim;
    const n = matrix.length / dim;
    if (!Number.isInteger(n) || labels.length !== n || photos.length !== n) {
      throw new RangeError(
        `Expected a matrix of whole ${dim}-d rows with one label and one photo per row but received ${matrix.length} values, ${labels.length} labels and ${photos.length} photos`,
      );
    }
    const first = this.#index.rows;
    for (const [r, list] of cannotLinkTags(n, cannotLink)) this.#tags.set(first + r, list);
    for (let i = 0; i < n; i++) {
      const e = matrix.subarray(i * dim, (i + 1) * dim);
      const face = this.#index.add(e);
      this.#person.push(-1);
      this.#photo.push(photos[i] as number);
      const p = labels[i] as number;
      if (p < 0) {
        this.#waiting.add(face);
        continue;
      }
      while (this.#sizes.length <= p) {
        this.#sums.push(new Float64Array(dim));
        this.#sizes.push(0);
        this.#photos.push(new Set());
        this.#members.push([]);
      }
      this.#assign(face, p, e);
    }
  }

  /** Neighbours close enough to join through (cosine ≥ the lower of joinThreshold and 1 − maxDistance). */
  #near(face: number, embedding: Float32Array): { row: number; score: number }[] {
    const o = this.options;
    return this.#index.search(embedding, o.neighbours, Math.min(o.joinThreshold, 1 - o.maxDistance), face);
  }

  #place(face: number, embedding: Float32Array, changes: FaceAssignment[]): void {
    const near = this.#near(face, embedding);
    const photo = this.#photo[face] as number;
    let best = -1;
    let bestLink = this.options.joinThreshold;
    const seen = new Set<number>();
    for (const { row } of near) {
      const p = this.#person[row] as number;
      if (p < 0 || seen.has(p)) continue;
      seen.add(p);
      if (this.#conflicts(face, photo, p)) continue;
      const link = this.#link(embedding, p);
      const n = this.#sizes[p] as number;
      const needed = this.options.mergeThreshold > 1 ? 0 : this.options.mergeThreshold + this.options.smallMargin / Math.sqrt(n);
      if (link >= bestLink && link >= needed) {
        best = p;
        bestLink = link;
      }
    }
    const core = near.filter((x) => x.score >= 1 - this.options.maxDistance).length + 1 >= this.options.minFaces;
    if (best < 0 && core) {
      best = this.#sizes.length;
      this.#sums.push(new Float64Array(embedding.length));
      this.#sizes.push(0);
      this.#photos.push(new Set());
      this.#members.push([]);
    }
    if (best < 0) {
      this.#waiting.add(face);
      return;
    }
    this.#assign(face, best, embedding);
    changes.push({ face, person: best });
    best = this.#mergeAround(best, near, changes);
    // Waiting neighbours may now join this person or have become core.
    for (const { row } of near) {
      if (!this.#waiting.has(row)) continue;
      this.#waiting.delete(row);
      this.#place(row, this.#index.row(row), changes);
    }
  }

  /**
   * Marks a person that must never be absorbed by another (a named person); it may still absorb.
   *
   * @example
   * c.pin(3)
   */
  pin(person: number): void {
    this.#pinned.add(person);
  }

  /** Merges persons met among the neighbours into `p` where the linkage rule allows; returns p's final number. */
  #mergeAround(p: number, near: readonly { row: number }[], changes: FaceAssignment[]): number {
    const o = this.options;
    if (o.mergeThreshold > 1) return p;
    const seen = new Set<number>([p]);
    for (const { row } of near) {
      const q = this.#person[row] as number;
      if (q < 0 || seen.has(q)) continue;
      seen.add(q);
      const np = this.#sizes[p] as number;
      const nq = this.#sizes[q] as number;
      if (this.#pinned.has(p) && this.#pinned.has(q)) continue;
      const a = this.#sums[p] as Float64Array;
      const b = this.#sums[q] as Float64Array;
      let d = 0;
      for (let j = 0; j < a.length; j++) d += (a[j] as number) * (b[j] as number);
      if (d / (np * nq) < o.mergeThreshold + o.smallMargin / Math.sqrt(np * nq)) continue;
      const sharePhoto = [...(this.#photos[p] as Set<number>)].some((x) => (this.#photos[q] as Set<number>).has(x));
      const [small, big] = sharePhoto ? [-1, -1] : this.#pinned.has(q) || (nq > np && !this.#pinned.has(p)) ? [p, q] : [q, p];
      if (small < 0) continue;
      for (const f of this.#members[small] as number[]) {
        this.#person[f] = big;
        (this.#members[big] as number[]).push(f);
        (this.#photos[big] as Set<number>).add(this.#photo[f] as number);
        for (const t of this.#tags.get(f) ?? []) (this.#photos[big] as Set<number>).add(t);
        changes.push({ face: f, person: big });
      }
      const sb = this.#sums[big] as Float64Array;
      const ss = this.#sums[small] as Float64Array;
      for (let j = 0; j < sb.length; j++) sb[j] = (sb[j] as number) + (ss[j] as number);
      this.#sizes[big] = (this.#sizes[big] as number) + (this.#sizes[small] as number);
      this.#sizes[small] = 0;
      ss.fill(0);
      this.#members[small] = [];
      (this.#photos[small] as Set<number>).clear();
      p = big;
    }
    return p;
  }

  /** Whether person p holds a face of this face's photo or one it is cannot-linked with. */
  #conflicts(face: number, photo: number, p: number): boolean {
    const held = this.#photos[p] as Set<number>;
    return held.has(photo) || (this.#tags.get(face) ?? []).some((t) => held.has(t));
  }

  #link(embedding: Float32Array, p: number): number {
    const s = this.#sums[p] as Float64Array;
    let d = 0;
    for (let j = 0; j < embedding.length; j++) d += (embedding[j] as number) * (s[j] as number);
    return d / (this.#sizes[p] as number);
  }

  #assign(face: number, p: number, embedding: Float32Array): void {
    this.#person[face] = p;
    (this.#members[p] as number[]).push(face);
    const s = this.#sums[p] as Float64Array;
    for (let j = 0; j < embedding.length; j++) s[j] = (s[j] as number) + (embedding[j] as number);
    this.#sizes[p] = (this.#sizes[p] as number) + 1;
    (this.#photos[p] as Set<number>).add(this.#photo[face] as number);
    for (const t of this.#tags.get(face) ?? []) (this.#photos[p] as Set<number>).add(t);
  }
}

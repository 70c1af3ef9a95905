/**
 * Incremental density clustering in Immich's style, with three changes that the cluster benchmark
 * measures: a face joins the person whose faces it matches best on average (average linkage to the
 * person's summed vector) rather than the person of its single nearest face, so one lookalike
 * cannot pull it into a stranger; it never joins a person that already has a face of its photo;
 * and a waiting (non-core) face is retried whenever a new face lands among its neighbours, so
 * arrival order matters less.
 *
 * - core: at least `minFaces` faces (itself included, as Immich counts) within `maxDistance`;
 * - a face joins the best person among its neighbours' persons whose average cosine to it is at
 *   least `joinThreshold`; otherwise a core face starts a new person; otherwise it waits.
 */
import { assertInteger, assertNumber } from '../core/index.js';
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
}

/**
 * Defaults chosen on LFW with w600k-mbf-int8 by the cluster benchmark's sweep (`npm run bench --
 * cluster --sweep`): the recogniser's FAR 1e-3 threshold is cosine 0.249; averages over a person
 * sit higher than single pairs, so joining asks for 0.3 and core neighbourhoods for cosine 0.45.
 */
export const INCREMENTAL_DEFAULTS: Readonly<IncrementalOptions> = Object.freeze({ maxDistance: 0.55, minFaces: 2, joinThreshold: 0.3, neighbours: 32 });

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
  readonly #sums: Float64Array[] = [];
  readonly #sizes: number[] = [];
  readonly #photos: Set<number>[] = [];
  readonly #waiting = new Set<number>();

  constructor(dim: number, options: Partial<IncrementalOptions> = {}) {
    const o = { ...INCREMENTAL_DEFAULTS, ...options };
    assertNumber('maxDistance', o.maxDistance, 0, 2);
    assertInteger('minFaces', o.minFaces, 1, 1000);
    assertNumber('joinThreshold', o.joinThreshold, -1, 1);
    assertInteger('neighbours', o.neighbours, 1, 1024);
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
   * c.load(matrix, labels, photos)
   */
  load(matrix: Float32Array, labels: ArrayLike<number>, photos: ArrayLike<number>): void {
    const dim = this.#index.dim;
    const n = matrix.length / dim;
    if (!Number.isInteger(n) || labels.length !== n || photos.length !== n) {
      throw new RangeError(`Expected a matrix of whole ${dim}-d rows with one label and one photo per row but received ${matrix.length} values, ${labels.length} labels and ${photos.length} photos`);
    }
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
      }
      this.#assign(face, p, e);
    }
  }

  #near(face: number, embedding: Float32Array): { row: number; score: number }[] {
    return this.#index.search(embedding, this.options.neighbours, 1 - this.options.maxDistance, face);
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
      if ((this.#photos[p] as Set<number>).has(photo)) continue;
      const link = this.#link(embedding, p);
      if (link >= bestLink) {
        best = p;
        bestLink = link;
      }
    }
    if (best < 0 && near.length + 1 >= this.options.minFaces) {
      best = this.#sizes.length;
      this.#sums.push(new Float64Array(embedding.length));
      this.#sizes.push(0);
      this.#photos.push(new Set());
    }
    if (best < 0) {
      this.#waiting.add(face);
      return;
    }
    this.#assign(face, best, embedding);
    changes.push({ face, person: best });
    // Waiting neighbours may now join this person or have become core.
    for (const { row } of near) {
      if (!this.#waiting.has(row)) continue;
      this.#waiting.delete(row);
      this.#place(row, this.#index.row(row), changes);
    }
  }

  #link(embedding: Float32Array, p: number): number {
    const s = this.#sums[p] as Float64Array;
    let d = 0;
    for (let j = 0; j < embedding.length; j++) d += (embedding[j] as number) * (s[j] as number);
    return d / (this.#sizes[p] as number);
  }

  #assign(face: number, p: number, embedding: Float32Array): void {
    this.#person[face] = p;
    const s = this.#sums[p] as Float64Array;
    for (let j = 0; j < embedding.length; j++) s[j] = (s[j] as number) + (embedding[j] as number);
    this.#sizes[p] = (this.#sizes[p] as number) + 1;
    (this.#photos[p] as Set<number>).add(this.#photo[face] as number);
  }
}

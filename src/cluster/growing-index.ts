/**
 * An exact nearest-neighbour index that grows one row at a time, for incremental clustering: the
 * gallery's WebAssembly SIMD float32 scan over a matrix whose capacity doubles when full (one copy
 * per doubling, so appending stays amortised O(dim)).
 */
import { createSimdKernels, type SimdKernels } from '../core/index.js';
import { TopList } from './top-list.js';

/**
 * Rows of unit vectors; `search` scores a query against every row.
 *
 * @example
 * const idx = new GrowingIndex(512)
 * idx.add(embedding)
 * idx.search(query, 10, 0.4) // [{ row, score }], best first
 */
export class GrowingIndex {
  readonly dim: number;
  #rows = 0;
  #capacity = 0;
  #k!: SimdKernels;
  #top = new TopList(1);

  constructor(dim: number, capacity = 1024) {
    if (!Number.isInteger(dim) || dim < 8 || dim % 8 !== 0) throw new RangeError(`Expected a dimension that is a multiple of 8 but received ${dim}`);
    this.dim = dim;
    this.#allocate(Math.max(16, capacity));
  }

  get rows(): number {
    return this.#rows;
  }

  /** Byte offsets: the query, the scores, then the rows. */
  #layout(capacity: number): { q: number; s: number; m: number; bytes: number } {
    const q = 0;
    const s = this.dim * 4;
    const m = s + capacity * 4;
    return { q, s, m, bytes: m + capacity * this.dim * 4 };
  }

  #allocate(capacity: number): void {
    const l = this.#layout(capacity);
    const k = createSimdKernels(l.bytes);
    if (k === null) throw new RangeError(`Expected WebAssembly SIMD and at most 4 GiB for ${capacity} rows of ${this.dim} but neither is available`);
    if (this.#rows > 0) {
      const old = this.#layout(this.#capacity);
      new Float32Array(k.memory.buffer, l.m, this.#rows * this.dim).set(new Float32Array(this.#k.memory.buffer, old.m, this.#rows * this.dim));
    }
    this.#k = k;
    this.#capacity = capacity;
  }

  /**
   * Appends a row; returns its number.
   *
   * @example
   * const row = idx.add(embedding)
   */
  add(v: Float32Array): number {
    if (v.length !== this.dim) throw new RangeError(`Expected a ${this.dim}-d vector but received ${v.length} values`);
    if (this.#rows === this.#capacity) this.#allocate(this.#capacity * 2);
    const l = this.#layout(this.#capacity);
    new Float32Array(this.#k.memory.buffer, l.m + this.#rows * this.dim * 4, this.dim).set(v);
    return this.#rows++;
  }

  /** A copy of row `r`. */
  row(r: number): Float32Array {
    const l = this.#layout(this.#capacity);
    return new Float32Array(this.#k.memory.buffer.slice(l.m + r * this.dim * 4, l.m + (r + 1) * this.dim * 4));
  }

  /**
   * The `k` best rows at cosine ≥ `minScore`, best first; `skip` (a row number) is left out.
   *
   * @example
   * idx.search(q, 5, 0.3)
   */
  search(query: Float32Array, k: number, minScore: number, skip = -1): { row: number; score: number }[] {
    if (query.length !== this.dim) throw new RangeError(`Expected a ${this.dim}-d query but received ${query.length} values`);
    const l = this.#layout(this.#capacity);
    const buf = this.#k.memory.buffer;
    new Float32Array(buf, l.q, this.dim).set(query);
    if (this.#rows === 0) return [];
    this.#k.f32(l.q, l.m, this.#rows, this.dim, l.s);
    const scores = new Float32Array(buf, l.s, this.#rows);
    if (this.#top.capacity !== k) this.#top = new TopList(k);
    const top = this.#top;
    top.reset(minScore);
    for (let r = 0; r < this.#rows; r++) if (r !== skip) top.offer(scores[r] as number, r);
    return Array.from({ length: top.length }, (_, i) => ({ row: top.item(i), score: top.score(i) }));
  }
}

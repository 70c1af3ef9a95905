import type { Neighbour } from './top-k.js';

/** Search structures: exact float32 scan, int8 scan with exact re-ranking, and HNSW. */
export type IndexKind = 'exact' | 'int8' | 'hnsw';

/**
 * An in-memory nearest-neighbour index over unit vectors (rows of a matrix); scores are cosines.
 *
 * @example
 * const hits = index.search(query, 10) // [{ row, score }], best first
 */
export interface VectorIndex {
  readonly kind: IndexKind;
  readonly rows: number;
  readonly dim: number;
  /** The `k` best rows, best first (fewer when the index is smaller). */
  search(query: Float32Array, k: number): Neighbour[];
  /** Exact cosine of the query to one row (the float32 kernel the exact scan uses). */
  score(query: Float32Array, row: number): number;
  /** Approximate bytes held by the index. */
  memoryBytes(): number;
  dispose(): void;
}

import { ArcFaceError } from '../../core/index.js';
import type * as NodeHnsw from './hnsw-index.js';

/**
 * The browser twin of `hnsw-index.ts`: HNSW needs the native hnswlib-node, so a browser gallery
 * uses the exact or int8 flat index (the `auto` choice picks HNSW only from 1,000,000 rows). The
 * browser build swaps `hnsw-index.ts` for this file.
 */
export type HnswOptions = NodeHnsw.HnswOptions;
export type HnswKey = NodeHnsw.HnswKey;
export type HnswOrigin = NodeHnsw.HnswOrigin;

const NODE_ONLY = 'Expected index "exact" or "int8" in the browser but received "hnsw": HNSW (hnswlib-node) runs in Node.js only';

/**
 * Refuses to build: see the file comment.
 *
 * @example
 * HnswIndex.build(matrix, 512, opts) // throws INVALID_ARGUMENT in the browser
 */
export class HnswIndex {
  static build(): never {
    throw new ArcFaceError('INVALID_ARGUMENT', NODE_ONLY);
  }

  static loadOrBuild(): never {
    throw new ArcFaceError('INVALID_ARGUMENT', NODE_ONLY);
  }
}

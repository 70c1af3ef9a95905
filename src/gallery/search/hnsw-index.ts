import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import hnswlib from 'hnswlib-node';
import { FlatIndex } from './flat-index.js';
import { ensurePrivateFile, PRIVATE_FILE_MODE } from '../stores/private-file.js';
import type { Neighbour } from './top-k.js';
import type { VectorIndex } from './vector-index.js';

/** HNSW build and search parameters (Malkov & Yashunin, TPAMI 2018). */
export interface HnswOptions {
  /** Links per node (hnswlib `M`); the gallery default and its measurements are in `GALLERY_DEFAULTS`. */
  readonly m: number;
  /** Candidate list during construction (hnswlib `ef_construction`); see `GALLERY_DEFAULTS`. */
  readonly efConstruction: number;
  /** Candidate list during search (at least k). */
  readonly efSearch: number;
  /** Seed of the level generator, for reproducible graphs. */
  readonly seed: number;
}

/** Identifies the data an HNSW file was built from; a different key means the file is stale. */
export interface HnswKey {
  readonly generation: number;
  readonly rows: number;
  readonly dim: number;
  readonly fingerprint: string;
  readonly m: number;
  readonly efConstruction: number;
}

/** How the index came to be, for reports. */
export type HnswOrigin = 'built' | 'loaded';

/**
 * Approximate search with hnswlib-node (inner-product space on unit vectors). Candidates it returns
 * are re-scored with the exact float32 kernel, so reported scores match the exact scan; only which
 * rows are found is approximate. The graph can be persisted beside the gallery and reloaded while
 * its {@link HnswKey} still matches.
 *
 * @example
 * const idx = HnswIndex.build(matrix, 512, { m: 32, efConstruction: 200, efSearch: 256, seed: 100 })
 * idx.search(query, 10)
 */
export class HnswIndex implements VectorIndex {
  readonly kind = 'hnsw' as const;
  readonly rows: number;
  readonly dim: number;
  readonly origin: HnswOrigin;
  /** Links per node the graph was built with (its memory grows with it). */
  readonly m: number;
  private readonly graph: hnswlib.HierarchicalNSW;
  private readonly flat: FlatIndex;

  private constructor(graph: hnswlib.HierarchicalNSW, flat: FlatIndex, origin: HnswOrigin, m: number) {
    this.m = m;
    this.graph = graph;
    this.flat = flat;
    this.rows = flat.rows;
    this.dim = flat.dim;
    this.origin = origin;
  }

  /**
   * Builds a graph over `matrix` (rows × dim). `flat`, an exact index already holding these rows,
   * is used for re-scoring instead of a copy.
   */
  static build(matrix: Float32Array, dim: number, opts: HnswOptions, flat = FlatIndex.build(matrix, dim, { int8: false, rerank: 0 })): HnswIndex {
    const graph = new hnswlib.HierarchicalNSW('ip', dim);
    graph.initIndex({ maxElements: Math.max(flat.rows, 1), m: opts.m, efConstruction: opts.efConstruction, randomSeed: opts.seed });
    const point = new Array<number>(dim);
    for (let r = 0; r < flat.rows; r++) {
      const row = flat.row(r);
      for (let j = 0; j < dim; j++) point[j] = row[j] as number;
      graph.addPoint(point, r);
    }
    graph.setEf(opts.efSearch);
    return new HnswIndex(graph, flat, 'built', opts.m);
  }

  /**
   * Loads the graph at `path` when its sidecar `path.json` holds `key`; otherwise builds one and
   * writes it (through a temporary file and a rename, so a crash never leaves a torn index).
   */
  static loadOrBuild(path: string, key: HnswKey, matrix: Float32Array, opts: HnswOptions, flat?: FlatIndex): HnswIndex {
    const metaPath = `${path}.json`;
    if (existsSync(path) && existsSync(metaPath)) {
      try {
        const stored = JSON.parse(readFileSync(metaPath, 'utf8')) as Partial<HnswKey>;
        if (sameKey(stored, key)) {
          const graph = new hnswlib.HierarchicalNSW('ip', key.dim);
          graph.readIndexSync(path);
          if (graph.getCurrentCount() === key.rows) {
            graph.setEf(opts.efSearch);
            return new HnswIndex(graph, flat ?? FlatIndex.build(matrix, key.dim, { int8: false, rerank: 0 }), 'loaded', key.m);
          }
        }
      } catch {
        // An unreadable or foreign sidecar is a stale cache: rebuild below.
      }
    }
    const idx = HnswIndex.build(matrix, key.dim, opts, flat);
    const tmp = `${path}.tmp-${process.pid}`;
    try {
      ensurePrivateFile(tmp);
      idx.graph.writeIndexSync(tmp);
      renameSync(tmp, path);
      writeFileSync(metaPath, JSON.stringify(key), { mode: PRIVATE_FILE_MODE });
    } finally {
      rmSync(tmp, { force: true });
    }
    return idx;
  }

  /** Sets the search candidate list size. */
  setEf(ef: number): void {
    this.graph.setEf(ef);
  }

  search(query: Float32Array, k: number): Neighbour[] {
    const kk = Math.min(k, this.rows);
    if (kk <= 0) return [];
    const { neighbors } = this.graph.searchKnn(Array.from(query), kk);
    return neighbors.map((row) => ({ row, score: this.flat.score(query, row) })).sort((a, b) => b.score - a.score || a.row - b.row);
  }

  score(query: Float32Array, row: number): number {
    return this.flat.score(query, row);
  }

  memoryBytes(): number {
    // hnswlib stores each vector (dim × 4 bytes) plus 2·M links of 4 bytes at level 0 and a label
    // (hnswalg.h: size_links_level0_ = maxM0_ · sizeof(tableint) + sizeof(linklistsizeint), maxM0_ = 2·M).
    return this.flat.memoryBytes() + this.rows * (this.dim * 4 + 2 * this.m * 4 + 16);
  }

  dispose(): void {
    this.flat.dispose();
  }
}

function sameKey(a: Partial<HnswKey>, b: HnswKey): boolean {
  return (
    a.generation === b.generation &&
    a.rows === b.rows &&
    a.dim === b.dim &&
    a.fingerprint === b.fingerprint &&
    a.m === b.m &&
    a.efConstruction === b.efConstruction
  );
}

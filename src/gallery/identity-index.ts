import { FlatIndex } from './flat-index.js';
import { HnswIndex } from './hnsw-index.js';
import type { ResolvedGalleryOptions } from './config.js';
import type { TemplateMatrix } from './store.js';
import { clusterTemplates, type SubCenter } from './sub-centers.js';

/** Members of a single-template identity's only sub-centre. */
const SINGLE: readonly number[] = Object.freeze([0]);
import type { VectorIndex } from './vector-index.js';

/** The sub-centres of one identity and the matrix rows of its templates. */
export interface IdentityModel {
  readonly id: string;
  /** Rows of the template matrix, in template-id order. */
  readonly rows: readonly number[];
  readonly subCenters: readonly SubCenter[];
  /** Index rows of the trusted sub-centres, as `[row, subCentre]` pairs. */
  readonly indexRows: readonly (readonly [number, number])[];
}

/** Where a persisted HNSW graph lives and what it must match. */
export interface HnswPersistence {
  readonly path: string;
  readonly generation: number;
}

/**
 * The searchable state of a gallery at one generation: every identity's sub-centres and a vector
 * index over the trusted sub-centre means (one row per sub-centre, labelled with its identity).
 *
 * @example
 * const idx = IdentityIndex.build(await store.loadMatrix(), opts, null)
 * idx.search(query, 5)
 */
export class IdentityIndex {
  readonly templates: TemplateMatrix;
  readonly identities: ReadonlyMap<string, IdentityModel>;
  readonly vectors: VectorIndex;
  /** Identity and sub-centre of each index row. */
  readonly rowIdentity: readonly string[];
  readonly rowSubCenter: Int32Array;

  private constructor(t: TemplateMatrix, ids: Map<string, IdentityModel>, vectors: VectorIndex, rowIdentity: string[], rowSub: Int32Array) {
    this.templates = t;
    this.identities = ids;
    this.vectors = vectors;
    this.rowIdentity = rowIdentity;
    this.rowSubCenter = rowSub;
  }

  /** Clusters every identity and builds the index chosen by `opts.index` (and size for `auto`). */
  static build(t: TemplateMatrix, opts: ResolvedGalleryOptions, hnsw: HnswPersistence | null): IdentityIndex {
    const byId = new Map<string, number[]>();
    t.identityIds.forEach((id, r) => {
      const list = byId.get(id);
      if (list === undefined) byId.set(id, [r]);
      else list.push(r);
    });
    const identities = new Map<string, IdentityModel>();
    const rowIdentity: string[] = [];
    const rowSub: number[] = [];
    const means: Float32Array[] = [];
    // True while index row i is template row i (single-template identities in template order):
    // then the template matrix is the index matrix and nothing is copied.
    let same = true;
    const subOpts = { maxSubCenters: opts.maxSubCenters, joinThreshold: opts.joinThreshold, minSupport: 2, minTemplatesToPrune: 3 };
    // Identities in order of their first template (the store's insertion order): deterministic, no sort.
    for (const [id, rows] of byId) {
      let subCenters: SubCenter[];
      if (rows.length === 1) {
        const r = rows[0] as number;
        subCenters = [{ mean: t.matrix.subarray(r * t.dim, (r + 1) * t.dim), members: SINGLE, dominant: true, trusted: true }];
        same &&= r === means.length;
      } else {
        subCenters = clusterTemplates(rows.map((r) => t.matrix.subarray(r * t.dim, (r + 1) * t.dim)), subOpts);
        same = false;
      }
      const indexRows: [number, number][] = [];
      identities.set(id, { id, rows, subCenters, indexRows });
      subCenters.forEach((sc, si) => {
        if (!sc.trusted) return;
        indexRows.push([means.length, si]);
        rowIdentity.push(id);
        rowSub.push(si);
        means.push(sc.mean);
      });
    }
    let matrix = t.matrix;
    if (!same || means.length * t.dim !== t.matrix.length) {
      matrix = new Float32Array(means.length * t.dim);
      means.forEach((m, i) => matrix.set(m, i * t.dim));
    }
    const kind = opts.index === 'auto' ? (means.length >= opts.hnswThreshold ? 'hnsw' : 'exact') : opts.index;
    let vectors: VectorIndex;
    if (kind === 'hnsw') {
      const hopts = { m: opts.hnswM, efConstruction: opts.hnswEfConstruction, efSearch: opts.hnswEfSearch, seed: 100 };
      vectors = hnsw === null
        ? HnswIndex.build(matrix, t.dim, hopts)
        : HnswIndex.loadOrBuild(hnsw.path, {
          generation: hnsw.generation, rows: means.length, dim: t.dim, fingerprint: opts.fingerprint, m: opts.hnswM, efConstruction: opts.hnswEfConstruction,
        }, matrix, hopts);
    } else {
      vectors = FlatIndex.build(matrix, t.dim, { int8: kind === 'int8', rerank: opts.int8Rerank });
    }
    return new IdentityIndex(t, identities, vectors, rowIdentity, Int32Array.from(rowSub));
  }

  /**
   * Best identities for a query: the index returns sub-centre rows, which are reduced to each
   * identity's best sub-centre. Asking for `topK × maxSubCenters` rows guarantees `topK` distinct
   * identities from an exact index.
   */
  search(query: Float32Array, topK: number, maxSubCenters: number): { id: string; score: number; subCenter: number }[] {
    const hits = this.vectors.search(query, topK * maxSubCenters);
    const seen = new Set<string>();
    const out: { id: string; score: number; subCenter: number }[] = [];
    for (const h of hits) {
      const id = this.rowIdentity[h.row] as string;
      if (seen.has(id)) continue;
      seen.add(id);
      out.push({ id, score: h.score, subCenter: this.rowSubCenter[h.row] as number });
      if (out.length === topK) break;
    }
    return out;
  }

  /** Best trusted sub-centre of one identity for a query, or null when the identity is absent. */
  scoreIdentity(query: Float32Array, id: string): { score: number; subCenter: number } | null {
    const m = this.identities.get(id);
    if (m === undefined) return null;
    let best = { score: -Infinity, subCenter: -1 };
    for (const [row, si] of m.indexRows) {
      const v = this.vectors.score(query, row);
      if (v > best.score) best = { score: v, subCenter: si };
    }
    return best.subCenter < 0 ? null : best;
  }

  dispose(): void {
    this.vectors.dispose();
  }
}

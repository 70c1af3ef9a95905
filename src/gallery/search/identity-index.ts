import { FlatIndex, type PendingFlatIndex } from './flat-index.js';
import { HnswIndex } from './hnsw-index.js';
import type { ResolvedGalleryOptions } from '../config.js';
import type { TemplateMatrix } from '../stores/store.js';
import { clusterIdentity, type SubCenter } from '../sub-centers.js';

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

  private constructor(t: TemplateMatrix, ids: ReadonlyMap<string, IdentityModel>, vectors: VectorIndex, rowIdentity: readonly string[], rowSub: Int32Array) {
    this.templates = t;
    this.identities = ids;
    this.vectors = vectors;
    this.rowIdentity = rowIdentity;
    this.rowSubCenter = rowSub;
  }

  /**
   * Clusters every identity and builds the index chosen by `opts.index` (and size for `auto`).
   * When `pending` holds `t.matrix` and every identity is one template, the index is finished in
   * place rather than copied.
   */
  static build(t: TemplateMatrix, opts: ResolvedGalleryOptions, hnsw: HnswPersistence | null, pending: PendingFlatIndex | null = null): IdentityIndex {
    // First row of each identity; a second row sends the build down the general path.
    const firstRow = new Map<string, number>();
    const ids = t.identityIds;
    let singles = true;
    for (let r = 0; r < ids.length; r++) {
      const id = ids[r] as string;
      if (firstRow.has(id)) {
        singles = false;
        break;
      }
      firstRow.set(id, r);
    }
    if (singles) {
      // One template per identity (typical of large galleries): index row = template row, one
      // trusted sub-centre each, identity models made on demand.
      const vectors = IdentityIndex.vectorIndex(t.matrix, t.dim, opts, hnsw, pending);
      return new IdentityIndex(t, new SingleTemplateIdentities(t, firstRow), vectors, ids, new Int32Array(ids.length));
    }
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
    // Identities in order of their first template (the store's insertion order): deterministic, no sort.
    for (const [id, rows] of byId) {
      const subCenters =
        rows.length === 1
          ? [singleSubCenter(t, rows[0] as number)]
          : clusterIdentity(
              rows.map((r) => t.matrix.subarray(r * t.dim, (r + 1) * t.dim)),
              opts,
            );
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
    // Some identity has several templates (else the path above was taken): index rows are sub-centre means.
    const matrix = new Float32Array(means.length * t.dim);
    means.forEach((m, i) => matrix.set(m, i * t.dim));
    const vectors = IdentityIndex.vectorIndex(matrix, t.dim, opts, hnsw, null);
    return new IdentityIndex(t, identities, vectors, rowIdentity, Int32Array.from(rowSub));
  }

  /** The vector index over `matrix` (the sub-centre rows), finished in place when `pending` holds it. */
  private static vectorIndex(
    matrix: Float32Array,
    dim: number,
    opts: ResolvedGalleryOptions,
    hnsw: HnswPersistence | null,
    pending: PendingFlatIndex | null,
  ): VectorIndex {
    const rows = matrix.length / dim;
    const kind = opts.index === 'auto' ? (rows >= opts.hnswThreshold ? 'hnsw' : 'exact') : opts.index;
    const flatKind = kind === 'int8' ? 'int8' : 'exact';
    const inPlace = pending !== null && pending.matrix === matrix && pending.kind === flatKind ? pending.finish() : undefined;
    if (kind !== 'hnsw') return inPlace ?? FlatIndex.build(matrix, dim, { int8: kind === 'int8', rerank: opts.int8Rerank });
    const hopts = { m: opts.hnswM, efConstruction: opts.hnswEfConstruction, efSearch: opts.hnswEfSearch, seed: 100 };
    return hnsw === null
      ? HnswIndex.build(matrix, dim, hopts, inPlace)
      : HnswIndex.loadOrBuild(
          hnsw.path,
          {
            generation: hnsw.generation,
            rows,
            dim,
            fingerprint: opts.fingerprint,
            m: opts.hnswM,
            efConstruction: opts.hnswEfConstruction,
          },
          matrix,
          hopts,
          inPlace,
        );
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

/**
 * The identities of a gallery where each has exactly one template: a map from id to its row, with
 * each {@link IdentityModel} (one trusted sub-centre, the template itself) made when asked for, so
 * a million-identity gallery opens without a million model objects.
 */
class SingleTemplateIdentities implements ReadonlyMap<string, IdentityModel> {
  private readonly t: TemplateMatrix;
  private readonly rowOf: ReadonlyMap<string, number>;

  constructor(t: TemplateMatrix, rowOf: ReadonlyMap<string, number>) {
    this.t = t;
    this.rowOf = rowOf;
  }

  get size(): number {
    return this.rowOf.size;
  }

  has(id: string): boolean {
    return this.rowOf.has(id);
  }

  get(id: string): IdentityModel | undefined {
    const r = this.rowOf.get(id);
    return r === undefined ? undefined : this.model(id, r);
  }

  *entries(): MapIterator<[string, IdentityModel]> {
    for (const [id, r] of this.rowOf) yield [id, this.model(id, r)];
  }

  keys(): MapIterator<string> {
    return this.rowOf.keys();
  }

  *values(): MapIterator<IdentityModel> {
    for (const [id, r] of this.rowOf) yield this.model(id, r);
  }

  forEach(fn: (value: IdentityModel, key: string, map: ReadonlyMap<string, IdentityModel>) => void, thisArg?: unknown): void {
    for (const [id, model] of this.entries()) fn.call(thisArg, model, id, this);
  }

  [Symbol.iterator](): MapIterator<[string, IdentityModel]> {
    return this.entries();
  }

  private model(id: string, r: number): IdentityModel {
    return { id, rows: [r], subCenters: [singleSubCenter(this.t, r)], indexRows: [[r, 0]] };
  }
}

/** The only sub-centre of a one-template identity: the template itself, trusted and dominant. */
function singleSubCenter(t: TemplateMatrix, r: number): SubCenter {
  return { mean: t.matrix.subarray(r * t.dim, (r + 1) * t.dim), members: SINGLE, dominant: true, trusted: true };
}

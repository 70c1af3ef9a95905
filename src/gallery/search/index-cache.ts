import type { ResolvedGalleryOptions } from '../config.js';
import { FlatIndex, type PendingFlatIndex } from './flat-index.js';
import { rm } from '../gallery-files.js';
import { IdentityIndex } from './identity-index.js';
import { readSnapshot, writeSnapshot } from './matrix-snapshot.js';
import { LiveIndex } from './live-index.js';
import type { GalleryStore, TemplateMatrix } from '../stores/store.js';

/**
 * Most identities changed by this process that are searched in an overlay before the whole index is
 * rebuilt; the overlay is an exact scan of at most K rows each, well under a millisecond at this size.
 */
const OVERLAY_LIMIT = 1024;

interface CacheState {
  /** Store generation the base index was built at. */
  readonly generation: number;
  readonly base: IdentityIndex;
  /** Committed writes by this gallery since, and the identities they touched. */
  ownWrites: number;
  readonly touched: Set<string>;
  live: LiveIndex;
  liveGeneration: number;
}

/**
 * The in-memory index of a gallery, kept in step with the store's generation counter: reused while
 * nothing changed, patched with an overlay after this process's own writes, rebuilt after anyone
 * else's (or when the overlay grows past {@link OVERLAY_LIMIT}).
 *
 * @example
 * const cache = new GalleryIndexCache(store, options, { hnsw: 'people.db.hnsw', snapshot: 'people.db.matrix' })
 * const hits = (await cache.live()).search(query, 5, 3)
 */
export class GalleryIndexCache {
  private cache: CacheState | null = null;
  private readonly store: GalleryStore;
  private readonly options: ResolvedGalleryOptions;
  private hnswPath: string | null;
  private snapshotPath: string | null;
  /** The snapshot being written, awaited by {@link flush}. */
  private writing: Promise<void> = Promise.resolve();

  /** `paths`: where the persisted HNSW graph and the matrix snapshot live (null: kept in memory only). */
  constructor(store: GalleryStore, options: ResolvedGalleryOptions, paths: { readonly hnsw: string | null; readonly snapshot: string | null }) {
    this.store = store;
    this.options = options;
    this.hnswPath = paths.hnsw;
    this.snapshotPath = paths.snapshot;
  }

  /** The searchable index: the cached one, patched with this gallery's own writes when possible. */
  async live(): Promise<LiveIndex> {
    const generation = await this.store.generation();
    const c = this.cache;
    if (c !== null && generation === c.generation + c.ownWrites && c.touched.size <= OVERLAY_LIMIT) {
      if (c.liveGeneration !== generation) {
        const changed = [...c.touched].sort();
        // One identity at a time: a server store sees one query in flight per gallery.
        const all = [];
        for (const id of changed) all.push(...(await this.store.templatesOf(id)));
        const dim = this.options.embeddingSize;
        const matrix = new Float32Array(all.length * dim);
        all.forEach((t, i) => matrix.set(t.embedding, i * dim));
        const overlay = IdentityIndex.build(
          { dim, matrix, templateIds: Float64Array.from(all, (t) => t.templateId), identityIds: all.map((t) => t.identityId) },
          { ...this.options, index: 'exact' },
          null,
        );
        c.live.overlay?.dispose();
        c.live = new LiveIndex(c.base, overlay, new Set(changed));
        c.liveGeneration = generation;
      }
      return c.live;
    }
    return (await this.rebuild(generation)).live;
  }

  /** A whole index with every template (show, audit): rebuilt when this gallery changed it. */
  async full(): Promise<IdentityIndex> {
    const generation = await this.store.generation();
    const c = this.cache;
    if (c !== null && c.generation === generation) return c.base;
    return (await this.rebuild(generation)).base;
  }

  private async rebuild(storeGeneration: number): Promise<CacheState> {
    // Templates load straight into the index's memory; it is finished in place when every identity
    // is one template (the index rows are then the template rows), else it just holds the templates.
    let pending: PendingFlatIndex | null = null;
    const o = this.options;
    const allocate = (rows: number): Float32Array => {
      pending = FlatIndex.allocate(rows, o.embeddingSize, { int8: o.index === 'int8', rerank: o.int8Rerank });
      return pending.matrix;
    };
    let matrix: TemplateMatrix | null = null;
    if (this.snapshotPath !== null) {
      const stamp = await this.store.stamp();
      if (stamp.rows >= o.snapshotMinRows) matrix = readSnapshot(this.snapshotPath, { ...stamp, dim: o.embeddingSize, fingerprint: o.fingerprint }, allocate);
    }
    if (matrix === null) {
      matrix = await this.store.loadMatrix(allocate);
      const stamp = matrix.stamp;
      if (this.snapshotPath !== null && !o.readonly && stamp !== undefined && stamp.rows >= o.snapshotMinRows) {
        const key = { ...stamp, dim: o.embeddingSize, fingerprint: o.fingerprint };
        const m = matrix;
        const path = this.snapshotPath;
        // A cache: a failed write (full disk, read-only folder) only means the next open reads the store.
        this.writing = this.writing.then(() => writeSnapshot(path, key, m)).catch(() => undefined);
      }
    }
    // The generation the rows were read at, where the store or snapshot tells it.
    const generation = matrix.stamp?.generation ?? storeGeneration;
    const base = IdentityIndex.build(matrix, o, this.hnswPath === null ? null : { path: this.hnswPath, generation }, pending);
    this.cache?.live.overlay?.dispose();
    this.cache?.base.dispose();
    this.cache = { generation, base, ownWrites: 0, touched: new Set(), live: new LiveIndex(base, null, new Set()), liveGeneration: generation };
    return this.cache;
  }

  /** Records a committed write of this gallery, so the next query patches rather than reloads. */
  wrote(ids: readonly string[]): void {
    if (this.cache === null) return;
    this.cache.ownWrites++;
    for (const id of ids) this.cache.touched.add(id);
  }

  /** Waits for a snapshot being written (the gallery awaits it when closing). */
  async flush(): Promise<void> {
    await this.writing;
  }

  /**
   * Removes the persisted matrix snapshot and HNSW graph (they hold embeddings), after a forget:
   * they are caches, rebuilt from the store on the next open. Returns the paths removed.
   */
  async discardPersisted(opts: { stop?: boolean } = {}): Promise<string[]> {
    await this.flush();
    const paths = [this.snapshotPath, this.hnswPath].filter((p): p is string => p !== null);
    for (const p of paths) await rm(p, { force: true });
    // A sealed gallery keeps no plain copy of its templates on disk: no snapshot or graph from now on.
    if (opts.stop === true) {
      this.snapshotPath = null;
      this.hnswPath = null;
    }
    return paths;
  }

  dispose(): void {
    this.cache?.live.overlay?.dispose();
    this.cache?.base.dispose();
    this.cache = null;
  }
}

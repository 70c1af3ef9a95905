import { ArcFaceError } from '../core/errors.js';
import { assertInteger, assertNumber } from '../core/validate.js';
import { resolveGalleryOptions, type GalleryOptions, type ResolvedGalleryOptions } from './config.js';
import { decodeExport, encodeExport } from './export-format.js';
import { readFile, rename, writeFile } from './gallery-files.js';
import { GalleryIndexCache } from './index-cache.js';
import type { IdentityIndex } from './identity-index.js';
import type { LiveIndex } from './live-index.js';
import type { EnrollMode, GalleryStore, IdentityRecord, IdentitySummary, NewTemplate } from './store.js';
import { findOutliers } from './sub-centers.js';
import { assertEmbedding, assertIdentityId, assertMetadata } from './validate.js';
import type { IndexKind } from './vector-index.js';
import type { AuditFinding, EnrollInput, IdentifyResult, IdentityDetails, VerifyResult } from './results.js';

/**
 * A face gallery over a {@link GalleryStore}: enrol, identify (1:N, open set), verify (1:1), edit,
 * audit and export. It takes embeddings; `enrollImages`/`identifyImage` feed it from images.
 *
 * Identification scores an identity by the maximum cosine over its trusted sub-centre means, as
 * Sub-center ArcFace scores a class by its best sub-centre. Means rather than member templates:
 * averaging cancels per-photo noise (pose, blur, lighting), the index holds ≤ K rows per identity
 * instead of one per photo, and a mislabelled photo lands in a small untrusted sub-centre that
 * cannot attract queries, as the paper drops non-dominant sub-centres.
 *
 * The in-memory index follows the store's generation counter, so writes by this or any other
 * process are seen by the next query.
 *
 * @example
 * const g = await openGallery('people.db', { fingerprint: rec.fingerprint, embeddingSize: 512, threshold: rec.threshold })
 * await g.enroll('ada', [embedding], { name: 'Ada Lovelace' })
 * const { decision, candidates } = await g.identify(query)
 */
export class Gallery {
  readonly store: GalleryStore;
  readonly options: ResolvedGalleryOptions;
  private readonly cache: GalleryIndexCache;

  private constructor(store: GalleryStore, options: ResolvedGalleryOptions) {
    this.store = store;
    this.options = options;
    const local = store.kind === 'sqlite';
    this.cache = new GalleryIndexCache(store, options, { hnsw: local ? `${store.location}.hnsw` : null, snapshot: local ? `${store.location}.matrix` : null });
  }

  /** Wraps an opened store; its recorded model must match `options`. */
  static fromStore(store: GalleryStore, options: GalleryOptions = {}): Gallery {
    const o = resolveGalleryOptions(options, store.meta);
    if (store.meta.fingerprint !== o.fingerprint) {
      throw new ArcFaceError('MODEL_MISMATCH', `Expected the gallery to hold embeddings of model ${o.fingerprint} but it holds ${store.meta.fingerprint}`);
    }
    if (store.meta.embeddingSize !== o.embeddingSize) {
      throw new ArcFaceError('EMBEDDING_SIZE_MISMATCH', `Expected ${o.embeddingSize}-d embeddings but the gallery holds ${store.meta.embeddingSize}-d`);
    }
    return new Gallery(store, o);
  }

  get fingerprint(): string { return this.options.fingerprint; }
  get embeddingSize(): number { return this.options.embeddingSize; }
  /** The decision threshold given at open, or null when each call must give one. */
  get threshold(): number | null { return this.options.threshold; }

  /**
   * Enrols templates under `id`. Without `append` an existing id is refused (`IDENTITY_EXISTS`);
   * with it, templates are added (and the identity created when absent). One transaction.
   */
  async enroll(id: string, templates: EnrollInput, opts: { name?: string; metadata?: Record<string, unknown>; append?: boolean } = {}): Promise<{ id: string; templateIds: number[] }> {
    assertIdentityId('id', id);
    if (!Array.isArray(templates) || templates.length === 0) {
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected at least one template to enrol for "${id}" but received ${Array.isArray(templates) ? 'none' : typeof templates}`);
    }
    const list: NewTemplate[] = (templates as readonly (Float32Array | NewTemplate)[]).map((t, i) => {
      const tpl = t instanceof Float32Array ? { embedding: t } : t;
      assertEmbedding(`templates[${i}]`, tpl?.embedding, this.embeddingSize);
      return tpl;
    });
    if (opts.name !== undefined && (typeof opts.name !== 'string' || opts.name.length === 0)) {
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected name to be a non-empty string but received ${JSON.stringify(opts.name)}`);
    }
    const metadata = opts.metadata === undefined ? undefined : assertMetadata(opts.metadata);
    const mode: EnrollMode = opts.append === true ? 'append' : 'create';
    const templateIds = await this.store.enroll({ id, ...(opts.name === undefined ? {} : { name: opts.name }), ...(metadata === undefined ? {} : { metadata }) }, list, mode);
    this.wrote([id]);
    return { id, templateIds };
  }

  /** Ranks identities for a query embedding; `known` when the best scores ≥ the threshold. */
  async identify(query: Float32Array, opts: { topK?: number; threshold?: number } = {}): Promise<IdentifyResult> {
    assertEmbedding('query', query, this.embeddingSize);
    const topK = this.checked(() => assertInteger('topK', opts.topK ?? 5, 1, 1000));
    const threshold = this.decisionThreshold(opts.threshold);
    const index = await this.index();
    const hits = index.search(query, topK, this.options.maxSubCenters);
    const names = await this.names(hits.map((h) => h.id));
    const candidates = hits.map((h) => ({ id: h.id, name: names.get(h.id) ?? h.id, score: h.score, subCenter: h.subCenter }));
    const best = candidates[0];
    return { decision: best !== undefined && best.score >= threshold ? 'known' : 'unknown', threshold, candidates };
  }

  /** Scores a query against one identity; `IDENTITY_NOT_FOUND` when absent. */
  async verify(query: Float32Array, id: string, opts: { threshold?: number } = {}): Promise<VerifyResult> {
    assertEmbedding('query', query, this.embeddingSize);
    assertIdentityId('id', id);
    const threshold = this.decisionThreshold(opts.threshold);
    const hit = (await this.index()).scoreIdentity(query, id);
    if (hit === null) throw new ArcFaceError('IDENTITY_NOT_FOUND', `Expected identity "${id}" to be enrolled but it is not`);
    return { id, score: hit.score, subCenter: hit.subCenter, threshold, match: hit.score >= threshold };
  }

  /** Every identity with its template count, sorted by id. */
  async list(): Promise<IdentitySummary[]> {
    return this.store.listIdentities();
  }

  /** One identity with its templates and sub-centres; `IDENTITY_NOT_FOUND` when absent. */
  async show(id: string): Promise<IdentityDetails> {
    const identity = await this.mustGet(id);
    const templates = await this.store.templatesOf(id);
    const model = (await this.fullIndex()).identities.get(id);
    const owner = new Map<number, number>();
    model?.subCenters.forEach((s, si) => s.members.forEach((m) => owner.set(m, si)));
    return {
      ...identity,
      templates: templates.map(({ embedding: _e, ...t }, i) => ({ ...t, subCenter: owner.get(i) ?? 0 })),
      subCenters: (model?.subCenters ?? []).map((s) => ({ size: s.members.length, dominant: s.dominant, trusted: s.trusted })),
    };
  }

  async remove(id: string): Promise<void> {
    assertIdentityId('id', id);
    await this.store.removeIdentity(id);
    this.wrote([id]);
  }

  /** Changes an identity's display name and/or id. */
  async rename(id: string, change: { newId?: string; name?: string }): Promise<void> {
    assertIdentityId('id', id);
    if (change.newId !== undefined) assertIdentityId('newId', change.newId);
    if (change.newId === undefined && change.name === undefined) {
      throw new ArcFaceError('INVALID_ARGUMENT', 'Expected a new id or a new name to rename to but received neither');
    }
    await this.store.renameIdentity(id, change);
    this.wrote([id, change.newId ?? id]);
  }

  /** Moves every template of `from` into `into` and removes `from`. */
  async merge(from: string, into: string): Promise<void> {
    assertIdentityId('from', from);
    assertIdentityId('into', into);
    await this.store.mergeIdentities(from, into);
    this.wrote([from, into]);
  }

  /**
   * Templates far from their identity's dominant sub-centre (cosine below `threshold`, default the
   * decision threshold): probable mislabels or unusable photos, lowest score first.
   */
  async audit(opts: { threshold?: number } = {}): Promise<AuditFinding[]> {
    const threshold = this.decisionThreshold(opts.threshold);
    const index = await this.fullIndex();
    const t = index.templates;
    const out: AuditFinding[] = [];
    for (const model of index.identities.values()) {
      const embs = model.rows.map((r) => t.matrix.subarray(r * t.dim, (r + 1) * t.dim));
      for (const o of findOutliers(embs, model.subCenters, threshold)) {
        out.push({ id: model.id, templateId: t.templateIds[model.rows[o.index] as number] as number, sourceFile: null, score: o.score, subCenter: o.subCenter, templateCount: model.rows.length });
      }
    }
    const files = await this.sourceFiles(out.map((f) => f.id));
    return out.map((f) => ({ ...f, sourceFile: files.get(f.templateId) ?? null })).sort((a, b) => a.score - b.score || a.templateId - b.templateId);
  }

  /** Writes the whole gallery to `path` in the export format (through a temporary file). */
  async export(path: string): Promise<{ identities: number; templates: number }> {
    const { bytes, identities, templates } = await this.exportBytes();
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, bytes);
    await rename(tmp, path);
    return { identities, templates };
  }

  /** The whole gallery in the export format, as bytes (the browser's export; same bytes as a file). */
  async exportBytes(): Promise<{ bytes: Uint8Array; identities: number; templates: number }> {
    const items = [];
    for (const identity of await this.store.listIdentities()) items.push({ identity, templates: await this.store.templatesOf(identity.id) });
    const bytes = encodeExport(this.fingerprint, this.embeddingSize, items);
    return { bytes, identities: items.length, templates: items.reduce((n, i) => n + i.templates.length, 0) };
  }

  /** Reads an export file into this gallery in one transaction; `append` adds to existing ids. */
  async import(path: string, opts: { append?: boolean } = {}): Promise<{ identities: number; templates: number }> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new ArcFaceError('FILE_NOT_FOUND', `Expected a gallery export file at ${path} but it cannot be read`, { cause });
    }
    return this.importBytes(bytes, opts, path);
  }

  /** Reads export bytes into this gallery in one transaction; `label` names them in errors. */
  async importBytes(bytes: Uint8Array, opts: { append?: boolean } = {}, label = 'the export'): Promise<{ identities: number; templates: number }> {
    const { header, identities } = decodeExport(bytes);
    if (header.fingerprint !== this.fingerprint) {
      throw new ArcFaceError('MODEL_MISMATCH', `Expected an export of model ${this.fingerprint} but ${label} holds ${header.fingerprint}`);
    }
    if (header.embeddingSize !== this.embeddingSize) {
      throw new ArcFaceError('EMBEDDING_SIZE_MISMATCH', `Expected ${this.embeddingSize}-d embeddings but ${label} holds ${header.embeddingSize}-d`);
    }
    const n = await this.store.enrollMany(identities.map(({ identity, templates }) => ({
      identity: { id: identity.id, name: identity.name, metadata: identity.metadata, createdAt: identity.createdAt }, templates,
    })), opts.append === true ? 'append' : 'create');
    this.wrote(identities.map((i) => i.identity.id));
    return { identities: identities.length, templates: n };
  }

  /** Which index serves queries now and how many sub-centre rows it holds. */
  async indexInfo(): Promise<{ kind: IndexKind; rows: number; templates: number; identities: number; memoryBytes: number }> {
    const i = await this.fullIndex();
    return { kind: i.vectors.kind, rows: i.vectors.rows, templates: i.templates.templateIds.length, identities: i.identities.size, memoryBytes: i.vectors.memoryBytes() };
  }

  async close(): Promise<void> {
    await this.cache.flush();
    this.cache.dispose();
    await this.store.close();
  }

  private index(): Promise<LiveIndex> {
    return this.cache.live();
  }

  private fullIndex(): Promise<IdentityIndex> {
    return this.cache.full();
  }

  private wrote(ids: readonly string[]): void {
    this.cache.wrote(ids);
  }

  private async mustGet(id: string): Promise<IdentityRecord> {
    assertIdentityId('id', id);
    const identity = await this.store.getIdentity(id);
    if (identity === null) throw new ArcFaceError('IDENTITY_NOT_FOUND', `Expected identity "${id}" to be enrolled but it is not`);
    return identity;
  }

  private async names(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (const id of ids) out.set(id, (await this.store.getIdentity(id))?.name ?? id);
    return out;
  }

  private async sourceFiles(ids: readonly string[]): Promise<Map<number, string | null>> {
    const out = new Map<number, string | null>();
    for (const id of new Set(ids)) for (const t of await this.store.templatesOf(id)) out.set(t.templateId, t.sourceFile);
    return out;
  }

  private decisionThreshold(given: number | undefined): number {
    const t = given ?? this.threshold;
    if (t === null) {
      throw new ArcFaceError('INVALID_ARGUMENT', 'Expected a cosine threshold (the recogniser has no calibrated one and none was given at open) but received none');
    }
    return this.checked(() => assertNumber('threshold', t, -1, 1));
  }

  private checked<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof TypeError || e instanceof RangeError) throw new ArcFaceError('INVALID_ARGUMENT', e.message, { cause: e });
      throw e;
    }
  }
}

import { ArcFaceError, assertInteger, assertNumber } from '../core/index.js';
import { resolveGalleryOptions, type GalleryOptions, type ResolvedGalleryOptions } from './config.js';
import { decodeExport, encodeExport } from './export-format.js';
import { checkForgetStep, type ForgetReceipt, type ForgetStep } from './forget.js';
import type { KeyEncryptionKey } from './kek.js';
import { isSealedExport, openExport, sealExport } from './sealed-export.js';
import { PRIVATE_FILE_MODE, readFile, rename, writeFile } from './gallery-files.js';
import { GalleryIndexCache } from './search/index-cache.js';
import type { LiveIndex } from './search/live-index.js';
import type { EnrollMode, GalleryStore, IdentityRecord, IdentitySummary, NewTemplate, StoreIdentitySearch, TemplateRecord } from './stores/store.js';
import { clusterIdentity, findOutliers } from './sub-centers.js';
import { IdentityIndex } from './search/identity-index.js';
import { PGVECTOR_MAX_EF_SEARCH } from './search/postgres-search.js';
import { assertEmbedding, assertIdentityId, assertMetadata, assertName, assertTemplateId, modelMismatch } from './validate.js';
import type { IndexKind } from './search/vector-index.js';
import { identificationThreshold, type ThresholdChoice } from './threshold-policy.js';
import type { AuditFinding, EnrolledTemplate, EnrollInput, IdentifyResult, IdentityDetails, VerifyResult } from './results.js';

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
 * On PostgreSQL, identification runs in the database over the sub-centre means it keeps (see
 * {@link StoreIdentitySearch}): the process holds no template and sees every write at once.
 * Elsewhere (SQLite, IndexedDB, or `search: 'memory'`) the in-memory index follows the store's
 * generation counter, so writes by this or any other process are seen by the next query.
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
  /** The store's identification, or null when this process searches its in-memory index. */
  private readonly db: StoreIdentitySearch | null;
  /** Other owners' shares of {@link Gallery.forget}, in registration order. */
  private readonly forgetSteps: ForgetStep[] = [];

  private constructor(store: GalleryStore, options: ResolvedGalleryOptions) {
    this.store = store;
    this.options = options;
    this.db = options.search === 'memory' ? null : (store.identitySearch ?? null);
    // A sealed gallery keeps no plain copy of its templates on disk (snapshot, graph): only in memory.
    const local = store.kind === 'sqlite' && (store.sealingKey?.() ?? null) === null;
    this.cache = new GalleryIndexCache(store, options, { hnsw: local ? `${store.location}.hnsw` : null, snapshot: local ? `${store.location}.matrix` : null });
  }

  /** Wraps an opened store; its recorded model must match `options`. */
  static fromStore(store: GalleryStore, options: GalleryOptions = {}): Gallery {
    const o = resolveGalleryOptions(options, store.meta);
    if (store.meta.fingerprint !== o.fingerprint) {
      throw modelMismatch(`gallery ${store.location}`, store.meta.fingerprint, o.fingerprint);
    }
    if (store.meta.embeddingSize !== o.embeddingSize) {
      throw new ArcFaceError('EMBEDDING_SIZE_MISMATCH', `Expected ${o.embeddingSize}-d embeddings but the gallery holds ${store.meta.embeddingSize}-d`);
    }
    checkSearchOptions(store, options, o);
    if (options.kek !== undefined && store.sealingKey?.() !== options.kek) {
      throw new ArcFaceError(
        'SEALING_UNSUPPORTED',
        `Expected a store opened with the key-encryption key (SQLite: openGallery or SqliteGalleryStore.open with kek) but ${store.location} is a ${store.kind} store that was not`,
      );
    }
    return new Gallery(store, o);
  }

  get fingerprint(): string {
    return this.options.fingerprint;
  }
  /** Whether templates and thumbnails are sealed at rest (AES-256-GCM under a wrapped data key). */
  get sealed(): boolean {
    return (this.store.sealingKey?.() ?? null) !== null;
  }
  get embeddingSize(): number {
    return this.options.embeddingSize;
  }
  /** The decision threshold given at open, or null when each call must give one. */
  get threshold(): number | null {
    return this.options.threshold;
  }

  /**
   * Enrols templates under `id`. Without `append` an existing id is refused (`IDENTITY_EXISTS`);
   * with it, templates are added (and the identity created when absent). One transaction. A photo
   * is known by its source SHA-256: templates whose photo the identity already holds are left out
   * inside that transaction (see `StoreEnrollOptions`; `skipHeldSources: false` turns this off), so
   * an identity never holds two templates of one photo, and a repeat of an enrolment whose photos
   * are all held writes nothing, even without `append`. `templateIds` lists the templates written,
   * `duplicates` counts those left out, and `results` says for each template given which template
   * holds its photo now and whether it was `known` before (null: removed meanwhile by another writer).
   */
  async enroll(
    id: string,
    templates: EnrollInput,
    opts: { name?: string; metadata?: Record<string, unknown>; append?: boolean; skipHeldSources?: boolean } = {},
  ): Promise<{ id: string; templateIds: number[]; duplicates: number; results: EnrolledTemplate[] }> {
    assertIdentityId('id', id);
    if (!Array.isArray(templates) || templates.length === 0) {
      throw new ArcFaceError(
        'INVALID_ARGUMENT',
        `Expected at least one template to enrol for "${id}" but received ${Array.isArray(templates) ? 'none' : typeof templates}`,
      );
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
    const identity = { id, ...(opts.name === undefined ? {} : { name: opts.name }), ...(metadata === undefined ? {} : { metadata }) };
    const templateIds = await this.store.enroll(identity, list, mode, { skipHeldSources: opts.skipHeldSources !== false });
    this.wrote([id]);
    const duplicates = list.length - templateIds.length;
    const results =
      duplicates === 0 ? templateIds.map((templateId) => ({ templateId, known: false })) : matchHeld(list, templateIds, await this.store.templatesOf(id));
    return { id, templateIds, duplicates, results };
  }

  /**
   * Ranks identities for a query embedding; `known` when the best scores ≥ the threshold. The
   * threshold: `opts.threshold` when given; else, when the gallery knows its model's impostor
   * table, the one that holds the target FPIR (`opts.fpir`, default the gallery's `targetFpir`) at
   * the gallery's current number of identities, never below the 1:1 threshold; else the 1:1
   * threshold. `thresholdChoice` says which and why. `efSearch` (database search only) sets
   * `hnsw.ef_search` for this query (1–1000; default the gallery's `databaseEfSearch`).
   */
  async identify(query: Float32Array, opts: { topK?: number; threshold?: number; fpir?: number; efSearch?: number } = {}): Promise<IdentifyResult> {
    assertEmbedding('query', query, this.embeddingSize);
    const topK = this.checked(() => assertInteger('topK', opts.topK ?? 5, 1, 1000));
    if (this.db !== null) {
      const efSearch = this.checked(() => assertInteger('efSearch', opts.efSearch ?? this.options.databaseEfSearch, 1, PGVECTOR_MAX_EF_SEARCH));
      const { identities, hits } = await this.db.identify(query, { topK, candidates: topK * this.options.maxSubCenters, efSearch });
      return this.decide(this.identificationThresholdFor(identities, opts), hits);
    }
    const index = await this.index();
    const thresholdChoice = this.identificationThresholdFor(index.identityCount(), opts);
    const hits = index.search(query, topK, this.options.maxSubCenters);
    const names = await this.names(hits.map((h) => h.id));
    return this.decide(
      thresholdChoice,
      hits.map((h) => ({ id: h.id, name: names.get(h.id) ?? h.id, score: h.score, subCenter: h.subCenter })),
    );
  }

  private decide(thresholdChoice: ThresholdChoice, candidates: IdentifyResult['candidates']): IdentifyResult {
    const { threshold } = thresholdChoice;
    const best = candidates[0];
    return { decision: best !== undefined && best.score >= threshold ? 'known' : 'unknown', threshold, thresholdChoice, candidates };
  }

  /** The threshold {@link identify} uses now (see there), for a caller's explicit `threshold` and `fpir`. */
  async identificationThreshold(opts: { threshold?: number; fpir?: number } = {}): Promise<ThresholdChoice> {
    const identities = this.db !== null ? await this.db.identityCount() : (await this.index()).identityCount();
    return this.identificationThresholdFor(identities, opts);
  }

  /** Scores a query against one identity; `IDENTITY_NOT_FOUND` when absent. */
  async verify(query: Float32Array, id: string, opts: { threshold?: number } = {}): Promise<VerifyResult> {
    assertEmbedding('query', query, this.embeddingSize);
    assertIdentityId('id', id);
    const threshold = this.decisionThreshold(opts.threshold);
    const hit = this.db !== null ? await this.db.scoreIdentity(query, id) : (await this.index()).scoreIdentity(query, id);
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
    // The identity's own templates (template-id order), clustered as the index clusters them: no other identity is read.
    const templates = await this.store.templatesOf(id);
    const subCenters = clusterIdentity(
      templates.map((t) => t.embedding),
      this.options,
    );
    const owner = new Map<number, number>();
    subCenters.forEach((s, si) => s.members.forEach((m) => owner.set(m, si)));
    return {
      ...identity,
      templates: templates.map(({ embedding: _e, ...t }, i) => ({ ...t, subCenter: owner.get(i) ?? 0 })),
      subCenters: subCenters.map((s) => ({ size: s.members.length, dominant: s.dominant, trusted: s.trusted })),
    };
  }

  /** Removes an identity; any stored id can be removed (see `mustGet`). */
  async remove(id: string): Promise<void> {
    if (typeof id !== 'string' || id.length === 0) assertIdentityId('id', id);
    await this.store.removeIdentity(id);
    this.wrote([id]);
  }

  /**
   * Registers another owner's rows about an identity (people discovery's faces, sightings, …) to be
   * deleted by {@link Gallery.forget}, inside its transaction.
   *
   * @example
   * g.registerForgetStep({ name: 'sightings', statements: () => [{ count: 'sightings', sql: 'DELETE FROM sightings WHERE identity_id = @id' }] })
   */
  registerForgetStep(step: ForgetStep): void {
    this.forgetSteps.push(
      checkForgetStep(
        step,
        this.forgetSteps.map((s) => s.name),
      ),
    );
  }

  /**
   * Forgets an identity for good (a data subject's erasure request): in one transaction, every
   * registered step's rows, then its thumbnails, templates and the identity; then the store scrubs
   * its files (SQLite: zeroed free pages, WAL truncated) and the persisted index caches are removed.
   * With `vacuum`, the tables are rewritten after the commit (see `ForgetScrub.vacuumed`). Returns a
   * receipt of what was deleted. `IDENTITY_NOT_FOUND` when absent.
   *
   * @example
   * const receipt = await g.forget('ada') // receipt.deleted.templates === 3
   */
  async forget(id: string, opts: { vacuum?: boolean } = {}): Promise<ForgetReceipt> {
    if (typeof id !== 'string' || id.length === 0) assertIdentityId('id', id);
    const forgetIdentity = this.store.forgetIdentity?.bind(this.store);
    if (forgetIdentity === undefined)
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected a SQLite or PostgreSQL gallery to forget "${id}" in but received a ${this.store.kind} gallery`);
    const started = performance.now();
    const out = await forgetIdentity(id, this.forgetSteps, { vacuum: opts.vacuum === true });
    this.wrote([id]);
    const cachesRemoved = await this.cache.discardPersisted();
    return {
      id,
      store: this.store.kind,
      forgottenAt: new Date().toISOString(),
      durationMs: Math.round((performance.now() - started) * 10) / 10,
      steps: this.forgetSteps.map((s) => s.name),
      deleted: out.deleted,
      scrub: { ...out.scrub, cachesRemoved },
    };
  }

  /**
   * Seals an unsealed gallery: every template and thumbnail re-encrypted under a new data key that
   * `kek` wraps, in one transaction; the file is rewritten so no plain copy survives in it, and the
   * persisted index caches are removed and no longer written. SQLite only (`SEALING_UNSUPPORTED`).
   *
   * @example
   * await g.seal(await localKeyEncryptionKey(secret)) // { templates: 120, thumbnails: 120 }
   */
  async seal(kek: KeyEncryptionKey): Promise<{ templates: number; thumbnails: number; personFaces: number }> {
    if (this.store.seal === undefined) throw unsealable(this.store.kind);
    const out = await this.store.seal(kek);
    this.cache.dispose();
    await this.cache.discardPersisted({ stop: true });
    return out;
  }

  /**
   * Wraps the data key of a sealed gallery under another key-encryption key: one row changes, no
   * template is re-encrypted. `GALLERY_NOT_SEALED` for an unsealed gallery.
   *
   * @example
   * await g.rekey(newKek)
   */
  async rekey(kek: KeyEncryptionKey): Promise<{ kekId: string }> {
    if (this.store.rekey === undefined) throw unsealable(this.store.kind);
    await this.store.rekey(kek);
    return { kekId: kek.id };
  }

  /**
   * Removes one template of an identity (a photo the audit flagged); the identity stays, even when
   * it has no template left. `IDENTITY_NOT_FOUND` / `NOT_FOUND` when either is absent.
   *
   * @example
   * await g.removeTemplate('alice', 17)
   */
  async removeTemplate(id: string, templateId: number): Promise<void> {
    await this.mustGet(id);
    assertInteger('templateId', templateId, 1, Number.MAX_SAFE_INTEGER);
    const t = await this.store.template(templateId);
    if (t === null || t.identityId !== id) {
      throw new ArcFaceError(
        'NOT_FOUND',
        `Expected template ${templateId} to belong to identity "${id}" but ${t === null ? 'no such template exists' : `it belongs to "${t.identityId}"`}`,
      );
    }
    await this.store.removeTemplates([templateId]);
    this.wrote([id]);
  }

  /** Changes an identity's display name and/or id. */
  async rename(id: string, change: { newId?: string; name?: string }): Promise<void> {
    assertIdentityId('id', id);
    if (change.newId !== undefined) assertIdentityId('newId', change.newId);
    if (change.name !== undefined) assertName('name', change.name);
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
    // Database search keeps no index in this process: audit reads the templates once and lets them go.
    const index = this.db !== null ? IdentityIndex.build(await this.store.loadMatrix(), { ...this.options, index: 'exact' }, null) : await this.fullIndex();
    try {
      return await this.auditIndex(index, threshold);
    } finally {
      if (this.db !== null) index.dispose();
    }
  }

  private async auditIndex(index: IdentityIndex, threshold: number): Promise<AuditFinding[]> {
    const t = index.templates;
    const out: AuditFinding[] = [];
    for (const model of index.identities.values()) {
      const embs = model.rows.map((r) => t.matrix.subarray(r * t.dim, (r + 1) * t.dim));
      for (const o of findOutliers(embs, model.subCenters, threshold)) {
        out.push({
          id: model.id,
          templateId: t.templateIds[model.rows[o.index] as number] as number,
          sourceFile: null,
          score: o.score,
          subCenter: o.subCenter,
          templateCount: model.rows.length,
        });
      }
    }
    const files = await this.sourceFiles(out.map((f) => f.id));
    return out.map((f) => ({ ...f, sourceFile: files.get(f.templateId) ?? null })).sort((a, b) => a.score - b.score || a.templateId - b.templateId);
  }

  /**
   * Writes the whole gallery to `path` in the export format (through a temporary file); sealed for
   * `opts.kek`, or for the gallery's own key when it is sealed (see sealed-export.ts).
   */
  async export(path: string, opts: { kek?: KeyEncryptionKey } = {}): Promise<{ identities: number; templates: number; sealed: boolean }> {
    const { bytes, identities, templates, sealed } = await this.exportBytes(opts);
    const tmp = `${path}.tmp-${process.pid}`;
    await writeFile(tmp, bytes, { mode: PRIVATE_FILE_MODE });
    await rename(tmp, path);
    return { identities, templates, sealed };
  }

  /** The whole gallery in the export format, as bytes (the browser's export; same bytes as a file). */
  async exportBytes(opts: { kek?: KeyEncryptionKey } = {}): Promise<{ bytes: Uint8Array; identities: number; templates: number; sealed: boolean }> {
    const items = [];
    for (const identity of await this.store.listIdentities()) items.push({ identity, templates: await this.store.templatesOf(identity.id) });
    const plain = encodeExport(this.fingerprint, this.embeddingSize, items);
    const kek = opts.kek ?? this.store.sealingKey?.() ?? null;
    const bytes = kek === null ? plain : await sealExport(plain, kek);
    return { bytes, identities: items.length, templates: items.reduce((n, i) => n + i.templates.length, 0), sealed: kek !== null };
  }

  /**
   * Reads an export file into this gallery in one transaction; `append` adds to existing ids,
   * skipping templates whose source SHA-256 the identity already holds (importing twice adds nothing).
   */
  async import(path: string, opts: { append?: boolean; kek?: KeyEncryptionKey } = {}): Promise<{ identities: number; templates: number; duplicates: number }> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (cause) {
      throw new ArcFaceError('FILE_NOT_FOUND', `Expected a gallery export file at ${path} but it cannot be read`, { cause });
    }
    return this.importBytes(bytes, opts, `export ${path}`);
  }

  /** {@link import} from export bytes (the browser's file picker, a download); `label` names them in errors. */
  async importBytes(
    bytes: Uint8Array,
    opts: { append?: boolean; kek?: KeyEncryptionKey } = {},
    label = 'the export',
  ): Promise<{ identities: number; templates: number; duplicates: number }> {
    const { header, identities } = decodeExport(await this.openedExport(bytes, opts.kek, label));
    if (header.fingerprint !== this.fingerprint) {
      throw modelMismatch(label, header.fingerprint, this.fingerprint);
    }
    if (header.embeddingSize !== this.embeddingSize) {
      throw new ArcFaceError('EMBEDDING_SIZE_MISMATCH', `Expected ${this.embeddingSize}-d embeddings but ${label} holds ${header.embeddingSize}-d`);
    }
    // Photos an identity holds already are left out inside the write transaction, as enrol does.
    const writes = identities.map(({ identity, templates }) => ({
      identity: { id: identity.id, name: identity.name, metadata: identity.metadata, createdAt: identity.createdAt },
      templates,
    }));
    const n = await this.store.enrollMany(writes, opts.append === true ? 'append' : 'create', { skipHeldSources: opts.append === true });
    this.wrote(identities.map((i) => i.identity.id));
    return { identities: identities.length, templates: n, duplicates: identities.reduce((k, i) => k + i.templates.length, 0) - n };
  }

  /** Export bytes as they are, or opened with `kek` (else the gallery's own key) when sealed. */
  private async openedExport(bytes: Uint8Array, given: KeyEncryptionKey | undefined, label: string): Promise<Uint8Array> {
    if (!isSealedExport(bytes)) return bytes;
    const kek = given ?? this.store.sealingKey?.() ?? null;
    if (kek === null)
      throw new ArcFaceError(
        'GALLERY_SEALED',
        `Expected a key-encryption key (--kek-file or ARCFACE_GALLERY_KEK) to read ${label}, which is sealed, but received none`,
      );
    return openExport(bytes, kek, label);
  }

  /** Which index serves queries now and how many sub-centre rows it holds. */
  async indexInfo(): Promise<{ kind: IndexKind | 'pgvector'; rows: number; templates: number; identities: number; memoryBytes: number }> {
    if (this.db !== null) {
      const [rows, identities, stamp] = await Promise.all([this.db.rows(), this.db.identityCount(), this.store.stamp()]);
      return { kind: 'pgvector', rows, templates: stamp.rows, identities, memoryBytes: 0 };
    }
    const i = await this.fullIndex();
    return {
      kind: i.vectors.kind,
      rows: i.vectors.rows,
      templates: i.templates.templateIds.length,
      identities: i.identities.size,
      memoryBytes: i.vectors.memoryBytes(),
    };
  }

  /**
   * Stores JPEG thumbnails of templates (the aligned crops), so that every client shows the faces
   * whoever enrolled them.
   */
  async putThumbnails(items: readonly { templateId: number; jpeg: Uint8Array }[]): Promise<void> {
    items.forEach((t, i) => {
      if (!Number.isInteger(t?.templateId) || !(t.jpeg instanceof Uint8Array) || t.jpeg.length === 0) {
        throw new ArcFaceError(
          'INVALID_ARGUMENT',
          `Expected { templateId: integer, jpeg: non-empty Uint8Array } for thumbnail ${i} but received ${JSON.stringify(t?.templateId)}`,
        );
      }
    });
    await this.store.putThumbnails(items);
  }

  /** A template's JPEG thumbnail, or null when none was stored. */
  async thumbnail(templateId: number): Promise<Uint8Array | null> {
    return this.store.thumbnail(this.checked(() => assertInteger('templateId', templateId, 1, Number.MAX_SAFE_INTEGER)));
  }

  /**
   * Which of these templates have a thumbnail, in one store query (a page listing many faces).
   *
   * @example
   * const withJpeg = await gallery.thumbnailIds(faces.map((f) => f.templateId))
   */
  async thumbnailIds(templateIds: readonly number[]): Promise<Set<number>> {
    if (!Array.isArray(templateIds)) throw new TypeError(`Expected an array of template ids but received ${typeof templateIds}`);
    templateIds.forEach((id, i) => this.checked(() => assertInteger(`templateIds[${i}]`, id, 1, Number.MAX_SAFE_INTEGER)));
    return this.store.thumbnailIds(templateIds);
  }

  async close(): Promise<void> {
    await this.cache.flush();
    this.cache.dispose();
    await this.store.close();
  }

  /**
   * Creates an identity with no templates yet; `IDENTITY_EXISTS` when the id is taken. Id, name and
   * metadata are checked as {@link Gallery.enroll} checks them.
   *
   * @example
   * await g.create('ada', { name: 'Ada Lovelace', metadata: { team: 'blue' } })
   */
  async create(id: string, opts: { name?: string; metadata?: Record<string, unknown> } = {}): Promise<IdentitySummary> {
    assertIdentityId('id', id);
    const name = opts.name === undefined ? undefined : assertName('name', opts.name);
    const metadata = opts.metadata === undefined ? undefined : assertMetadata(opts.metadata);
    await this.store.enroll({ id, ...(name === undefined ? {} : { name }), ...(metadata === undefined ? {} : { metadata }) }, [], 'create');
    this.wrote([id]);
    return this.get(id);
  }

  /**
   * One identity with its template count; `IDENTITY_NOT_FOUND` when absent.
   *
   * @example
   * const { name, templateCount } = await g.get('ada')
   */
  async get(id: string): Promise<IdentitySummary> {
    const identity = await this.mustGet(id);
    return { ...identity, templateCount: (await this.store.templatesOf(id)).length };
  }

  /**
   * The templates of one identity, oldest first; `IDENTITY_NOT_FOUND` when absent.
   *
   * @example
   * for (const t of await g.templates('ada')) console.log(t.templateId, t.sourceFile)
   */
  async templates(id: string): Promise<TemplateRecord[]> {
    await this.mustGet(id);
    return this.store.templatesOf(id);
  }

  /**
   * One template by id, or null when there is none.
   *
   * @example
   * const t = await g.template(42)
   */
  async template(templateId: number): Promise<TemplateRecord | null> {
    return this.store.template(assertTemplateId('templateId', templateId));
  }

  /**
   * Removes templates by id (ids not found are skipped, since a template id is never reused);
   * returns the templates removed.
   *
   * @example
   * const removed = await g.removeTemplates([42, 43])
   */
  async removeTemplates(templateIds: readonly number[]): Promise<TemplateRecord[]> {
    if (!Array.isArray(templateIds)) throw new ArcFaceError('INVALID_ARGUMENT', `Expected an array of template ids but received ${typeof templateIds}`);
    templateIds.forEach((t, i) => assertTemplateId(`templateIds[${i}]`, t));
    const found: TemplateRecord[] = [];
    for (const t of new Set(templateIds)) {
      const rec = await this.store.template(t);
      if (rec !== null) found.push(rec);
    }
    if (found.length === 0) return [];
    await this.store.removeTemplates(found.map((t) => t.templateId));
    this.wrote([...new Set(found.map((t) => t.identityId))]);
    return found;
  }

  /**
   * How many identities and templates the gallery holds.
   *
   * @example
   * const { identities, templates } = await g.count()
   */
  async count(): Promise<{ identities: number; templates: number }> {
    const [identities, stamp] = await Promise.all([this.store.listIdentities(), this.store.stamp()]);
    return { identities: identities.length, templates: stamp.rows };
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

  /** Lookups take any stored id (one stored before a check was added too); writes check it fully. */
  private async mustGet(id: string): Promise<IdentityRecord> {
    if (typeof id !== 'string' || id.length === 0) assertIdentityId('id', id);
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

  private identificationThresholdFor(identities: number, opts: { threshold?: number; fpir?: number }): ThresholdChoice {
    if (opts.threshold !== undefined) {
      const threshold = this.decisionThreshold(opts.threshold);
      return { threshold, source: 'given', reason: `threshold ${threshold} given by the caller` };
    }
    const cal = this.options.calibration;
    if (cal === null) {
      const threshold = this.decisionThreshold(undefined);
      return {
        threshold,
        source: 'fixed',
        reason: `the 1:1 threshold ${threshold}: no impostor table is known for this model (calibrate one with \`arcface calibrate --faces\`)`,
      };
    }
    const fpir = this.checked(() => assertNumber('fpir', opts.fpir ?? this.options.targetFpir, Number.MIN_VALUE, 0.999));
    return identificationThreshold(cal, identities, { fpir, floor: this.threshold });
  }

  private decisionThreshold(given: number | undefined): number {
    const t = given ?? this.threshold;
    if (t === null) {
      throw new ArcFaceError(
        'INVALID_ARGUMENT',
        'Expected a cosine threshold (the recogniser has no calibrated one and none was given at open) but received none',
      );
    }
    return this.checked(() => assertNumber('threshold', t, -1, 1));
  }

  private checked<T>(fn: () => T): T {
    return checked(fn);
  }
}

/**
 * Checks `search` against the store, and given clustering against a store that records its own
 * (PostgreSQL): its sub-centre table is shared by every process, so an opener may not search it
 * under other parameters; changing them is a deliberate `PostgresGalleryStore.recluster`.
 */
function checkSearchOptions(store: GalleryStore, given: GalleryOptions, o: ResolvedGalleryOptions): void {
  if (o.search === 'database' && store.identitySearch === undefined) {
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected a store that searches itself (PostgreSQL) for search: 'database' but received a ${store.kind} gallery`,
    );
  }
  const rec = store.meta.subCenters;
  if (rec !== undefined) {
    for (const [key, value] of [
      ['maxSubCenters', given.maxSubCenters],
      ['joinThreshold', given.joinThreshold],
    ] as const) {
      if (value !== undefined && value !== rec[key]) {
        throw new ArcFaceError(
          'GALLERY_PARAMS_MISMATCH',
          `Expected ${key} ${value} to match the ${rec[key]} gallery ${store.location} computes its sub-centres with; open without it, or recluster the gallery`,
        );
      }
    }
  }
}

function unsealable(kind: string): ArcFaceError {
  return new ArcFaceError(
    'SEALING_UNSUPPORTED',
    `Expected a SQLite gallery to seal or rekey but received a ${kind} gallery: see docs/security.md, Sealed at rest`,
  );
}

function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new ArcFaceError('INVALID_ARGUMENT', e.message, { cause: e });
    throw e;
  }
}

/**
 * For each template given to an enrolment, the template that holds its photo after it: the one
 * written (`templateIds`, in the order of the templates that were not held) or the one held before.
 *
 * @example
 * matchHeld(list, [12], await store.templatesOf('ada')) // [{ templateId: 7, known: true }, { templateId: 12, known: false }]
 */
function matchHeld(list: readonly NewTemplate[], written: readonly number[], after: readonly TemplateRecord[]): EnrolledTemplate[] {
  const shaOf = new Map(after.map((t) => [t.templateId, t.sourceSha256]));
  const writtenSet = new Set(written);
  const held = new Map<string, number>();
  for (const t of after) if (t.sourceSha256 !== null && !writtenSet.has(t.templateId) && !held.has(t.sourceSha256)) held.set(t.sourceSha256, t.templateId);
  const inCall = new Map<string, number>();
  let k = 0;
  return list.map((t) => {
    const sha = t.sourceSha256 ?? null;
    const next = written[k];
    if (next !== undefined && (sha === null || (shaOf.get(next) === sha && !inCall.has(sha)))) {
      k++;
      if (sha !== null) inCall.set(sha, next);
      return { templateId: next, known: false };
    }
    return { templateId: (sha === null ? undefined : (inCall.get(sha) ?? held.get(sha))) ?? null, known: true };
  });
}

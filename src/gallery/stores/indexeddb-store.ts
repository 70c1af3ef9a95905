import { ArcFaceError } from '../../core/index.js';
import type { RoomSql } from './room-sql.js';
import {
  allocateMatrix,
  type EnrollMode,
  type GalleryMeta,
  type GalleryStore,
  type IdentityRecord,
  type IdentitySummary,
  type IdentityWrite,
  type MatrixAllocator,
  type NewTemplate,
  type StoreEnrollOptions,
  type StoreStamp,
  type TemplateMatrix,
  type TemplateRecord,
  type TemplateThumbnail,
  repeatsHeldPhotos,
  templatesNotHeld,
} from './store.js';

/** Schema version of a browser gallery (the IndexedDB database version). */
export const INDEXEDDB_SCHEMA_VERSION = 2;

/** Options of {@link IndexedDbGalleryStore.open}. */
export interface IndexedDbStoreOptions {
  /** Recogniser fingerprint; needed to create a gallery, checked when opening one. */
  readonly fingerprint?: string;
  readonly embeddingSize?: number;
  /** The IndexedDB factory. Default `globalThis.indexedDB`. */
  readonly indexedDB?: IDBFactory;
}

interface MetaRow {
  readonly key: 'meta';
  readonly fingerprint: string;
  readonly embeddingSize: number;
  readonly generation: number;
  readonly nextTemplateId: number;
}
interface IdentityRow extends IdentityRecord {}
interface TemplateRow extends TemplateRecord {}

const META = 'meta';
const IDENTITIES = 'identities';
const TEMPLATES = 'templates';
/** JPEG thumbnails of templates, keyed by template id (schema version 2). */
const THUMBNAILS = 'thumbnails';
const ALL = [META, IDENTITIES, TEMPLATES, THUMBNAILS];

function req<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/**
 * The browser gallery store: one IndexedDB database per gallery, holding identities, templates
 * (embeddings as float32 arrays) and the gallery's model; every write is one IndexedDB transaction
 * that also bumps the generation, so the {@link Gallery} logic (sub-centres, identification, audit,
 * export in the same file format as Node.js) runs on it unchanged.
 *
 * @example
 * const store = await IndexedDbGalleryStore.open('people', { fingerprint: fr.fingerprint, embeddingSize: 512 })
 * const gallery = Gallery.fromStore(store, { fingerprint: fr.fingerprint, embeddingSize: 512, threshold: fr.threshold })
 */
export class IndexedDbGalleryStore implements GalleryStore {
  readonly kind = 'indexeddb' as const;
  readonly location: string;
  readonly meta: GalleryMeta;
  readonly #db: IDBDatabase;

  private constructor(name: string, db: IDBDatabase, meta: GalleryMeta) {
    this.location = `indexeddb:${name}`;
    this.#db = db;
    this.meta = meta;
  }

  /** Opens or creates the gallery database `name`. */
  static async open(name: string, opts: IndexedDbStoreOptions = {}): Promise<IndexedDbGalleryStore> {
    if (typeof name !== 'string' || name.length === 0) throw new TypeError(`Expected a gallery name but received ${JSON.stringify(name) ?? typeof name}`);
    const factory = opts.indexedDB ?? globalThis.indexedDB;
    if (factory === undefined) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected IndexedDB (a browser) for a browser gallery but this runtime has none');
    const open = factory.open(name, INDEXEDDB_SCHEMA_VERSION);
    open.onupgradeneeded = () => {
      const db = open.result;
      if (!db.objectStoreNames.contains(META)) db.createObjectStore(META, { keyPath: 'key' });
      if (!db.objectStoreNames.contains(IDENTITIES)) db.createObjectStore(IDENTITIES, { keyPath: 'id' });
      if (!db.objectStoreNames.contains(TEMPLATES)) db.createObjectStore(TEMPLATES, { keyPath: 'templateId' }).createIndex('identityId', 'identityId');
      if (!db.objectStoreNames.contains(THUMBNAILS)) db.createObjectStore(THUMBNAILS, { keyPath: 'templateId' });
    };
    let db: IDBDatabase;
    try {
      db = await req(open);
    } catch (cause) {
      throw new ArcFaceError('GALLERY_CORRUPT', `Expected IndexedDB database "${name}" to open as a gallery but it did not: ${(cause as Error)?.message}`, {
        cause,
      });
    }
    try {
      const tx = db.transaction(META, 'readwrite');
      const meta = tx.objectStore(META);
      let row = (await req(meta.get('meta'))) as MetaRow | undefined;
      if (row === undefined) {
        if (opts.fingerprint === undefined || opts.embeddingSize === undefined) {
          throw new ArcFaceError(
            'FILE_NOT_FOUND',
            `Expected browser gallery "${name}" to exist (or a fingerprint and embeddingSize to create it) but it does not`,
          );
        }
        row = { key: 'meta', fingerprint: opts.fingerprint, embeddingSize: opts.embeddingSize, generation: 0, nextTemplateId: 1 };
        await req(meta.put(row));
      }
      if (opts.fingerprint !== undefined && row.fingerprint !== opts.fingerprint) {
        throw new ArcFaceError(
          'MODEL_MISMATCH',
          `Expected browser gallery "${name}" to hold embeddings of model ${opts.fingerprint} but it holds ${row.fingerprint}`,
        );
      }
      if (opts.embeddingSize !== undefined && row.embeddingSize !== opts.embeddingSize) {
        throw new ArcFaceError(
          'EMBEDDING_SIZE_MISMATCH',
          `Expected browser gallery "${name}" to hold ${opts.embeddingSize}-d embeddings but it holds ${row.embeddingSize}-d`,
        );
      }
      return new IndexedDbGalleryStore(name, db, { fingerprint: row.fingerprint, embeddingSize: row.embeddingSize, schemaVersion: INDEXEDDB_SCHEMA_VERSION });
    } catch (e) {
      db.close();
      throw e;
    }
  }

  async generation(): Promise<number> {
    return ((await this.#read((s) => req(s.meta.get('meta')))) as MetaRow).generation;
  }

  async stamp(): Promise<StoreStamp> {
    return this.#read((s) => this.#stamp(s));
  }

  async enroll(identity: IdentityWrite, templates: readonly NewTemplate[], mode: EnrollMode, opts: StoreEnrollOptions = {}): Promise<number[]> {
    return this.#write(async (s) => this.#enrollChecked(s, identity, templates, mode, opts, Date.now()));
  }

  async #enrollChecked(
    s: Stores,
    identity: IdentityWrite,
    templates: readonly NewTemplate[],
    mode: EnrollMode,
    opts: StoreEnrollOptions,
    now: number,
  ): Promise<number[]> {
    if (opts.skipHeldSources !== true) return this.#enrollOne(s, identity, templates, mode, now);
    const held = ((await req(s.templates.index('identityId').getAll(identity.id))) as TemplateRow[]).flatMap((t) =>
      t.sourceSha256 === null ? [] : [t.sourceSha256],
    );
    const fresh = templatesNotHeld(templates, new Set(held));
    return repeatsHeldPhotos(mode, fresh, held.length) ? [] : this.#enrollOne(s, identity, fresh, mode, now);
  }

  async enrollMany(
    items: readonly { identity: IdentityWrite; templates: readonly NewTemplate[] }[],
    mode: EnrollMode,
    opts: StoreEnrollOptions = {},
  ): Promise<number> {
    return this.#write(async (s) => {
      const now = Date.now();
      let n = 0;
      for (const it of items) n += (await this.#enrollChecked(s, it.identity, it.templates, mode, opts, now)).length;
      return n;
    });
  }

  async getIdentity(id: string): Promise<IdentityRecord | null> {
    return ((await this.#read((s) => req(s.identities.get(id)))) as IdentityRow | undefined) ?? null;
  }

  async listIdentities(): Promise<IdentitySummary[]> {
    return this.#read(async (s) => {
      const rows = (await req(s.identities.getAll())) as IdentityRow[];
      const out: IdentitySummary[] = [];
      for (const r of rows) out.push({ ...r, templateCount: await req(s.templates.index('identityId').count(r.id)) });
      return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  async templatesOf(id: string): Promise<TemplateRecord[]> {
    return this.#read(async (s) => ((await req(s.templates.index('identityId').getAll(id))) as TemplateRow[]).sort((a, b) => a.templateId - b.templateId));
  }

  async template(templateId: number): Promise<TemplateRecord | null> {
    return ((await this.#read((s) => req(s.templates.get(templateId)))) as TemplateRow | undefined) ?? null;
  }

  async loadMatrix(allocate?: MatrixAllocator): Promise<TemplateMatrix> {
    return this.#read(async (s) => {
      const dim = this.meta.embeddingSize;
      const stamp = await this.#stamp(s);
      const rows = (await req(s.templates.getAll())) as TemplateRow[];
      const matrix = allocateMatrix(allocate, rows.length, dim);
      const templateIds = new Float64Array(rows.length);
      const identityIds = rows.map((r, i) => {
        matrix.set(r.embedding, i * dim);
        templateIds[i] = r.templateId;
        return r.identityId;
      });
      return { dim, matrix, templateIds, identityIds, stamp };
    });
  }

  async removeIdentity(id: string): Promise<void> {
    await this.#write(async (s) => {
      if ((await req(s.identities.get(id))) === undefined) throw notFound(id);
      await req(s.identities.delete(id));
      for (const key of await req(s.templates.index('identityId').getAllKeys(id))) {
        await req(s.templates.delete(key));
        await req(s.thumbnails.delete(key));
      }
    });
  }

  async putThumbnails(items: readonly TemplateThumbnail[]): Promise<void> {
    await this.#tx('readwrite', async (s) => {
      for (const { templateId, jpeg } of items) {
        if ((await req(s.templates.count(templateId))) === 0) continue;
        await req(s.thumbnails.put({ templateId, jpeg: new Uint8Array(jpeg) }));
      }
    });
  }

  async thumbnail(templateId: number): Promise<Uint8Array | null> {
    const row = (await this.#read((s) => req(s.thumbnails.get(templateId)))) as { jpeg: Uint8Array } | undefined;
    return row === undefined ? null : row.jpeg;
  }

  roomSql(room: string): RoomSql {
    throw new ArcFaceError(
      'STORE_UNSUPPORTED',
      `Expected a SQLite or PostgreSQL gallery for ${room} (its tables live beside the gallery's) but ${this.location} is an IndexedDB gallery`,
    );
  }

  async thumbnailIds(templateIds: readonly number[]): Promise<Set<number>> {
    const out = new Set<number>();
    if (templateIds.length === 0) return out;
    await this.#read(async (s) => {
      for (const id of templateIds) if ((await req(s.thumbnails.getKey(id))) !== undefined) out.add(id);
    });
    return out;
  }

  async removeTemplates(templateIds: readonly number[]): Promise<number> {
    return this.#write(async (s) => {
      let n = 0;
      for (const t of templateIds) {
        if ((await req(s.templates.count(t))) === 0) continue;
        await req(s.templates.delete(t));
        await req(s.thumbnails.delete(t));
        n++;
      }
      return n;
    });
  }

  async renameIdentity(id: string, change: { newId?: string; name?: string }): Promise<void> {
    await this.#write(async (s) => {
      const cur = (await req(s.identities.get(id))) as IdentityRow | undefined;
      if (cur === undefined) throw notFound(id);
      const newId = change.newId ?? id;
      if (newId !== id && (await req(s.identities.get(newId))) !== undefined) {
        throw new ArcFaceError('IDENTITY_EXISTS', `Expected identity id "${newId}" to be free but it is taken`);
      }
      if (newId !== id) {
        await req(s.identities.delete(id));
        await this.#moveTemplates(s, id, newId);
      }
      await req(s.identities.put({ ...cur, id: newId, name: change.name ?? cur.name, updatedAt: Date.now() }));
    });
  }

  async mergeIdentities(from: string, into: string): Promise<void> {
    await this.#write(async (s) => {
      for (const id of [from, into]) if ((await req(s.identities.get(id))) === undefined) throw notFound(id);
      if (from === into) throw new ArcFaceError('INVALID_ARGUMENT', `Expected two different identities to merge but received "${from}" twice`);
      await this.#moveTemplates(s, from, into);
      await req(s.identities.delete(from));
      const target = (await req(s.identities.get(into))) as IdentityRow;
      await req(s.identities.put({ ...target, updatedAt: Date.now() }));
    });
  }

  async close(): Promise<void> {
    this.#db.close();
  }

  async #moveTemplates(s: Stores, from: string, to: string): Promise<void> {
    for (const t of (await req(s.templates.index('identityId').getAll(from))) as TemplateRow[]) await req(s.templates.put({ ...t, identityId: to }));
  }

  async #enrollOne(s: Stores, identity: IdentityWrite, templates: readonly NewTemplate[], mode: EnrollMode, now: number): Promise<number[]> {
    const existing = (await req(s.identities.get(identity.id))) as IdentityRow | undefined;
    if (existing !== undefined && mode === 'create') {
      throw new ArcFaceError('IDENTITY_EXISTS', `Expected identity "${identity.id}" to be new but it is already enrolled`);
    }
    const row: IdentityRow =
      existing === undefined
        ? { id: identity.id, name: identity.name ?? identity.id, metadata: identity.metadata ?? {}, createdAt: identity.createdAt ?? now, updatedAt: now }
        : { ...existing, name: identity.name ?? existing.name, metadata: identity.metadata ?? existing.metadata, updatedAt: now };
    await req(s.identities.put(row));
    const meta = (await req(s.meta.get('meta'))) as MetaRow;
    const ids = templates.map((_, i) => meta.nextTemplateId + i);
    for (const [i, t] of templates.entries()) {
      const tpl: TemplateRow = {
        templateId: ids[i] as number,
        identityId: identity.id,
        embedding: Float32Array.from(t.embedding),
        sourceFile: t.sourceFile ?? null,
        sourceSha256: t.sourceSha256 ?? null,
        detScore: t.detScore ?? null,
        faceSize: t.faceSize ?? null,
        createdAt: t.createdAt ?? now,
      };
      await req(s.templates.add(tpl));
    }
    await req(s.meta.put({ ...meta, nextTemplateId: meta.nextTemplateId + templates.length }));
    return ids;
  }

  async #stamp(s: Stores): Promise<StoreStamp> {
    const meta = (await req(s.meta.get('meta'))) as MetaRow;
    const rows = await req(s.templates.count());
    const last = await req(s.templates.openKeyCursor(null, 'prev'));
    return { generation: meta.generation, rows, maxTemplateId: last === null ? 0 : Number(last.key) };
  }

  #read<T>(fn: (s: Stores) => Promise<T>): Promise<T> {
    return this.#tx('readonly', fn);
  }

  /** One readwrite transaction that also bumps the generation; a throw aborts all of it. */
  #write<T>(fn: (s: Stores) => Promise<T>): Promise<T> {
    return this.#tx('readwrite', async (s) => {
      const out = await fn(s);
      const meta = (await req(s.meta.get('meta'))) as MetaRow;
      await req(s.meta.put({ ...meta, generation: meta.generation + 1 }));
      return out;
    });
  }

  async #tx<T>(mode: IDBTransactionMode, fn: (s: Stores) => Promise<T>): Promise<T> {
    const tx = this.#db.transaction(ALL, mode);
    const done = new Promise<void>((resolve, reject) => {
      tx.oncomplete = () => resolve();
      tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
      tx.onerror = () => reject(tx.error);
    });
    const stores: Stores = {
      meta: tx.objectStore(META),
      identities: tx.objectStore(IDENTITIES),
      templates: tx.objectStore(TEMPLATES),
      thumbnails: tx.objectStore(THUMBNAILS),
    };
    let out: T;
    try {
      out = await fn(stores);
    } catch (e) {
      try {
        tx.abort();
      } catch {
        // Already finished: nothing to undo.
      }
      done.catch(() => undefined);
      throw e;
    }
    await done;
    return out;
  }
}

interface Stores {
  readonly meta: IDBObjectStore;
  readonly identities: IDBObjectStore;
  readonly templates: IDBObjectStore;
  readonly thumbnails: IDBObjectStore;
}

function notFound(id: string): ArcFaceError {
  return new ArcFaceError('IDENTITY_NOT_FOUND', `Expected identity "${id}" to be enrolled but it is not`);
}

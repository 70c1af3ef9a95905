/**
 * The gallery store contract: where identities and their templates live. Two implementations sit
 * behind it, an embedded SQLite file ({@link SqliteGalleryStore}) and PostgreSQL + pgvector
 * ({@link PostgresGalleryStore}); the {@link Gallery} class works on either through this interface.
 */
import { ArcFaceError } from '../../core/index.js';
import type { ForgetOutcome, ForgetStep } from '../forget.js';
import type { KeyEncryptionKey } from '../kek.js';
import type { RowCodec } from './row-codec.js';
import type { RoomSql } from './room-sql.js';
import type { SubCenterParams } from '../sub-centers.js';

/** Who a gallery belongs to: the recogniser that made its embeddings. */
export interface GalleryMeta {
  /** `modelFingerprint()` of the recogniser (model SHA-256 + contract + embedding size). */
  readonly fingerprint: string;
  readonly embeddingSize: number;
  /** Schema version of the store (SQLite `user_version`, Postgres migrations table). */
  readonly schemaVersion: number;
  /** The clustering the store computes sub-centres with, where it keeps them (PostgreSQL); else absent. */
  readonly subCenters?: SubCenterParams;
}

/** One person (or any enrolled subject). */
export interface IdentityRecord {
  readonly id: string;
  readonly name: string;
  /** Free JSON object supplied at enrolment. */
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** An identity with its template count, as listed. */
export interface IdentitySummary extends IdentityRecord {
  readonly templateCount: number;
}

/** Where a template came from; every field optional for templates enrolled as raw embeddings. */
export interface TemplateSource {
  /** File name (not the full path) of the source image. */
  readonly sourceFile?: string | null;
  /** SHA-256 (hex) of the source image bytes. */
  readonly sourceSha256?: string | null;
  /** Detector score of the face. */
  readonly detScore?: number | null;
  /** Face size in pixels (the longer side of the detection box). */
  readonly faceSize?: number | null;
}

/** A template to add: a unit embedding and where it came from. */
export interface NewTemplate extends TemplateSource {
  readonly embedding: Float32Array;
  /** Milliseconds since the epoch; defaults to now (import keeps the original). */
  readonly createdAt?: number;
}

/** A stored template. */
export interface TemplateRecord {
  /** Store-assigned id, increasing in insertion order. */
  readonly templateId: number;
  readonly identityId: string;
  readonly embedding: Float32Array;
  readonly sourceFile: string | null;
  readonly sourceSha256: string | null;
  readonly detScore: number | null;
  readonly faceSize: number | null;
  readonly createdAt: number;
}

/** Every template of a gallery in one contiguous matrix, rows ordered by `templateId`. */
export interface TemplateMatrix {
  readonly dim: number;
  /** `rows × dim` float32, row-major. */
  readonly matrix: Float32Array;
  readonly templateIds: Float64Array;
  /** Identity id of each row. */
  readonly identityIds: readonly string[];
  /** The store's stamp at the instant the rows were read, where the store reads them in one transaction. */
  readonly stamp?: StoreStamp;
}

/** What identifies a store's content cheaply: see {@link GalleryStore.stamp}. */
export interface StoreStamp {
  readonly generation: number;
  readonly rows: number;
  /** Largest template id, 0 when there are none. */
  readonly maxTemplateId: number;
}

/** Supplies the zeroed `rows × dim` float32 array that {@link GalleryStore.loadMatrix} fills. */
export type MatrixAllocator = (rows: number) => Float32Array;

/** An identity to create or extend in one transaction. */
export interface IdentityWrite {
  readonly id: string;
  /** Display name; kept when extending an identity and the name is omitted. */
  readonly name?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
  /** Milliseconds since the epoch, for import; defaults to now. */
  readonly createdAt?: number;
}

/** How {@link GalleryStore.enroll} treats an existing identity. */
export type EnrollMode = 'create' | 'append';

/** Options of {@link GalleryStore.enroll}. */
export interface StoreEnrollOptions {
  /**
   * Leave out templates whose `sourceSha256` the identity already holds, or that an earlier template
   * of the same call carries. The check runs inside the write transaction (SQLite serialises writers;
   * PostgreSQL takes an advisory lock on the identity first), so two processes enrolling one image
   * for one identity at once write one template: a retried enrolment job never duplicates a template.
   * Templates without a SHA-256 are always written.
   */
  readonly skipHeldSources?: boolean;
}

/**
 * With `skipHeldSources`, a `create` of an identity that already holds every photo given is no
 * enrolment at all but a repeat of one: it writes nothing and returns no ids instead of failing
 * with `IDENTITY_EXISTS` (a photo known already changes nothing, whichever way it comes back).
 *
 * @example
 * if (repeatsHeldPhotos('create', fresh, held.size)) return []
 */
export function repeatsHeldPhotos(mode: EnrollMode, fresh: readonly NewTemplate[], held: number): boolean {
  return mode === 'create' && fresh.length === 0 && held > 0;
}

/** A template found by a store-side nearest-neighbour search. */
export interface StoreNeighbour {
  readonly templateId: number;
  readonly identityId: string;
  /** Cosine similarity. */
  readonly score: number;
}

/**
 * A persistent, transactional gallery store. Every write is one transaction: a reader never sees a
 * half-written identity, and a crash loses nothing that was committed. Each write bumps
 * {@link GalleryStore.generation}, which caches and persisted indexes use to know they are stale.
 *
 * @example
 * const store = await SqliteGalleryStore.open('people.db', { fingerprint, embeddingSize: 512 })
 * await store.enroll({ id: 'ada', name: 'Ada' }, [{ embedding }], 'create')
 */
export interface GalleryStore {
  /** `sqlite`, `postgres`, or `indexeddb` in the browser. */
  readonly kind: 'sqlite' | 'postgres' | 'indexeddb';
  /** The path or URL (password removed) the store was opened from. */
  readonly location: string;
  readonly meta: GalleryMeta;
  /** A counter bumped by every committed write (by any process). */
  generation(): Promise<number>;
  /** The generation, template count and largest template id, read at one instant. */
  stamp(): Promise<StoreStamp>;
  /**
   * Creates (`create`: fails with `IDENTITY_EXISTS` when present) or extends (`append`: creates when
   * absent) an identity and adds templates, atomically. Returns the ids of the templates written, in
   * the order given (with `skipHeldSources`, those left out have none).
   */
  enroll(identity: IdentityWrite, templates: readonly NewTemplate[], mode: EnrollMode, opts?: StoreEnrollOptions): Promise<number[]>;
  /**
   * Many identities in one transaction (bulk import and benchmarks); with `skipHeldSources`, each
   * identity's held photos are left out inside it, as {@link GalleryStore.enroll} does. Returns the
   * number of templates written.
   */
  enrollMany(items: readonly { identity: IdentityWrite; templates: readonly NewTemplate[] }[], mode: EnrollMode, opts?: StoreEnrollOptions): Promise<number>;
  getIdentity(id: string): Promise<IdentityRecord | null>;
  listIdentities(): Promise<IdentitySummary[]>;
  templatesOf(id: string): Promise<TemplateRecord[]>;
  /** One template by its id, or null when there is none. */
  template(templateId: number): Promise<TemplateRecord | null>;
  /**
   * Every template, for the in-memory index. `allocate(rows)` may supply the zeroed `rows × dim`
   * array to fill (the index's own memory, so a large gallery is not held twice); by default a
   * new Float32Array.
   */
  loadMatrix(allocate?: MatrixAllocator): Promise<TemplateMatrix>;
  /** Removes an identity and its templates; `IDENTITY_NOT_FOUND` when absent. */
  removeIdentity(id: string): Promise<void>;
  /**
   * Forgets an identity: `steps` (other owners' rows), thumbnails, templates and the identity in one
   * transaction, then scrubs what the store can (see {@link ForgetOutcome}); `IDENTITY_NOT_FOUND`
   * when absent. Absent in the browser store (IndexedDB), whose deletes the browser manages.
   */
  forgetIdentity?(id: string, steps: readonly ForgetStep[], opts?: { vacuum?: boolean }): Promise<ForgetOutcome>;
  /** Removes templates by id; returns how many were removed. */
  removeTemplates(templateIds: readonly number[]): Promise<number>;
  /** Changes the display name and/or the id; `IDENTITY_EXISTS` when `newId` is taken. */
  renameIdentity(id: string, change: { newId?: string; name?: string }): Promise<void>;
  /** Moves every template of `from` to `into` and removes `from`. */
  mergeIdentities(from: string, into: string): Promise<void>;
  /**
   * The key-encryption key of a sealed store (templates and thumbnails encrypted at rest), null when
   * unsealed; absent where a store cannot seal (PostgreSQL, IndexedDB).
   */
  sealingKey?(): KeyEncryptionKey | null;
  /** How the store seals values (plain when unsealed), for other owners of rows in its database. */
  rowCodec?(): RowCodec;
  /** Seals every template and thumbnail of an unsealed store under a new data key wrapped by `kek`. */
  seal?(kek: KeyEncryptionKey): Promise<{ templates: number; thumbnails: number; personFaces: number }>;
  /** Wraps the data key of a sealed store under another key-encryption key; no row is re-encrypted. */
  rekey?(kek: KeyEncryptionKey): Promise<void>;
  /** Optional server-side nearest-neighbour search over templates (pgvector, exact scan). */
  nearest?(query: Float32Array, k: number): Promise<StoreNeighbour[]>;
  /** Identification inside the store (PostgreSQL + pgvector), when it keeps sub-centres; else absent. */
  readonly identitySearch?: StoreIdentitySearch;
  close(): Promise<void>;
  /** Stores (or replaces) JPEG thumbnails of templates, skipping templates that no longer exist; they are removed with their template. */
  putThumbnails(items: readonly TemplateThumbnail[]): Promise<void>;
  /** A template's JPEG thumbnail, or null when none was stored. */
  thumbnail(templateId: number): Promise<Uint8Array | null>;
  /** Which of these templates have a thumbnail (one query for the whole list). */
  thumbnailIds(templateIds: readonly number[]): Promise<Set<number>>;
  /**
   * SQL in the gallery's database for a room that keeps its own tables there (people, sightings),
   * which it defines and migrates through `migrateRoom`; close it when done. `STORE_UNSUPPORTED` for a
   * store without SQL (IndexedDB).
   */
  roomSql(room: string): RoomSql;
}

/** One identity ranked by a store-side identification. */
export interface StoreIdentityHit {
  readonly id: string;
  readonly name: string;
  /** Cosine to the identity's best trusted sub-centre. */
  readonly score: number;
  readonly subCenter: number;
}

/**
 * Identification answered by the store over its trusted sub-centre means: the same scores as the
 * in-memory index, with no templates held by the process.
 *
 * @example
 * const { identities, hits } = await store.identitySearch.identify(query, { topK: 5, candidates: 15, efSearch: 256 })
 */
export interface StoreIdentitySearch {
  /**
   * The `topK` best identities (best trusted sub-centre each, ties by id) among the `candidates`
   * nearest sub-centres found with the approximate index at `efSearch`, and, read in the same
   * transaction, the number of identities searched.
   */
  identify(query: Float32Array, opts: { topK: number; candidates: number; efSearch: number }): Promise<{ identities: number; hits: StoreIdentityHit[] }>;
  /** Identities that hold at least one template (those identification compares with). */
  identityCount(): Promise<number>;
  /** Best trusted sub-centre of one identity, or null when it is absent or has no template. */
  scoreIdentity(query: Float32Array, id: string): Promise<{ score: number; subCenter: number } | null>;
  /** Sub-centre rows searched. */
  rows(): Promise<number>;
}

/** The JPEG picture of a template's aligned face. */
export interface TemplateThumbnail {
  readonly templateId: number;
  readonly jpeg: Uint8Array;
}

/**
 * The templates of `templates` not already held by the identity (`held`: its source SHA-256s) nor
 * repeated earlier in the list; `held` gains the SHA-256s kept. Stores call it inside their write
 * transaction for {@link StoreEnrollOptions.skipHeldSources}.
 *
 * @example
 * const fresh = templatesNotHeld(list, new Set(['ab12…'])) // list without the template of image ab12…
 */
export function templatesNotHeld(templates: readonly NewTemplate[], held: Set<string>): NewTemplate[] {
  return templates.filter((t) => {
    const sha = t.sourceSha256;
    if (sha === null || sha === undefined) return true;
    if (held.has(sha)) return false;
    held.add(sha);
    return true;
  });
}

/**
 * The `rows × dim` array for {@link GalleryStore.loadMatrix}: from `allocate` when given (checked
 * for size), else a new one.
 *
 * @example
 * const m = allocateMatrix(undefined, 10, 512) // Float32Array(5120)
 */
export function allocateMatrix(allocate: MatrixAllocator | undefined, rows: number, dim: number): Float32Array {
  if (allocate === undefined) return new Float32Array(rows * dim);
  const m = allocate(rows);
  if (m.length !== rows * dim) throw new ArcFaceError('INTERNAL', `Expected a ${rows} × ${dim} matrix from the allocator but received ${m.length} values`);
  return m;
}

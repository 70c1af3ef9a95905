import { ArcFaceError, assertInteger, assertNumber } from '../../core/index.js';
import { FALLBACK_JOIN_THRESHOLD, GALLERY_DEFAULTS } from '../config.js';
import { forgetSql, tally, type ForgetOutcome, type ForgetStep } from '../forget.js';
import { PgIdentitySearch } from '../search/postgres-search.js';
import {
  bumpSearchable,
  hasSubCenters,
  parseVector,
  rebuildSubCenters,
  recordedParams,
  refreshSubCenters,
  SUBCENTER_TABLE_DDL,
  vectorText,
} from './postgres-subcenters.js';
import type { SqlClient, SqlQueryable } from './sql-client.js';
import { postgresRoomSql, type RoomSql } from './room-sql.js';
import type { SubCenterParams } from '../sub-centers.js';
import type {
  EnrollMode,
  GalleryMeta,
  GalleryStore,
  IdentityRecord,
  IdentitySummary,
  IdentityWrite,
  MatrixAllocator,
  NewTemplate,
  StoreEnrollOptions,
  StoreNeighbour,
  StoreStamp,
  TemplateMatrix,
  TemplateRecord,
  TemplateThumbnail,
} from './store.js';
import { allocateMatrix, repeatsHeldPhotos, templatesNotHeld } from './store.js';
import { modelMismatch } from '../validate.js';

/**
 * Newest schema version this build writes (rows of `arcface_migrations`).
 *
 * @example
 * store.meta.schemaVersion === POSTGRES_SCHEMA_VERSION
 */
export const POSTGRES_SCHEMA_VERSION = 4;
/** Key of the advisory lock that serialises migrations across processes (ASCII "AFG1"). */
const MIGRATION_LOCK = 0x41464731;
/**
 * First key of the two-key advisory lock an enrolment takes on its identity (ASCII "AFID"; the
 * second key is `hashtext(id)`). Two-key locks never collide with the one-key migration lock.
 */
const IDENTITY_LOCK = 0x41464944;

/** Migrations: entry `i` upgrades version `i` to `i + 1`; `dim` is the gallery's embedding size. One statement each. */
const MIGRATIONS: readonly ((dim: number) => string[])[] = [
  (dim) => [
    'CREATE TABLE arcface_meta (key text PRIMARY KEY, value text NOT NULL)',
    `CREATE TABLE arcface_identities (id text PRIMARY KEY, name text NOT NULL, metadata jsonb NOT NULL DEFAULT '{}',
      created_at bigint NOT NULL, updated_at bigint NOT NULL)`,
    `CREATE TABLE arcface_templates (template_id bigserial PRIMARY KEY,
      identity_id text NOT NULL REFERENCES arcface_identities(id) ON DELETE CASCADE ON UPDATE CASCADE,
      embedding vector(${dim}) NOT NULL, source_file text, source_sha256 text, det_score double precision,
      face_size double precision, created_at bigint NOT NULL)`,
    'CREATE INDEX arcface_templates_by_identity ON arcface_templates (identity_id)',
    'CREATE INDEX arcface_templates_hnsw ON arcface_templates USING hnsw (embedding vector_cosine_ops)',
  ],
  // Thumbnails of templates (this step also created the people tables, which the people room now
  // owns and creates or adopts itself: src/people).
  () => [
    `CREATE TABLE arcface_template_thumbnails (template_id bigint PRIMARY KEY REFERENCES arcface_templates(template_id) ON DELETE CASCADE,
      jpeg bytea NOT NULL)`,
  ],
  // Identification in the database: trusted sub-centre means with their own HNSW index, filled
  // (and indexed) by rebuildSubCenters right after. The template-level HNSW index goes: no query
  // uses it any more, and keeping it up costs ~8 ms per template written (PGlite, 512-d).
  (dim) => ['DROP INDEX IF EXISTS arcface_templates_hnsw', SUBCENTER_TABLE_DDL(dim)],
  // Only people tables changed at version 4; the people room migrates them (src/people/people-schema.ts).
  () => [],
];
/** The version whose migration creates the sub-centre table, which is then filled from the templates. */
const SUBCENTERS_VERSION = 3;

/** Options of {@link PostgresGalleryStore.open}. */
export interface PostgresStoreOptions {
  /** Needed to create the schema; omitted, an existing gallery opens with the model it records. */
  readonly fingerprint?: string | undefined;
  readonly embeddingSize?: number | undefined;
  /** Shown in messages and `location` (pass the URL without its password). */
  readonly location: string;
  /**
   * Clustering recorded when the sub-centre table is created or backfilled (a new gallery, or the
   * migration of an older one); default K = 3 and the fallback join threshold. Afterwards the
   * recorded one is used, whatever later openers pass (see {@link PostgresGalleryStore.recluster}).
   */
  readonly subCenters?: SubCenterParams | undefined;
}

/** Template columns, the embedding as pgvector text. */
const TEMPLATE_COLUMNS = 'template_id, identity_id, embedding::text AS embedding, source_file, source_sha256, det_score, face_size, created_at';

interface TemplateRow {
  template_id: string | number;
  identity_id: string;
  embedding: string;
  source_file: string | null;
  source_sha256: string | null;
  det_score: number | null;
  face_size: number | null;
  created_at: string | number;
}
interface IdentityRow {
  id: string;
  name: string;
  metadata: Record<string, unknown> | string;
  created_at: string | number;
  updated_at: string | number;
  n?: string | number;
}

/**
 * The server-scale gallery: PostgreSQL with pgvector. Templates are `vector(D)` rows; each
 * identity's trusted sub-centre means are `vector(D)` rows of `arcface_subcenters` with an HNSW
 * index (`vector_cosine_ops`), recomputed in every write's transaction, so identification runs in
 * the database ({@link PostgresGalleryStore.identitySearch}) and opening reads only metadata. The
 * schema is versioned in `arcface_migrations` and migrated under an advisory lock. Vectors travel
 * as pgvector text, which round-trips float32 exactly (shortest decimal forms both ways).
 *
 * @example
 * const store = await PostgresGalleryStore.open(pgPoolClient(pool), { fingerprint, embeddingSize: 512, location: 'postgres://db/faces' })
 */
export class PostgresGalleryStore implements GalleryStore {
  readonly kind = 'postgres' as const;
  readonly location: string;
  meta: GalleryMeta;
  /** Identification in the database over the trusted sub-centre means. */
  readonly identitySearch: PgIdentitySearch;
  private readonly client: SqlClient;
  private params: SubCenterParams;

  private constructor(client: SqlClient, location: string, meta: GalleryMeta & { subCenters: SubCenterParams }) {
    this.client = client;
    this.location = location;
    this.meta = meta;
    this.params = meta.subCenters;
    this.identitySearch = new PgIdentitySearch(client, (fn) => wrap(location, fn));
  }

  /** Creates or migrates the schema and checks the recorded model. */
  static async open(client: SqlClient, opts: PostgresStoreOptions): Promise<PostgresGalleryStore> {
    const meta = await wrap(opts.location, () =>
      client.transaction(async (tx) => {
        await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
        await tx.query('CREATE EXTENSION IF NOT EXISTS vector');
        await tx.query('CREATE TABLE IF NOT EXISTS arcface_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)');
        const cur = Number((await tx.query<{ v: number | null }>('SELECT MAX(version) AS v FROM arcface_migrations')).rows[0]?.v ?? 0);
        if (cur > POSTGRES_SCHEMA_VERSION) {
          throw new ArcFaceError(
            'GALLERY_CORRUPT',
            `Expected gallery schema version ≤ ${POSTGRES_SCHEMA_VERSION} at ${opts.location} but found ${cur}: it was written by a newer ArcFace.ts`,
          );
        }
        if (cur === 0) {
          const clash = await tx.query<{ n: string }>(
            `SELECT COUNT(*) AS n FROM information_schema.tables
           WHERE table_name IN ('arcface_meta', 'arcface_identities', 'arcface_templates') AND table_schema = current_schema()`,
          );
          if (Number(clash.rows[0]?.n ?? 0) > 0)
            throw new ArcFaceError(
              'GALLERY_CORRUPT',
              `Expected ${opts.location} to hold no arcface_* tables without migrations but it does (a foreign schema)`,
            );
        }
        if (cur === 0 && (opts.fingerprint === undefined || opts.embeddingSize === undefined)) {
          throw new ArcFaceError(
            'INVALID_ARGUMENT',
            `Expected a model fingerprint and embedding size to create a gallery at ${opts.location} but received none`,
          );
        }
        const recordedSize =
          cur === 0 ? undefined : (await tx.query<{ value: string }>(`SELECT value FROM arcface_meta WHERE key = 'embedding_size'`)).rows[0]?.value;
        const dim = recordedSize === undefined ? (opts.embeddingSize ?? 0) : Number(recordedSize);
        for (let v = cur; v < POSTGRES_SCHEMA_VERSION; v++) {
          for (const sql of (MIGRATIONS[v] as (d: number) => string[])(dim)) await tx.query(sql);
          await tx.query('INSERT INTO arcface_migrations (version, applied_at) VALUES ($1, $2)', [v + 1, Date.now()]);
        }
        if (cur < SUBCENTERS_VERSION) {
          const p = opts.subCenters ?? { maxSubCenters: GALLERY_DEFAULTS.maxSubCenters, joinThreshold: FALLBACK_JOIN_THRESHOLD };
          await rebuildSubCenters(tx, p, dim, opts.location);
        }
        if (cur === 0) {
          for (const [k, val] of [
            ['format', 'arcface-gallery'],
            ['fingerprint', String(opts.fingerprint)],
            ['embedding_size', String(dim)],
            ['generation', '0'],
          ]) {
            await tx.query('INSERT INTO arcface_meta (key, value) VALUES ($1, $2)', [k, val]);
          }
        }
        const rows = (await tx.query<{ key: string; value: string }>('SELECT key, value FROM arcface_meta')).rows;
        const m = new Map(rows.map((r) => [r.key, r.value]));
        const size = Number(m.get('embedding_size'));
        const fingerprint = m.get('fingerprint');
        if (m.get('format') !== 'arcface-gallery' || fingerprint === undefined || !Number.isInteger(size)) {
          throw new ArcFaceError(
            'GALLERY_CORRUPT',
            `Expected ${opts.location} to be an ArcFace.ts gallery but arcface_meta lacks format, fingerprint or embedding_size`,
          );
        }
        const subCenters = recordedParams(m);
        if (subCenters === null)
          throw new ArcFaceError('GALLERY_CORRUPT', `Expected ${opts.location} to record its sub-centre clustering in arcface_meta but it does not`);
        return Object.freeze({ fingerprint, embeddingSize: size, schemaVersion: POSTGRES_SCHEMA_VERSION, subCenters: Object.freeze(subCenters) });
      }),
    );
    if (opts.fingerprint !== undefined && meta.fingerprint !== opts.fingerprint) {
      throw modelMismatch(`gallery ${opts.location}`, meta.fingerprint, opts.fingerprint);
    }
    if (opts.embeddingSize !== undefined && meta.embeddingSize !== opts.embeddingSize) {
      throw new ArcFaceError(
        'EMBEDDING_SIZE_MISMATCH',
        `Expected gallery ${opts.location} to hold ${opts.embeddingSize}-d embeddings but it holds ${meta.embeddingSize}-d`,
      );
    }
    return new PostgresGalleryStore(client, opts.location, meta);
  }

  async generation(): Promise<number> {
    const r = await this.q<{ value: string }>(`SELECT value FROM arcface_meta WHERE key = 'generation'`);
    return Number(r[0]?.value ?? 0);
  }

  async stamp(): Promise<StoreStamp> {
    // One statement: one snapshot of the database.
    const r = await this.q<{ g: string; n: string; m: string }>(
      `SELECT (SELECT value FROM arcface_meta WHERE key = 'generation') AS g, COUNT(*) AS n, COALESCE(MAX(template_id), 0) AS m FROM arcface_templates`,
    );
    return { generation: Number(r[0]?.g ?? 0), rows: Number(r[0]?.n ?? 0), maxTemplateId: Number(r[0]?.m ?? 0) };
  }

  async enroll(identity: IdentityWrite, templates: readonly NewTemplate[], mode: EnrollMode, opts: StoreEnrollOptions = {}): Promise<number[]> {
    return this.write(async (tx, w) => this.enrollChecked(tx, w, identity, templates, mode, opts, Date.now()));
  }

  private async enrollChecked(
    tx: SqlQueryable,
    w: WriteState,
    identity: IdentityWrite,
    templates: readonly NewTemplate[],
    mode: EnrollMode,
    opts: StoreEnrollOptions,
    now: number,
  ): Promise<number[]> {
    // Writers of one identity queue here, so checking its sources (and its existence) then inserting is atomic.
    await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [IDENTITY_LOCK, identity.id]);
    if (opts.skipHeldSources !== true) return this.enrollOne(tx, w, identity, templates, mode, now);
    const held = await tx.query<{ s: string }>('SELECT source_sha256 AS s FROM arcface_templates WHERE identity_id = $1 AND source_sha256 IS NOT NULL', [
      identity.id,
    ]);
    const fresh = templatesNotHeld(templates, new Set(held.rows.map((r) => r.s)));
    return repeatsHeldPhotos(mode, fresh, held.rows.length) ? [] : this.enrollOne(tx, w, identity, fresh, mode, now);
  }

  async enrollMany(
    items: readonly { identity: IdentityWrite; templates: readonly NewTemplate[] }[],
    mode: EnrollMode,
    opts: StoreEnrollOptions = {},
  ): Promise<number> {
    return this.write(async (tx, w) => {
      let n = 0;
      const now = Date.now();
      for (const it of items) {
        n += (
          opts.skipHeldSources === true
            ? await this.enrollChecked(tx, w, it.identity, it.templates, mode, opts, now)
            : await this.enrollOne(tx, w, it.identity, it.templates, mode, now)
        ).length;
      }
      return n;
    });
  }

  async getIdentity(id: string): Promise<IdentityRecord | null> {
    const r = await this.q<IdentityRow>('SELECT * FROM arcface_identities WHERE id = $1', [id]);
    return r[0] === undefined ? null : toIdentity(r[0]);
  }

  async listIdentities(): Promise<IdentitySummary[]> {
    const rows = await this.q<IdentityRow>(
      'SELECT i.*, (SELECT COUNT(*) FROM arcface_templates t WHERE t.identity_id = i.id) AS n FROM arcface_identities i ORDER BY i.id COLLATE "C"',
    );
    return rows.map((r) => ({ ...toIdentity(r), templateCount: Number(r.n ?? 0) }));
  }

  async templatesOf(id: string): Promise<TemplateRecord[]> {
    const rows = await this.q<TemplateRow>(`SELECT ${TEMPLATE_COLUMNS} FROM arcface_templates WHERE identity_id = $1 ORDER BY template_id`, [id]);
    return rows.map((r) => this.toTemplate(r));
  }

  async template(templateId: number): Promise<TemplateRecord | null> {
    const rows = await this.q<TemplateRow>(`SELECT ${TEMPLATE_COLUMNS} FROM arcface_templates WHERE template_id = $1`, [templateId]);
    return rows[0] === undefined ? null : this.toTemplate(rows[0]);
  }

  private toTemplate(r: TemplateRow): TemplateRecord {
    return {
      templateId: Number(r.template_id),
      identityId: r.identity_id,
      embedding: this.parse(r.embedding),
      sourceFile: r.source_file,
      sourceSha256: r.source_sha256,
      detScore: r.det_score,
      faceSize: r.face_size,
      createdAt: Number(r.created_at),
    };
  }

  async loadMatrix(allocate?: MatrixAllocator): Promise<TemplateMatrix> {
    const dim = this.meta.embeddingSize;
    const rows = await this.q<TemplateRow>('SELECT template_id, identity_id, embedding::text AS embedding FROM arcface_templates ORDER BY template_id');
    const matrix = allocateMatrix(allocate, rows.length, dim);
    rows.forEach((r, i) => matrix.set(this.parse(r.embedding), i * dim));
    return { dim, matrix, templateIds: Float64Array.from(rows, (r) => Number(r.template_id)), identityIds: rows.map((r) => r.identity_id) };
  }

  async removeIdentity(id: string): Promise<void> {
    await this.write(async (tx, w) => {
      const had = await hasSubCenters(tx, id);
      const r = await tx.query<{ id: string }>('DELETE FROM arcface_identities WHERE id = $1 RETURNING id', [id]);
      if (r.rows.length === 0) throw notFound(id);
      if (had) w.delta--;
    });
  }

  /**
   * Forgets an identity in one transaction: the steps' statements, then its thumbnails, sub-centre
   * means, templates and row. The rows are gone for every reader at commit; their bytes stay in the
   * table pages as dead tuples until VACUUM (and in WAL archives and backups): see docs/security.md.
   */
  async forgetIdentity(id: string, steps: readonly ForgetStep[], opts: { vacuum?: boolean } = {}): Promise<ForgetOutcome> {
    const deleted = await this.write(async (tx, w) => {
      await tx.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [IDENTITY_LOCK, id]);
      if ((await tx.query('SELECT id FROM arcface_identities WHERE id = $1', [id])).rows.length === 0) throw notFound(id);
      if (await hasSubCenters(tx, id)) w.delta--;
      const counts: Record<string, number> = {};
      const del = async (key: string, sql: string): Promise<void> => {
        tally(counts, key, Number((await tx.query<{ n: string | number }>(forgetSql('postgres', sql), [id])).rows[0]?.n ?? 0));
      };
      for (const step of steps) {
        const missing = await Promise.all(
          (step.tables ?? []).map(
            async (t) => (await tx.query<{ r: string | null }>('SELECT to_regclass($1)::text AS r', [`arcface_${t}`])).rows[0]?.r == null,
          ),
        );
        if (missing.some(Boolean)) continue;
        for (const st of step.statements('postgres')) await del(st.count, st.sql);
      }
      await del(
        'thumbnails',
        'DELETE FROM arcface_template_thumbnails WHERE template_id IN (SELECT template_id FROM arcface_templates WHERE identity_id = @id)',
      );
      await del('subCenters', 'DELETE FROM arcface_subcenters WHERE identity_id = @id');
      await del('templates', 'DELETE FROM arcface_templates WHERE identity_id = @id');
      await del('identities', 'DELETE FROM arcface_identities WHERE id = @id');
      return counts;
    });
    // VACUUM cannot run inside a transaction block; FULL rewrites each table into a new file.
    if (opts.vacuum === true) {
      const present = await this.q<{ t: string }>('SELECT t FROM unnest($1::text[]) AS t WHERE to_regclass(t) IS NOT NULL', [FORGET_VACUUM_TABLES]);
      await this.q(`VACUUM FULL ${present.map((r) => r.t).join(', ')}`);
    }
    return { deleted, scrub: { secureDelete: false, walTruncated: null, vacuumed: opts.vacuum === true } };
  }

  async removeTemplates(templateIds: readonly number[]): Promise<number> {
    const sql = 'DELETE FROM arcface_templates WHERE template_id = ANY($1::bigint[]) RETURNING identity_id';
    return this.write(async (tx, w) => {
      const gone = (await tx.query<{ identity_id: string }>(sql, [[...templateIds]])).rows;
      w.delta += await this.refresh(
        tx,
        gone.map((r) => r.identity_id),
      );
      return gone.length;
    });
  }

  async renameIdentity(id: string, change: { newId?: string; name?: string }): Promise<void> {
    await this.write(async (tx) => {
      if ((await tx.query('SELECT id FROM arcface_identities WHERE id = $1', [id])).rows.length === 0) throw notFound(id);
      const target = change.newId ?? id;
      if (target !== id) {
        if ((await tx.query('SELECT id FROM arcface_identities WHERE id = $1', [target])).rows.length > 0) {
          throw new ArcFaceError('IDENTITY_EXISTS', `Expected identity id "${target}" to be free but it is taken`);
        }
        await tx.query('UPDATE arcface_identities SET id = $1, updated_at = $2 WHERE id = $3', [target, Date.now(), id]);
      }
      if (change.name !== undefined)
        await tx.query('UPDATE arcface_identities SET name = $1, updated_at = $2 WHERE id = $3', [change.name, Date.now(), target]);
    });
  }

  async mergeIdentities(from: string, into: string): Promise<void> {
    await this.write(async (tx, w) => {
      for (const id of [from, into]) if ((await tx.query('SELECT id FROM arcface_identities WHERE id = $1', [id])).rows.length === 0) throw notFound(id);
      if (from === into) throw new ArcFaceError('INVALID_ARGUMENT', `Expected two different identities to merge but received "${from}" twice`);
      if (await hasSubCenters(tx, from)) w.delta--;
      await tx.query('UPDATE arcface_templates SET identity_id = $1 WHERE identity_id = $2', [into, from]);
      await tx.query('DELETE FROM arcface_identities WHERE id = $1', [from]);
      await tx.query('UPDATE arcface_identities SET updated_at = $1 WHERE id = $2', [Date.now(), into]);
      w.delta += await this.refresh(tx, [into]);
    });
  }

  /**
   * Recomputes every sub-centre with new clustering parameters and records them, in one
   * transaction under the migration lock. Every process then searches with them; galleries opened
   * before (whose in-memory path and option check used the old ones) should be reopened.
   *
   * @example
   * await store.recluster({ maxSubCenters: 3, joinThreshold: 0.35 })
   */
  async recluster(p: SubCenterParams): Promise<void> {
    try {
      assertInteger('maxSubCenters', p?.maxSubCenters, 1, 64);
      assertNumber('joinThreshold', p?.joinThreshold, -1, 1);
    } catch (e) {
      throw new ArcFaceError('INVALID_ARGUMENT', (e as Error).message, { cause: e });
    }
    await this.write(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await rebuildSubCenters(tx, p, this.meta.embeddingSize, this.location);
    });
    this.params = Object.freeze({ ...p });
    this.meta = Object.freeze({ ...this.meta, subCenters: this.params });
  }

  /** Server-side search over templates (cosine distance `<=>`, an exact scan: identification searches sub-centres). */
  async nearest(query: Float32Array, k: number): Promise<StoreNeighbour[]> {
    const rows = await this.q<{ template_id: string; identity_id: string; d: number }>(
      'SELECT template_id, identity_id, embedding <=> $1::vector AS d FROM arcface_templates ORDER BY embedding <=> $1::vector LIMIT $2',
      [vectorText(query), k],
    );
    return rows.map((r) => ({ templateId: Number(r.template_id), identityId: r.identity_id, score: 1 - Number(r.d) }));
  }

  async close(): Promise<void> {
    await this.client.end();
  }

  async putThumbnails(items: readonly TemplateThumbnail[]): Promise<void> {
    await wrap(this.location, () =>
      this.client.transaction(async (tx) => {
        for (const t of items) {
          // A template removed meanwhile keeps no thumbnail (as in every store).
          await tx.query(
            `INSERT INTO arcface_template_thumbnails (template_id, jpeg)
          SELECT $1::bigint, $2 WHERE EXISTS (SELECT 1 FROM arcface_templates WHERE template_id = $1::bigint)
          ON CONFLICT (template_id) DO UPDATE SET jpeg = EXCLUDED.jpeg`,
            [t.templateId, Buffer.from(t.jpeg)],
          );
        }
      }),
    );
  }

  async thumbnail(templateId: number): Promise<Uint8Array | null> {
    const r = await this.q<{ jpeg: Uint8Array }>('SELECT jpeg FROM arcface_template_thumbnails WHERE template_id = $1', [templateId]);
    return r[0] === undefined ? null : new Uint8Array(r[0].jpeg);
  }

  roomSql(_room: string): RoomSql {
    return postgresRoomSql(this.client);
  }

  async thumbnailIds(templateIds: readonly number[]): Promise<Set<number>> {
    if (templateIds.length === 0) return new Set();
    const r = await this.q<{ template_id: string | number }>('SELECT template_id FROM arcface_template_thumbnails WHERE template_id = ANY($1::bigint[])', [
      [...templateIds],
    ]);
    return new Set(r.map((row) => Number(row.template_id)));
  }

  /** The client this store queries through (people discovery keeps its tables in the same database). */
  sqlClient(): SqlClient {
    return this.client;
  }

  private async enrollOne(
    tx: SqlQueryable,
    w: WriteState,
    identity: IdentityWrite,
    templates: readonly NewTemplate[],
    mode: EnrollMode,
    now: number,
  ): Promise<number[]> {
    const exists = (await tx.query('SELECT id FROM arcface_identities WHERE id = $1', [identity.id])).rows.length > 0;
    if (exists && mode === 'create') throw new ArcFaceError('IDENTITY_EXISTS', `Expected identity "${identity.id}" to be new but it is already enrolled`);
    if (!exists) {
      await tx.query('INSERT INTO arcface_identities (id, name, metadata, created_at, updated_at) VALUES ($1, $2, $3::jsonb, $4, $5)', [
        identity.id,
        identity.name ?? identity.id,
        JSON.stringify(identity.metadata ?? {}),
        identity.createdAt ?? now,
        now,
      ]);
    } else {
      await tx.query('UPDATE arcface_identities SET name = COALESCE($1, name), metadata = COALESCE($2::jsonb, metadata), updated_at = $3 WHERE id = $4', [
        identity.name ?? null,
        identity.metadata === undefined ? null : JSON.stringify(identity.metadata),
        now,
        identity.id,
      ]);
    }
    const ids: number[] = [];
    for (const t of templates) {
      const r = await tx.query<{ template_id: string }>(
        'INSERT INTO arcface_templates (identity_id, embedding, source_file, source_sha256, det_score, face_size, created_at) VALUES ($1, $2::vector, $3, $4, $5, $6, $7) RETURNING template_id',
        [identity.id, vectorText(t.embedding), t.sourceFile ?? null, t.sourceSha256 ?? null, t.detScore ?? null, t.faceSize ?? null, t.createdAt ?? now],
      );
      ids.push(Number(r.rows[0]?.template_id));
    }
    // A new identity's templates are the ones just written, in order: cluster them without reading back.
    if (templates.length > 0)
      w.delta += await this.refresh(tx, [identity.id], exists ? undefined : new Map([[identity.id, templates.map((t) => t.embedding)]]));
    return ids;
  }

  private refresh(tx: SqlQueryable, ids: readonly string[], fresh?: ReadonlyMap<string, readonly Float32Array[]>): Promise<number> {
    return refreshSubCenters(tx, ids, this.params, this.meta.embeddingSize, this.location, fresh);
  }

  /** One write transaction: `fn`, then the searchable-identity count and the generation, both last (one row lock, held briefly). */
  private async write<T>(fn: (tx: SqlQueryable, w: WriteState) => Promise<T>): Promise<T> {
    return wrap(this.location, () =>
      this.client.transaction(async (tx) => {
        const w: WriteState = { delta: 0 };
        const out = await fn(tx, w);
        await bumpSearchable(tx, w.delta);
        await tx.query(`UPDATE arcface_meta SET value = (value::bigint + 1)::text WHERE key = 'generation'`);
        return out;
      }),
    );
  }

  private async q<R>(text: string, params?: readonly unknown[]): Promise<R[]> {
    return wrap(this.location, async () => (await this.client.query<R>(text, params)).rows);
  }

  private parse(text: string): Float32Array {
    return parseVector(text, this.meta.embeddingSize, this.location);
  }
}

/** Tables holding a forgotten identity's templates, means, thumbnails and faces: rewritten by `forget(id, { vacuum: true })`. */
const FORGET_VACUUM_TABLES = [
  'arcface_templates',
  'arcface_subcenters',
  'arcface_template_thumbnails',
  'arcface_person_faces',
  'arcface_persons',
  'arcface_identities',
];

/** What a write changes besides its rows: the number of searchable identities. */
interface WriteState {
  delta: number;
}

function notFound(id: string): ArcFaceError {
  return new ArcFaceError('IDENTITY_NOT_FOUND', `Expected identity "${id}" to be enrolled but it is not`);
}

function toIdentity(r: IdentityRow): IdentityRecord {
  const metadata = typeof r.metadata === 'string' ? (JSON.parse(r.metadata) as Record<string, unknown>) : r.metadata;
  return { id: r.id, name: r.name, metadata, createdAt: Number(r.created_at), updatedAt: Number(r.updated_at) };
}

/** Passes coded errors through; unreachable or contended databases are `GALLERY_BUSY`, other SQL failures `GALLERY_CORRUPT`. */
async function wrap<T>(location: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ArcFaceError) throw e;
    const code = String((e as { code?: unknown }).code ?? '');
    // SQLSTATE class 40 (transaction rollback: serialization, deadlock) and 55P03 (lock not available).
    // SQLSTATE class 08 (connection exception) and socket errors: the server is unavailable, not damaged.
    if (code.startsWith('08') || code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'ECONNRESET') {
      throw new ArcFaceError('GALLERY_BUSY', `Expected the gallery database at ${location} to be reachable but: ${(e as Error).message}`, { cause: e });
    }
    if (code.startsWith('40') || code === '55P03') {
      throw new ArcFaceError('GALLERY_BUSY', `Expected gallery ${location} to be free but the database reports ${code}: ${(e as Error).message}`, { cause: e });
    }
    throw new ArcFaceError('GALLERY_CORRUPT', `Expected ${location} to answer as an ArcFace.ts gallery but the database reports: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

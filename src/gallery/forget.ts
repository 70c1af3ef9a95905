/**
 * Forgetting an identity: one transaction that removes the identity, its templates and thumbnails,
 * and every row other owners keep about it (people discovery's persons and faces, sightings, …).
 * An owner joins by registering a {@link ForgetStep} with the gallery; the store runs each step's
 * statements inside its own forget transaction, so either everything about the person goes or
 * nothing does.
 *
 * Steps are SQL, not callbacks: SQLite runs the whole forget as one synchronous transaction on the
 * store's connection (better-sqlite3 cannot await inside one), so no other call of this process can
 * slip a write into it, and PostgreSQL runs the same statements in its transaction.
 */
import { ArcFaceError } from '../core/index.js';

/** The SQL dialect a step's statements are written for. */
export type ForgetDialect = 'sqlite' | 'postgres';

/** One DELETE of a step: its deleted rows are added to the receipt under `count`. */
export interface ForgetStatement {
  /** Receipt key the deleted rows are counted under (e.g. `personFaces`). */
  readonly count: string;
  /**
   * A single `DELETE` statement without `RETURNING`, `@id` standing for the identity id (any number
   * of times). Table names are the dialect's (PostgreSQL tables carry the `arcface_` prefix).
   */
  readonly sql: string;
}

/**
 * An owner's share of forgetting an identity, run before the gallery's own rows go (so it may still
 * join on the identity's templates).
 *
 * @example
 * gallery.registerForgetStep({ name: 'sightings', statements: () => [{ count: 'sightings', sql: 'DELETE FROM sightings WHERE identity_id = @id' }] })
 */
export interface ForgetStep {
  /** Names the owner in the receipt; unique among a gallery's steps. */
  readonly name: string;
  /** The statements for `dialect`, run in order. */
  statements(dialect: ForgetDialect): readonly ForgetStatement[];
  /**
   * Tables the statements touch, without the dialect's prefix: a room whose tables were never made
   * (people discovery never opened on this gallery) holds nothing to forget, so its step is skipped.
   */
  readonly tables?: readonly string[];
}

/** What the store did beyond deleting rows, so that the deleted bytes leave its files too. */
export interface ForgetScrub {
  /**
   * SQLite: freed pages are overwritten with zeros (`PRAGMA secure_delete`). PostgreSQL: false, the
   * deleted tuples stay in the table's pages until VACUUM reuses them (see docs/security.md).
   */
  readonly secureDelete: boolean;
  /**
   * SQLite: the write-ahead log was checkpointed into the file and truncated to zero bytes
   * (`PRAGMA wal_checkpoint(TRUNCATE)`); false when a reader held it (retry later). Null elsewhere.
   */
  readonly walTruncated: boolean | null;
  /**
   * The tables were rewritten after the commit, when asked (`vacuum`): SQLite `VACUUM` (no free page
   * left, so nothing deleted before `secure_delete` was set survives either); PostgreSQL `VACUUM FULL`
   * of the gallery's tables (new table files, the old ones unlinked; an exclusive lock meanwhile).
   */
  readonly vacuumed: boolean;
}

/** What a store reports for one forget. */
export interface ForgetOutcome {
  /** Rows deleted, by kind: `identities`, `templates`, `thumbnails` and each step's counts. */
  readonly deleted: Readonly<Record<string, number>>;
  readonly scrub: ForgetScrub;
}

/**
 * The receipt of `Gallery.forget`: what was deleted, when, and how long it took.
 *
 * @example
 * const r = await gallery.forget('ada') // { id: 'ada', deleted: { identities: 1, templates: 3, thumbnails: 3, personFaces: 5, persons: 1 }, … }
 */
export interface ForgetReceipt {
  readonly id: string;
  /** Rows deleted, by kind: `identities`, `templates`, `thumbnails` and each step's counts. */
  readonly deleted: Readonly<Record<string, number>>;
  /** The store's scrub, and the persisted index caches (matrix snapshot, HNSW graph) removed, by path. */
  readonly scrub: ForgetScrub & { readonly cachesRemoved: readonly string[] };
  /** `sqlite` or `postgres`. */
  readonly store: string;
  /** ISO 8601 time of the commit. */
  readonly forgottenAt: string;
  readonly durationMs: number;
  /** The registered steps that ran, in order. */
  readonly steps: readonly string[];
}

/**
 * A statement in `dialect`: SQLite binds `@id` by name; PostgreSQL takes `$1` and counts the rows
 * through a `RETURNING` CTE (a plain DELETE returns no rows through {@link SqlQueryable}).
 *
 * @example
 * forgetSql('postgres', 'DELETE FROM arcface_sightings WHERE identity_id = @id')
 */
export function forgetSql(dialect: ForgetDialect, sql: string): string {
  const text = sql.trim();
  if (!/^DELETE\s/i.test(text) || /\bRETURNING\b/i.test(text) || text.includes(';')) {
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected one DELETE statement without RETURNING in a forget step but received ${JSON.stringify(text.slice(0, 60))}`,
    );
  }
  if (dialect === 'sqlite') return text;
  return `WITH gone AS (${text.replace(/@id\b/g, '$1')} RETURNING 1) SELECT COUNT(*) AS n FROM gone`;
}

/**
 * Adds `n` rows under `key`.
 *
 * @example
 * tally(counts, 'templates', 3)
 */
export function tally(counts: Record<string, number>, key: string, n: number): void {
  counts[key] = (counts[key] ?? 0) + n;
}

/**
 * Checks a step before it is registered: a name, statements for both dialects, no clash.
 *
 * @example
 * checkForgetStep(step, ['personFaces'])
 */
export function checkForgetStep(step: ForgetStep, taken: readonly string[]): ForgetStep {
  if (typeof step?.name !== 'string' || step.name.length === 0 || typeof step.statements !== 'function') {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected a forget step { name, statements(dialect) } but received ${JSON.stringify(step?.name)}`);
  }
  if (taken.includes(step.name)) throw new ArcFaceError('INVALID_ARGUMENT', `Expected forget step "${step.name}" to be registered once but it is already`);
  for (const d of ['sqlite', 'postgres'] as const) for (const s of step.statements(d)) forgetSql(d, s.sql);
  return step;
}

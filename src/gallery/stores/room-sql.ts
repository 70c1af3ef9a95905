/**
 * SQL for the rooms that keep their own tables in the gallery's database (people, sightings): the
 * gallery store hands each room a runner (`GalleryStore.roomSql()`), and the room defines and migrates
 * its tables through it (`migrate`), so no room casts a store or writes another room's schema.
 * Queries are written with `?` placeholders (rewritten to `$1…` for PostgreSQL). SQLite runs on its own
 * connection to the gallery file, so its transactions never nest inside the gallery's; an in-process
 * queue keeps this connection's transactions one at a time.
 */
import Database from 'better-sqlite3';
import { ArcFaceError } from '../../core/index.js';
import type { SqlClient, SqlQueryable } from './sql-client.js';
import type { GalleryStore } from './store.js';

/** One step of a room's schema: entry `i` of a room's list upgrades its version `i` to `i + 1`. */
export type RoomMigration = (q: RoomSql) => Promise<void>;

/** Queries with `?` placeholders, in the gallery's database. */
export interface RoomSql {
  readonly dialect: 'sqlite' | 'postgres';
  /** Table name with the dialect's prefix (`arcface_` in PostgreSQL). */
  table(name: string): string;
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs `fn` in one transaction (IMMEDIATE in SQLite). */
  transaction<T>(fn: (q: RoomSql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * A room's tables written as plain statements: per dialect, the steps in order (each a list of
 * statements). Step i brings the room to version i + 1; both dialects have the same number of steps.
 */
export interface RoomSchema {
  readonly name: string;
  readonly sqlite: readonly (readonly string[])[];
  readonly postgres: readonly (readonly string[])[];
}

/**
 * The migration steps of a {@link RoomSchema}.
 *
 * @example
 * await migrateRoom(sql, schema.name, schemaMigrations(schema))
 */
export function schemaMigrations(schema: RoomSchema): RoomMigration[] {
  return schema.sqlite.map((_, i) => async (q: RoomSql) => {
    for (const st of (q.dialect === 'sqlite' ? schema.sqlite : schema.postgres)[i] ?? []) await q.all(st);
  });
}

/**
 * A room's SQL in the gallery's database with its tables migrated to the newest of `steps`; the
 * caller closes it. `STORE_UNSUPPORTED` for a store without SQL (IndexedDB).
 *
 * @example
 * const sql = await openRoom(gallery.store, 'sightings', schemaMigrations(SIGHTINGS_SCHEMA))
 */
export async function openRoom(store: GalleryStore, room: string, steps: readonly RoomMigration[]): Promise<RoomSql> {
  const sql = store.roomSql(room);
  try {
    await migrateRoom(sql, room, steps);
  } catch (e) {
    await sql.close();
    throw e;
  }
  return sql;
}

/** Key of the PostgreSQL advisory lock that serialises room migrations (ASCII "AFRM"). */
const ROOM_MIGRATION_LOCK = 0x4146524d;

/**
 * Brings a room's tables to the newest of its `steps`, once, whoever opens the gallery first: the
 * versions live in `room_schema` (`arcface_room_schema`), one row per room, read and written in one
 * write transaction (and, in PostgreSQL, under an advisory lock), so concurrent openers wait and then
 * find the work done. A database newer than this build is refused with `GALLERY_CORRUPT`.
 *
 * @example
 * await migrateRoom(sql, 'people', PEOPLE_MIGRATIONS)
 */
export async function migrateRoom(sql: RoomSql, room: string, steps: readonly RoomMigration[]): Promise<number> {
  const table = sql.table('room_schema');
  return sql.transaction(async (q) => {
    if (q.dialect === 'postgres') await q.all('SELECT pg_advisory_xact_lock(?)', [ROOM_MIGRATION_LOCK]);
    await q.all(`CREATE TABLE IF NOT EXISTS ${table} (room TEXT PRIMARY KEY, version INTEGER NOT NULL)`);
    const row = (await q.all<{ version: number | string }>(`SELECT version FROM ${table} WHERE room = ?`, [room]))[0];
    const from = row === undefined ? 0 : Number(row.version);
    if (from > steps.length) {
      throw new ArcFaceError(
        'GALLERY_CORRUPT',
        `Expected the ${room} tables at version ${steps.length} or older but the gallery holds version ${from} (a newer ArcFace.ts wrote it)`,
      );
    }
    for (let v = from; v < steps.length; v++) await (steps[v] as RoomMigration)(q);
    if (from < steps.length) {
      await q.all(`INSERT INTO ${table} (room, version) VALUES (?, ?) ON CONFLICT (room) DO UPDATE SET version = excluded.version`, [room, steps.length]);
    }
    return steps.length;
  });
}

/** `?` placeholders to `$1, $2, …` (no `?` appears in our SQL text otherwise). */
function dollars(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

/**
 * A PostgreSQL runner over the gallery's client.
 *
 * @example
 * const sql = postgresRoomSql(client)
 */
export function postgresRoomSql(client: SqlClient): RoomSql {
  const over = (q: SqlQueryable): RoomSql => ({
    dialect: 'postgres',
    table: (name) => `arcface_${name}`,
    all: async <R>(sql: string, params: readonly unknown[] = []) => (await q.query<R>(dollars(sql), params)).rows,
    transaction: <T>(fn: (x: RoomSql) => Promise<T>) => client.transaction((tx) => fn(over(tx))),
    close: async () => undefined,
  });
  return over(client);
}

/**
 * A SQLite runner on a new connection to the gallery file at `path`.
 *
 * @example
 * const sql = sqliteRoomSql('people.db')
 */
export function sqliteRoomSql(path: string, busyTimeoutMs = 5000): RoomSql {
  const db = new Database(path, { fileMustExist: true });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma('foreign_keys = ON');
  // As the gallery's own connection: removed rows leave zeros, not their bytes, in free pages.
  db.pragma('secure_delete = ON');
  let queue: Promise<unknown> = Promise.resolve();
  const exec = <R>(sql: string, params: readonly unknown[]): R[] => {
    const st = db.prepare(sql);
    const args = params.map((p) => (typeof p === 'boolean' ? Number(p) : p));
    return st.reader ? (st.all(...args) as R[]) : (st.run(...args), []);
  };
  const runner: RoomSql = {
    dialect: 'sqlite',
    table: (name) => name,
    all: async <R>(sql: string, params: readonly unknown[] = []) => guarded(path, () => exec<R>(sql, params)),
    transaction: <T>(fn: (q: RoomSql) => Promise<T>): Promise<T> => {
      const run = async (): Promise<T> => {
        guarded(path, () => db.exec('BEGIN IMMEDIATE'));
        try {
          const out = await fn(runner);
          db.exec('COMMIT');
          return out;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
      };
      const next = queue.then(run, run);
      queue = next.catch(() => undefined);
      return next;
    },
    close: async () => {
      await queue;
      if (db.open) db.close();
    },
  };
  return runner;
}

function guarded<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new ArcFaceError('GALLERY_BUSY', `Expected gallery ${path} to be free but another process held it past the busy timeout`, { cause: e });
    }
    throw e;
  }
}

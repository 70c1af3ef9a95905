/**
 * A room's own tables in the gallery database. A room (people discovery, sightings) defines and
 * migrates its tables itself; the gallery store only hands it a connection ({@link GalleryStore.openRoom}).
 * Queries are written with `?` placeholders (rewritten to `$1…` for PostgreSQL). SQLite runs on its
 * own connection to the gallery file, so a room's transactions never nest inside the gallery's; an
 * in-process queue keeps this connection's transactions one at a time.
 */
import Database from 'better-sqlite3';
import { ArcFaceError } from '../core/index.js';
import type { SqlClient, SqlQueryable } from './sql-client.js';

/** Queries with `?` placeholders over a room's tables. */
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
 * A room's tables: its name and, per dialect, the migration steps in order (each a list of
 * statements). Step i brings the room to version i + 1; both dialects have the same number of steps.
 */
export interface RoomSchema {
  readonly name: string;
  readonly sqlite: readonly (readonly string[])[];
  readonly postgres: readonly (readonly string[])[];
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
  let queue: Promise<unknown> = Promise.resolve();
  const exec = <R>(sql: string, params: readonly unknown[]): R[] => {
    const st = db.prepare(sql);
    const args = params.map((p) => (typeof p === 'boolean' ? Number(p) : p));
    if (st.reader) return st.all(...args) as R[];
    st.run(...args);
    return [];
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

/**
 * Brings a room's tables to its newest version in one transaction: the versions live in the `rooms`
 * table (`arcface_rooms`), one row per room; a room newer than its schema is `GALLERY_CORRUPT`.
 *
 * @example
 * await migrateRoom(sql, { name: 'sightings', sqlite: [[...]], postgres: [[...]] })
 */
export async function migrateRoom(sql: RoomSql, schema: RoomSchema): Promise<void> {
  const steps = sql.dialect === 'sqlite' ? schema.sqlite : schema.postgres;
  const rooms = sql.table('rooms');
  await sql.transaction(async (q) => {
    // Two PostgreSQL servers opening one database at once must not both create the tables.
    if (q.dialect === 'postgres') await q.all("SELECT pg_advisory_xact_lock(hashtext('arcface_rooms'))");
    await q.all(`CREATE TABLE IF NOT EXISTS ${rooms} (name text PRIMARY KEY, version integer NOT NULL)`);
    const r = await q.all<{ version: number | string }>(`SELECT version FROM ${rooms} WHERE name = ?`, [schema.name]);
    const have = r[0] === undefined ? 0 : Number(r[0].version);
    if (have > steps.length) {
      throw new ArcFaceError('GALLERY_CORRUPT', `Expected the ${schema.name} tables at version ≤ ${steps.length} but found ${have}: a newer ArcFace.ts wrote them`);
    }
    for (let v = have; v < steps.length; v++) for (const statement of steps[v] ?? []) await q.all(statement);
    if (have === 0) await q.all(`INSERT INTO ${rooms} (name, version) VALUES (?, ?)`, [schema.name, steps.length]);
    else if (have < steps.length) await q.all(`UPDATE ${rooms} SET version = ? WHERE name = ?`, [steps.length, schema.name]);
  });
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

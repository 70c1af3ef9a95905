/**
 * The little SQL the people store needs, over either gallery store: parameterised queries written
 * with `?` placeholders (rewritten to `$1…` for PostgreSQL) and transactions. SQLite runs on its own
 * connection to the gallery file, so its transactions never nest inside the gallery's; an in-process
 * queue keeps this connection's transactions one at a time.
 */
import Database from 'better-sqlite3';
import { ArcFaceError } from '../core/index.js';
import type { SqlClient, SqlQueryable } from '../gallery/index.js';

/** Queries with `?` placeholders. */
export interface PeopleSql {
  readonly dialect: 'sqlite' | 'postgres';
  /** Table name with the dialect's prefix (`arcface_` in PostgreSQL). */
  table(name: string): string;
  all<R>(sql: string, params?: readonly unknown[]): Promise<R[]>;
  /** Runs `fn` in one transaction (IMMEDIATE in SQLite). */
  transaction<T>(fn: (q: PeopleSql) => Promise<T>): Promise<T>;
  close(): Promise<void>;
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
 * const sql = postgresPeopleSql(client)
 */
export function postgresPeopleSql(client: SqlClient): PeopleSql {
  const over = (q: SqlQueryable): PeopleSql => ({
    dialect: 'postgres',
    table: (name) => `arcface_${name}`,
    all: async <R>(sql: string, params: readonly unknown[] = []) => (await q.query<R>(dollars(sql), params)).rows,
    transaction: <T>(fn: (x: PeopleSql) => Promise<T>) => client.transaction((tx) => fn(over(tx))),
    close: async () => undefined,
  });
  return over(client);
}

/**
 * A SQLite runner on a new connection to the gallery file at `path`.
 *
 * @example
 * const sql = sqlitePeopleSql('people.db')
 */
export function sqlitePeopleSql(path: string, busyTimeoutMs = 5000): PeopleSql {
  const db = new Database(path, { fileMustExist: true });
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma('foreign_keys = ON');
  // As the gallery's own connection: removed faces leave zeros, not their bytes, in free pages.
  db.pragma('secure_delete = ON');
  let queue: Promise<unknown> = Promise.resolve();
  const exec = <R>(sql: string, params: readonly unknown[]): R[] => {
    const st = db.prepare(sql);
    const args = params.map((p) => (typeof p === 'boolean' ? Number(p) : p));
    return st.reader ? (st.all(...args) as R[]) : (st.run(...args), []);
  };
  const runner: PeopleSql = {
    dialect: 'sqlite',
    table: (name) => name,
    all: async <R>(sql: string, params: readonly unknown[] = []) => guarded(path, () => exec<R>(sql, params)),
    transaction: <T>(fn: (q: PeopleSql) => Promise<T>): Promise<T> => {
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

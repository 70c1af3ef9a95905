import type pg from 'pg';

/** Something that runs parameterised SQL (`$1`, `$2`, …) and returns rows. */
export interface SqlQueryable {
  query<R>(text: string, params?: readonly unknown[]): Promise<{ rows: R[] }>;
}

/**
 * The little the PostgreSQL store needs from a client: queries, transactions on one connection,
 * and closing. Adapters exist for a `pg` pool ({@link pgPoolClient}) and for an in-process PGlite
 * ({@link pgliteClient}).
 */
export interface SqlClient extends SqlQueryable {
  /** Runs `fn` between BEGIN and COMMIT on one connection; ROLLBACK when it throws. */
  transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
  end(): Promise<void>;
}

/**
 * Adapts a `pg` pool.
 *
 * @example
 * const client = pgPoolClient(new pg.Pool({ connectionString: 'postgres://user@db/faces' }))
 */
export function pgPoolClient(pool: pg.Pool): SqlClient {
  return {
    query: async <R>(text: string, params?: readonly unknown[]) => ({ rows: (await pool.query(text, params as unknown[])).rows as R[] }),
    async transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> {
      const conn = await pool.connect();
      try {
        await conn.query('BEGIN');
        const out = await fn({
          query: async <R>(text: string, params?: readonly unknown[]) => ({ rows: (await conn.query(text, params as unknown[])).rows as R[] }),
        });
        await conn.query('COMMIT');
        return out;
      } catch (e) {
        await conn.query('ROLLBACK').catch(() => undefined);
        throw e;
      } finally {
        conn.release();
      }
    },
    end: () => pool.end(),
  };
}

/** The part of a PGlite instance the adapter uses (structural, so src/ needs no PGlite import). */
export interface PgliteLike {
  query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }>;
  transaction<T>(fn: (tx: { query<R>(text: string, params?: unknown[]): Promise<{ rows: R[] }> }) => Promise<T>): Promise<T>;
}

/**
 * Adapts an in-process PGlite (with the pgvector extension loaded). `end()` leaves it open: the
 * caller owns it.
 *
 * @example
 * const client = pgliteClient(await PGlite.create({ extensions: { vector } }))
 */
export function pgliteClient(db: PgliteLike): SqlClient {
  return {
    query: <R>(text: string, params?: readonly unknown[]) => db.query<R>(text, params === undefined ? undefined : [...params]),
    transaction: <T>(fn: (tx: SqlQueryable) => Promise<T>) =>
      db.transaction((tx) =>
        fn({
          query: <R>(text: string, params?: readonly unknown[]) => tx.query<R>(text, params === undefined ? undefined : [...params]),
        }),
      ),
    end: async () => undefined,
  };
}

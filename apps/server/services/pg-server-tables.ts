/**
 * The server's own tables in a PostgreSQL gallery database (API keys, rate-limit counters), next to
 * the gallery's: each component has a schema version in `arcface_server_migrations`, created and
 * upgraded in one transaction under an advisory lock, so replicas starting together migrate once.
 */
import { ArcFaceError } from '../../../src/core/index.js';
import type { SqlClient } from '../../../src/gallery/index.js';

/** Key of the advisory lock that serialises the server tables' migrations (ASCII "AFS1"). */
const SERVER_MIGRATION_LOCK = 0x41465331;

/** A component of the server's tables and its migrations: entry `i` upgrades version `i` to `i + 1`. */
export interface ServerTables {
  readonly component: string;
  readonly migrations: readonly (readonly string[])[];
}

/**
 * Creates or upgrades a component's tables; a database migrated by a newer build is refused.
 *
 * @example
 * await migrateServerTables(client, { component: 'api_keys', migrations: [['CREATE TABLE …']] }, 'postgres://db/faces')
 */
export async function migrateServerTables(client: SqlClient, tables: ServerTables, location: string): Promise<void> {
  const newest = tables.migrations.length;
  await pgTry(location, tables.component, () =>
    client.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [SERVER_MIGRATION_LOCK]);
      await tx.query(`CREATE TABLE IF NOT EXISTS arcface_server_migrations (component text NOT NULL, version integer NOT NULL,
        applied_at bigint NOT NULL, PRIMARY KEY (component, version))`);
      const r = await tx.query<{ v: number | null }>('SELECT MAX(version) AS v FROM arcface_server_migrations WHERE component = $1', [tables.component]);
      const current = Number(r.rows[0]?.v ?? 0);
      if (current > newest) {
        throw new ArcFaceError(
          'GALLERY_CORRUPT',
          `Expected ${tables.component} tables of version ≤ ${newest} at ${location} but found ${current}: a newer ArcFace.ts wrote them`,
        );
      }
      for (let v = current; v < newest; v++) {
        for (const sql of tables.migrations[v] ?? []) await tx.query(sql);
        await tx.query('INSERT INTO arcface_server_migrations (component, version, applied_at) VALUES ($1, $2, $3)', [tables.component, v + 1, Date.now()]);
      }
    }),
  );
}

/**
 * Runs a query of the server's tables: coded errors pass; an unreachable or contended database is
 * `GALLERY_BUSY` (503: the gallery database is down for everything); other SQL failures are
 * `GALLERY_CORRUPT`, naming the component.
 *
 * @example
 * const rows = await pgTry(location, 'api_keys', () => client.query('SELECT 1'))
 */
export async function pgTry<T>(location: string, component: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ArcFaceError) throw e;
    const code = String((e as { code?: unknown }).code ?? '');
    // The server's own errors carry a five-character SQLSTATE; anything else (no code, ECONNREFUSED,
    // "Connection terminated") is the network or the server going away. Class 08 is a connection
    // exception, class 40 a rolled-back transaction, 55P03 a lock not available: all transient.
    const sqlState = /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('E');
    if (!sqlState || code.startsWith('08') || code.startsWith('40') || code === '55P03') {
      throw new ArcFaceError('GALLERY_BUSY', `Expected the database at ${location} to answer for ${component} but: ${(e as Error).message}`, { cause: e });
    }
    throw new ArcFaceError('GALLERY_CORRUPT', `Expected ${location} to hold ArcFace.ts ${component} tables but the database reports: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

import { ArcFaceError, assertString } from '../../../src/core/index.js';
import { isPostgresLocation, openOnPgPool, type SqlClient } from '../../../src/gallery/index.js';
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  type CreatedApiKey,
  type KeyRow,
  KeyStore,
  type Scope,
  hashKey,
  mintKey,
  plausibleKey,
  toKeyRecord,
} from './key-store.js';
import { migrateServerTables, pgTry } from './pg-server-tables.js';

/** Connections a key store opened from a URL keeps: one verify per request, short queries. */
const KEY_POOL_SIZE = 2;

/** The `api_keys` tables: the same columns as the SQLite key file. */
const KEY_TABLES = {
  component: 'api_keys',
  migrations: [
    [
      `CREATE TABLE arcface_api_keys (id text PRIMARY KEY, name text NOT NULL, scope text NOT NULL, hash text NOT NULL UNIQUE,
        created_at text NOT NULL, revoked_at text)`,
    ],
  ],
} as const;

const COLUMNS = 'id, name, scope, created_at, revoked_at';

/**
 * API keys in a PostgreSQL database (the gallery's, for a PostgreSQL gallery), stored as SHA-256
 * hashes only, as in the SQLite file. Nothing is cached: every `verify` reads the table, so a key
 * revoked through one server replica (or `arcface keys revoke`) is refused by every other replica
 * from the next request on.
 *
 * @example
 * const keys = await PostgresKeyStore.open(pgPoolClient(pool), { location: 'postgres://db/faces' })
 * const { key } = await keys.create({ scope: 'read' })
 */
export class PostgresKeyStore implements ApiKeyStore {
  readonly location: string;
  readonly #client: SqlClient;
  readonly #owned: boolean;

  private constructor(client: SqlClient, location: string, owned: boolean) {
    this.#client = client;
    this.location = location;
    this.#owned = owned;
  }

  /**
   * Creates or migrates the key table; `owned` (default false): {@link close} ends the client.
   *
   * @example
   * const keys = await PostgresKeyStore.open(client, { location: 'pglite' })
   */
  static async open(client: SqlClient, options: { location: string; owned?: boolean }): Promise<PostgresKeyStore> {
    await migrateServerTables(client, KEY_TABLES, options.location);
    return new PostgresKeyStore(client, options.location, options.owned === true);
  }

  /**
   * Creates a key; the returned `key` is the only copy.
   *
   * @example
   * const { id, key } = await keys.create({ scope: 'write', name: 'kiosk' })
   */
  async create(options: { scope: Scope; name?: string }): Promise<CreatedApiKey> {
    const created = mintKey(options);
    await this.#q('INSERT INTO arcface_api_keys (id, name, scope, hash, created_at) VALUES ($1, $2, $3, $4, $5)', [
      created.id,
      created.name,
      created.scope,
      hashKey(created.key),
      created.createdAt,
    ]);
    return created;
  }

  /**
   * All keys, revoked ones included, oldest first.
   *
   * @example
   * for (const k of await keys.list()) console.log(k.id)
   */
  async list(): Promise<ApiKeyRecord[]> {
    return (await this.#q<KeyRow>(`SELECT ${COLUMNS} FROM arcface_api_keys ORDER BY created_at, id COLLATE "C"`)).map(toKeyRecord);
  }

  /**
   * Revokes a key by id (one statement, so two replicas revoking at once agree on the time);
   * `NOT_FOUND` when no such key exists.
   *
   * @example
   * await keys.revoke('3f9a0c1d2e4b')
   */
  async revoke(id: string): Promise<ApiKeyRecord> {
    assertString('id', id);
    const rows = await this.#q<KeyRow>(`UPDATE arcface_api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING ${COLUMNS}`, [
      new Date().toISOString(),
      id,
    ]);
    if (rows[0] === undefined) throw new ArcFaceError('NOT_FOUND', `Expected an existing API key id but received "${id}"`);
    return toKeyRecord(rows[0]);
  }

  /**
   * The live record of a presented key, or undefined when unknown or revoked.
   *
   * @example
   * const rec = await keys.verify(presented)
   */
  async verify(key: string): Promise<ApiKeyRecord | undefined> {
    if (!plausibleKey(key)) return undefined;
    const rows = await this.#q<KeyRow>(`SELECT ${COLUMNS} FROM arcface_api_keys WHERE hash = $1`, [hashKey(key)]);
    const row = rows[0];
    return row === undefined || row.revoked_at !== null ? undefined : toKeyRecord(row);
  }

  /**
   * True when the table answers a query (readiness).
   *
   * @example
   * if (!(await keys.ping())) reply.code(503)
   */
  async ping(): Promise<boolean> {
    try {
      await this.#client.query('SELECT 1 FROM arcface_api_keys LIMIT 1');
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Ends the client when this store opened it.
   *
   * @example
   * await keys.close()
   */
  async close(): Promise<void> {
    if (this.#owned) await this.#client.end();
  }

  async #q<R>(text: string, params?: readonly unknown[]): Promise<R[]> {
    return pgTry(this.location, 'api_keys', async () => (await this.#client.query<R>(text, params)).rows);
  }
}

/**
 * Opens the key store at a location: a `postgres://` URL is a table in that database (its own
 * small pool), anything else a SQLite key file (see {@link KeyStore.open}).
 *
 * @example
 * const keys = await openKeyStore(process.env.KEYS ?? 'keys.db')
 */
export async function openKeyStore(location: string): Promise<ApiKeyStore> {
  assertString('location', location);
  if (!isPostgresLocation(location)) return KeyStore.open(location);
  return openOnPgPool(location, KEY_POOL_SIZE, (client, where) => PostgresKeyStore.open(client, { location: where, owned: true }));
}

import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { ArcFaceError, assertOneOf, assertString } from '../../../src/core/index.js';
import { busyPauses, ensurePrivateFile } from '../../../src/gallery/index.js';

/** What a key may do: `read` (detect, embed, verify, identify, list), `write` (change the gallery), `admin` (keys). */
export type Scope = 'read' | 'write' | 'admin';

/**
 * Every scope, weakest first; a key holds its scope and every weaker one.
 *
 * @example
 * SCOPES.includes(input as Scope)
 */
export const SCOPES: readonly Scope[] = Object.freeze(['read', 'write', 'admin']);

/** A stored key: never the key itself, only its SHA-256. */
export interface ApiKeyRecord {
  readonly id: string;
  readonly name: string;
  readonly scope: Scope;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** A freshly created key; `key` is shown once and stored nowhere. */
export interface CreatedApiKey extends ApiKeyRecord {
  readonly key: string;
}

/** A value, or a promise of one: the SQLite store answers at once, the PostgreSQL one over the network. */
export type Awaitable<T> = T | Promise<T>;

/**
 * Where API keys live, as the server and the CLI use them: {@link KeyStore} (a SQLite file) or
 * `PostgresKeyStore` (a table in the gallery's database, shared by every server replica). Callers
 * `await` each answer.
 *
 * @example
 * const rec = await store.verify(presented)
 */
export interface ApiKeyStore {
  create(options: { scope: Scope; name?: string }): Awaitable<CreatedApiKey>;
  list(): Awaitable<ApiKeyRecord[]>;
  revoke(id: string): Awaitable<ApiKeyRecord>;
  /** The live record of a presented key; undefined when unknown or revoked. Never cached. */
  verify(key: string): Awaitable<ApiKeyRecord | undefined>;
  ping(): Awaitable<boolean>;
  close(): Awaitable<void>;
}

/** Key prefix, so a leaked key is recognisable by secret scanners. */
const KEY_PREFIX = 'afk_';
/** 32 random bytes: 256 bits of entropy, base64url. */
const KEY_BYTES = 32;
/** Longest key worth hashing; ours are 47 characters. */
const MAX_KEY_LENGTH = 256;

/**
 * A stored key's row (the same columns in SQLite and PostgreSQL).
 *
 * @example
 * toKeyRecord({ id: 'a1', name: '', scope: 'read', created_at: '2026-01-01T00:00:00.000Z', revoked_at: null })
 */
export interface KeyRow {
  id: string;
  name: string;
  scope: string;
  created_at: string;
  revoked_at: string | null;
}

/**
 * SHA-256 of a key, hex: all that is stored.
 *
 * @example
 * hashKey('afk_…').length // 64
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * A frozen record from a stored row.
 *
 * @example
 * const rec = toKeyRecord(row)
 */
export function toKeyRecord(r: KeyRow): ApiKeyRecord {
  return Object.freeze({ id: r.id, name: r.name, scope: r.scope as Scope, createdAt: r.created_at, revokedAt: r.revoked_at });
}

/**
 * A new key with its id, checked scope, name and creation time; store `hashKey(key)` only.
 *
 * @example
 * const created = mintKey({ scope: 'read' })
 */
export function mintKey(options: { scope: Scope; name?: string }): CreatedApiKey {
  const scope = assertOneOf('scope', options.scope, SCOPES);
  const name = options.name === undefined ? '' : String(options.name);
  const key = KEY_PREFIX + randomBytes(KEY_BYTES).toString('base64url');
  return Object.freeze({ id: randomBytes(6).toString('hex'), name, scope, createdAt: new Date().toISOString(), revokedAt: null, key });
}

/**
 * True when a presented value can be a key at all (a non-empty string of sane length).
 *
 * @example
 * plausibleKey('') // false
 */
export function plausibleKey(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0 && key.length <= MAX_KEY_LENGTH;
}

/**
 * True when a key of scope `held` may do what `needed` asks.
 *
 * @example
 * scopeAllows('write', 'read') // true
 */
export function scopeAllows(held: Scope, needed: Scope): boolean {
  return SCOPES.indexOf(held) >= SCOPES.indexOf(needed);
}

/** How long opening the key file waits for other processes that hold it (ms). */
const KEYS_BUSY_TIMEOUT_MS = 5000;
/** A cell nobody notifies, for a blocking pause of the open retry. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/**
 * API keys in a small SQLite file, stored as SHA-256 hashes only.
 *
 * @example
 * const keys = KeyStore.open('keys.db'); const { key } = keys.create({ scope: 'read', name: 'web' })
 */
export class KeyStore implements ApiKeyStore {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS api_keys (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, scope TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL, revoked_at TEXT)`);
  }

  /**
   * Opens (creating when missing, owner-only) the key file; `:memory:` keeps keys for the process
   * only. A file that is not a readable key store raises `KEYS_CORRUPT`; one that other processes keep
   * locked for `busyTimeoutMs` (servers creating it at the same moment wait for each other) raises
   * `KEYS_BUSY`.
   *
   * @example
   * const keys = KeyStore.open(':memory:')
   */
  static open(path: string, options: { busyTimeoutMs?: number } = {}): KeyStore {
    assertString('path', path);
    const timeout = options.busyTimeoutMs ?? KEYS_BUSY_TIMEOUT_MS;
    ensurePrivateFile(path);
    // SQLite waits up to `timeout` for a lock; its immediate busy answer is tried again until the same deadline.
    const pauses = busyPauses(Date.now() + timeout);
    for (;;) {
      let db: Database.Database | undefined;
      try {
        db = new Database(path, { timeout });
        return new KeyStore(db);
      } catch (err) {
        db?.close();
        const code = (err as { code?: unknown }).code;
        if (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED') {
          throw new ArcFaceError('KEYS_CORRUPT', `Expected ${path} to be an API key file (SQLite) but it cannot be read as one (${(err as Error).message})`, {
            cause: err,
          });
        }
        const next = pauses.next();
        if (next.done === true) {
          throw new ArcFaceError('KEYS_BUSY', `Expected the API key file ${path} to be free but another process held it for ${timeout} ms`, { cause: err });
        }
        // A blocking wait, as opening is.
        Atomics.wait(PAUSE, 0, 0, next.value);
      }
    }
  }

  /**
   * Creates a key; the returned `key` is the only copy.
   *
   * @example
   * const { id, key } = keys.create({ scope: 'write', name: 'enroll kiosk' })
   */
  create(options: { scope: Scope; name?: string }): CreatedApiKey {
    const created = mintKey(options);
    this.#db
      .prepare('INSERT INTO api_keys (id, name, scope, hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(created.id, created.name, created.scope, hashKey(created.key), created.createdAt);
    return created;
  }

  /**
   * All keys, revoked ones included, oldest first.
   *
   * @example
   * for (const k of keys.list()) console.log(k.id, k.scope)
   */
  list(): ApiKeyRecord[] {
    return (this.#db.prepare('SELECT id, name, scope, created_at, revoked_at FROM api_keys ORDER BY created_at, id').all() as KeyRow[]).map(toKeyRecord);
  }

  /**
   * Revokes a key by id; `NOT_FOUND` when no such key exists.
   *
   * @example
   * keys.revoke('3f9a0c1d2e4b')
   */
  revoke(id: string): ApiKeyRecord {
    assertString('id', id);
    const now = new Date().toISOString();
    const info = this.#db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?').run(now, id);
    if (info.changes === 0) throw new ArcFaceError('NOT_FOUND', `Expected an existing API key id but received "${id}"`);
    return toKeyRecord(this.#db.prepare('SELECT id, name, scope, created_at, revoked_at FROM api_keys WHERE id = ?').get(id) as KeyRow);
  }

  /**
   * The live key record for a presented key, or undefined when unknown or revoked.
   *
   * @example
   * const rec = keys.verify(req.headers['x-api-key'])
   */
  verify(key: string): ApiKeyRecord | undefined {
    if (!plausibleKey(key)) return undefined;
    const row = this.#db.prepare('SELECT id, name, scope, created_at, revoked_at FROM api_keys WHERE hash = ?').get(hashKey(key)) as KeyRow | undefined;
    return row === undefined || row.revoked_at !== null ? undefined : toKeyRecord(row);
  }

  /**
   * True when the store answers a query (for readiness checks).
   *
   * @example
   * if (!keys.ping()) reply.code(503)
   */
  ping(): boolean {
    try {
      this.#db.prepare('SELECT 1').get();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Closes the file.
   *
   * @example
   * keys.close()
   */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

/**
 * Rate-limit counters shared by every server replica: a fixed window per key in a PostgreSQL table
 * (the gallery's database), counted by one atomic upsert per request, plugged into
 * `@fastify/rate-limit` as its store. The single-process default stays in memory.
 */
import type { FastifyRateLimitStore, FastifyRateLimitStoreCtor } from '@fastify/rate-limit';
import { assertInteger, assertString } from '../../../src/core/index.js';
import { openOnPgPool, type SqlClient } from '../../../src/gallery/index.js';
import { migrateServerTables, pgTry } from '../services/index.js';

/** A counter of requests per key and window, shared by the processes that use the same backend. */
export interface SharedRateLimitCounter {
  /** Where the counters live (password masked), for logs. */
  readonly location: string;
  /** Counts one request of `key`; `current` is its count in the window, `ttl` the ms left in it. */
  incr(key: string, windowMs: number): Promise<{ current: number; ttl: number }>;
  close(): Promise<void>;
}

/**
 * The counter table. UNLOGGED: counters need no crash safety (a lost window only forgives a
 * minute's requests) and skip the write-ahead log on every request.
 */
const RATE_TABLES = {
  component: 'rate_limits',
  migrations: [['CREATE UNLOGGED TABLE arcface_rate_limits (key text PRIMARY KEY, count bigint NOT NULL, expires_at bigint NOT NULL)']],
} as const;

/** The database's clock in ms, fixed for the statement: every replica reads the same clock. */
const NOW_MS = '(extract(epoch FROM statement_timestamp()) * 1000)::bigint';

/**
 * One statement: a new key, or a key whose window has ended, starts at 1 with a fresh window;
 * otherwise its count goes up by one. The row lock of ON CONFLICT DO UPDATE makes concurrent
 * increments from any number of connections count exactly.
 */
const INCR_SQL = `INSERT INTO arcface_rate_limits AS r (key, count, expires_at) VALUES ($1, 1, ${NOW_MS} + $2)
  ON CONFLICT (key) DO UPDATE SET
    count = CASE WHEN r.expires_at <= ${NOW_MS} THEN 1 ELSE r.count + 1 END,
    expires_at = CASE WHEN r.expires_at <= ${NOW_MS} THEN ${NOW_MS} + $2 ELSE r.expires_at END
  RETURNING count, expires_at - ${NOW_MS} AS ttl`;

/** Every this many increments, rows whose window ended are deleted (one cheap statement). */
const PRUNE_EVERY = 1000;
/** Connections of a counter opened from a URL: one short statement per request. */
const RATE_POOL_SIZE = 2;

/**
 * Rate-limit counters in PostgreSQL (`arcface_rate_limits`, created under the server tables'
 * advisory lock).
 *
 * @example
 * const counter = await PostgresRateLimitCounter.open(client, { location: 'postgres://db/faces' })
 * const { current, ttl } = await counter.incr('key:3f9a', 60_000)
 */
export class PostgresRateLimitCounter implements SharedRateLimitCounter {
  readonly location: string;
  readonly #client: SqlClient;
  readonly #owned: boolean;
  readonly #pruneEvery: number;
  #sincePrune = 0;

  private constructor(client: SqlClient, location: string, owned: boolean, pruneEvery: number) {
    this.#client = client;
    this.location = location;
    this.#owned = owned;
    this.#pruneEvery = pruneEvery;
  }

  /**
   * Creates or migrates the counter table; `owned`: {@link close} ends the client; `pruneEvery`:
   * increments between deletions of ended windows (default {@link PRUNE_EVERY}).
   *
   * @example
   * const counter = await PostgresRateLimitCounter.open(client, { location: 'pglite' })
   */
  static async open(client: SqlClient, options: { location: string; owned?: boolean; pruneEvery?: number }): Promise<PostgresRateLimitCounter> {
    const pruneEvery = options.pruneEvery === undefined ? PRUNE_EVERY : assertInteger('pruneEvery', options.pruneEvery, 1, 1_000_000_000);
    await migrateServerTables(client, RATE_TABLES, options.location);
    return new PostgresRateLimitCounter(client, options.location, options.owned === true, pruneEvery);
  }

  /**
   * Opens a counter on a `postgres://` URL with its own small pool.
   *
   * @example
   * const counter = await PostgresRateLimitCounter.connect('postgres://db/faces')
   */
  static async connect(url: string): Promise<PostgresRateLimitCounter> {
    assertString('url', url);
    return openOnPgPool(url, RATE_POOL_SIZE, (client, where) => PostgresRateLimitCounter.open(client, { location: where, owned: true }));
  }

  /**
   * Counts one request of `key` in a window of `windowMs`.
   *
   * @example
   * const { current } = await counter.incr('ip:127.0.0.1', 60_000)
   */
  async incr(key: string, windowMs: number): Promise<{ current: number; ttl: number }> {
    assertString('key', key);
    assertInteger('windowMs', windowMs, 1, 86_400_000);
    const rows = await pgTry(
      this.location,
      'rate_limits',
      async () => (await this.#client.query<{ count: string; ttl: string }>(INCR_SQL, [key, windowMs])).rows,
    );
    if (++this.#sincePrune >= this.#pruneEvery) {
      this.#sincePrune = 0;
      await pgTry(this.location, 'rate_limits', () => this.#client.query(`DELETE FROM arcface_rate_limits WHERE expires_at <= ${NOW_MS}`));
    }
    return { current: Number(rows[0]?.count ?? 0), ttl: Math.max(0, Number(rows[0]?.ttl ?? 0)) };
  }

  async close(): Promise<void> {
    if (this.#owned) await this.#client.end();
  }
}

/**
 * A `@fastify/rate-limit` store class over a shared counter (the plugin constructs it; routes with
 * their own limit get a child whose keys carry the route).
 *
 * @example
 * await app.register(rateLimit, { store: rateLimitStore(counter), max: 600, timeWindow: 60_000 })
 */
export function rateLimitStore(counter: SharedRateLimitCounter): FastifyRateLimitStoreCtor {
  class SharedStore implements FastifyRateLimitStore {
    readonly #prefix: string;

    constructor(_options?: unknown, prefix = '') {
      this.#prefix = prefix;
    }

    incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
      counter.incr(this.#prefix + key, timeWindow).then(
        (r) => callback(null, r),
        (e: unknown) => callback(e instanceof Error ? e : new Error(String(e))),
      );
    }

    child(routeOptions: object): FastifyRateLimitStore {
      // The plugin passes the route as `routeInfo` (its own stores read it there).
      const info = (routeOptions as { routeInfo?: { method?: unknown; url?: unknown } }).routeInfo;
      return new SharedStore(undefined, `${this.#prefix}${String(info?.method ?? '')}${String(info?.url ?? '')}-`);
    }
  }
  return SharedStore;
}

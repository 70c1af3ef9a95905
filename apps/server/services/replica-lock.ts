/**
 * A lock held by one server at a time among every server on one PostgreSQL database: a session
 * advisory lock on a connection of its own. People discovery's writes run under it, because each
 * server keeps an in-memory clusterer that must see every face added before it adds its own.
 */
import pg from 'pg';
import { redactLocation } from '../../../src/gallery/index.js';
import { pgTry } from './pg-server-tables.js';

/** Runs functions one at a time, here and on every other server holding the same lock. */
export interface ReplicaLock {
  run<T>(fn: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** Key of the advisory lock of people discovery's writes (ASCII "AFP1"). */
export const PEOPLE_WRITE_LOCK = 0x41465031;

/**
 * A {@link ReplicaLock} over `pg_advisory_lock(key)` on one dedicated connection (opened on first
 * use). Within this process calls queue; the database orders the processes. A server that dies
 * holding it loses its session, and with it the lock.
 *
 * @example
 * const lock = new PostgresReplicaLock('postgres://db/faces', PEOPLE_WRITE_LOCK)
 * await lock.run(() => people.addPhoto(photo, faces))
 */
export class PostgresReplicaLock implements ReplicaLock {
  readonly #url: string;
  readonly #key: number;
  #client: Promise<pg.Client> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(url: string, key: number) {
    this.#url = url;
    this.#key = key;
  }

  /**
   * Runs `fn` holding the lock; `GALLERY_BUSY` when the database does not answer.
   *
   * @example
   * const added = await lock.run(() => people.addPhoto(photo, faces))
   */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#queue.then(() => this.#locked(fn));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  async #locked<T>(fn: () => Promise<T>): Promise<T> {
    const where = redactLocation(this.#url);
    const client = await pgTry(where, 'people lock', () => this.#connect());
    await pgTry(where, 'people lock', () => client.query('SELECT pg_advisory_lock($1)', [this.#key]));
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [this.#key]).catch(() => this.#drop());
    }
  }

  #connect(): Promise<pg.Client> {
    this.#client ??= (async () => {
      const c = new pg.Client({ connectionString: this.#url });
      // A dropped connection releases the lock; the next call opens a new one.
      c.on('error', () => this.#drop());
      try {
        await c.connect();
      } catch (e) {
        this.#client = undefined;
        throw e;
      }
      return c;
    })();
    return this.#client;
  }

  #drop(): void {
    const c = this.#client;
    this.#client = undefined;
    void c?.then((x) => x.end()).catch(() => undefined);
  }

  async close(): Promise<void> {
    await this.#queue;
    const c = this.#client;
    this.#client = undefined;
    if (c !== undefined) await (await c.catch(() => undefined))?.end().catch(() => undefined);
  }
}

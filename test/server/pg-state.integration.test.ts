/**
 * The server's state in PostgreSQL (PGlite + pgvector behind pglite-socket, reached with `pg`):
 * rate-limit counters (window rollover, exact counts under concurrent increments from two pools,
 * the @fastify/rate-limit store adapter) and the API key table (one pool revokes, the other refuses
 * at once; migrations once under the advisory lock; newer schema and unreachable server refused).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { PostgresKeyStore, openKeyStore } from '../../apps/server/services/pg-key-store.js';
import { PostgresRateLimitCounter, rateLimitStore } from '../../apps/server/plugins/shared-rate-limit.js';
import { isArcFaceError } from '../../src/core/index.js';
import { pgPoolClient } from '../../src/gallery/index.js';
import { startPgServer, type PgTestServer } from '../helpers/pg-server.js';

/** Connections the test database accepts: the test's pools of up to 4 each stay open until the end. */
const MAX_CONNECTIONS = 32;

describe('server state in PostgreSQL', () => {
  let db: PGlite;
  let server: PgTestServer;
  let url: string;
  const pools: pg.Pool[] = [];
  const pool = (): ReturnType<typeof pgPoolClient> => {
    const p = new pg.Pool({ connectionString: url, max: 4 });
    pools.push(p);
    return pgPoolClient(p);
  };

  before(async () => {
    server = await startPgServer({ maxConnections: MAX_CONNECTIONS });
    db = server.db;
    url = server.url;
  });
  after(async () => {
    for (const p of pools) await p.end();
    await server.stop();
  });

  it('counts a fixed window per key and starts a new one when it ends', async () => {
    const counter = await PostgresRateLimitCounter.open(pool(), { location: 'test' });
    const windowMs = 400;
    const first = await counter.incr('key:a', windowMs);
    assert.equal(first.current, 1);
    assert.ok(first.ttl > 0 && first.ttl <= windowMs, `ttl ${first.ttl}`);
    assert.equal((await counter.incr('key:a', windowMs)).current, 2);
    const third = await counter.incr('key:a', windowMs);
    assert.equal(third.current, 3);
    assert.ok(third.ttl <= first.ttl, 'the window does not move while it lasts');
    assert.equal((await counter.incr('key:b', windowMs)).current, 1, 'keys are counted apart');
    await sleep(third.ttl + 50);
    const next = await counter.incr('key:a', windowMs);
    assert.equal(next.current, 1, 'a new window starts at 1');
    assert.ok(next.ttl > third.ttl);
  });

  it('deletes rows of ended windows every pruneEvery increments', async () => {
    const counter = await PostgresRateLimitCounter.open(pool(), { location: 'test', pruneEvery: 3 });
    await counter.incr('key:gone', 1);
    await sleep(20);
    const rows = async (key: string) => (await db.query(`SELECT 1 FROM arcface_rate_limits WHERE key = $1`, [key])).rows.length;
    assert.equal(await rows('key:gone'), 1, 'kept until the next prune');
    await counter.incr('key:kept', 60_000);
    await counter.incr('key:kept', 60_000);
    assert.equal(await rows('key:gone'), 0, 'its window ended: pruned on the third increment');
    assert.equal(await rows('key:kept'), 1);
  });

  it('counts parallel increments from two pools exactly', async () => {
    const [a, b] = await Promise.all([PostgresRateLimitCounter.open(pool(), { location: 'a' }), PostgresRateLimitCounter.open(pool(), { location: 'b' })]);
    const n = 60;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? a : b).incr('key:busy', 60_000)));
    assert.deepEqual(
      results.map((r) => r.current).sort((x, y) => x - y),
      Array.from({ length: n }, (_, i) => i + 1),
    );
    const rows = (await db.query<{ count: string }>(`SELECT count FROM arcface_rate_limits WHERE key = 'key:busy'`)).rows;
    assert.equal(Number(rows[0]?.count), n);
    const migrations = (await db.query<{ n: number }>(`SELECT COUNT(*)::int AS n FROM arcface_server_migrations WHERE component = 'rate_limits'`)).rows;
    assert.equal(migrations[0]?.n, 1, 'the table was created once');
  });

  it('serves @fastify/rate-limit through its store interface, per-route children apart', async () => {
    const counter = await PostgresRateLimitCounter.open(pool(), { location: 'test' });
    const Store = rateLimitStore(counter);
    const store = new Store({});
    const incr = (s: InstanceType<typeof Store>, key: string) =>
      new Promise<{ current: number; ttl: number }>((res, rej) => s.incr(key, (e, r) => (e === null && r !== undefined ? res(r) : rej(e)), 60_000, 10));
    assert.equal((await incr(store, 'ip:1')).current, 1);
    assert.equal((await incr(store, 'ip:1')).current, 2);
    const child = store.child({ routeInfo: { method: 'GET', url: '/v1/x' } } as unknown as Parameters<typeof store.child>[0]);
    assert.equal((await incr(child, 'ip:1')).current, 1);
    await assert.rejects(
      () => incr(new Store({}), ''),
      (e: unknown) => e instanceof TypeError,
    );
  });

  it('keeps API keys in one table: created on one pool, revoked on the other, refused at once', async () => {
    // Two stores opened at the same time on a fresh table: the advisory lock makes one migrate.
    const [a, b] = await Promise.all([PostgresKeyStore.open(pool(), { location: 'a' }), PostgresKeyStore.open(pool(), { location: 'b' })]);
    const created = await a.create({ scope: 'write', name: 'kiosk' });
    assert.match(created.key, /^afk_[A-Za-z0-9_-]{43}$/);
    assert.equal((await b.verify(created.key))?.id, created.id);
    const stored = (await db.query<{ hash: string }>('SELECT hash FROM arcface_api_keys WHERE id = $1', [created.id])).rows[0];
    assert.notEqual(stored?.hash, created.key, 'only the hash is stored');
    assert.equal((await b.list()).map((k) => k.id).includes(created.id), true);
    const revoked = await b.revoke(created.id);
    assert.notEqual(revoked.revokedAt, null);
    assert.equal(await a.verify(created.key), undefined, 'the other pool refuses a revoked key at once');
    assert.equal((await a.revoke(created.id)).revokedAt, revoked.revokedAt, 'revoking twice keeps the first time');
    await assert.rejects(a.revoke('nope'), (e: unknown) => isArcFaceError(e, 'NOT_FOUND'));
    assert.equal(await a.verify('x'.repeat(300)), undefined);
    assert.equal(await a.ping(), true);
    await assert.rejects(a.create({ scope: 'root' as 'read' }), (e: unknown) => e instanceof TypeError);
  });

  it('opens keys from a postgres:// URL, refuses a newer schema and reports an unreachable server as GALLERY_BUSY', async () => {
    const keys = await openKeyStore(url);
    assert.ok(keys instanceof PostgresKeyStore);
    const { key } = await keys.create({ scope: 'read' });
    assert.equal((await keys.verify(key))?.scope, 'read');
    await keys.close();
    await db.query(`INSERT INTO arcface_server_migrations (component, version, applied_at) VALUES ('api_keys', 99, 0)`);
    await assert.rejects(openKeyStore(url), (e: unknown) => isArcFaceError(e, 'GALLERY_CORRUPT') && /newer/.test(e.message));
    await db.query(`DELETE FROM arcface_server_migrations WHERE version = 99`);
    await assert.rejects(openKeyStore('postgres://postgres@127.0.0.1:1/postgres'), (e: unknown) => isArcFaceError(e, 'GALLERY_BUSY'));
    await assert.rejects(PostgresRateLimitCounter.connect('postgres://postgres@127.0.0.1:1/postgres'), (e: unknown) => isArcFaceError(e, 'GALLERY_BUSY'));
  });
});

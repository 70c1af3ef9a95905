/**
 * Rate limits counted in a real Redis (Debian's redis-server, started here on a free loopback port
 * in a temp dir): exact counts under parallel increments from two connections, window rollover, two
 * real `arcface serve --rate-limit-redis` processes sharing one budget per key, and 503
 * RATE_LIMIT_UNAVAILABLE once Redis is gone.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { RedisRateLimitCounter } from '../../apps/server/plugins/redis-rate-limit.js';
import { isArcFaceError } from '../../src/core/index.js';
import { waitUntil } from './helpers.js';
import { spawnServes, type ServeProcess } from './serve-process.js';
import { killOnExit } from '../helpers/children.js';

/** Debian's redis-server (installed by .ci/run when missing). */
const REDIS_SERVER = '/usr/bin/redis-server';
/** Requests per minute per key on both servers together. */
const RATE_LIMIT = 10;

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => res(port));
    });
  });
}

describe('rate limits in Redis', () => {
  let redis: ChildProcess;
  let url: string;
  let home: string;
  const counters: RedisRateLimitCounter[] = [];
  let servers: ServeProcess[] = [];

  before(async () => {
    assert.ok(existsSync(REDIS_SERVER), `Expected ${REDIS_SERVER} (apt-get install redis-server)`);
    home = mkdtempSync(join(tmpdir(), 'arcface-redis-'));
    const port = await freePort();
    redis = killOnExit(
      spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', home], { stdio: 'ignore' }),
    );
    url = `redis://127.0.0.1:${port}`;
    await waitUntil(async () => {
      try {
        counters.push(await RedisRateLimitCounter.connect(url));
        return true;
      } catch {
        return false;
      }
    }, `redis-server on port ${port}`);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    for (const c of counters) await c.close();
    if (redis.exitCode === null) redis.kill('SIGKILL');
  });

  it('counts parallel increments from two connections exactly, and starts a new window when one ends', async () => {
    counters.push(await RedisRateLimitCounter.connect(url));
    const [a, b] = counters as [RedisRateLimitCounter, RedisRateLimitCounter];
    const n = 40;
    const results = await Promise.all(Array.from({ length: n }, (_, i) => (i % 2 === 0 ? a : b).incr('key:busy', 60_000)));
    assert.deepEqual(
      results.map((r) => r.current).sort((x, y) => x - y),
      Array.from({ length: n }, (_, i) => i + 1),
    );
    assert.ok(results.every((r) => r.ttl > 0 && r.ttl <= 60_000));
    const first = await a.incr('key:short', 300);
    assert.equal(first.current, 1);
    assert.equal((await b.incr('key:short', 300)).current, 2);
    await sleep(first.ttl + 50);
    assert.equal((await b.incr('key:short', 300)).current, 1, 'a new window starts at 1');
  });

  it('shares one budget per key between two arcface serve processes, and answers 503 once Redis is gone', async () => {
    const keys = KeyStore.open(join(home, 'keys.db'));
    const key = keys.create({ scope: 'read' }).key;
    const other = keys.create({ scope: 'read' }).key;
    keys.close();
    const args = [
      '--gallery',
      join(home, 'g.db'),
      '--keys',
      join(home, 'keys.db'),
      '--workers',
      '1',
      '--rate-limit',
      String(RATE_LIMIT),
      '--rate-limit-redis',
      url,
      '--log-level',
      'warn',
    ];
    servers = await spawnServes(2, args, home);
    const [a, b] = servers as [ServeProcess, ServeProcess];
    assert.match(a.stderr(), /rate limits are counted in redis:\/\/127\.0\.0\.1/);
    const statuses: number[] = [];
    for (let i = 0; i < RATE_LIMIT; i++) statuses.push((await fetch(`${(i % 2 === 0 ? a : b).url}/v1/subjects`, { headers: { 'x-api-key': key } })).status);
    assert.deepEqual(statuses, Array(RATE_LIMIT).fill(200));
    for (const s of [a, b]) {
      const over = await fetch(`${s.url}/v1/subjects`, { headers: { 'x-api-key': key } });
      assert.equal(over.status, 429);
      assert.equal(((await over.json()) as { code: string }).code, 'RATE_LIMITED');
    }
    assert.equal((await fetch(`${b.url}/v1/subjects`, { headers: { 'x-api-key': other } })).status, 200);

    redis.kill('SIGKILL');
    await new Promise((res) => (redis.exitCode === null && redis.signalCode === null ? redis.once('exit', res) : res(null)));
    const down = await fetch(`${a.url}/v1/subjects`, { headers: { 'x-api-key': other } });
    assert.equal(down.status, 503);
    assert.equal(((await down.json()) as { code: string }).code, 'RATE_LIMIT_UNAVAILABLE');
    await assert.rejects(RedisRateLimitCounter.connect(url), (e: unknown) => isArcFaceError(e, 'RATE_LIMIT_UNAVAILABLE'));
  });
});

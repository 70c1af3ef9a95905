/**
 * Probes of a real `arcface serve` process started with tight limits (`--queue 0 --rate-limit 5
 * --request-timeout 3000 --log-level warn`): queue full, rate limit, slow clients, and a 5xx whose
 * details (stack, request id) go to the log and never to the client.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { lfw } from './helpers.js';
import { assertError, assertNo5xx, LEAK, probe } from './probe-kit.js';
import { rawJson, spawnServe, type ServeProcess } from './serve-process.js';

describe('arcface serve probes under tight limits (a real process)', () => {
  const home = mkdtempSync(join(tmpdir(), 'arcface-probes-limits-'));
  const gallery = join(home, 'g.db');
  const key: Record<string, string> = {};
  let srv: ServeProcess;
  const h = (k: string, extra: Record<string, string> = {}): Record<string, string> => ({ 'x-api-key': key[k] as string, ...extra });

  before(async () => {
    const ks = KeyStore.open(join(home, 'keys.db'));
    for (const name of ['queue', 'rate', 'slow', 'write']) key[name] = ks.create({ scope: name === 'write' ? 'write' : 'read', name }).key;
    ks.close();
    srv = await spawnServe(
      [
        '--gallery',
        gallery,
        '--keys',
        join(home, 'keys.db'),
        '--workers',
        '1',
        '--queue',
        '0',
        '--rate-limit',
        '5',
        '--request-timeout',
        '3000',
        '--log-level',
        'warn',
      ],
      home,
    );
  });
  after(async () => srv.stop());

  it('queue full: 503 QUEUE_FULL with Retry-After, the others answered', async () => {
    const jpeg = lfw('Colin_Powell', 40);
    const answers = await Promise.all(
      [1, 2, 3, 4].map(() => probe('queue', `${srv.url}/v1/detect`, { method: 'POST', headers: h('queue', { 'content-type': 'image/jpeg' }), body: jpeg })),
    );
    const full = answers.filter((a) => a.status === 503);
    assert.ok(full.length >= 1, answers.map((a) => a.status).join(','));
    assert.ok(
      answers.some((a) => a.status === 200),
      answers.map((a) => a.status).join(','),
    );
    for (const a of full) {
      assertError(a, 503, 'QUEUE_FULL');
      assert.match(a.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    }
  });

  it('rate limit: the sixth request of a minute is 429 RATE_LIMITED with Retry-After, per key', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await probe('rate', `${srv.url}/v1/subjects`, { headers: h('rate') })).status, 200);
    const limited = await probe('rate', `${srv.url}/v1/subjects`, { headers: h('rate') });
    assertError(limited, 429, 'RATE_LIMITED');
    assert.match(limited.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
    assert.equal((await probe('rate', `${srv.url}/v1/subjects`, { headers: h('write') })).status, 200);
    assert.equal((await probe('rate', `${srv.url}/healthz`)).status, 200);
  });

  it('slow clients: others are served meanwhile, and the slow one gets 408 REQUEST_TIMEOUT in our shape', async () => {
    const socket = connect(srv.port, '127.0.0.1');
    let answer = '';
    socket.on('data', (d: Buffer) => (answer += d.toString('latin1')));
    const closed = new Promise<void>((res) => socket.on('close', () => res()));
    socket.on('error', () => undefined);
    socket.write(`POST /v1/detect HTTP/1.1\r\nHost: x\r\nx-api-key: ${key.slow}\r\ncontent-type: image/jpeg\r\ncontent-length: 10000\r\n\r\n`);
    socket.write(lfw('Colin_Powell', 40).subarray(0, 100));
    const t0 = performance.now();
    assert.equal((await probe('slow', `${srv.url}/healthz`)).status, 200);
    assert.ok(performance.now() - t0 < 1000);
    await closed;
    const waited = performance.now() - t0;
    assert.ok(waited >= 2500 && waited < 15_000, `closed after ${waited} ms`);
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assertError({ status: 408, text: JSON.stringify(rawJson(answer)) }, 408, 'REQUEST_TIMEOUT');
  });

  it('a 5xx: the client gets the code and no internals; the log gets the stack and the request id; --log-level warn drops request lines', async () => {
    assert.equal(
      (await probe('5xx', `${srv.url}/v1/subjects`, { method: 'POST', headers: h('write', { 'content-type': 'application/json' }), body: '{"id":"first"}' }))
        .status,
      201,
    );
    const holder = new Database(gallery);
    holder.exec('BEGIN IMMEDIATE');
    try {
      const busy = await probe('5xx', `${srv.url}/v1/subjects`, {
        method: 'POST',
        headers: h('write', { 'content-type': 'application/json' }),
        body: '{"id":"second"}',
      });
      assertError(busy, 503, 'GALLERY_BUSY');
      const id = busy.headers.get('x-request-id');
      await new Promise((r) => setTimeout(r, 100));
      const lines = srv
        .stdout()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { level: number; reqId?: string; err?: { stack?: string }; msg: string });
      const logged = lines.find((l) => l.reqId === id && l.err !== undefined);
      assert.ok(logged !== undefined, srv.stdout());
      assert.match(logged.err?.stack ?? '', /\n\s+at /);
      assert.doesNotMatch(busy.text, LEAK);
      assert.ok(
        lines.every((l) => l.level >= 40),
        'info lines logged at --log-level warn',
      );
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    assertNo5xx([503]);
  });
});

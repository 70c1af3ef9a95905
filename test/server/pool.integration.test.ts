import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { buildApp } from '../../apps/server/app.js';
import type { InferenceEngine } from '../../apps/server/services/engine.js';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { InferencePool, type PoolOptions } from '../../apps/server/services/worker-pool.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { lfw, testLocations } from './helpers.js';

const A1 = lfw('Aaron_Peirsol', 1);
const A3 = lfw('Aaron_Peirsol', 3);
const MAX_PIXELS = 16_000_000;

function poolOptions(extra: Partial<PoolOptions> = {}): PoolOptions {
  return {
    workers: 1,
    queueSize: 0,
    timeoutMs: 30_000,
    intraOpThreads: 1,
    detector: undefined,
    recognizer: undefined,
    locations: testLocations(),
    threshold: 0.3,
    ...extra,
  };
}

describe('inference pool: bounded queue', () => {
  let pool: InferencePool;
  before(async () => {
    pool = InferencePool.start(poolOptions({ queueSize: 1 }));
    await pool.ready;
  });
  after(async () => pool.close());

  it('refuses a job with QUEUE_FULL and a retry estimate when the worker is busy and the queue is full', async () => {
    const running = pool.run({ op: 'verify', images: [A1, A3], maxPixels: MAX_PIXELS, select: 'largest', threshold: 0.3 });
    const queued = pool.run({ op: 'detect', image: A1, maxPixels: MAX_PIXELS });
    assert.equal(pool.inFlight, 1);
    assert.equal(pool.queueDepth, 1);
    await assert.rejects(pool.run({ op: 'detect', image: A1, maxPixels: MAX_PIXELS }), (e: { code: string; details: { retryAfterSeconds: number } }) => {
      assert.equal(e.code, 'QUEUE_FULL');
      assert.ok(e.details.retryAfterSeconds >= 1);
      return true;
    });
    const [v, d] = await Promise.all([running, queued]);
    assert.ok(v.similarity > 0.4);
    assert.equal(d.faces.length, 1);
    assert.equal(pool.queueDepth, 0);
  });

  it('drops a queued job whose client went away', async () => {
    let gone = 0;
    const off = pool.subscribe({
      onReject: (reason) => {
        if (reason === 'client_gone') gone += 1;
      },
    });
    const running = pool.run({ op: 'verify', images: [A1, A3], maxPixels: MAX_PIXELS, select: 'largest', threshold: 0.3 });
    const ac = new AbortController();
    const queued = pool.run({ op: 'detect', image: A1, maxPixels: MAX_PIXELS }, ac.signal);
    assert.equal(pool.queueDepth, 1);
    ac.abort();
    await assert.rejects(queued, /closed the connection/);
    assert.equal(pool.queueDepth, 0);
    assert.equal(gone, 1);
    await running;
    await assert.rejects(pool.run({ op: 'detect', image: A1, maxPixels: MAX_PIXELS }, ac.signal), /closed the connection/);
    off();
  });

  it('answers 503 QUEUE_FULL with Retry-After over HTTP while /healthz keeps answering', async () => {
    const keys = KeyStore.open(':memory:');
    const key = keys.create({ scope: 'read' }).key;
    const app = await buildApp({ engine: pool, keys });
    try {
      const headers = { 'x-api-key': key, 'content-type': 'application/json' };
      const payload = { image1: A1.toString('base64'), image2: A3.toString('base64') };
      const requests = Array.from({ length: 6 }, () => app.inject({ method: 'POST', url: '/v1/verify', payload, headers }));
      const health = await app.inject({ url: '/healthz' });
      assert.equal(health.statusCode, 200);
      const results = await Promise.all(requests);
      const codes = results.map((r) => r.statusCode).sort();
      assert.ok(codes.includes(200), `codes ${codes}`);
      const full = results.filter((r) => r.statusCode === 503);
      assert.ok(full.length >= 1, `codes ${codes}`);
      for (const r of full) {
        assert.equal(r.json().code, 'QUEUE_FULL');
        assert.ok(Number(r.headers['retry-after']) >= 1);
      }
      const busy = [
        pool.run({ op: 'verify', images: [A1, A3], maxPixels: MAX_PIXELS, select: 'largest', threshold: 0.3 }),
        pool.run({ op: 'detect', image: A1, maxPixels: MAX_PIXELS }),
      ];
      const refusedUnread = await app.inject({ method: 'POST', url: '/v1/detect', payload: '{this body is never parsed', headers });
      assert.equal(refusedUnread.statusCode, 503, 'a full queue is answered before the body is read');
      assert.equal((await app.inject({ url: '/v1/keys', headers: { 'x-api-key': key } })).statusCode, 403, 'routes without inference are not refused');
      await Promise.all(busy);
      const metrics = (await app.inject({ url: '/metrics' })).body;
      assert.match(metrics, /arcface_inference_rejected_total\{reason="queue_full"\} [1-9]/);
    } finally {
      await app.close();
      keys.close();
    }
  });
});

describe('inference pool: deadlines, failures, shutdown', () => {
  it('answers TIMEOUT (504) when a job misses its deadline', async () => {
    const pool = InferencePool.start(poolOptions({ timeoutMs: 1, queueSize: 4 }));
    await pool.ready;
    const keys = KeyStore.open(':memory:');
    const app = await buildApp({ engine: pool, keys, auth: false });
    try {
      const res = await app.inject({ method: 'POST', url: '/v1/detect', payload: A1, headers: { 'content-type': 'image/jpeg' } });
      assert.equal(res.statusCode, 504);
      assert.equal(res.json().code, 'TIMEOUT');
    } finally {
      await app.close();
      await pool.close();
    }
  });

  it('reports a model that cannot load: ready rejects, /readyz is 503, jobs get the coded error', async () => {
    const pool = InferencePool.start(poolOptions({ recognizer: '/nonexistent/model.onnx' }));
    await assert.rejects(pool.ready, (e: { code: string }) => e.code === 'MODEL_NOT_FOUND');
    const app = await buildApp({ engine: pool, auth: false });
    try {
      const ready = await app.inject({ url: '/readyz' });
      assert.equal(ready.statusCode, 503);
      assert.equal(ready.json().status, 'not_ready');
      assert.match(ready.json().problems[0], /models/);
      const res = await app.inject({ method: 'POST', url: '/v1/detect', payload: A1, headers: { 'content-type': 'image/jpeg' } });
      assert.equal(res.json().code, 'MODEL_NOT_FOUND');
    } finally {
      await app.close();
      await pool.close();
    }
  });

  it('finishes queued and running jobs on close, then refuses new ones', async () => {
    const pool = InferencePool.start(poolOptions({ queueSize: 4 }));
    await pool.ready;
    const jobs = [pool.run({ op: 'detect', image: A1, maxPixels: MAX_PIXELS }), pool.run({ op: 'detect', image: A3, maxPixels: MAX_PIXELS })];
    const closed = pool.close();
    await assert.rejects(pool.run({ op: 'detect', image: A1, maxPixels: MAX_PIXELS }), (e: { code: string }) => e.code === 'QUEUE_FULL');
    const done = await Promise.all(jobs);
    await closed;
    assert.deepEqual(
      done.map((d) => d.faces.length),
      [1, 1],
    );
  });

  it('runs workers from the compiled package (dist/*.js) as well as from .ts sources', async () => {
    const built = join(REPO_ROOT, 'dist', 'apps', 'server', 'services', 'worker-pool.js');
    assert.ok(existsSync(built), `build first (npm run build): ${built} is missing`);
    const mod = (await import(pathToFileURL(built).href)) as { InferencePool: { start(o: PoolOptions): InferenceEngine } };
    const pool = mod.InferencePool.start(poolOptions({ queueSize: 2 }));
    try {
      const info = await pool.ready;
      assert.equal(info.embeddingSize, 512);
      const r = await pool.run({ op: 'detect', image: A1, maxPixels: MAX_PIXELS });
      assert.equal(r.faces.length, 1);
    } finally {
      await pool.close();
    }
  });
});

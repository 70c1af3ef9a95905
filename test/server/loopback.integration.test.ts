import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { lfw, testLocations, waitUntil } from './helpers.js';

const A1 = lfw('Aaron_Peirsol', 1);
const A3 = lfw('Aaron_Peirsol', 3);
const A4 = lfw('Aaron_Peirsol', 4);

function form(files: Record<string, Buffer[]>): FormData {
  const f = new FormData();
  for (const [name, list] of Object.entries(files))
    list.forEach((b, i) => f.append(name, new Blob([new Uint8Array(b)], { type: 'image/jpeg' }), `${name}${i}.jpg`));
  return f;
}

describe('server on a loopback port', () => {
  let server: RunningServer;
  let writeKey: string;
  const logs: string[] = [];
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-loop-'));
    const keysPath = join(dir, 'keys.db');
    const ks = KeyStore.open(keysPath);
    writeKey = ks.create({ scope: 'write', name: 'test' }).key;
    ks.close();
    server = await serve({
      host: '127.0.0.1',
      port: 0,
      locations: testLocations(),
      galleryLocation: join(dir, 'gallery.db'),
      keysPath,
      workers: 1,
      handleSignals: false,
      log: (l) => logs.push(l),
    });
  });
  after(async () => server.close());

  it('listens on 127.0.0.1 and logs where', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(logs.some((l) => l.includes(server.url)));
    assert.ok(!logs.some((l) => /AUTHENTICATION IS OFF/.test(l)));
  });

  it('verifies, enrols and identifies over HTTP with multipart uploads', async () => {
    const h = { 'x-api-key': writeKey };
    const v = await fetch(`${server.url}/v1/verify`, { method: 'POST', headers: h, body: form({ image1: [A1], image2: [A3] }) });
    assert.equal(v.status, 200);
    assert.equal(((await v.json()) as { match: boolean }).match, true);
    const e = await fetch(`${server.url}/v1/subjects/aaron/faces?create=true`, { method: 'POST', headers: h, body: form({ image: [A1, A3] }) });
    assert.equal(e.status, 201, await e.clone().text());
    const i = await fetch(`${server.url}/v1/identify`, { method: 'POST', headers: { ...h, authorization: '' }, body: form({ image: [A4] }) });
    const body = (await i.json()) as { faces: { match: { subjectId: string } | null }[] };
    assert.equal(body.faces[0]?.match?.subjectId, 'aaron');
    const noKey = await fetch(`${server.url}/v1/subjects`);
    assert.equal(noKey.status, 401);
  });

  it('answers /healthz while inference jobs are queued', async () => {
    const h = { 'x-api-key': writeKey };
    let verifiesDone = 0;
    const verifies = Array.from({ length: 8 }, () =>
      fetch(`${server.url}/v1/verify`, { method: 'POST', headers: h, body: form({ image1: [A1], image2: [A3] }) }).then(async (r) => {
        verifiesDone += 1;
        return r.status;
      }),
    );
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    const doneWhenHealthAnswered = verifiesDone;
    const codes = await Promise.all(verifies);
    assert.ok(doneWhenHealthAnswered < 8, 'health check waited for every inference job');
    assert.ok(
      codes.every((c) => c === 200),
      `codes ${codes}`,
    );
  });

  it('drops the queued jobs of clients that disconnect', async () => {
    const h = { 'x-api-key': writeKey };
    const ac = new AbortController();
    const requests = Array.from({ length: 6 }, () =>
      fetch(`${server.url}/v1/verify`, { method: 'POST', headers: h, body: form({ image1: [A1], image2: [A3] }), signal: ac.signal }).catch(() => 'aborted'),
    );
    const metric = async (re: RegExp): Promise<number> => Number(re.exec(await (await fetch(`${server.url}/metrics`)).text())?.[1] ?? 0);
    const queueDepth = (): Promise<number> => metric(/^arcface_inference_queue_depth (\d+)$/m);
    await waitUntil(async () => (await queueDepth()) >= 3, 'at least 3 verify jobs queued');
    ac.abort();
    assert.ok((await Promise.all(requests)).every((r) => r === 'aborted'));
    await waitUntil(async () => (await queueDepth()) === 0, 'the queue to empty once its clients went away');
    assert.ok((await metric(/^arcface_inference_rejected_total\{reason="client_gone"\} (\d+)$/m)) >= 3);
  });

  it('finishes in-flight requests on close and refuses new connections afterwards', async () => {
    const h = { 'x-api-key': writeKey };
    const inflight = fetch(`${server.url}/v1/verify`, { method: 'POST', headers: h, body: form({ image1: [A1], image2: [A4] }) });
    await waitUntil(async () => /^arcface_inference_in_flight [1-9]/m.test(await (await fetch(`${server.url}/metrics`)).text()), 'a verify job in flight');
    const closing = server.close();
    const res = await inflight;
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { match: boolean }).match, true);
    await closing;
    await assert.rejects(fetch(`${server.url}/healthz`));
  });
});

describe('server without authentication', () => {
  it('says so loudly in the log and serves without a key', async () => {
    const logs: string[] = [];
    const server = await serve({ host: '127.0.0.1', port: 0, locations: testLocations(), auth: false, handleSignals: false, log: (l) => logs.push(l) });
    try {
      assert.ok(logs.some((l) => /AUTHENTICATION IS OFF/.test(l)));
      const r = await fetch(`${server.url}/v1/detect`, { method: 'POST', headers: { 'content-type': 'image/jpeg' }, body: new Uint8Array(A1) });
      assert.equal(r.status, 200);
      const noGallery = await fetch(`${server.url}/v1/subjects`);
      assert.equal(noGallery.status, 404);
    } finally {
      await server.close();
    }
  });
});

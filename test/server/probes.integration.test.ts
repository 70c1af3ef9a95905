/**
 * Probes of a real `arcface serve` process on loopback: malformed and hostile requests of every
 * class a review found, each answered 4xx in our `{code, message}` shape with no library text; and
 * the classes that already passed (keys, pixel bombs, traversal names), kept passing. Ends with
 * kill -9 in the middle of enrolments and a restart that has lost nothing acknowledged.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CompreFace } from '@exadel/compreface-js-sdk';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { sharedPath } from '../helpers/shared.js';
import { lfw, waitUntil } from './helpers.js';
import { assertError, assertNo5xx, form, LEAK, pngBomb, probe } from './probe-kit.js';
import { rawJson, rawRequest, spawnServe, type ServeProcess } from './serve-process.js';

/** The probe server's body limit: 1 MiB, so limit probes send little. */
const BODY_LIMIT = 1024 * 1024;

describe('arcface serve probes (a real process)', () => {
  const home = mkdtempSync(join(tmpdir(), 'arcface-probes-'));
  const files = { gallery: join(home, 'g.db'), keys: join(home, 'keys.db') };
  const args = ['--gallery', files.gallery, '--keys', files.keys, '--workers', '1', '--body-limit', String(BODY_LIMIT)];
  const key: Record<string, string> = {};
  let srv: ServeProcess;
  const h = (k: string, extra: Record<string, string> = {}): Record<string, string> => ({ 'x-api-key': key[k] as string, ...extra });
  const json = (k: string, method: string, body: unknown): { method: string; headers: Record<string, string>; body: string } => ({
    method,
    headers: h(k, { 'content-type': 'application/json' }),
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

  before(async () => {
    const ks = KeyStore.open(files.keys);
    for (const s of ['read', 'write', 'admin'] as const) key[s] = ks.create({ scope: s }).key;
    const revoked = ks.create({ scope: 'admin' });
    ks.revoke(revoked.id);
    key.revoked = revoked.key;
    ks.close();
    srv = await spawnServe(args, home);
  });
  after(async () => srv.stop());

  it('1: malformed multipart (no boundary, garbage, truncated, the CompreFace SDK given an absolute path) is 400 BODY_INVALID', async () => {
    const url = `${srv.url}/v1/detect`;
    assertError(await probe('1', url, { method: 'POST', headers: h('read', { 'content-type': 'multipart/form-data' }), body: 'hello' }), 400, 'BODY_INVALID');
    assertError(
      await probe('1', url, {
        method: 'POST',
        headers: h('read', { 'content-type': 'multipart/form-data; boundary=xyz' }),
        body: 'not a multipart body at all',
      }),
      400,
      'BODY_INVALID',
    );
    const f = await form({ image: lfw('Colin_Powell', 40) });
    const cut = f.body.subarray(0, Math.floor(f.body.length / 2));
    assertError(await probe('1', url, { method: 'POST', headers: h('read', { 'content-type': f.type }), body: cut }), 400, 'BODY_INVALID');
    const u = new URL(srv.url);
    const sdk = new CompreFace(`${u.protocol}//${u.hostname}`, Number(u.port)).initFaceRecognitionService(key.write as string);
    const absolute = sharedPath('data', 'faces', 'lfw', 'Colin_Powell', 'Colin_Powell_0040.jpg');
    const err = await sdk
      .getFaceCollection()
      .add(absolute, 'Colin_Powell')
      .then(
        () => assert.fail('expected a 4xx'),
        (e: { response?: { status: number; data: unknown } }) => e.response,
      );
    assert.ok(err !== undefined, 'expected an HTTP response with the error');
    assert.equal(err.status, 400);
    assert.deepEqual(Object.keys(err.data as object).sort(), ['code', 'message']);
    assert.equal((err.data as { code: string }).code, 'BODY_INVALID');
    assert.match((err.data as { message: string }).message, /boundary/);
  });

  it('2: one total body limit: 413 for declared, streamed and text-field excess; unused parts are not kept', async () => {
    const declared = await rawRequest(
      srv.port,
      `POST /v1/detect HTTP/1.1\r\nHost: x\r\nx-api-key: ${key.read}\r\ncontent-type: multipart/form-data; boundary=b\r\ncontent-length: ${BODY_LIMIT * 5}\r\n\r\n`,
    );
    assert.match(declared, /^HTTP\/1\.1 413 /);
    assertError({ status: 413, text: JSON.stringify(rawJson(declared)) }, 413, 'PAYLOAD_TOO_LARGE');
    const junk = Buffer.alloc(300 * 1024, 7);
    for (const f of [
      await form({ image: lfw('Colin_Powell', 40), junk: [junk, junk, junk, junk] }),
      await form({ image: lfw('Colin_Powell', 40) }, { note: 'x'.repeat(BODY_LIMIT + 10) }),
    ]) {
      const head = `POST /v1/detect HTTP/1.1\r\nHost: x\r\nx-api-key: ${key.read}\r\ncontent-type: ${f.type}\r\ntransfer-encoding: chunked\r\n\r\n`;
      const body = Buffer.concat([Buffer.from(`${f.body.length.toString(16)}\r\n`), f.body, Buffer.from('\r\n0\r\n\r\n')]);
      const answer = await rawRequest(srv.port, Buffer.concat([Buffer.from(head), body]));
      assert.match(answer, /^HTTP\/1\.1 413 /, answer.slice(0, 200));
      assertError({ status: 413, text: JSON.stringify(rawJson(answer)) }, 413, 'PAYLOAD_TOO_LARGE');
    }
    const within = await form({ image: lfw('Colin_Powell', 40), junk: [junk, junk] });
    const ok = await probe('2', `${srv.url}/v1/detect`, { method: 'POST', headers: h('read', { 'content-type': within.type }), body: within.body });
    assert.equal(ok.status, 200, ok.text);
  });

  it('3: at most 100 embeddings per request, and health checks answered meanwhile', async () => {
    const dim = ((await (await fetch(`${srv.url}/readyz`)).json()) as { models: { embeddingSize: number } }).models.embeddingSize;
    const vectors = (n: number): number[][] => Array.from({ length: n }, (_, i) => Array.from({ length: dim }, (_, j) => (j === i % dim ? 1 : 0)));
    const url = `${srv.url}/api/v1/recognition/embeddings/recognize`;
    assertError(await probe('3', url, json('read', 'POST', { embeddings: vectors(101) })), 413, 'PAYLOAD_TOO_LARGE');
    const [big, health] = await Promise.all([probe('3', url, json('read', 'POST', { embeddings: vectors(100) })), probe('3', `${srv.url}/healthz`)]);
    assert.equal(big.status, 200, big.text);
    assert.equal((big.json() as { result: unknown[] }).result.length, 100);
    assert.equal(health.status, 200);
    assertError(await probe('3', url, json('read', 'POST', { embeddings: [Array.from({ length: dim }, () => 1e300)] })), 400, 'INVALID_ARGUMENT');
  });

  it('4: every subject write is validated once: control characters, deep metadata; delete-all completes', async () => {
    for (const id of ['a\u0000b', 'line\r\nbreak', 'tab\tid', 'bell\u0007']) {
      assertError(await probe('4', `${srv.url}/v1/subjects`, json('write', 'POST', { id })), 400, 'INVALID_ARGUMENT');
      assertError(await probe('4', `${srv.url}/api/v1/recognition/subjects`, json('write', 'POST', { subject: id })), 400, 'INVALID_ARGUMENT');
    }
    const deep = `{"id":"deep","metadata":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`;
    assertError(await probe('4', `${srv.url}/v1/subjects`, json('write', 'POST', deep)), 400, 'INVALID_ARGUMENT');
    for (const s of ['p4-a', 'p4-b', 'p4-c'])
      assert.equal((await probe('4', `${srv.url}/api/v1/recognition/subjects`, json('write', 'POST', { subject: s }))).status, 201);
    assertError(await probe('4', `${srv.url}/v1/subjects/p4-a`, json('write', 'PATCH', { name: 'bad\u0000name' })), 400, 'INVALID_ARGUMENT');
    const all = await probe('4', `${srv.url}/api/v1/recognition/subjects`, { method: 'DELETE', headers: h('write') });
    assert.deepEqual(all.json(), { deleted: 3 });
    assert.deepEqual((await probe('4', `${srv.url}/v1/subjects`, { headers: h('read') })).json(), { subjects: [] });
  });

  it('5: face ids are never reused, so a stale delete finds nothing', async () => {
    const enrol = async (n: number): Promise<number> => {
      const f = await form({ image: lfw('Colin_Powell', n) });
      const res = await probe('5', `${srv.url}/v1/subjects/p5/faces?create=true`, {
        method: 'POST',
        headers: h('write', { 'content-type': f.type }),
        body: f.body,
      });
      assert.equal(res.status, 201, res.text);
      return (res.json() as { faces: { faceId: number }[] }).faces[0]?.faceId as number;
    };
    await enrol(40);
    const second = await enrol(49);
    assert.equal((await probe('5', `${srv.url}/v1/subjects/p5/faces/${second}`, { method: 'DELETE', headers: h('write') })).status, 200);
    const third = await enrol(71);
    assert.ok(third > second, `face id ${third} reused (deleted ${second})`);
    assertError(await probe('5', `${srv.url}/v1/subjects/p5/faces/${second}`, { method: 'DELETE', headers: h('write') }), 404, 'NOT_FOUND');
  });

  it('6: one id limit everywhere, and framework errors (404, 414, 415, bad JSON, bad URL, 431, bad HTTP) in our shape', async () => {
    const long = `L${'x'.repeat(149)}`;
    assert.equal((await probe('6', `${srv.url}/v1/subjects`, json('write', 'POST', { id: long }))).status, 201);
    assert.equal((await probe('6', `${srv.url}/v1/subjects/${long}`, { headers: h('read') })).status, 200);
    const accented = 'é'.repeat(200);
    assert.equal((await probe('6', `${srv.url}/v1/subjects`, json('write', 'POST', { id: accented }))).status, 201);
    assert.equal((await probe('6', `${srv.url}/v1/subjects/${encodeURIComponent(accented)}`, { method: 'DELETE', headers: h('write') })).status, 200);
    assert.equal((await probe('6', `${srv.url}/v1/subjects/${long}`, { method: 'DELETE', headers: h('write') })).status, 200);
    assertError(await probe('6', `${srv.url}/v1/subjects`, json('write', 'POST', { id: 'x'.repeat(201) })), 400, 'INVALID_ARGUMENT');
    assertError(await probe('6', `${srv.url}/v1/subjects/${'x'.repeat(201)}`, { headers: h('read') }), 400, 'INVALID_ARGUMENT');
    assertError(await probe('6', `${srv.url}/v1/subjects/${'x'.repeat(2000)}`, { headers: h('read') }), 414, 'URI_TOO_LONG');
    assertError(await probe('6', `${srv.url}/v1/nothing-here`, { headers: h('read') }), 404, 'NOT_FOUND');
    assertError(
      await probe('6', `${srv.url}/v1/subjects`, { method: 'POST', headers: h('write', { 'content-type': 'text/plain' }), body: 'id=x' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    assertError(await probe('6', `${srv.url}/v1/subjects`, json('write', 'POST', '{"id": ')), 400, 'BODY_INVALID');
    assertError(await probe('6', `${srv.url}/v1/subjects/%E0%A4%A`, { headers: h('read') }), 400, 'INVALID_ARGUMENT');
    const big = await rawRequest(srv.port, `GET /healthz HTTP/1.1\r\nHost: x\r\nx-junk: ${'j'.repeat(64 * 1024)}\r\n\r\n`);
    assert.match(big, /^HTTP\/1\.1 431 /);
    assertError({ status: 431, text: JSON.stringify(rawJson(big)) }, 431, 'HEADERS_TOO_LARGE');
    const garbage = await rawRequest(srv.port, 'HELLO THERE\r\n\r\n');
    assert.match(garbage, /^HTTP\/1\.1 400 /);
    assertError({ status: 400, text: JSON.stringify(rawJson(garbage)) }, 400, 'BODY_INVALID');
  });

  it('7: the log has one JSON line per request with its request id, and no keys', async () => {
    const res = await probe('7', `${srv.url}/v1/subjects`, { headers: h('read') });
    const id = res.headers.get('x-request-id');
    assert.match(id ?? '', /^[0-9a-f-]{36}$/);
    await new Promise((r) => setTimeout(r, 100));
    const lines = srv
      .stdout()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const mine = lines.filter((l) => l.reqId === id);
    assert.equal(mine.length, 1, JSON.stringify(mine));
    assert.equal(mine[0]?.status, 200);
    assert.equal(mine[0]?.url, '/v1/subjects');
    assert.doesNotMatch(srv.stdout(), new RegExp(key.read as string));
  });

  it('8: decoder failures in our words; SVG refused by its format before any parser', async () => {
    const jpeg = lfw('Colin_Powell', 40);
    const post = (bytes: Buffer): Promise<ReturnType<typeof probe> extends Promise<infer T> ? T : never> =>
      probe('8', `${srv.url}/v1/detect`, { method: 'POST', headers: h('read', { 'content-type': 'image/jpeg' }), body: bytes });
    assertError(await post(jpeg.subarray(0, Math.floor(jpeg.length / 2))), 400, 'IMAGE_TRUNCATED');
    const damaged = Buffer.from(jpeg);
    damaged.fill(0x55, 200, damaged.length - 2);
    const bad = await post(damaged);
    if (bad.status !== 200) assertError(bad, 400, 'IMAGE_CORRUPT');
    assert.doesNotMatch(bad.text, LEAK);
    assertError(await post(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><<<')), 415, 'IMAGE_UNSUPPORTED_FORMAT');
    assertError(
      await post(Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')),
      415,
      'IMAGE_UNSUPPORTED_FORMAT',
    );
  });

  it('9: /docs has a CSP without framing; every answer refuses framing', async () => {
    const docs = await probe('9', `${srv.url}/docs/`);
    assert.equal(docs.status, 200);
    const csp = docs.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.equal(docs.headers.get('x-frame-options'), 'DENY');
    assert.equal((await probe('9', `${srv.url}/healthz`)).headers.get('x-frame-options'), 'DENY');
  });

  it('10: data files are owner-only (0600)', () => {
    for (const f of [files.gallery, `${files.gallery}-wal`, files.keys]) {
      assert.ok(existsSync(f), f);
      assert.equal(statSync(f).mode & 0o777, 0o600, f);
    }
  });

  it('11: numbers are plain decimals in range, or 400', async () => {
    const jpeg = lfw('Colin_Powell', 40);
    for (const v of ['0x1', '%20%201', 'Infinity', '1e308', '1.0', '-0', '99999999999999999999']) {
      const res = await probe('11', `${srv.url}/v1/identify?limit=${v}`, { method: 'POST', headers: h('read', { 'content-type': 'image/jpeg' }), body: jpeg });
      assertError(res, 400, 'INVALID_ARGUMENT');
    }
    assertError(await probe('11', `${srv.url}/api/v1/recognition/faces?page=0x1`, { headers: h('read') }), 400, 'INVALID_ARGUMENT');
    assertError(await probe('11', `${srv.url}/v1/subjects/p5/faces/0x1`, { method: 'DELETE', headers: h('write') }), 400, 'INVALID_ARGUMENT');
    assertError(await probe('11', `${srv.url}/api/v1/recognition/faces/1e0`, { method: 'DELETE', headers: h('write') }), 404, 'NOT_FOUND');
    assert.equal((await probe('11', `${srv.url}/api/v1/recognition/faces?page=0&size=5`, { headers: h('read') })).status, 200);
  });

  it('passing classes: wrong, revoked and under-scoped keys; pixel bombs; traversal names', async () => {
    assertError(await probe('keys', `${srv.url}/v1/subjects`), 401, 'UNAUTHORIZED');
    assertError(await probe('keys', `${srv.url}/v1/subjects`, { headers: { 'x-api-key': 'afk_wrong' } }), 401, 'UNAUTHORIZED');
    assertError(await probe('keys', `${srv.url}/v1/subjects`, { headers: { authorization: `Bearer ${key.revoked}` } }), 401, 'UNAUTHORIZED');
    assertError(await probe('keys', `${srv.url}/v1/subjects`, json('read', 'POST', { id: 'x' })), 403, 'FORBIDDEN');
    assertError(await probe('keys', `${srv.url}/v1/keys`, { headers: h('write') }), 403, 'FORBIDDEN');
    assertError(
      await probe('bomb', `${srv.url}/v1/detect`, { method: 'POST', headers: h('read', { 'content-type': 'image/png' }), body: pngBomb(50_000, 50_000) }),
      413,
      'IMAGE_TOO_LARGE',
    );
    const evil = '../../../../tmp/evil';
    assert.equal((await probe('names', `${srv.url}/v1/subjects`, json('write', 'POST', { id: evil }))).status, 201);
    const got = await probe('names', `${srv.url}/v1/subjects/${encodeURIComponent(evil)}`, { headers: h('read') });
    assert.equal((got.json() as { id: string }).id, evil);
    const f = await form({ image: lfw('Colin_Powell', 40) }, {}, '../../../../tmp/evil.jpg');
    const enrolled = await probe('names', `${srv.url}/v1/subjects/${encodeURIComponent(evil)}/faces`, {
      method: 'POST',
      headers: h('write', { 'content-type': f.type }),
      body: f.body,
    });
    assert.equal(enrolled.status, 201, enrolled.text);
    assert.ok(!existsSync('/tmp/evil') && !existsSync('/tmp/evil.jpg'));
    assert.equal((await probe('names', `${srv.url}/v1/subjects/..%2F..%2Fnothing`, { headers: h('read') })).status, 404);
    for (const path of ['/%2e%2e/%2e%2e/etc/passwd', '/..%2F..%2Fpackage.json', '/docs/static/..%2F..%2F..%2Fpackage.json', '/index.html%00']) {
      const answer = await rawRequest(srv.port, `GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1]);
      assert.ok(status === 400 || status === 404, `${path}: ${answer.slice(0, 120)}`);
      assertError({ status, text: JSON.stringify(rawJson(answer)) }, status, status === 404 ? 'NOT_FOUND' : 'INVALID_ARGUMENT');
    }
  });

  it('kill -9 in the middle of enrolments, then a restart: every acknowledged face is there', async () => {
    const acknowledged: number[] = [];
    const sends = [7, 16, 65, 145, 150, 203, 238, 247].map(async (n) => {
      const f = await form({ image: lfw('George_W_Bush', n) });
      try {
        const res = await fetch(`${srv.url}/v1/subjects/crash/faces?create=true`, {
          method: 'POST',
          headers: h('write', { 'content-type': f.type }),
          body: new Uint8Array(f.body),
        });
        if (res.status === 201) acknowledged.push(...((await res.json()) as { faces: { faceId: number }[] }).faces.map((x) => x.faceId));
      } catch {
        // The connection died with the server: not acknowledged.
      }
    });
    await waitUntil(() => acknowledged.length > 0, 'a first acknowledged enrolment');
    srv.child.kill('SIGKILL');
    await Promise.all(sends);
    assert.equal(await srv.exited, 'SIGKILL');
    assert.ok(acknowledged.length >= 1 && acknowledged.length < 8, `acknowledged ${acknowledged.length} of 8 before the kill`);
    srv = await spawnServe(args, home);
    const faces = await probe('crash', `${srv.url}/v1/subjects/crash/faces`, { headers: h('read') });
    const ids = (faces.json() as { faces: { faceId: number }[] }).faces.map((x) => x.faceId);
    for (const id of acknowledged) {
      assert.ok(ids.includes(id), `face ${id} acknowledged but lost`);
      assert.equal((await probe('crash', `${srv.url}/v1/faces/${id}/thumbnail`, { headers: h('read') })).status, 200);
    }
    assert.equal((await probe('crash', `${srv.url}/readyz`)).status, 200);
    assertNo5xx();
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { isArcFaceError } from '../../src/core/errors.js';
import { pullModel, type PullProgress } from '../../src/models/download.js';
import type { KnownModel, ModelOrigin } from '../../src/models/known-model.js';
import { findKnownModel } from '../../src/models/known-models.js';
import { sharedPath } from '../helpers/shared.js';
import { makeZip } from './cache-zip-fixture.js';

const MODELS = sharedPath('models');
const YUNET = findKnownModel('yunet-s') as KnownModel;
const BYTES = readFileSync(join(MODELS, YUNET.fileName));
const scratch = mkdtempSync(join(tmpdir(), 'arcface-pull-'));

const ZIP = makeZip([
  { name: 'pack/readme.txt', data: Buffer.from('hello'), deflate: false },
  { name: 'pack/yunet_s_dynamic.onnx', data: BYTES, deflate: true },
]);
const ZIP_SHA = createHash('sha256').update(ZIP).digest('hex');

let server: Server;
let base = '';
before(async () => {
  server = createServer((req, res: ServerResponse) => {
    const path = req.url ?? '/';
    if (path === '/model.onnx') {
      res.writeHead(200, { 'content-length': BYTES.length }).end(BYTES);
    } else if (path === '/gzip.onnx') {
      const body = gzipSync(BYTES);
      res.writeHead(200, { 'content-length': body.length, 'content-encoding': 'gzip' }).end(body);
    } else if (path === '/chunked.onnx') {
      res.writeHead(200);
      res.write(BYTES.subarray(0, 100_000));
      setTimeout(() => res.end(BYTES.subarray(100_000)), 20);
    } else if (path === '/cut.onnx') {
      res.writeHead(200, { 'content-length': BYTES.length });
      res.write(BYTES.subarray(0, 100_000), () => setTimeout(() => res.socket?.destroy(), 20));
    } else if (path === '/stall.onnx') {
      res.writeHead(200, { 'content-length': BYTES.length });
      res.write(BYTES.subarray(0, 1000));
    } else if (path === '/pack.zip') {
      res.writeHead(200, { 'content-length': ZIP.length }).end(ZIP);
    } else if (path === '/short.zip') {
      const half = ZIP.subarray(0, ZIP.length >> 1);
      res.writeHead(200, { 'content-length': half.length }).end(half);
    } else {
      res.writeHead(404).end('no');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
  rmSync(scratch, { recursive: true, force: true });
});

function withSources(...sources: ModelOrigin[]): KnownModel {
  return { ...YUNET, sources };
}

function freshHome(name: string): string {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  return dir;
}

function filesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}

describe('pullModel over HTTP', () => {
  it('downloads, reports progress, verifies SHA-256 and renames into home', async () => {
    const home = freshHome('ok');
    const events: PullProgress[] = [];
    const got = await pullModel(withSources({ kind: 'file', url: `${base}/model.onnx` }), { home, dirs: [] }, { onProgress: (e) => events.push(e) });
    assert.equal(got.downloaded, true);
    assert.equal(got.verified, true);
    assert.equal(got.path, join(home, YUNET.fileName));
    assert.equal(got.sha256, YUNET.sha256);
    assert.deepEqual(readFileSync(got.path), BYTES);
    assert.deepEqual(filesIn(home), [YUNET.fileName]);
    const downloads = events.filter((e) => e.phase === 'download');
    assert.ok(downloads.length >= 1);
    assert.equal(downloads.at(-1)?.receivedBytes, BYTES.length);
    assert.equal(downloads.at(-1)?.totalBytes, BYTES.length);
    for (let i = 1; i < downloads.length; i++) assert.ok(downloads[i]!.receivedBytes >= downloads[i - 1]!.receivedBytes);
    assert.equal(events.at(-1)?.phase, 'done');

    const again = await pullModel(withSources({ kind: 'file', url: `${base}/missing` }), { home, dirs: [] });
    assert.equal(again.downloaded, false);
  });

  it('removes a stale temporary file left by a killed pull, and keeps a fresh one', async () => {
    const home = freshHome('stale');
    mkdirSync(home, { recursive: true });
    const stale = join(home, `.${YUNET.fileName}.deadbeef.part`);
    const fresh = join(home, `.${YUNET.fileName}.cafebabe.part`);
    writeFileSync(stale, 'old');
    writeFileSync(fresh, 'live');
    const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
    utimesSync(stale, twoHoursAgo, twoHoursAgo);
    await pullModel(withSources({ kind: 'file', url: `${base}/model.onnx` }), { home, dirs: [] });
    assert.deepEqual(filesIn(home).sort(), [`.${YUNET.fileName}.cafebabe.part`, YUNET.fileName].sort());
  });

  it('accepts a body without content-length, and a gzip-encoded body', async () => {
    const got = await pullModel(withSources({ kind: 'file', url: `${base}/chunked.onnx` }), { home: freshHome('chunked'), dirs: [] });
    assert.equal(got.sha256, YUNET.sha256);
    const gz = await pullModel(withSources({ kind: 'file', url: `${base}/gzip.onnx` }), { home: freshHome('gzip'), dirs: [] });
    assert.equal(gz.sha256, YUNET.sha256);
  });

  it('uses a copy already present in dirs without any request', async () => {
    const never = (): Promise<Response> => Promise.reject(new Error('must not fetch'));
    const got = await pullModel('yunet-s', { home: freshHome('present'), dirs: [MODELS] }, { fetch: never });
    assert.equal(got.downloaded, false);
    assert.equal(got.path, join(MODELS, YUNET.fileName));
  });

  it('leaves no partial file when the server cuts the connection mid-body', async () => {
    const home = freshHome('cut');
    await assert.rejects(
      pullModel(withSources({ kind: 'file', url: `${base}/cut.onnx` }), { home, dirs: [] }),
      (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') && e.message.includes('arcface models add FILE'),
    );
    assert.deepEqual(filesIn(home), []);
  });

  it('gives up on a stalled connection and leaves nothing', async () => {
    const home = freshHome('stall');
    await assert.rejects(pullModel(withSources({ kind: 'file', url: `${base}/stall.onnx` }), { home, dirs: [] }, { idleTimeoutMs: 300 }), (e) =>
      isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED'),
    );
    assert.deepEqual(filesIn(home), []);
  });

  it('rejects a file with the wrong checksum and leaves nothing', async () => {
    const home = freshHome('wrong-sha');
    const model = { ...withSources({ kind: 'file', url: `${base}/model.onnx` }), sha256: '0'.repeat(64) };
    await assert.rejects(pullModel(model, { home, dirs: [] }), (e) => isArcFaceError(e, 'MODEL_CHECKSUM_MISMATCH') && e.message.includes(YUNET.sha256 ?? ''));
    assert.deepEqual(filesIn(home), []);
  });

  it('fails with MODEL_DOWNLOAD_FAILED on an unreachable host, saying how to add the file by hand', async () => {
    const home = freshHome('unreachable');
    await assert.rejects(
      pullModel(withSources({ kind: 'file', url: 'http://127.0.0.1:1/model.onnx' }), { home, dirs: [] }),
      (e) =>
        isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') &&
        e.exitCode === 3 &&
        e.message.includes('could not be reached') &&
        e.message.includes('arcface models add FILE'),
    );
    assert.deepEqual(filesIn(home), []);
  });

  it('tries the next source after an HTTP error', async () => {
    const home = freshHome('fallback');
    const got = await pullModel(withSources({ kind: 'file', url: `${base}/gone.onnx` }, { kind: 'file', url: `${base}/model.onnx` }), { home, dirs: [] });
    assert.equal(got.url, `${base}/model.onnx`);
    await assert.rejects(
      pullModel(withSources({ kind: 'file', url: `${base}/gone.onnx` }), { home: freshHome('404'), dirs: [] }),
      (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') && e.message.includes('HTTP 404'),
    );
  });

  it('refuses plain HTTP to other hosts, unknown names, and models with no direct download', async () => {
    const home = freshHome('refuse');
    await assert.rejects(
      pullModel(withSources({ kind: 'file', url: 'http://example.com/m.onnx' }), { home, dirs: [] }),
      (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') && e.message.includes('only HTTPS'),
    );
    await assert.rejects(pullModel('no-such-model', { home, dirs: [] }), (e) => isArcFaceError(e, 'MODEL_UNKNOWN_NAME') && e.message.includes('glintr100'));
    const never = (): Promise<Response> => Promise.reject(new Error('must not fetch'));
    await assert.rejects(
      pullModel('arcface-luxonis', { home, dirs: [] }, { fetch: never }),
      (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') && e.message.includes('models.luxonis.com') && e.message.includes('arcface models add FILE'),
    );
    assert.deepEqual(filesIn(home), []);
  });
});

describe('pullModel refusals', () => {
  it('refuses a malformed URL, a cancelled pull and an unwritable home', async () => {
    const home = freshHome('misc');
    await assert.rejects(
      pullModel(withSources({ kind: 'file', url: 'not a url' }), { home, dirs: [] }),
      (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') && e.message.includes('not a valid URL'),
    );
    const controller = new AbortController();
    const pending = pullModel(withSources({ kind: 'file', url: `${base}/stall.onnx` }), { home, dirs: [] }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(pending, (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') && e.message.includes('cancelled'));
    assert.deepEqual(filesIn(home), []);
    const blocker = join(freshHome('blocker-parent'), 'file');
    mkdirSync(join(blocker, '..'), { recursive: true });
    writeFileSync(blocker, 'x');
    await assert.rejects(pullModel(withSources({ kind: 'file', url: `${base}/model.onnx` }), { home: join(blocker, 'home'), dirs: [] }), (e) =>
      isArcFaceError(e, 'MODEL_CACHE_UNWRITABLE'),
    );
    await assert.rejects(pullModel('yunet-s', { home: 5 as unknown as string, dirs: [] }), TypeError);
    await assert.rejects(pullModel(withSources({ kind: 'file', url: `${base}/model.onnx` }), { home: '', dirs: [] }), (e) =>
      isArcFaceError(e, 'MODEL_CACHE_UNWRITABLE'),
    );
    await assert.rejects(pullModel('yunet-s', { home, dirs: [] }, { idleTimeoutMs: 0 }), RangeError);
    await assert.rejects(pullModel('yunet-s', { home, dirs: [] }, { onProgress: 'x' as unknown as () => void }), TypeError);
  });
});

describe('pullModel from a zip pack', () => {
  it('downloads the pack, checks its checksum, extracts the one entry and removes the pack', async () => {
    const home = freshHome('zip');
    const phases: string[] = [];
    const model = withSources({ kind: 'zip-entry', url: `${base}/pack.zip`, entry: 'yunet_s_dynamic.onnx', archiveSha256: ZIP_SHA });
    const got = await pullModel(model, { home, dirs: [] }, { onProgress: (e) => phases.push(e.phase) });
    assert.equal(got.sha256, YUNET.sha256);
    assert.deepEqual(filesIn(home), [YUNET.fileName]);
    assert.ok(phases.includes('extract'));
  });

  it('rejects a pack with the wrong checksum and a truncated pack, leaving nothing', async () => {
    const home = freshHome('zip-bad');
    const wrong = withSources({ kind: 'zip-entry', url: `${base}/pack.zip`, entry: 'yunet_s_dynamic.onnx', archiveSha256: 'f'.repeat(64) });
    await assert.rejects(pullModel(wrong, { home, dirs: [] }), (e) => isArcFaceError(e, 'MODEL_CHECKSUM_MISMATCH') && e.message.includes('archive'));
    const short = withSources({ kind: 'zip-entry', url: `${base}/short.zip`, entry: 'yunet_s_dynamic.onnx' });
    await assert.rejects(pullModel(short, { home, dirs: [] }), (e) => isArcFaceError(e, 'ARCHIVE_INVALID'));
    assert.deepEqual(filesIn(home), []);
  });
});

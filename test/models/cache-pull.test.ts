import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { crc32, deflateRawSync } from 'node:zlib';
import { isArcFaceError } from '../../src/core/errors.js';
import { pullModel, type PullProgress } from '../../src/models/download.js';
import type { KnownModel, ModelOrigin } from '../../src/models/known-model.js';
import { findKnownModel } from '../../src/models/known-models.js';
import { extractZipEntry, listZipEntries } from '../../src/models/zip-entry.js';
import { sharedPath } from '../helpers/shared.js';

const MODELS = sharedPath('models');
const YUNET = findKnownModel('yunet-s') as KnownModel;
const BYTES = readFileSync(join(MODELS, YUNET.fileName));
const scratch = mkdtempSync(join(tmpdir(), 'arcface-pull-'));

/**
 * A minimal zip writer (APPNOTE 4.3): local headers, data, central directory, end record. With
 * `zip64`, sizes and offsets go to Zip64 extra fields and a Zip64 end record, as `zip -fz` writes them.
 */
function makeZip(entries: readonly { name: string; data: Buffer; deflate: boolean }[], zip64 = false): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = e.deflate ? deflateRawSync(e.data) : e.data;
    const crc = crc32(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(zip64 ? 0xffffffff : e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(zip64 ? 0xffffffff : offset, 42);
    const extra = Buffer.alloc(zip64 ? 20 : 0);
    if (zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(16, 2);
      extra.writeBigUInt64LE(BigInt(e.data.length), 4);
      extra.writeBigUInt64LE(BigInt(offset), 12);
      central.writeUInt16LE(extra.length, 30);
    }
    locals.push(local, name, body);
    centrals.push(central, name, extra);
    offset += local.length + name.length + body.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(zip64 ? 0xffffffff : offset, 16);
  if (!zip64) return Buffer.concat([...locals, cd, end]);
  const record = Buffer.alloc(56);
  record.writeUInt32LE(0x06064b50, 0);
  record.writeBigUInt64LE(44n, 4);
  record.writeBigUInt64LE(BigInt(entries.length), 24);
  record.writeBigUInt64LE(BigInt(entries.length), 32);
  record.writeBigUInt64LE(BigInt(cd.length), 40);
  record.writeBigUInt64LE(BigInt(offset), 48);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(offset + cd.length), 8);
  locator.writeUInt32LE(1, 16);
  return Buffer.concat([...locals, cd, record, locator, end]);
}

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

  it('accepts a body without content-length', async () => {
    const home = freshHome('chunked');
    const got = await pullModel(withSources({ kind: 'file', url: `${base}/chunked.onnx` }), { home, dirs: [] });
    assert.equal(got.sha256, YUNET.sha256);
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
    await assert.rejects(
      pullModel(withSources({ kind: 'file', url: `${base}/stall.onnx` }), { home, dirs: [] }, { idleTimeoutMs: 300 }),
      (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED'),
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
      (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') && e.exitCode === 3 && e.message.includes('could not be reached') && e.message.includes('arcface models add FILE'),
    );
    assert.deepEqual(filesIn(home), []);
  });

  it('tries the next source after an HTTP error', async () => {
    const home = freshHome('fallback');
    const got = await pullModel(withSources({ kind: 'file', url: `${base}/gone.onnx` }, { kind: 'file', url: `${base}/model.onnx` }), { home, dirs: [] });
    assert.equal(got.url, `${base}/model.onnx`);
    await assert.rejects(pullModel(withSources({ kind: 'file', url: `${base}/gone.onnx` }), { home: freshHome('404'), dirs: [] }), (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') && e.message.includes('HTTP 404'));
  });

  it('refuses plain HTTP to other hosts, unknown names, and models with no direct download', async () => {
    const home = freshHome('refuse');
    await assert.rejects(pullModel(withSources({ kind: 'file', url: 'http://example.com/m.onnx' }), { home, dirs: [] }), (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') && e.message.includes('only HTTPS'));
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
    await assert.rejects(pullModel(withSources({ kind: 'file', url: 'not a url' }), { home, dirs: [] }), (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') && e.message.includes('not a valid URL'));
    const controller = new AbortController();
    const pending = pullModel(withSources({ kind: 'file', url: `${base}/stall.onnx` }), { home, dirs: [] }, { signal: controller.signal });
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(pending, (e) => isArcFaceError(e, 'MODEL_DOWNLOAD_FAILED') && e.message.includes('cancelled'));
    assert.deepEqual(filesIn(home), []);
    const blocker = join(freshHome('blocker-parent'), 'file');
    mkdirSync(join(blocker, '..'), { recursive: true });
    writeFileSync(blocker, 'x');
    await assert.rejects(pullModel(withSources({ kind: 'file', url: `${base}/model.onnx` }), { home: join(blocker, 'home'), dirs: [] }), (e) => isArcFaceError(e, 'MODEL_CACHE_UNWRITABLE'));
    await assert.rejects(pullModel('yunet-s', { home: '', dirs: [] }), TypeError);
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

describe('extractZipEntry', () => {
  const dir = join(scratch, 'zip-files');
  it('lists entries and extracts stored and deflated entries by name or last segment', async () => {
    mkdirSync(dir, { recursive: true });
    const zipPath = join(dir, 'pack.zip');
    writeFileSync(zipPath, ZIP);
    assert.deepEqual(await listZipEntries(zipPath), ['pack/readme.txt', 'pack/yunet_s_dynamic.onnx']);
    const stored = await extractZipEntry(zipPath, 'pack/readme.txt', join(dir, 'readme.txt'));
    assert.equal(readFileSync(join(dir, 'readme.txt'), 'utf8'), 'hello');
    assert.equal(stored.size, 5);
    const deflated = await extractZipEntry(zipPath, 'yunet_s_dynamic.onnx', join(dir, 'y.onnx'));
    assert.equal(deflated.sha256, YUNET.sha256);
  });

  it('reads Zip64 sizes and offsets', async () => {
    mkdirSync(dir, { recursive: true });
    const zipPath = join(dir, 'pack64.zip');
    writeFileSync(zipPath, makeZip([{ name: 'a.txt', data: Buffer.from('first'), deflate: true }, { name: 'yunet_s_dynamic.onnx', data: BYTES, deflate: true }], true));
    assert.deepEqual(await listZipEntries(zipPath), ['a.txt', 'yunet_s_dynamic.onnx']);
    assert.equal((await extractZipEntry(zipPath, 'yunet_s_dynamic.onnx', join(dir, 'y64.onnx'))).sha256, YUNET.sha256);
  });

  it('refuses a missing entry, damaged or unsupported entries, a broken Zip64 end and a file that is not a zip', async () => {
    mkdirSync(dir, { recursive: true });
    const zipPath = join(dir, 'pack2.zip');
    writeFileSync(zipPath, ZIP);
    await assert.rejects(extractZipEntry(zipPath, 'w600k_r50.onnx', join(dir, 'x')), (e) => isArcFaceError(e, 'ARCHIVE_INVALID') && e.message.includes('pack/readme.txt'));
    const damaged = Buffer.from(ZIP);
    damaged.writeUInt8(damaged.readUInt8(30 + 'pack/readme.txt'.length + 1) ^ 0xff, 30 + 'pack/readme.txt'.length + 1);
    writeFileSync(join(dir, 'damaged.zip'), damaged);
    await assert.rejects(extractZipEntry(join(dir, 'damaged.zip'), 'readme.txt', join(dir, 'x')), (e) => isArcFaceError(e, 'ARCHIVE_INVALID') && e.message.includes('damaged'));
    const nameLen = 'pack/readme.txt'.length;
    const centralStart = ZIP.length - 22 - (46 * 2 + nameLen + 'pack/yunet_s_dynamic.onnx'.length);
    const bzip = Buffer.from(ZIP);
    bzip.writeUInt16LE(12, centralStart + 10);
    writeFileSync(join(dir, 'bzip.zip'), bzip);
    await assert.rejects(extractZipEntry(join(dir, 'bzip.zip'), 'readme.txt', join(dir, 'x')), (e) => isArcFaceError(e, 'ARCHIVE_INVALID') && e.message.includes('method 12'));
    const encrypted = Buffer.from(ZIP);
    encrypted.writeUInt16LE(1, centralStart + 8);
    writeFileSync(join(dir, 'enc.zip'), encrypted);
    await assert.rejects(extractZipEntry(join(dir, 'enc.zip'), 'readme.txt', join(dir, 'x')), (e) => isArcFaceError(e, 'ARCHIVE_INVALID') && e.message.includes('encrypted'));
    const noLocator = Buffer.from(ZIP);
    noLocator.writeUInt32LE(0xffffffff, ZIP.length - 22 + 16);
    writeFileSync(join(dir, 'z64-broken.zip'), noLocator);
    await assert.rejects(listZipEntries(join(dir, 'z64-broken.zip')), (e) => isArcFaceError(e, 'ARCHIVE_INVALID') && e.message.includes('Zip64'));
    writeFileSync(join(dir, 'not.zip'), 'plain text, no zip here');
    await assert.rejects(listZipEntries(join(dir, 'not.zip')), (e) => isArcFaceError(e, 'ARCHIVE_INVALID'));
  });
});

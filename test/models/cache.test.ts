import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isArcFaceError } from '../../src/core/errors.js';
import { addModel, sha256File, verifyModels } from '../../src/models/cache.js';
import { findKnownModel } from '../../src/models/known-models.js';
import { resolveModelPath } from '../../src/models/registry.js';
import { sharedPath } from '../helpers/shared.js';

const MODELS = sharedPath('models');
const scratch = mkdtempSync(join(tmpdir(), 'arcface-cache-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function freshDir(name: string): string {
  const dir = join(scratch, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('sha256File', () => {
  it('hashes a file as sha256sum does', async () => {
    const p = join(freshDir('hash'), 'abc.txt');
    writeFileSync(p, 'abc');
    assert.equal(await sha256File(p), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('reports a missing file as FILE_NOT_FOUND', async () => {
    await assert.rejects(sha256File(join(scratch, 'absent.bin')), (e) => isArcFaceError(e, 'FILE_NOT_FOUND') && e.message.includes('ENOENT'));
  });
});

describe('addModel', () => {
  it('copies a known model into home under its registry file name, found by checksum', async () => {
    const home = join(scratch, 'home-add');
    const downloads = freshDir('downloads');
    const renamed = join(downloads, 'mobilefacenet_int8.onnx');
    copyFileSync(join(MODELS, 'w600k_mbf_int8.onnx'), renamed);
    const added = await addModel(renamed, { home, dirs: [] });
    assert.equal(added.name, 'w600k-mbf-int8');
    assert.equal(added.path, join(home, 'w600k_mbf_int8.onnx'));
    assert.equal(added.copied, true);
    assert.equal(added.sha256, findKnownModel('w600k-mbf-int8')?.sha256);
    assert.deepEqual(readdirSync(home), ['w600k_mbf_int8.onnx']);
    assert.equal(resolveModelPath('w600k-mbf-int8', { home, dirs: [] }), added.path);
    const again = await addModel(renamed, { home, dirs: [] });
    assert.equal(again.copied, false);
  });

  it('copies an unknown file under its own name', async () => {
    const home = join(scratch, 'home-custom');
    const src = join(freshDir('custom-src'), 'my-recognizer.onnx');
    writeFileSync(src, 'not really a model');
    const added = await addModel(src, { home, dirs: [] });
    assert.equal(added.name, undefined);
    assert.equal(added.path, join(home, 'my-recognizer.onnx'));
    assert.equal(readFileSync(added.path, 'utf8'), 'not really a model');
  });

  it('stores a file as a named model when asked, checking the checksum where one is recorded', async () => {
    const home = join(scratch, 'home-as');
    const src = join(freshDir('as-src'), 'arcface-lfw-112x112.tar.xz');
    writeFileSync(src, 'archive bytes');
    const added = await addModel(src, { home, dirs: [] }, { as: 'arcface-luxonis' });
    assert.equal(added.path, join(home, 'arcface.tar.xz'));
    await assert.rejects(addModel(src, { home, dirs: [] }, { as: 'yunet-n' }), (e) => isArcFaceError(e, 'MODEL_CHECKSUM_MISMATCH'));
    await assert.rejects(addModel(src, { home, dirs: [] }, { as: 'no-such' }), (e) => isArcFaceError(e, 'MODEL_UNKNOWN_NAME'));
  });

  it('refuses a file named like a known model whose contents differ, leaving home untouched', async () => {
    const home = freshDir('home-refuse');
    const src = join(freshDir('bad-src'), 'det_500m.onnx');
    const bytes = readFileSync(join(MODELS, 'det_500m.onnx'));
    bytes.writeUInt8(bytes.readUInt8(bytes.length - 1) ^ 0xff, bytes.length - 1);
    writeFileSync(src, bytes);
    await assert.rejects(addModel(src, { home, dirs: [] }), (e) => isArcFaceError(e, 'MODEL_CHECKSUM_MISMATCH') && e.message.includes('scrfd-500m'));
    assert.deepEqual(readdirSync(home), []);
  });

  it('fails with MODEL_CACHE_UNWRITABLE when home cannot be created', async () => {
    const blocker = join(freshDir('blocked'), 'a-file');
    writeFileSync(blocker, 'x');
    await assert.rejects(
      addModel(join(MODELS, 'yunet_n_dynamic.onnx'), { home: join(blocker, 'home'), dirs: [] }),
      (e) => isArcFaceError(e, 'MODEL_CACHE_UNWRITABLE') && e.message.includes('ARCFACE_HOME') && e.exitCode === 3,
    );
  });

  it('refuses to add when no home is set', async () => {
    await assert.rejects(
      addModel(join(MODELS, 'yunet_n_dynamic.onnx'), { home: '', dirs: [] }),
      (e) => isArcFaceError(e, 'MODEL_CACHE_UNWRITABLE') && e.message.includes('ARCFACE_HOME'),
    );
  });

  it('rejects a missing file and invalid parameters', async () => {
    await assert.rejects(addModel(join(scratch, 'nope.onnx'), { home: scratch, dirs: [] }), (e) => isArcFaceError(e, 'FILE_NOT_FOUND') && e.exitCode === 2);
    await assert.rejects(addModel(scratch, { home: join(scratch, 'h'), dirs: [] }), (e) => isArcFaceError(e, 'FILE_NOT_FOUND'));
    await assert.rejects(addModel('', { home: scratch, dirs: [] }), (e) => isArcFaceError(e, 'INVALID_ARGUMENT'));
  });
});

describe('verifyModels', () => {
  it('rejects invalid locations', async () => {
    await assert.rejects(verifyModels({ home: 3, dirs: [] } as unknown as { home: string; dirs: string[] }), TypeError);
  });

  it('confirms every staged model in the shared folder', async () => {
    const rows = await verifyModels({ home: join(scratch, 'no-home'), dirs: [MODELS] });
    assert.equal(rows.length, 8);
    for (const r of rows) assert.equal(r.status, 'ok', `${r.name}: ${r.sha256}`);
  });

  it('detects a damaged copy, reports unknown files and models with no recorded checksum', async () => {
    const home = freshDir('home-verify');
    const bytes = readFileSync(join(MODELS, 'yunet_s_dynamic.onnx'));
    bytes.writeUInt8(bytes.readUInt8(1000) ^ 0x01, 1000);
    writeFileSync(join(home, 'yunet_s_dynamic.onnx'), bytes);
    writeFileSync(join(home, 'extra.onnx'), 'x');
    writeFileSync(join(home, 'arcface.tar.xz'), 'y');
    const seen: string[] = [];
    const rows = await verifyModels({ home, dirs: [] }, { onFile: (p) => seen.push(p) });
    const byName = new Map(rows.map((r) => [r.name, r]));
    assert.equal(byName.get('yunet-s')?.status, 'mismatch');
    assert.equal(byName.get('yunet-s')?.expectedSha256, findKnownModel('yunet-s')?.sha256);
    assert.notEqual(byName.get('yunet-s')?.sha256, findKnownModel('yunet-s')?.sha256);
    assert.equal(byName.get('extra.onnx')?.status, 'unknown');
    assert.equal(byName.get('arcface-luxonis')?.status, 'unverifiable');
    assert.equal(seen.length, 3);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isArcFaceError } from '../../src/core/errors.js';
import type { KnownModel } from '../../src/models/known-model.js';
import { findKnownModel } from '../../src/models/known-models.js';
import { extractZipEntry, listZipEntries } from '../../src/models/zip-entry.js';
import { sharedPath } from '../helpers/shared.js';
import { makeZip } from './cache-zip-fixture.js';

const YUNET = findKnownModel('yunet-s') as KnownModel;
const BYTES = readFileSync(sharedPath('models', YUNET.fileName));
const ZIP = makeZip([
  { name: 'pack/readme.txt', data: Buffer.from('hello'), deflate: false },
  { name: 'pack/yunet_s_dynamic.onnx', data: BYTES, deflate: true },
]);
const dir = mkdtempSync(join(tmpdir(), 'arcface-zip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('extractZipEntry', () => {
  it('lists entries and extracts stored and deflated entries by name or last segment', async () => {
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
    const zipPath = join(dir, 'pack64.zip');
    writeFileSync(
      zipPath,
      makeZip(
        [
          { name: 'a.txt', data: Buffer.from('first'), deflate: true },
          { name: 'yunet_s_dynamic.onnx', data: BYTES, deflate: true },
        ],
        true,
      ),
    );
    assert.deepEqual(await listZipEntries(zipPath), ['a.txt', 'yunet_s_dynamic.onnx']);
    assert.equal((await extractZipEntry(zipPath, 'yunet_s_dynamic.onnx', join(dir, 'y64.onnx'))).sha256, YUNET.sha256);
  });

  it('refuses a missing entry, damaged or unsupported entries, a broken Zip64 end and a file that is not a zip', async () => {
    const zipPath = join(dir, 'pack2.zip');
    writeFileSync(zipPath, ZIP);
    await assert.rejects(
      extractZipEntry(zipPath, 'w600k_r50.onnx', join(dir, 'x')),
      (e) => isArcFaceError(e, 'ARCHIVE_INVALID') && e.message.includes('pack/readme.txt'),
    );
    const damaged = Buffer.from(ZIP);
    damaged.writeUInt8(damaged.readUInt8(30 + 'pack/readme.txt'.length + 1) ^ 0xff, 30 + 'pack/readme.txt'.length + 1);
    writeFileSync(join(dir, 'damaged.zip'), damaged);
    await assert.rejects(
      extractZipEntry(join(dir, 'damaged.zip'), 'readme.txt', join(dir, 'x')),
      (e) => isArcFaceError(e, 'ARCHIVE_INVALID') && e.message.includes('damaged'),
    );
    const nameLen = 'pack/readme.txt'.length;
    const centralStart = ZIP.length - 22 - (46 * 2 + nameLen + 'pack/yunet_s_dynamic.onnx'.length);
    const bzip = Buffer.from(ZIP);
    bzip.writeUInt16LE(12, centralStart + 10);
    writeFileSync(join(dir, 'bzip.zip'), bzip);
    await assert.rejects(
      extractZipEntry(join(dir, 'bzip.zip'), 'readme.txt', join(dir, 'x')),
      (e) => isArcFaceError(e, 'ARCHIVE_INVALID') && e.message.includes('method 12'),
    );
    const encrypted = Buffer.from(ZIP);
    encrypted.writeUInt16LE(1, centralStart + 8);
    writeFileSync(join(dir, 'enc.zip'), encrypted);
    await assert.rejects(
      extractZipEntry(join(dir, 'enc.zip'), 'readme.txt', join(dir, 'x')),
      (e) => isArcFaceError(e, 'ARCHIVE_INVALID') && e.message.includes('encrypted'),
    );
    const noLocator = Buffer.from(ZIP);
    noLocator.writeUInt32LE(0xffffffff, ZIP.length - 22 + 16);
    writeFileSync(join(dir, 'z64-broken.zip'), noLocator);
    await assert.rejects(listZipEntries(join(dir, 'z64-broken.zip')), (e) => isArcFaceError(e, 'ARCHIVE_INVALID') && e.message.includes('Zip64'));
    await assert.rejects(listZipEntries(join(dir, 'absent.zip')), (e) => isArcFaceError(e, 'FILE_NOT_FOUND'));
    writeFileSync(join(dir, 'not.zip'), 'plain text, no zip here');
    await assert.rejects(listZipEntries(join(dir, 'not.zip')), (e) => isArcFaceError(e, 'ARCHIVE_INVALID'));
  });
});

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { isArcFaceError } from '../../src/core/errors.js';
import { sha256File } from '../../src/models/cache.js';
import { findKnownModel, findKnownModelByFileName, findKnownModelBySha256, KNOWN_MODELS } from '../../src/models/known-models.js';
import { LICENCE_MARKER_DIR, licenceNotice, licenceNoticeOnce } from '../../src/models/licence.js';
import { listModels, resolveModelPath, validateModelLocations, type ModelLocations } from '../../src/models/registry.js';
import { sharedPath } from '../helpers/shared.js';

const MODELS = sharedPath('models');
const scratch = mkdtempSync(join(tmpdir(), 'arcface-registry-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const emptyHome = join(scratch, 'empty-home');
const shared: ModelLocations = { home: emptyHome, dirs: [MODELS] };

/** Every staged file in the shared models folder, with the registry entry it must match. */
const STAGED: readonly [string, string][] = [
  ['yunet-n', 'yunet_n_dynamic.onnx'],
  ['yunet-s', 'yunet_s_dynamic.onnx'],
  ['yunet-2023mar', 'face_detection_yunet_2023mar.onnx'],
  ['scrfd-500m', 'det_500m.onnx'],
  ['scrfd-2.5g', 'det_2.5g.onnx'],
  ['retinaface-mnet025', 'retinaface_mbnet0.25.onnx'],
  ['w600k-mbf-int8', 'w600k_mbf_int8.onnx'],
  ['arcface-mbf-luxonis', 'arcface-mbf-luxonis.tar.xz'],
];

describe('known models', () => {
  it('has every required name, unique names and file names, and well-formed checksums', () => {
    const detectors = ['yunet-n', 'yunet-s', 'yunet-2023mar', 'scrfd-500m', 'scrfd-2.5g', 'scrfd-10g', 'retinaface-mnet025'];
    const required = [...detectors, 'w600k-mbf-int8', 'w600k-mbf', 'w600k-r50', 'glintr100', 'arcface-mbf-luxonis', 'arcface-luxonis'];
    for (const name of required) assert.ok(findKnownModel(name), `missing ${name}`);
    assert.equal(new Set(KNOWN_MODELS.map((m) => m.name)).size, KNOWN_MODELS.length);
    assert.equal(new Set(KNOWN_MODELS.map((m) => m.fileName)).size, KNOWN_MODELS.length);
    for (const m of KNOWN_MODELS) {
      if (m.sha256 !== undefined) assert.match(m.sha256, /^[0-9a-f]{64}$/, m.name);
      assert.ok(m.licence.url.startsWith('https://'), m.name);
      for (const s of m.sources) {
        assert.ok(s.url.startsWith('https://'), `${m.name}: ${s.url}`);
        if (s.kind === 'zip-entry') assert.match(s.archiveSha256 ?? '', /^[0-9a-f]{64}$/, `${m.name}: ${s.url}`);
      }
      if (m.threshold !== undefined) assert.equal(m.task, 'recognizer');
    }
    assert.ok(Object.isFrozen(KNOWN_MODELS) && Object.isFrozen(KNOWN_MODELS[0]));
  });

  it('records the size and SHA-256 of every staged file exactly', async () => {
    for (const [name, file] of STAGED) {
      const model = findKnownModel(name);
      assert.ok(model);
      assert.equal(model.fileName, file);
      const path = join(MODELS, file);
      assert.equal(statSync(path).size, model.size, `${name} size`);
      assert.equal(await sha256File(path), model.sha256, `${name} sha256`);
    }
  });

  it('records the LFW-calibrated threshold of the staged recogniser and its NN Archive twin', () => {
    for (const name of ['w600k-mbf-int8', 'arcface-mbf-luxonis']) {
      const t = findKnownModel(name)?.threshold;
      assert.equal(t?.cosine, 0.249, name);
      assert.equal(t?.far, 1e-3, name);
      assert.match(t?.source ?? '', /LFW View-2/);
    }
  });

  it('finds models by file name and by checksum', () => {
    assert.equal(findKnownModelByFileName('/x/y/det_500m.onnx')?.name, 'scrfd-500m');
    assert.equal(findKnownModelBySha256('7CAA7FB0AD6C37B33E6C59F6411084B487AAABD596BBA645D2CCE391A5871120')?.name, 'w600k-mbf-int8');
    assert.equal(findKnownModel('nope'), undefined);
  });
});

describe('resolveModelPath', () => {
  it('resolves every staged model by name from ARCFACE_MODELS folders', () => {
    for (const [name, file] of STAGED) assert.equal(resolveModelPath(name, shared), join(MODELS, file));
  });

  it('resolves a bare known file name and returns an existing path as is', () => {
    assert.equal(resolveModelPath('det_2.5g.onnx', shared), join(MODELS, 'det_2.5g.onnx'));
    assert.equal(resolveModelPath(join(MODELS, 'yunet_n_dynamic.onnx'), shared), join(MODELS, 'yunet_n_dynamic.onnx'));
  });

  it('searches dirs before home, and home when dirs lack the file', () => {
    const home = join(scratch, 'home-order');
    const dir = join(scratch, 'dir-order');
    for (const d of [home, dir]) writeFileSync(join(mkd(d), 'custom.onnx'), d);
    assert.equal(resolveModelPath('custom.onnx', { home, dirs: [dir] }), join(dir, 'custom.onnx'));
    assert.equal(resolveModelPath('custom.onnx', { home, dirs: [emptyHome] }), join(home, 'custom.onnx'));
    copyFileSync(join(MODELS, 'yunet_s_dynamic.onnx'), join(home, 'yunet_s_dynamic.onnx'));
    assert.equal(resolveModelPath('yunet-s', { home, dirs: [] }), join(home, 'yunet_s_dynamic.onnx'));
  });

  it('throws MODEL_UNKNOWN_NAME listing the known names', () => {
    assert.throws(
      () => resolveModelPath('scrfd-3.5g', shared),
      (e) => isArcFaceError(e, 'MODEL_UNKNOWN_NAME'),
    );
    assert.throws(
      () => resolveModelPath('arcface-xl', shared),
      (e) => isArcFaceError(e, 'MODEL_UNKNOWN_NAME') && e.message.includes('arcface-xl') && e.message.includes('w600k-mbf-int8') && e.exitCode === 3,
    );
  });

  it('throws MODEL_NOT_FOUND saying where it looked and how to pull or add the file', () => {
    assert.throws(
      () => resolveModelPath('w600k-r50', shared),
      (e) =>
        isArcFaceError(e, 'MODEL_NOT_FOUND') &&
        e.message.includes(MODELS) &&
        e.message.includes(emptyHome) &&
        e.message.includes('arcface models pull w600k-r50') &&
        e.message.includes('arcface models add FILE') &&
        e.message.includes('ARCFACE_MODELS'),
    );
    assert.throws(
      () => resolveModelPath('arcface-luxonis', shared),
      (e) => isArcFaceError(e, 'MODEL_NOT_FOUND') && !e.message.includes('models pull') && e.message.includes('arcface models add FILE'),
    );
    assert.throws(
      () => resolveModelPath(join(scratch, 'nowhere', 'm.onnx'), shared),
      (e) => isArcFaceError(e, 'MODEL_NOT_FOUND'),
    );
    assert.throws(
      () => resolveModelPath('missing-custom.onnx', shared),
      (e) => isArcFaceError(e, 'MODEL_NOT_FOUND'),
    );
  });

  it('searches dirs only when no home is set', () => {
    assert.equal(resolveModelPath('yunet-n', { home: '', dirs: [MODELS] }), join(MODELS, 'yunet_n_dynamic.onnx'));
    assert.equal(resolveModelPath(join(MODELS, 'det_500m.onnx'), { home: '', dirs: [] }), join(MODELS, 'det_500m.onnx'));
    assert.throws(
      () => resolveModelPath('yunet-n', { home: '', dirs: [] }),
      (e) => isArcFaceError(e, 'MODEL_NOT_FOUND') && e.message.includes('(no folders)'),
    );
    assert.equal(listModels({ home: '', dirs: [] }).filter((r) => r.status !== 'missing').length, 0);
  });

  it('skips a copy of the wrong size and says so when no other copy exists', () => {
    const home = mkd(join(scratch, 'home-truncated'));
    writeFileSync(join(home, 'det_500m.onnx'), Buffer.alloc(1000));
    assert.equal(resolveModelPath('scrfd-500m', { home, dirs: [MODELS] }), join(MODELS, 'det_500m.onnx'));
    assert.throws(
      () => resolveModelPath('scrfd-500m', { home, dirs: [] }),
      (e) => isArcFaceError(e, 'MODEL_CHECKSUM_MISMATCH') && e.message.includes('2524817'),
    );
  });

  it('rejects invalid parameters', () => {
    assert.throws(
      () => resolveModelPath('', shared),
      (e) => isArcFaceError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(
      () => resolveModelPath(42 as unknown as string, shared),
      (e) => isArcFaceError(e, 'INVALID_ARGUMENT'),
    );
    assert.throws(() => resolveModelPath('yunet-n', null as unknown as ModelLocations), TypeError);
    assert.throws(() => validateModelLocations({ home: 7, dirs: [] }), /Expected a string for locations.home but received 7/);
    assert.throws(() => listModels({ home: '/x', dirs: [''] }), TypeError);
    assert.throws(() => licenceNoticeOnce('w600k-mbf', undefined as unknown as ModelLocations), TypeError);
    assert.throws(() => validateModelLocations({ home: '/x', dirs: 'a:b' }), /Expected an array of non-empty strings for locations.dirs but received "a:b"/);
  });
});

describe('listModels', () => {
  it('lists every known model with where it was found and its size, then other model files', () => {
    const home = mkd(join(scratch, 'home-list'));
    writeFileSync(join(home, 'my-model.onnx'), 'x');
    writeFileSync(join(home, '.half.onnx.1234.part'), 'x');
    writeFileSync(join(home, 'notes.txt'), 'x');
    const rows = listModels({ home, dirs: [MODELS] });
    assert.equal(rows.filter((r) => r.known).length, KNOWN_MODELS.length);
    for (const [name, file] of STAGED) {
      const row = rows.find((r) => r.name === name);
      assert.equal(row?.status, 'found');
      assert.equal(row?.path, join(MODELS, file));
      assert.equal(row?.size, statSync(join(MODELS, file)).size);
    }
    assert.equal(rows.find((r) => r.name === 'glintr100')?.status, 'missing');
    assert.equal(rows.find((r) => r.name === 'glintr100')?.nonCommercial, true);
    const others = rows.filter((r) => !r.known);
    assert.deepEqual(
      others.map((r) => r.fileName),
      ['my-model.onnx'],
    );
  });

  it('flags a known file of the wrong size', () => {
    const home = mkd(join(scratch, 'home-list-bad'));
    writeFileSync(join(home, 'w600k_mbf.onnx'), Buffer.alloc(10));
    const row = listModels({ home, dirs: [] }).find((r) => r.name === 'w600k-mbf');
    assert.equal(row?.status, 'size-mismatch');
    assert.equal(row?.expectedSize, 13_616_099);
  });
});

describe('licence notice', () => {
  it('is returned once per non-commercial model per home folder, never for free models', () => {
    const home = mkd(join(scratch, 'home-licence'));
    const loc = { home, dirs: [] };
    const first = licenceNoticeOnce('w600k-mbf-int8', loc);
    assert.ok(first?.includes('non-commercial'));
    assert.ok(first?.includes('w600k-mbf-int8'));
    assert.equal(licenceNoticeOnce('w600k-mbf-int8', loc), undefined);
    assert.ok(existsSync(join(home, LICENCE_MARKER_DIR, 'w600k-mbf-int8')));
    assert.ok(licenceNoticeOnce(join(MODELS, 'det_500m.onnx'), loc)?.includes('scrfd-500m'));
    assert.equal(licenceNoticeOnce('scrfd-500m', loc), undefined);
    assert.equal(licenceNoticeOnce('yunet-n', loc), undefined);
    assert.equal(licenceNoticeOnce('/somewhere/custom.onnx', loc), undefined);
    const other = mkd(join(scratch, 'home-licence-2'));
    assert.ok(licenceNoticeOnce('w600k-mbf-int8', { home: other, dirs: [] }));
    assert.equal(readdirSync(join(home, LICENCE_MARKER_DIR)).length, 2);
    assert.ok(licenceNoticeOnce('w600k-mbf-int8', { home: '', dirs: [] }));
    assert.ok(licenceNoticeOnce('w600k-mbf-int8', { home: '', dirs: [] }));
  });

  it('gives the notice text only for non-commercial models', () => {
    assert.equal(licenceNotice(findKnownModel('retinaface-mnet025')!), undefined);
    assert.match(licenceNotice(findKnownModel('glintr100')!) ?? '', /may not be used commercially/);
  });
});

function mkd(dir: string): string {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

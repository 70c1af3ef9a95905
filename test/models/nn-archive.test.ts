import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { readModelSource } from '../../src/models/model-source.js';
import { parseArchiveConfig } from '../../src/models/nn-archive.js';
import { readTarFiles } from '../../src/models/tar.js';
import { writeArchive } from '../helpers/archives.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';

const dir = testOutputDir('nn-archive');
const shipped = await readTarFiles(await readFile(sharedPath('models', 'arcface-mbf-luxonis.tar.xz')));
const config = JSON.parse(new TextDecoder().decode(shipped.get('config.json'))) as Record<string, unknown>;
const onnx = shipped.get('arcface-mbf-luxonis.onnx') as Uint8Array;
const clone = (): {
  config_version: string;
  model: Record<string, unknown> & { metadata: Record<string, unknown>; inputs: Record<string, unknown>[]; heads: Record<string, unknown>[] };
} => JSON.parse(JSON.stringify(config));

describe('NN Archive reader', () => {
  it('reads the staged Luxonis archive with its exact preprocessing', async () => {
    const src = await readModelSource(sharedPath('models', 'arcface-mbf-luxonis.tar.xz'));
    assert.equal(src.kind, 'nn-archive');
    assert.equal(src.archive?.spec.channelOrder, 'BGR');
    assert.equal(src.archive?.spec.layout, 'NCHW');
    assert.deepEqual(src.archive?.spec.mean, [0, 0, 0]);
    assert.deepEqual(src.archive?.spec.std, [1, 1, 1]);
    assert.equal(src.archive?.spec.inputName, 'images');
    assert.equal(src.archive?.spec.outputName, 'output');
    assert.equal(src.archive?.spec.embeddingSize, 512);
  });

  it('reads the same archive as .tar.gz and plain .tar', async () => {
    for (const c of ['gzip', 'none'] as const) {
      const p = await writeArchive(
        dir,
        `ok-${c}.tar${c === 'gzip' ? '.gz' : ''}`,
        { 'config.json': JSON.stringify(config), 'arcface-mbf-luxonis.onnx': onnx },
        c,
      );
      const src = await readModelSource(p);
      assert.equal(src.archive?.spec.channelOrder, 'BGR');
    }
  });

  it('honours dai_type RGB888i and reverse_channels', () => {
    const c = clone();
    const pre = (c.model.inputs[0] as { preprocessing: Record<string, unknown> }).preprocessing;
    pre.dai_type = 'RGB888p';
    assert.equal(parseArchiveConfig(c, new Set(['arcface-mbf-luxonis.onnx'])).spec.channelOrder, 'RGB');
    delete pre.dai_type;
    pre.reverse_channels = true;
    assert.equal(parseArchiveConfig(c, new Set(['arcface-mbf-luxonis.onnx'])).spec.channelOrder, 'RGB');
    pre.reverse_channels = false;
    assert.equal(parseArchiveConfig(c, new Set(['arcface-mbf-luxonis.onnx'])).spec.channelOrder, 'BGR');
  });

  it('refuses an unknown config version', () => {
    const c = clone();
    c.config_version = '9.9';
    assert.throws(() => parseArchiveConfig(c, new Set(['arcface-mbf-luxonis.onnx'])), { code: 'ARCHIVE_UNSUPPORTED_VERSION' });
  });

  it('refuses a missing model file, naming what the archive holds', async () => {
    const p = await writeArchive(dir, 'missing-model.tar.gz', { 'config.json': JSON.stringify(config) }, 'gzip');
    await assert.rejects(readModelSource(p), (e: Error & { code?: string }) => e.code === 'ARCHIVE_INVALID' && /arcface-mbf-luxonis\.onnx/.test(e.message));
  });

  it('refuses device-only models (.blob, .dlc) and says an ONNX variant is needed', () => {
    for (const ext of ['blob', 'dlc']) {
      const c = clone();
      c.model.metadata.path = `model.${ext}`;
      assert.throws(
        () => parseArchiveConfig(c, new Set([`model.${ext}`])),
        (e: Error & { code?: string }) => e.code === 'MODEL_UNSUPPORTED_FORMAT' && /ONNX/.test(e.message) && /device/.test(e.message),
      );
    }
  });

  it('refuses an archive without config.json, a corrupt archive and bad JSON', async () => {
    const noConfig = await writeArchive(dir, 'no-config.tar.xz', { 'model.onnx': onnx }, 'xz');
    await assert.rejects(readModelSource(noConfig), { code: 'ARCHIVE_INVALID' });
    const full = await readFile(sharedPath('models', 'arcface-mbf-luxonis.tar.xz'));
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/truncated.tar.xz`, full.subarray(0, 5000));
    await assert.rejects(readModelSource(`${dir}/truncated.tar.xz`), { code: 'ARCHIVE_INVALID' });
    const badJson = await writeArchive(dir, 'bad-json.tar', { 'config.json': '{ not json', 'm.onnx': onnx }, 'none');
    await assert.rejects(readModelSource(badJson), { code: 'ARCHIVE_INVALID' });
  });

  it('refuses a detector archive (wrong head parser) and malformed fields', () => {
    const c = clone();
    c.model.heads[0]!.parser = 'YOLO';
    assert.throws(() => parseArchiveConfig(c, new Set(['arcface-mbf-luxonis.onnx'])), { code: 'MODEL_CONTRACT_MISMATCH' });
    const d = clone();
    (d.model.inputs[0] as { shape: unknown }).shape = [1, 3, 112, 96];
    assert.throws(() => parseArchiveConfig(d, new Set(['arcface-mbf-luxonis.onnx'])), { code: 'MODEL_CONTRACT_MISMATCH' });
    const e = clone();
    (e.model.inputs[0] as { preprocessing: Record<string, unknown> }).preprocessing.mean = [1, 2];
    assert.throws(() => parseArchiveConfig(e, new Set(['arcface-mbf-luxonis.onnx'])), { code: 'ARCHIVE_INVALID' });
    assert.throws(() => parseArchiveConfig({ config_version: '1.0' }, new Set()), { code: 'ARCHIVE_INVALID' });
  });
});

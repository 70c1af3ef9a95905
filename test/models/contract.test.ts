import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Embedder } from '../../src/embed/index.js';
import { sharedPath } from '../helpers/shared.js';

const model = sharedPath('models', 'w600k_mbf_int8.onnx');

describe('model contract checked at load', () => {
  it('infers the InsightFace contract from a plain ONNX file', async () => {
    const e = await Embedder.create(model);
    try {
      const s = e.model.spec;
      assert.equal(e.model.source, 'onnx-inferred');
      assert.deepEqual(
        [s.inputName, s.outputName, s.layout, s.channelOrder, s.inputSize, s.embeddingSize, s.batch],
        ['input.1', '516', 'NCHW', 'RGB', 112, 512, 'dynamic'],
      );
      assert.deepEqual(s.mean, [127.5, 127.5, 127.5]);
      assert.match(e.fingerprint, /^sha256:7caa7fb0ad6c/);
    } finally {
      await e.dispose();
    }
  });

  it('treats the archive’s ONNX as self-normalising (Sub then Div) when loaded bare', async () => {
    const { readTarFiles } = await import('../../src/models/tar.js');
    const { readOnnxNodes, graphNormalisesInput, graphReordersChannels } = await import('../../src/models/onnx-graph.js');
    const { readFile } = await import('node:fs/promises');
    const files = await readTarFiles(await readFile(sharedPath('models', 'arcface-mbf-luxonis.tar.xz')));
    const nodes = readOnnxNodes(files.get('arcface-mbf-luxonis.onnx')!, 8);
    assert.equal(graphNormalisesInput(nodes), true);
    assert.equal(graphReordersChannels(nodes), true);
  });

  for (const [label, spec, pattern] of [
    ['a wrong input name', { inputName: 'data' }, /input named "data"/],
    ['a wrong output name', { outputName: 'fc1' }, /output named "fc1"/],
    ['a wrong input size', { inputSize: 128 }, /height 128/],
    ['a wrong layout', { layout: 'NHWC' as const }, /3 channels in NHWC/],
    ['a wrong embedding size', { embeddingSize: 256 }, /embedding size 256/],
  ] as const) {
    it(`refuses ${label} with MODEL_CONTRACT_MISMATCH`, async () => {
      await assert.rejects(Embedder.create(model, { spec }), (e: Error & { code?: string }) => e.code === 'MODEL_CONTRACT_MISMATCH' && pattern.test(e.message));
    });
  }

  it('refuses missing, empty, non-ONNX and device-only files', async () => {
    await assert.rejects(Embedder.create('/nonexistent/model.onnx'), { code: 'MODEL_NOT_FOUND' });
    await assert.rejects(Embedder.create('model.blob'), { code: 'MODEL_UNSUPPORTED_FORMAT' });
    const { writeFile, mkdir } = await import('node:fs/promises');
    const { testOutputDir } = await import('../helpers/shared.js');
    const dir = testOutputDir('contract');
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}/empty.onnx`, '');
    await assert.rejects(Embedder.create(`${dir}/empty.onnx`), { code: 'MODEL_INVALID' });
    await writeFile(`${dir}/text.onnx`, 'this is not a model');
    await assert.rejects(Embedder.create(`${dir}/text.onnx`), { code: 'MODEL_INVALID' });
    await writeFile(`${dir}/weights.pth`, 'x');
    await assert.rejects(Embedder.create(`${dir}/weights.pth`), { code: 'MODEL_UNSUPPORTED_FORMAT' });
  });

  it('accepts an explicit, consistent spec', async () => {
    const e = await Embedder.create(model, { spec: { channelOrder: 'BGR', mean: 127.5, std: 127.5 } });
    try {
      assert.equal(e.model.spec.channelOrder, 'BGR');
      assert.equal(e.model.source, 'explicit');
    } finally {
      await e.dispose();
    }
  });
});

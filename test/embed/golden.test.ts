import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { cosine } from '../../src/core/index.js';
import { Embedder } from '../../src/embed/index.js';
import { decodeImage } from '../../src/image/index.js';
import { sharedPath } from '../helpers/shared.js';

interface GoldenCase {
  crop: string;
  raw_norm: number;
  embedding: number[];
}
const golden = JSON.parse(await readFile(sharedPath('golden', 'embeddings-w600k_mbf_int8.json'), 'utf8')) as { cases: GoldenCase[] };
const crops = await Promise.all(golden.cases.map(async (c) => decodeImage(await readFile(sharedPath(c.crop)))));

for (const [label, file] of [
  ['InsightFace ONNX (RGB, (x−127.5)/127.5)', 'w600k_mbf_int8.onnx'],
  ['Luxonis NN Archive (BGR 0..255)', 'arcface-mbf-luxonis.tar.xz'],
] as const) {
  describe(`golden embeddings from ${label}`, () => {
    let embedder: Embedder;
    before(async () => {
      embedder = await Embedder.create(sharedPath('models', file), { batchSize: 8 });
    });
    after(async () => embedder.dispose());

    it(`reproduces all ${golden.cases.length} cases with cosine ≥ 0.9999`, async () => {
      assert.ok(golden.cases.length >= 20);
      const got = await embedder.embed(crops);
      const worst = Math.min(...got.map((e, i) => cosine(e, (golden.cases[i] as GoldenCase).embedding)));
      for (const [i, e] of got.entries()) {
        const c = cosine(e, (golden.cases[i] as GoldenCase).embedding);
        assert.ok(c >= 0.9999, `case ${i}: cosine ${c.toFixed(6)} < 0.9999`);
        assert.ok(Math.abs(Math.hypot(...e) - 1) < 1e-5, 'unit length');
      }
      assert.ok(worst >= 0.9999);
    });

    it('gives the same vectors alone as among batch-mates: the dynamically quantised model runs one crop per call', async () => {
      // w600k_mbf_int8 computes one activation scale per batch (DynamicQuantizeLinear), so it is not batch-exact.
      assert.equal(embedder.model.batchExact, false);
      assert.equal(embedder.batchSize, 1);
      const alone = await Promise.all([0, 1, 2].map(async (i) => (await embedder.embed([crops[i]!]))[0]!));
      const among = await embedder.embed(crops.slice(0, 9));
      for (let i = 0; i < 3; i++) assert.deepEqual(Array.from(among[i]!), Array.from(alone[i]!), `crop ${i}`);
      // Batched anyway, the same crops come out different: the reason for running one per call.
      const inexact = await Embedder.create(sharedPath('models', file), { batchSize: 9, allowInexactBatching: true });
      try {
        assert.equal(inexact.batchSize, 9);
        const batched = await inexact.embed(crops.slice(0, 9));
        const worst = Math.min(...[0, 1, 2].map((i) => cosine(batched[i]!, alone[i]!)));
        assert.ok(worst < 0.9999 && worst > 0.9, `cosine of batched against alone: ${worst}`);
      } finally {
        await inexact.dispose();
      }
    });

    it('reports the raw norm of the reference', async () => {
      const [raw] = await embedder.embedRaw(crops.slice(0, 1));
      const norm = Math.hypot(...(raw as Float32Array));
      assert.ok(Math.abs(norm - (golden.cases[0] as GoldenCase).raw_norm) / (golden.cases[0] as GoldenCase).raw_norm < 1e-3, `norm ${norm}`);
    });
  });
}

describe('flip augmentation', () => {
  it('is the normalised sum of the crop and mirror embeddings', async () => {
    const e = await Embedder.create(sharedPath('models', 'w600k_mbf_int8.onnx'), { flip: true });
    const plain = await Embedder.create(sharedPath('models', 'w600k_mbf_int8.onnx'));
    try {
      const crop = crops[0]!;
      const mirror = { ...crop, data: new Uint8Array(crop.data.length) };
      for (let y = 0; y < crop.height; y++)
        for (let x = 0; x < crop.width; x++)
          for (let c = 0; c < 3; c++) mirror.data[(y * crop.width + x) * 3 + c] = crop.data[(y * crop.width + (crop.width - 1 - x)) * 3 + c]!;
      const [a, b] = await plain.embedRaw([crop, mirror]);
      const sum = a!.map((v, i) => v + b![i]!);
      const [flipped] = await e.embed([crop]);
      assert.ok(cosine(flipped!, sum) > 0.99999);
      const [unflipped] = await plain.embed([crop]);
      assert.ok(cosine(flipped!, unflipped!) < 0.99999, 'flip must change the embedding');
    } finally {
      await e.dispose();
      await plain.dispose();
    }
  });
});

describe('dynamic int8 quantisation and batching', () => {
  it('runs one crop per call by default, because batch-mates change each other’s embedding', async () => {
    const exact = await Embedder.create(sharedPath('models', 'w600k_mbf_int8.onnx'), { batchSize: 8 });
    const inexact = await Embedder.create(sharedPath('models', 'w600k_mbf_int8.onnx'), { batchSize: 8, allowInexactBatching: true });
    try {
      assert.equal(exact.model.batchExact, false);
      assert.equal(exact.batchSize, 1);
      assert.equal(inexact.batchSize, 8);
      const [alone] = await exact.embed(crops.slice(0, 1));
      const [batched] = await inexact.embed(crops.slice(0, 8));
      const c = cosine(alone!, batched!);
      assert.ok(c < 0.9999, `batched cosine ${c} should show the coupling`);
      assert.ok(c > 0.9, `batched cosine ${c} should still be the same face`);
    } finally {
      await exact.dispose();
      await inexact.dispose();
    }
  });
});

describe('Embedder invalid parameters', () => {
  it('rejects bad options and bad crops with clear errors', async () => {
    await assert.rejects(Embedder.create(sharedPath('models', 'w600k_mbf_int8.onnx'), { batchSize: 0 }), RangeError);
    await assert.rejects(Embedder.create(sharedPath('models', 'w600k_mbf_int8.onnx'), { flip: 'yes' as unknown as boolean }), TypeError);
    const e = await Embedder.create(sharedPath('models', 'w600k_mbf_int8.onnx'));
    try {
      await assert.rejects(e.embed([{ width: 100, height: 100, data: new Uint8Array(30000) }]), { code: 'INVALID_ARGUMENT' });
      await assert.rejects(e.embed([{ width: 112, height: 112, data: new Uint8Array(10) }]), TypeError);
      assert.deepEqual(await e.embed([]), []);
    } finally {
      await e.dispose();
    }
  });
});

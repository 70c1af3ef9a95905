import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { normCrop } from '../src/align/index.js';
import type { Landmarks5 } from '../src/core/index.js';
import { channelCoefficients, Embedder, writeCrop } from '../src/embed/index.js';
import { decodeImage } from '../src/image/index.js';
import { ModelSession } from '../src/runtime/index.js';
import { fmt, interleave, median } from './stats.js';

interface AlignCase {
  image: string;
  landmarks: [number, number][];
}

/**
 * Embedding throughput through the Embedder against a raw session run on the same prepared tensor,
 * at batch 1 and 8, and the cost of alignment + preprocessing per face.
 */
export async function benchEmbed(shared: string, rounds = 15): Promise<void> {
  const modelPath = join(shared, 'models', 'w600k_mbf_int8.onnx');
  const cases = (JSON.parse(await readFile(join(shared, 'golden', 'align', 'cases.json'), 'utf8')) as { cases: AlignCase[] }).cases.slice(0, 8);
  const images = await Promise.all(cases.map(async (c) => decodeImage(await readFile(join(shared, c.image)))));
  const crops = cases.map((c, i) => normCrop(images[i]!, c.landmarks as unknown as Landmarks5).crop);
  const exact = await Embedder.create(modelPath);
  const batched = await Embedder.create(modelPath, { batchSize: 8, allowInexactBatching: true });
  const raw = await ModelSession.create(exact.model.modelPath);
  const spec = exact.model.spec;
  const k = channelCoefficients(spec);
  const tensor = (n: number): Float32Array => {
    const t = new Float32Array(n * 3 * 112 * 112);
    for (let i = 0; i < n; i++) writeCrop(t, i, crops[i]!, spec, k, false);
    return t;
  };
  const t1 = tensor(1);
  const t8 = tensor(8);
  const run = (t: Float32Array, n: number) => raw.run({ [spec.inputName]: { data: t, dims: [n, 3, 112, 112] } });
  const r = await interleave(
    {
      'raw b1': () => run(t1, 1),
      'embedder b1': () => exact.embed(crops.slice(0, 1)),
      'raw 8×b1': async () => {
        for (let i = 0; i < 8; i++) await run(t1, 1);
      },
      'embedder 8 (exact, 1/run)': () => exact.embed(crops),
      'raw b8': () => run(t8, 8),
      'embedder b8 (batched)': () => batched.embed(crops),
    },
    rounds,
  );
  const fps = (ms: number, n: number): number => (1000 * n) / ms;
  console.log('\n## Embedding throughput (w600k_mbf_int8, medians of interleaved runs)');
  console.log('| path | ms/call | faces/s |');
  console.log('|---|---:|---:|');
  for (const [name, ms] of Object.entries(r)) console.log(`| ${name} | ${fmt(ms)} | ${fmt(fps(ms, name.includes('8') ? 8 : 1), 1)} |`);
  console.log(`ratio embedder/raw at batch 1: ${(r['raw b1']! / r['embedder b1']!).toFixed(3)} (goal ≥ 0.95)`);
  console.log(
    `ratio embedder/raw for 8 faces one per run (the exact path for this int8 model): ${(r['raw 8×b1']! / r['embedder 8 (exact, 1/run)']!).toFixed(3)} (goal ≥ 0.95)`,
  );
  console.log(`ratio embedder/raw at batch 8 (batched, inexact for dynamic int8): ${(r['raw b8']! / r['embedder b8 (batched)']!).toFixed(3)} (goal ≥ 0.95)`);

  const alignTimes: number[] = [];
  const prepTimes: number[] = [];
  const out = new Float32Array(3 * 112 * 112);
  for (let rep = 0; rep < 40; rep++) {
    for (const [i, c] of cases.entries()) {
      const t0 = performance.now();
      const { crop } = normCrop(images[i]!, c.landmarks as unknown as Landmarks5);
      const t1b = performance.now();
      writeCrop(out, 0, crop, spec, k, false);
      const t2 = performance.now();
      alignTimes.push(t1b - t0);
      prepTimes.push(t2 - t1b);
    }
  }
  const alignUs = median(alignTimes) * 1000;
  const prepUs = median(prepTimes) * 1000;
  const embedUs = r['embedder b1']! * 1000;
  console.log(
    `alignment (similarity + 112² bilinear warp): ${alignUs.toFixed(1)} µs/face; preprocessing (layout, order, mean/std): ${prepUs.toFixed(1)} µs/face`,
  );
  console.log(
    `alignment + preprocessing = ${(((alignUs + prepUs) / embedUs) * 100).toFixed(2)} % of the embedding time (${embedUs.toFixed(0)} µs) (goal < 3 %)`,
  );
  await Promise.all([exact.dispose(), batched.dispose(), raw.dispose()]);
}

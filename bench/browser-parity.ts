import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cosine } from '../src/core/index.js';
import { embedCentralFace, kFoldVerification, lfwImagePath, readLfwPairs, squaredL2, uniqueLfwImages } from '../src/eval/index.js';
import { FaceRecognizer } from '../src/pipeline/index.js';
import { startDeviceHarness } from '../test/web/device-harness.js';

/**
 * `npm run bench -- browser-parity [--folds 2]`: the same LFW folds through the browser bundle in
 * Chromium (onnxruntime-web, WASM) and through the package in Node.js, side by side: accuracy per fold
 * in each, pairs whose decision differs, and the cosine between the two embeddings of every image.
 * The golden crops and the detection checks stay tests (test/web/on-device); this long run is here.
 */
export async function benchBrowserParity(options: { shared: string; folds: number; log: (line: string) => void }): Promise<void> {
  const { shared, folds, log } = options;
  const protocol = await readLfwPairs(join(shared, 'data', 'faces', 'lfw-deepfunneled', 'pairs.txt'));
  const pairs = protocol.pairs.filter((p) => p.fold < folds);
  const images = uniqueLfwImages(pairs).map(lfwImagePath);
  const h = await startDeviceHarness();
  const node = await FaceRecognizer.create({ locations: { home: '', dirs: [join(shared, 'models')] } });
  try {
    const { page } = await h.open('/');
    const started = performance.now();
    // The page and Node.js work at the same time, each on one core.
    const browserRun = page.evaluate(async (list) => {
      const bundle = '/arcface/arcface.js';
      const af = (await import(bundle)) as {
        FaceRecognizer: { create(o: { modelBaseUrl: string }): Promise<unknown> };
        embedCentralFace(r: unknown, b: Uint8Array): Promise<{ embedding: Float32Array }>;
      };
      const fr = await af.FaceRecognizer.create({ modelBaseUrl: '/models' });
      const out: number[][] = [];
      const t0 = performance.now();
      for (const f of list) {
        const bytes = new Uint8Array(await (await fetch(`/lfw/${f}`)).arrayBuffer());
        out.push(Array.from((await af.embedCentralFace(fr, bytes)).embedding));
      }
      return { out, ms: performance.now() - t0 };
    }, images);
    const t0 = performance.now();
    const nodeEmb: Float32Array[] = [];
    for (const f of images) nodeEmb.push((await embedCentralFace(node, await readFile(join(shared, 'data', 'faces', 'lfw-deepfunneled', f)))).embedding);
    const nodeMs = performance.now() - t0;
    const browser = await browserRun;
    const browserEmb = browser.out.map((e) => Float32Array.from(e));
    const index = new Map(images.map((f, i) => [f, i]));
    const at = (list: readonly Float32Array[], ref: Parameters<typeof lfwImagePath>[0]): Float32Array =>
      list[index.get(lfwImagePath(ref)) as number] as Float32Array;
    const same = pairs.map((p) => p.same);
    const ranges = Array.from({ length: folds }, (_, i) => [i * 600, (i + 1) * 600] as const);
    const b = kFoldVerification(
      pairs.map((p) => squaredL2(at(browserEmb, p.a), at(browserEmb, p.b))),
      same,
      { ranges },
    );
    const n = kFoldVerification(
      pairs.map((p) => squaredL2(at(nodeEmb, p.a), at(nodeEmb, p.b))),
      same,
      { ranges },
    );
    const cosines = images.map((_, i) => cosine(browserEmb[i] as Float32Array, nodeEmb[i] as Float32Array)).sort((x, y) => x - y);
    log(`\n## Browser parity: ${pairs.length} LFW pairs (${folds} folds), ${images.length} images, Chromium and Node.js at once`);
    log('| fold | browser accuracy | Node.js accuracy | pairs apart |');
    log('|---:|---:|---:|---:|');
    b.folds.forEach((f, i) => {
      const nf = n.folds[i]?.accuracy ?? Number.NaN;
      log(`| ${i} | ${(f.accuracy * 100).toFixed(2)} % | ${(nf * 100).toFixed(2)} % | ${Math.round(Math.abs(f.accuracy - nf) * 600)} |`);
    });
    log(
      `cosine between an image's browser and Node.js embeddings: least ${cosines[0]?.toFixed(4)}, median ${cosines[Math.floor(cosines.length / 2)]?.toFixed(5)}`,
    );
    const wall = ((performance.now() - started) / 1000).toFixed(0);
    log(
      `time per image: browser ${(browser.ms / images.length).toFixed(0)} ms, Node.js ${(nodeMs / images.length).toFixed(0)} ms (both running at once; wall ${wall} s)`,
    );
  } finally {
    await node.dispose();
    await h.close();
  }
}

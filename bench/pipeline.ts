import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { normCrop } from '../src/align/index.js';
import { decodeImage, readImageBytes } from '../src/image/index.js';
import { FaceRecognizer, recognizeFiles } from '../src/pipeline/index.js';
import { fmt, median } from './stats.js';

/** The first `n` LFW images, one per person in folder order (a fixed, reproducible set). */
function lfwImages(shared: string, n: number): string[] {
  const root = join(shared, 'data', 'faces', 'lfw-deepfunneled');
  const out: string[] = [];
  for (const person of readdirSync(root).sort()) {
    const dir = join(root, person);
    let files: string[];
    try {
      files = readdirSync(dir)
        .filter((f) => f.endsWith('.jpg'))
        .sort();
    } catch {
      continue;
    }
    if (files[0] !== undefined) out.push(join(dir, files[0]));
    if (out.length === n) break;
  }
  return out;
}

/**
 * Per-stage time of the full pipeline on a 250×250 and a 1920×1080 JPEG, and end-to-end images/s on
 * 200 LFW images against the recogniser-only bound 1000 / (detect ms + embed ms).
 */
export async function benchPipeline(shared: string, rounds = 9): Promise<void> {
  const fr = await FaceRecognizer.create({ locations: { home: '/nonexistent', dirs: [join(shared, 'models')] } });
  const files = lfwImages(shared, 200);
  const small = await readFile(files[0] as string);
  const tiles = await Promise.all(files.slice(0, 12).map((f) => sharp(f).resize(320, 320).toBuffer()));
  const large = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: { r: 40, g: 40, b: 40 } } })
    .composite(tiles.map((input, i) => ({ input, left: 60 + (i % 6) * 300, top: 100 + Math.floor(i / 6) * 450 })))
    .jpeg({ quality: 90 })
    .toBuffer();
  console.log(`\n## Pipeline stages (detector ${fr.detector.name}, recogniser ${fr.recognizerInfo?.name ?? '?'}; medians of ${rounds})`);
  console.log('| image | faces | decode ms | detect ms | align ms/face | embed ms/face | total ms |');
  console.log('|---|---:|---:|---:|---:|---:|---:|');
  for (const [label, bytes] of [
    ['250×250 LFW JPEG', small],
    ['1920×1080 JPEG (12 faces)', large],
  ] as const) {
    const t: Record<string, number[]> = { decode: [], detect: [], align: [], embed: [] };
    let faces = 0;
    for (let r = 0; r < rounds + 1; r++) {
      const t0 = performance.now();
      const img = await decodeImage(bytes);
      const t1 = performance.now();
      const found = await fr.detector.detect(img);
      const t2 = performance.now();
      const crops = found.map((f) => normCrop(img, f.landmarks).crop);
      const t3 = performance.now();
      await fr.embedder.embed(crops);
      const t4 = performance.now();
      if (r === 0) continue;
      faces = found.length;
      t.decode!.push(t1 - t0);
      t.detect!.push(t2 - t1);
      t.align!.push((t3 - t2) / Math.max(1, faces));
      t.embed!.push((t4 - t3) / Math.max(1, faces));
    }
    const m = (k: string): number => median(t[k] as number[]);
    const total = m('decode') + m('detect') + (m('align') + m('embed')) * faces;
    console.log(`| ${label} | ${faces} | ${fmt(m('decode'))} | ${fmt(m('detect'))} | ${fmt(m('align'), 3)} | ${fmt(m('embed'))} | ${fmt(total)} |`);
  }

  const images = await Promise.all(files.map(async (f) => decodeImage(await readImageBytes(f))));
  const detMs: number[] = [];
  const embMs: number[] = [];
  for (const img of images) {
    const t0 = performance.now();
    const found = await fr.detector.detect(img);
    const t1 = performance.now();
    const central = found.slice(0, 1).map((f) => normCrop(img, f.landmarks).crop);
    const t2 = performance.now();
    await fr.embedder.embed(central);
    embMs.push(performance.now() - t2);
    detMs.push(t1 - t0);
  }
  const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
  const boundMs = (sum(detMs) + sum(embMs)) / files.length;
  const t0 = performance.now();
  let n = 0;
  for await (const r of recognizeFiles(fr, files, { select: 'central' })) if (r.result !== undefined) n++;
  const e2eMs = (performance.now() - t0) / files.length;
  console.log(`\n## End to end on ${files.length} LFW images (read + decode + detect + align + embed, decoding prefetched)`);
  const perImage = (ms: number[]): string => (sum(ms) / files.length).toFixed(1);
  console.log(
    `recogniser-only bound: ${(1000 / boundMs).toFixed(1)} images/s (detect ${perImage(detMs)} ms + embed ${perImage(embMs)} ms per image, pre-decoded)`,
  );
  console.log(`end to end: ${(1000 / e2eMs).toFixed(1)} images/s (${n} images with results)`);
  console.log(`ratio end-to-end / bound: ${(boundMs / e2eMs).toFixed(3)} (goal ≥ 0.85)`);
  await fr.dispose();
}

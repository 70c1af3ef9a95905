/**
 * Embeds every face of every LFW photo once, for the open-set identification studies
 * (`scripts/openset-study.ts`) and for calibrating the impostor table: each face's box, detector
 * score, plain embedding and flip embedding (crop + mirror, summed then normalised), plus the fixed
 * central fallback face for photos without a detected face. Minutes on a small CPU: run it niced.
 *
 *   nice -n 10 npx tsx scripts/openset-embed.ts [--variant lfw-deepfunneled] [--detector yunet-n] [--threads 2]
 *
 * Output: .arcface-cache/openset/<variant>-<detector>.jsonl (gitignored), one JSON line per photo,
 * appended as it goes; a re-run resumes after the photos already there.
 */
import { existsSync } from 'node:fs';
import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { contextFromProcess } from '../apps/cli/context.js';
import { normCrop } from '../src/align/index.js';
import type { RgbImage } from '../src/core/index.js';
import { centralFallbackLandmarks } from '../src/eval/index.js';
import { FaceRecognizer } from '../src/pipeline/index.js';

const shared = process.env.ARCFACE_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared');
process.env.ARCFACE_MODELS ??= join(shared, 'models');
const { values } = parseArgs({
  options: {
    variant: { type: 'string', default: 'lfw-deepfunneled' },
    detector: { type: 'string', default: 'yunet-n' },
    threads: { type: 'string', default: '2' },
  },
});
const variant = values.variant as string;
const detector = values.detector as string;
const root = join(shared, 'data', 'faces', variant);
const outDir = resolve(import.meta.dirname, '..', '.arcface-cache', 'openset');
const outPath = join(outDir, `${variant}-${detector}.jsonl`);

function mirror(crop: RgbImage): RgbImage {
  const { width, height, data } = crop;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const s = (y * width + x) * 3;
      const d = (y * width + (width - 1 - x)) * 3;
      out[d] = data[s] as number;
      out[d + 1] = data[s + 1] as number;
      out[d + 2] = data[s + 2] as number;
    }
  }
  return { width, height, data: out };
}

function unit(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s) || 1;
  return v.map((x) => x / n);
}

const b64 = (v: Float32Array): string => Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');

async function main(): Promise<void> {
  const ctx = contextFromProcess();
  const fr = await FaceRecognizer.create({ detector, locations: ctx.locations, runtime: { intraOpThreads: Number(values.threads) } });
  await mkdir(outDir, { recursive: true });
  const done = new Set<string>();
  if (existsSync(outPath)) {
    for (const line of (await readFile(outPath, 'utf8')).split('\n')) {
      if (line.length === 0) continue;
      try {
        done.add((JSON.parse(line) as { rel: string }).rel);
      } catch {
        // a torn last line: embedded again below
      }
    }
  }
  const people = (await readdir(root, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const rels: string[] = [];
  for (const p of people) for (const f of (await readdir(join(root, p))).filter((n) => n.endsWith('.jpg')).sort()) rels.push(`${p}/${f}`);
  const t0 = performance.now();
  let n = 0;
  for (const rel of rels) {
    if (done.has(rel)) continue;
    const image = await fr.decode(new Uint8Array(await readFile(join(root, rel))));
    const { faces } = await fr.detect(image);
    const landmarks = faces.length > 0 ? faces.map((f) => f.landmarks) : [centralFallbackLandmarks(image.width, image.height)];
    const crops = landmarks.map((l) => normCrop(image, l, fr.embedder.inputSize).crop);
    const raw = await fr.embedder.embedRaw(
      crops.flatMap((c) => [c, mirror(c)]),
      false,
    );
    const embedded = crops.map((_, i) => {
      const a = raw[2 * i] as Float32Array;
      const b = raw[2 * i + 1] as Float32Array;
      return { e: b64(unit(a)), ef: b64(unit(a.map((x, j) => x + (b[j] as number)))) };
    });
    const line = {
      rel,
      w: image.width,
      h: image.height,
      faces: faces.map((f, i) => ({ box: f.box.map((x) => Math.round(x * 100) / 100), score: Math.round(f.score * 1e4) / 1e4, ...embedded[i] })),
      ...(faces.length === 0 ? { fallback: embedded[0] } : {}),
    };
    await appendFile(outPath, `${JSON.stringify(line)}\n`);
    n++;
    if (n % 200 === 0) {
      const rate = (n * 1000) / (performance.now() - t0);
      console.error(`${done.size + n}/${rels.length} · ${rate.toFixed(1)} img/s · ETA ${((rels.length - done.size - n) / rate / 60).toFixed(1)} min`);
    }
  }
  await fr.dispose();
  console.error(`done: ${outPath}`);
}

await main();

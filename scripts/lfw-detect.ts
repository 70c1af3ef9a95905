/**
 * Face-detection coverage on LFW: for each detector, the share of images where a face is found near
 * the centre (box centre within 20% of the image size of the image centre), per variant, and how
 * often YuNet-n and SCRFD-500M agree on the five landmarks (max point distance ≤ 10% of the
 * inter-ocular distance). Passes other than `primary` are counted too.
 *
 *   npx tsx scripts/lfw-detect.ts [--limit N] [--detectors yunet-n,scrfd-500m] [--variants lfw,lfw-deepfunneled]
 *                                 [--enlarge] [--no-second-pass] [--no-voting] [--threads 1] [--misses out.json]
 *
 * --limit N samples N images evenly over each variant. Data: shared/data/faces (ARCFACE_SHARED).
 */
import { readdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DetectedFace, RgbImage } from '../src/core/index.js';
import { createFaceDetector, DETECTOR_PRESETS, type FaceDetector } from '../src/detect/index.js';
import { decodeImageFile } from '../src/image/index.js';

/** "Near the centre": the box centre lies within this fraction of the image size from the centre. */
const CENTRE_TOLERANCE = 0.2;
/** Landmarks agree when every point lies within this fraction of the inter-ocular distance. */
const AGREEMENT_TOLERANCE = 0.1;

const { values } = parseArgs({
  options: {
    limit: { type: 'string' },
    detectors: { type: 'string', default: 'yunet-n,yunet-s,yunet-2023mar,scrfd-500m,scrfd-2.5g,retinaface-mnet025' },
    variants: { type: 'string', default: 'lfw-deepfunneled,lfw' },
    enlarge: { type: 'boolean', default: false },
    'no-second-pass': { type: 'boolean', default: false },
    'no-voting': { type: 'boolean', default: false },
    threads: { type: 'string', default: '1' },
    misses: { type: 'string' },
  },
});

const shared = process.env.ARCFACE_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared');
const faces = join(shared, 'data', 'faces');
const modelDir = join(shared, 'models');

async function listImages(variant: string): Promise<string[]> {
  const root = join(faces, variant);
  const people = (await readdir(root, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  const out: string[] = [];
  for (const p of people) {
    for (const f of (await readdir(join(root, p))).sort()) if (f.endsWith('.jpg')) out.push(join(root, p, f));
  }
  return out;
}

function sample<T>(items: T[], limit: number | undefined): T[] {
  if (limit === undefined || limit >= items.length) return items;
  const step = items.length / limit;
  return Array.from({ length: limit }, (_, i) => items[Math.floor(i * step)] as T);
}

function centralFace(img: RgbImage, found: readonly DetectedFace[]): DetectedFace | undefined {
  let best: DetectedFace | undefined;
  let bestD = Number.POSITIVE_INFINITY;
  for (const f of found) {
    const dx = ((f.box[0] + f.box[2]) / 2 - img.width / 2) / img.width;
    const dy = ((f.box[1] + f.box[3]) / 2 - img.height / 2) / img.height;
    if (Math.abs(dx) > CENTRE_TOLERANCE || Math.abs(dy) > CENTRE_TOLERANCE) continue;
    const d = Math.hypot(dx, dy);
    if (d < bestD) {
      bestD = d;
      best = f;
    }
  }
  return best;
}

function landmarkError(a: DetectedFace, b: DetectedFace): number {
  const iod = (f: DetectedFace): number => Math.hypot(f.landmarks[1][0] - f.landmarks[0][0], f.landmarks[1][1] - f.landmarks[0][1]);
  const ref = (iod(a) + iod(b)) / 2;
  let worst = 0;
  for (let k = 0; k < 5; k++) {
    const p = a.landmarks[k as 0] as readonly [number, number];
    const q = b.landmarks[k as 0] as readonly [number, number];
    worst = Math.max(worst, Math.hypot(p[0] - q[0], p[1] - q[1]));
  }
  return worst / ref;
}

const names = (values.detectors ?? '').split(',').filter((n) => n.length > 0);
const variants = (values.variants ?? '').split(',').filter((n) => n.length > 0);
const limit = values.limit === undefined ? undefined : Number(values.limit);
const detectors: FaceDetector[] = [];
for (const n of names) {
  if (DETECTOR_PRESETS[n] === undefined) throw new Error(`unknown detector ${n}`);
  const preset = DETECTOR_PRESETS[n];
  detectors.push(
    await createFaceDetector(
      { kind: preset.kind, modelPath: join(modelDir, preset.file), name: n, enlargeSmall: values.enlarge === true, secondPass: values['no-second-pass'] !== true, voting: values['no-voting'] !== true },
      { intraOpThreads: Number(values.threads) },
    ),
  );
}

const misses: Record<string, string[]> = {};
const disagreements: { file: string; error: number }[] = [];
const started = Date.now();
for (const variant of variants) {
  const files = sample(await listImages(variant), limit);
  const found = new Map<string, number>();
  const passes = new Map<string, Map<string, number>>();
  const ms = new Map<string, number>();
  let agreed = 0;
  let compared = 0;
  for (const [i, file] of files.entries()) {
    const img = await decodeImageFile(file);
    const central = new Map<string, DetectedFace>();
    for (const d of detectors) {
      const t0 = performance.now();
      const f = centralFace(img, await d.detect(img));
      ms.set(d.name, (ms.get(d.name) ?? 0) + performance.now() - t0);
      if (f === undefined) {
        (misses[`${variant}/${d.name}`] ??= []).push(file);
        continue;
      }
      central.set(d.name, f);
      found.set(d.name, (found.get(d.name) ?? 0) + 1);
      const pk = f.pass?.kind ?? 'none';
      const pm = passes.get(d.name) ?? new Map<string, number>();
      pm.set(pk, (pm.get(pk) ?? 0) + 1);
      passes.set(d.name, pm);
    }
    const a = central.get('yunet-n');
    const b = central.get('scrfd-500m');
    if (names.includes('yunet-n') && names.includes('scrfd-500m')) {
      compared++;
      if (a !== undefined && b !== undefined) {
        const e = landmarkError(a, b);
        if (e <= AGREEMENT_TOLERANCE) agreed++;
        else disagreements.push({ file, error: e });
      }
    }
    if ((i + 1) % 500 === 0) console.error(`${variant}: ${i + 1}/${files.length} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  console.log(`\n## ${variant}: ${files.length} images${values.enlarge === true ? ' (enlargeSmall)' : ''}`);
  console.log('| detector | found near centre | % | ms/image | passes |');
  console.log('|---|---|---|---|---|');
  for (const d of detectors) {
    const n = found.get(d.name) ?? 0;
    const pm = [...(passes.get(d.name) ?? new Map<string, number>()).entries()].map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`| ${d.name} | ${n}/${files.length} | ${((100 * n) / files.length).toFixed(2)} | ${((ms.get(d.name) ?? 0) / files.length).toFixed(1)} | ${pm} |`);
  }
  if (compared > 0) {
    console.log(`\nYuNet-n vs SCRFD-500M landmarks within ${AGREEMENT_TOLERANCE * 100}% IOD: ${agreed}/${compared} = ${((100 * agreed) / compared).toFixed(2)}%`);
  }
}
for (const d of detectors) await d.dispose();
if (values.misses !== undefined) {
  disagreements.sort((p, q) => q.error - p.error);
  await writeFile(values.misses, JSON.stringify({ misses, disagreements }, null, 1));
}

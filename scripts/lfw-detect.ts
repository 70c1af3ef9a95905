/**
 * Face-detection coverage on LFW: for each detector, the share of images where a face is found near
 * the centre (box centre within 20% of the image size of the image centre), per variant, and how
 * often YuNet-n and SCRFD-500M agree on the five landmarks (max point distance ≤ 10% of the
 * inter-ocular distance). Passes other than `primary` are counted too.
 *
 *   npx tsx scripts/lfw-detect.ts [--limit N] [--detectors yunet-n,scrfd-500m] [--variants lfw,lfw-deepfunneled]
 *                                 [--enlarge] [--no-second-pass] [--no-voting] [--flip-test] [--threads 1] [--misses out.json]
 *                                 [--shard K/N --summary part-K.json]
 *   npx tsx scripts/lfw-detect.ts --merge part-0.json,part-1.json,…
 *
 * --limit N samples N images evenly over each variant. --shard K/N takes every Nth image from the
 * Kth, so N processes share a long run; --summary writes the counts, --merge adds them up and prints
 * the tables. Data: shared/data/faces (ARCFACE_SHARED).
 *
 * Run of 2026-11-27 (4 shards, 1 thread each, shared 2-core machine), all 7,701 images per variant:
 * found near the centre — deep-funneled: yunet-n, yunet-s, yunet-2023mar, scrfd-500m, scrfd-2.5g and
 * retinaface-mnet025 100.00%; lfw (150²): all 100.00% (YuNet with score threshold 0.8; at OpenCV's 0.9
 * YuNet-s and 2023mar found 99.66%/99.86%, YuNet-n 99.99%/99.92%). YuNet-n vs SCRFD-500M landmarks
 * within 10% IOD: 48.5% (deep-funneled), 46.1% (lfw); 98% of images agree within 21% IOD. The two models
 * place the nose and mouth corners differently and YuNet-n's points are noisy (it agrees with its own
 * mirror-image run on ~83% of faces); score-weighted voting raised agreement from ~30%, `--flip-test`
 * raises it to ~61% (1,000-image sample), `--enlarge` to ~54%, at 2–3× the cost.
 */
import { readdir, readFile, writeFile } from 'node:fs/promises';
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
    'flip-test': { type: 'boolean', default: false },
    threads: { type: 'string', default: '1' },
    misses: { type: 'string' },
    shard: { type: 'string', default: '0/1' },
    summary: { type: 'string' },
    merge: { type: 'string' },
  },
});

/** Counts of one variant, summable across shards. */
interface VariantSummary {
  images: number;
  found: Record<string, number>;
  passes: Record<string, Record<string, number>>;
  ms: Record<string, number>;
  agreed: number;
  /** Images whose mean point distance (the NME of face-alignment papers) is within the tolerance. */
  agreedMean?: number;
  compared: number;
}
type Summary = Record<string, VariantSummary>;

function printSummary(summary: Summary, detectorNames: readonly string[], note: string): void {
  for (const [variant, v] of Object.entries(summary)) {
    console.log(`\n## ${variant}: ${v.images} images${note}`);
    console.log('| detector | found near centre | % | ms/image | passes |');
    console.log('|---|---|---|---|---|');
    for (const name of detectorNames) {
      const n = v.found[name] ?? 0;
      const pm = Object.entries(v.passes[name] ?? {})
        .map(([k, c]) => `${k} ${c}`)
        .join(', ');
      console.log(`| ${name} | ${n}/${v.images} | ${((100 * n) / v.images).toFixed(2)} | ${((v.ms[name] ?? 0) / v.images).toFixed(1)} | ${pm} |`);
    }
    if (v.compared > 0) {
      console.log(
        `\nYuNet-n vs SCRFD-500M landmarks within ${AGREEMENT_TOLERANCE * 100}% IOD (every point): ${v.agreed}/${v.compared} = ${((100 * v.agreed) / v.compared).toFixed(2)}%`,
      );
      const m = v.agreedMean ?? 0;
      console.log(
        `YuNet-n vs SCRFD-500M landmarks within ${AGREEMENT_TOLERANCE * 100}% IOD (mean over points, NME): ${m}/${v.compared} = ${((100 * m) / v.compared).toFixed(2)}%`,
      );
    }
  }
}

if (values.merge !== undefined) {
  const total: Summary = {};
  const seen = new Set<string>();
  for (const file of values.merge.split(',')) {
    const part = JSON.parse(await readFile(file, 'utf8')) as Summary;
    for (const [variant, v] of Object.entries(part)) {
      const t = (total[variant] ??= { images: 0, found: {}, passes: {}, ms: {}, agreed: 0, agreedMean: 0, compared: 0 });
      t.images += v.images;
      t.agreed += v.agreed;
      t.agreedMean = (t.agreedMean ?? 0) + (v.agreedMean ?? 0);
      t.compared += v.compared;
      for (const [k, n] of Object.entries(v.found)) t.found[k] = (t.found[k] ?? 0) + n;
      for (const [k, n] of Object.entries(v.ms)) t.ms[k] = (t.ms[k] ?? 0) + n;
      for (const [k, pm] of Object.entries(v.passes)) {
        seen.add(k);
        const tp = (t.passes[k] ??= {});
        for (const [pk, n] of Object.entries(pm)) tp[pk] = (tp[pk] ?? 0) + n;
      }
      for (const k of Object.keys(v.ms)) seen.add(k);
    }
  }
  printSummary(total, [...seen], ' (merged)');
  process.exit(0);
}

const shared = process.env.ARCFACE_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared');
const faces = join(shared, 'data', 'faces');
const modelDir = join(shared, 'models');

async function listImages(variant: string): Promise<string[]> {
  const root = join(faces, variant);
  const people = (await readdir(root, { withFileTypes: true }))
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
  const out: string[] = [];
  for (const p of people) {
    for (const f of (await readdir(join(root, p))).sort()) if (f.endsWith('.jpg')) out.push(join(root, p, f));
  }
  return out;
}

function sample<T>(items: T[], limit: number | undefined, shard: number, shards: number): T[] {
  const picked =
    limit === undefined || limit >= items.length ? items : Array.from({ length: limit }, (_, i) => items[Math.floor((i * items.length) / limit)] as T);
  return picked.filter((_, i) => i % shards === shard);
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

function landmarkError(a: DetectedFace, b: DetectedFace): { max: number; mean: number } {
  const iod = (f: DetectedFace): number => Math.hypot(f.landmarks[1][0] - f.landmarks[0][0], f.landmarks[1][1] - f.landmarks[0][1]);
  const ref = (iod(a) + iod(b)) / 2;
  let worst = 0;
  let sum = 0;
  for (let k = 0; k < 5; k++) {
    const p = a.landmarks[k as 0] as readonly [number, number];
    const q = b.landmarks[k as 0] as readonly [number, number];
    const d = Math.hypot(p[0] - q[0], p[1] - q[1]);
    worst = Math.max(worst, d);
    sum += d;
  }
  return { max: worst / ref, mean: sum / 5 / ref };
}

const names = (values.detectors ?? '').split(',').filter((n) => n.length > 0);
const variants = (values.variants ?? '').split(',').filter((n) => n.length > 0);
const limit = values.limit === undefined ? undefined : Number(values.limit);
const [shard, shards] = (values.shard ?? '0/1').split('/').map(Number) as [number, number];
const detectors: FaceDetector[] = [];
for (const n of names) {
  if (DETECTOR_PRESETS[n] === undefined) throw new Error(`unknown detector ${n}`);
  const preset = DETECTOR_PRESETS[n];
  detectors.push(
    await createFaceDetector(
      {
        kind: preset.kind,
        modelPath: join(modelDir, preset.file),
        name: n,
        enlargeSmall: values.enlarge === true,
        secondPass: values['no-second-pass'] !== true,
        voting: values['no-voting'] !== true,
        flipTest: values['flip-test'] === true,
      },
      { intraOpThreads: Number(values.threads) },
    ),
  );
}

const misses: Record<string, string[]> = {};
const disagreements: { file: string; error: number }[] = [];
const started = Date.now();
const summary: Summary = {};
for (const variant of variants) {
  const files = sample(await listImages(variant), limit, shard, shards);
  const found = new Map<string, number>();
  const passes = new Map<string, Map<string, number>>();
  const ms = new Map<string, number>();
  let agreed = 0;
  let agreedMean = 0;
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
        if (e.mean <= AGREEMENT_TOLERANCE) agreedMean++;
        if (e.max <= AGREEMENT_TOLERANCE) agreed++;
        else disagreements.push({ file, error: e.max });
      }
    }
    if ((i + 1) % 500 === 0) console.error(`${variant}: ${i + 1}/${files.length} (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
  summary[variant] = {
    images: files.length,
    found: Object.fromEntries(found),
    passes: Object.fromEntries([...passes].map(([k, m]) => [k, Object.fromEntries(m)])),
    ms: Object.fromEntries(ms),
    agreed,
    agreedMean,
    compared,
  };
}
printSummary(summary, names, values.enlarge === true ? ' (enlargeSmall)' : '');
if (values.summary !== undefined) await writeFile(values.summary, JSON.stringify(summary));
for (const d of detectors) await d.dispose();
if (values.misses !== undefined) {
  disagreements.sort((p, q) => q.error - p.error);
  await writeFile(values.misses, JSON.stringify({ misses, disagreements }, null, 1));
}

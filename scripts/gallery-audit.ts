/**
 * Sub-centre audit and open-set identification on LFW (deep-funnelled) with the real models.
 *
 * 1. Audit: the 20 people with the most photos in the shared LFW folder are enrolled with all their
 *    photos; 2 photos of other people (one-photo people) are planted as mislabels into each of the
 *    first 10 of them. `gallery.audit()` must flag the planted ones: precision and recall at
 *    several thresholds.
 * 2. Identification: the same 20 people enrolled with their first half of photos; the second half
 *    identified (top-1 accuracy), and 100 one-photo strangers identified (fraction answered
 *    `unknown`), over a threshold sweep.
 *
 * Run: `npx tsx scripts/gallery-audit.ts [--threshold 0.3]`
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { openGallery } from '../src/gallery/index.js';
import { FaceRecognizer } from '../src/pipeline/index.js';

const SHARED = process.env.ARCFACE_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared');
const LFW = join(SHARED, 'data', 'faces', 'lfw-deepfunneled');
const OUT = resolve(import.meta.dirname, '..', 'test-output', 'gallery-audit');
const i = process.argv.indexOf('--threshold');
const THRESHOLD = i >= 0 ? Number(process.argv[i + 1]) : 0.3;
const SWEEP = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4];

const people = readdirSync(LFW, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => ({ name: d.name, files: readdirSync(join(LFW, d.name)).sort() }));
const big = [...people].sort((a, b) => b.files.length - a.files.length || (a.name < b.name ? -1 : 1)).slice(0, 20);
const singles = people.filter((p) => p.files.length === 1).sort((a, b) => (a.name < b.name ? -1 : 1));
const planted = singles.slice(0, 20);
const strangers = singles.slice(20, 120);

const fr = await FaceRecognizer.create({ locations: { home: join(OUT, 'home'), dirs: [join(SHARED, 'models')] } });
const cache = new Map<string, Float32Array | null>();
async function embed(person: string, file: string): Promise<Float32Array | null> {
  const key = `${person}/${file}`;
  if (!cache.has(key)) cache.set(key, (await fr.recognizeFile(join(LFW, person, file), { select: 'central' })).faces[0]?.embedding ?? null);
  return cache.get(key) ?? null;
}

const t0 = performance.now();
let noFace = 0;
const opts = { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: THRESHOLD };
const { rmSync, mkdirSync } = await import('node:fs');
rmSync(OUT, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });

// 1. Audit.
const g = await openGallery(join(OUT, 'audit.db'), opts);
const plantedFiles = new Set<string>();
for (const [k, p] of big.entries()) {
  const templates = [];
  for (const f of p.files) {
    const e = await embed(p.name, f);
    if (e === null) {
      noFace++;
      continue;
    }
    templates.push({ embedding: e, sourceFile: f });
  }
  if (k < 10) {
    for (const q of planted.slice(2 * k, 2 * k + 2)) {
      const f = q.files[0] as string;
      const e = await embed(q.name, f);
      if (e === null) {
        noFace++;
        continue;
      }
      templates.push({ embedding: e, sourceFile: f });
      plantedFiles.add(f);
    }
  }
  await g.enroll(p.name, templates);
}
const total = (await g.list()).reduce((n, x) => n + x.templateCount, 0);
const embedSeconds = ((performance.now() - t0) / 1000).toFixed(0);
console.log(
  `# LFW gallery audit — ${big.length} people, ${total} templates, ${plantedFiles.size} planted mislabels (embedding: ${embedSeconds} s, ${noFace} photos without a face)`,
);
console.log('| threshold | flagged | planted found | precision | recall |');
console.log('|---|---|---|---|---|');
for (const t of SWEEP) {
  const f = await g.audit({ threshold: t });
  const tp = f.filter((x) => x.sourceFile !== null && plantedFiles.has(x.sourceFile)).length;
  console.log(
    `| ${t.toFixed(2)} | ${f.length} | ${tp}/${plantedFiles.size} | ${f.length === 0 ? '—' : (tp / f.length).toFixed(3)} | ${(tp / plantedFiles.size).toFixed(3)} |`,
  );
}
const flaggedAt = await g.audit({ threshold: THRESHOLD });
console.log(`\nFlagged at ${THRESHOLD} (id, file, score, planted?):`);
for (const f of flaggedAt)
  console.log(`  ${f.id}  ${f.sourceFile}  ${f.score.toFixed(3)}  ${f.sourceFile !== null && plantedFiles.has(f.sourceFile) ? 'PLANTED' : ''}`);
await g.close();

// 2. Identification.
const h = await openGallery(join(OUT, 'identify.db'), opts);
const probes: { person: string; e: Float32Array }[] = [];
for (const p of big) {
  const half = Math.ceil(p.files.length / 2);
  const enrol = [];
  for (const f of p.files.slice(0, half)) {
    const e = await embed(p.name, f);
    if (e !== null) enrol.push(e);
  }
  await h.enroll(p.name, enrol);
  for (const f of p.files.slice(half)) {
    const e = await embed(p.name, f);
    if (e !== null) probes.push({ person: p.name, e });
  }
}
const known = await Promise.all(probes.map(async (p) => ({ p, r: await h.identify(p.e, { topK: 1 }) })));
const strangerScores: number[] = [];
for (const s of strangers) {
  const e = await embed(s.name, s.files[0] as string);
  if (e !== null) strangerScores.push((await h.identify(e, { topK: 1 })).candidates[0]?.score ?? -1);
}
const rank1 = known.filter((k) => k.r.candidates[0]?.id === k.p.person).length / known.length;
console.log(`\n# Identification — ${big.length} enrolled people (first half of photos), ${known.length} probes, ${strangerScores.length} strangers`);
console.log(`closed-set top-1 accuracy: ${(rank1 * 100).toFixed(1)} %`);
console.log('| threshold | known & correct (DIR) | strangers rejected |');
console.log('|---|---|---|');
for (const t of SWEEP) {
  const dir = known.filter((k) => k.r.candidates[0]?.id === k.p.person && (k.r.candidates[0]?.score ?? -1) >= t).length / known.length;
  const rej = strangerScores.filter((s) => s < t).length / strangerScores.length;
  console.log(`| ${t.toFixed(2)} | ${(dir * 100).toFixed(1)} % | ${(rej * 100).toFixed(1)} % |`);
}
console.log(
  `max stranger score ${Math.max(...strangerScores).toFixed(3)}; min genuine top-1 score ${Math.min(...known.map((k) => k.r.candidates[0]?.score ?? 1)).toFixed(3)}`,
);
await h.close();
await fr.dispose();
console.log(`total ${((performance.now() - t0) / 1000).toFixed(0)} s`);

/**
 * Measures face-quality signals on LFW photos and on blurred and downscaled copies, to choose
 * `DEFAULT_QUALITY_LIMITS`: yunet-n + w600k-mbf-int8 through FaceRecognizer, central face.
 *
 *   node --import tsx scripts/quality-lfw.ts [shared-dir] [count]
 *
 * Prints percentiles per variant and the pass rate under `DEFAULT_QUALITY_LIMITS`; writes every
 * measurement to test-output/quality-lfw.json.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { normCrop } from '../src/align/index.js';
import { FaceRecognizer, selectFaces } from '../src/pipeline/index.js';
import { faceQuality, qualityRejection, type FaceQuality } from '../src/quality/index.js';

const shared = resolve(process.argv[2] ?? '../shared');
const count = Number(process.argv[3] ?? 400);
const lfw = join(shared, 'data', 'faces', 'lfw-deepfunneled');
const people = readdirSync(lfw).sort();
// Every k-th person's first stored photo: a spread over the alphabet, deterministic.
const step = Math.max(1, Math.floor(people.length / count));
const files = people
  .filter((_, i) => i % step === 0)
  .slice(0, count)
  .map((p) => join(lfw, p, readdirSync(join(lfw, p)).sort()[0] as string));

const fr = await FaceRecognizer.create({ locations: { home: '/nonexistent', dirs: [join(shared, 'models')] } });
type Variant = 'original' | 'blur2' | 'blur4' | 'down4' | 'down6';
const variants: Record<Variant, (b: Buffer) => Promise<Buffer>> = {
  original: async (b) => b,
  blur2: async (b) => sharp(b).blur(2).png().toBuffer(),
  blur4: async (b) => sharp(b).blur(4).png().toBuffer(),
  // 250 → 62 px: the face box shrinks from ~110 px to ~27 px.
  down4: async (b) => sharp(b).resize(62, 62).png().toBuffer(),
  down6: async (b) => sharp(b).resize(42, 42).png().toBuffer(),
};
const results: Record<string, FaceQuality[]> = {};
const missing: Record<string, number> = {};
for (const [name, make] of Object.entries(variants)) {
  results[name] = [];
  missing[name] = 0;
  for (const f of files) {
    const bytes = await make(await sharp(f).toBuffer());
    const { image, faces } = await fr.detect(new Uint8Array(bytes));
    const [face] = selectFaces(faces, 'central', image.width, image.height);
    if (face === undefined) {
      missing[name] = (missing[name] ?? 0) + 1;
      continue;
    }
    const crop = normCrop(image, face.landmarks, fr.embedder.inputSize).crop;
    const { norms } = await fr.embedder.embedWithNorms([crop]);
    results[name]?.push(faceQuality(face, crop, norms[0]));
  }
}
await fr.dispose();

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] as number;
};
const fields = ['size', 'score', 'yaw', 'pitch', 'frontalness', 'sharpness', 'embeddingNorm', 'overall'] as const;
for (const [name, qs] of Object.entries(results)) {
  console.log(`\n${name}: ${qs.length} faces, ${missing[name]} images without a face`);
  for (const k of fields) {
    const xs = qs.map((q) => (k === 'yaw' || k === 'pitch' ? Math.abs(q[k]) : (q[k] ?? NaN)));
    console.log(
      `  ${k.padEnd(14)} p1 ${pct(xs, 1).toFixed(3)}  p5 ${pct(xs, 5).toFixed(3)}  p50 ${pct(xs, 50).toFixed(3)}  p95 ${pct(xs, 95).toFixed(3)}  p99 ${pct(xs, 99).toFixed(3)}`,
    );
  }
  const reasons: Record<string, number> = {};
  for (const q of qs) {
    const r = qualityRejection(q)?.reason ?? 'PASS';
    reasons[r] = (reasons[r] ?? 0) + 1;
  }
  const pass = (((reasons.PASS ?? 0) / qs.length) * 100).toFixed(1);
  console.log(`  DEFAULT_QUALITY_LIMITS: ${pass} % pass; ${JSON.stringify(reasons)}`);
}
mkdirSync('test-output', { recursive: true });
writeFileSync('test-output/quality-lfw.json', JSON.stringify(results));

/**
 * Verification accuracy against head pose, to check `DEFAULT_QUALITY_LIMITS.maxYaw`/`maxPitch`: every
 * genuine and impostor pair of LFW View-2 (lfw-deepfunneled, yunet-n, central face, w600k-mbf-int8),
 * binned by the larger |yaw| (and |pitch|) of the two photos, at the calibrated threshold.
 *
 *   node --import tsx scripts/quality-pose.ts [shared-dir] [max-pairs]
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dot } from '../src/core/index.js';
import { lfwImagePath, readLfwPairs } from '../src/eval/index.js';
import { FaceRecognizer, type RecognizedFace } from '../src/pipeline/index.js';

const shared = resolve(process.argv[2] ?? '../shared');
const maxPairs = Number(process.argv[3] ?? 6000);
const root = join(shared, 'data', 'faces', 'lfw-deepfunneled');
const { pairs } = await readLfwPairs(join(root, 'pairs.txt'));
const fr = await FaceRecognizer.create({ locations: { home: '/nonexistent', dirs: [join(shared, 'models')] } });
const threshold = fr.threshold as number;
const cache = new Map<string, RecognizedFace | undefined>();
const face = async (path: string): Promise<RecognizedFace | undefined> => {
  if (!cache.has(path)) cache.set(path, (await fr.recognize(new Uint8Array(await readFile(join(root, path))), { select: 'central' })).faces[0]);
  return cache.get(path);
};
const bins = [0, 15, 30, 45, 60, 90];
const table = (): Map<number, { g: number; ga: number; i: number; ia: number }> => new Map(bins.slice(0, -1).map((b) => [b, { g: 0, ga: 0, i: 0, ia: 0 }]));
const byYaw = table();
const byPitch = table();
for (const p of pairs.slice(0, maxPairs)) {
  const a = await face(lfwImagePath(p.a));
  const b = await face(lfwImagePath(p.b));
  if (a === undefined || b === undefined) continue;
  const accept = dot(a.embedding, b.embedding) >= threshold;
  for (const [key, t] of [
    ['yaw', byYaw],
    ['pitch', byPitch],
  ] as const) {
    const worst = Math.max(Math.abs(a.quality![key]), Math.abs(b.quality![key]));
    const bin = [...bins].reverse().find((x) => worst >= x) as number;
    const row = t.get(Math.min(bin, 60))!;
    if (p.same) {
      row.g++;
      if (accept) row.ga++;
    } else {
      row.i++;
      if (accept) row.ia++;
    }
  }
}
await fr.dispose();
for (const [key, t] of [
  ['yaw', byYaw],
  ['pitch', byPitch],
] as const) {
  console.log(`\n| larger |${key}| of the pair | genuine pairs | TAR | impostor pairs | FAR |`);
  console.log('|---|---:|---:|---:|---:|');
  for (const [b, r] of t) {
    const next = bins[bins.indexOf(b) + 1];
    const pc = (x: number, n: number): string => (n === 0 ? '–' : `${((x / n) * 100).toFixed(2)} %`);
    console.log(`| ${b}–${next}° | ${r.g} | ${pc(r.ga, r.g)} | ${r.i} | ${pc(r.ia, r.i)} |`);
  }
}

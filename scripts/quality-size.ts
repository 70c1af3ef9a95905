/**
 * Verification accuracy against face size and blur, to check `DEFAULT_QUALITY_LIMITS` (minSize,
 * minSharpness): LFW View-2 pairs of fold 1 with the second image downscaled or blurred (sharp
 * `.resize` / `.blur(σ)`), yunet-n + w600k-mbf-int8 at the calibrated threshold.
 *
 *   node --import tsx scripts/quality-size.ts [shared-dir] [pairs-per-kind]
 */
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { dot } from '../src/core/index.js';
import { lfwImagePath, readLfwPairs } from '../src/eval/index.js';
import { FaceRecognizer, type RecognizedFace } from '../src/pipeline/index.js';
import { qualityRejection } from '../src/quality/index.js';

const shared = resolve(process.argv[2] ?? '../shared');
const perKind = Number(process.argv[3] ?? 150);
const root = join(shared, 'data', 'faces', 'lfw-deepfunneled');
const { pairs } = await readLfwPairs(join(root, 'pairs.txt'));
const chosen = [...pairs.filter((p) => p.fold === 0 && p.same).slice(0, perKind), ...pairs.filter((p) => p.fold === 0 && !p.same).slice(0, perKind)];
const fr = await FaceRecognizer.create({ locations: { home: '/nonexistent', dirs: [join(shared, 'models')] } });
const threshold = fr.threshold as number;
const face = async (bytes: Uint8Array): Promise<RecognizedFace | undefined> => (await fr.recognize(bytes, { select: 'central' })).faces[0];

const originals = new Map<string, RecognizedFace | undefined>();
console.log(`threshold ${threshold}; ${perKind} genuine + ${perKind} impostor pairs (fold 1), second image downscaled`);
console.log('| second image | face size median | sharpness median | no face | TAR | FAR | genuine rejected by limits | TAR of kept |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
const variants: [string, (path: string) => Promise<Buffer>][] = [
  ...[250, 125, 90, 70, 56, 45, 36].map((side): [string, (path: string) => Promise<Buffer>] => [
    `${side}×${side}`,
    (f) => sharp(f).resize(side, side).png().toBuffer(),
  ]),
  ...[1, 1.5, 2, 3, 4].map((sigma): [string, (path: string) => Promise<Buffer>] => [`blur σ ${sigma}`, (f) => sharp(f).blur(sigma).png().toBuffer()]),
];
for (const [label, make] of variants) {
  const sharpness: number[] = [];
  const sizes: number[] = [];
  let noFace = 0;
  let gAcc = 0;
  let iAcc = 0;
  let gRejected = 0;
  let gKept = 0;
  let gKeptAcc = 0;
  for (const p of chosen) {
    const ka = lfwImagePath(p.a);
    if (!originals.has(ka)) originals.set(ka, await face(new Uint8Array(await readFile(join(root, ka)))));
    const a = originals.get(ka);
    const bytes = await make(join(root, lfwImagePath(p.b)));
    const b = await face(new Uint8Array(bytes));
    if (b === undefined || a === undefined) {
      noFace++;
      continue;
    }
    sizes.push(b.quality!.size);
    sharpness.push(b.quality!.sharpness as number);
    const accept = dot(a.embedding, b.embedding) >= threshold;
    if (p.same) {
      if (accept) gAcc++;
      if (qualityRejection(b.quality!) !== undefined) gRejected++;
      else {
        gKept++;
        if (accept) gKeptAcc++;
      }
    } else if (accept) iAcc++;
  }
  sizes.sort((x, y) => x - y);
  sharpness.sort((x, y) => x - y);
  const pc = (x: number, n: number): string => (n === 0 ? '–' : `${((x / n) * 100).toFixed(1)} %`);
  const medians = `${(sizes[sizes.length >> 1] ?? NaN).toFixed(0)} | ${(sharpness[sharpness.length >> 1] ?? NaN).toFixed(1)}`;
  console.log(`| ${label} | ${medians} | ${noFace} | ${pc(gAcc, perKind)} | ${pc(iAcc, perKind)} | ${gRejected} | ${pc(gKeptAcc, gKept)} |`);
}
await fr.dispose();

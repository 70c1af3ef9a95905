import { readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { RgbImage } from '../src/core/index.js';
import { createFaceDetector, DETECTOR_PRESETS, type FaceDetector } from '../src/detect/index.js';
import { decodeImage, decodeImageFile } from '../src/image/index.js';
import { fmt, interleave } from './stats.js';

const DETECTORS = ['yunet-n', 'yunet-s', 'yunet-2023mar', 'scrfd-500m', 'scrfd-2.5g', 'retinaface-mnet025'] as const;

/** A 1920×1080 JPEG crowd: 8 × 4 deep-funneled LFW images of 240 px on a grey canvas. */
async function crowd(faces: string): Promise<RgbImage> {
  const people = (await readdir(faces))
    .sort()
    .filter((_, i) => i % 97 === 0)
    .slice(0, 32);
  const tiles = await Promise.all(
    people.map(async (p, i) => {
      const file = (await readdir(join(faces, p))).sort()[0] as string;
      return {
        input: await sharp(join(faces, p, file))
          .resize(240, 240)
          .toBuffer(),
        left: (i % 8) * 240,
        top: 60 + Math.floor(i / 8) * 240,
      };
    }),
  );
  const jpeg = await sharp({ create: { width: 1920, height: 1080, channels: 3, background: '#7f7f7f' } })
    .composite(tiles)
    .jpeg({ quality: 90 })
    .toBuffer();
  return decodeImage(jpeg);
}

/**
 * Median milliseconds per `detect()` call (preprocessing, inference, decoding, NMS; the image is
 * already decoded) for every staged detector on a 250×250 LFW image and on a 1920×1080 crowd of 32
 * LFW faces, interleaved so machine noise hits all detectors alike. One intra-op thread each.
 *
 * @example
 * await benchDetect()
 */
export async function benchDetect(shared = process.env.ARCFACE_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared'), rounds = 15): Promise<void> {
  const faces = join(shared, 'data', 'faces', 'lfw-deepfunneled');
  const small = await decodeImageFile(join(faces, 'Aaron_Eckhart', 'Aaron_Eckhart_0001.jpg'));
  const big = await crowd(faces);
  const dets: FaceDetector[] = [];
  for (const name of DETECTORS) {
    const preset = DETECTOR_PRESETS[name];
    if (preset === undefined) throw new Error(`unknown detector ${name}`);
    dets.push(await createFaceDetector({ kind: preset.kind, modelPath: join(shared, 'models', preset.file), name }, { intraOpThreads: 1 }));
  }
  try {
    const found: Record<string, [number, number]> = {};
    for (const d of dets) found[d.name] = [(await d.detect(small)).length, (await d.detect(big)).length];
    const at = async (img: RgbImage): Promise<Record<string, number>> => interleave(Object.fromEntries(dets.map((d) => [d.name, () => d.detect(img)])), rounds);
    const s = await at(small);
    const b = await at(big);
    console.log('\n## detect: median ms per image (1 thread; faces found in brackets)');
    console.log(`${'detector'.padEnd(20)}${'250×250'.padStart(9)}${''.padStart(6)}${'1920×1080'.padStart(11)}${''.padStart(6)}`);
    for (const d of dets) {
      const [fs, fb] = found[d.name] ?? [0, 0];
      console.log(
        `${d.name.padEnd(20)}${fmt(s[d.name] ?? Number.NaN, 1)} [${String(fs).padStart(2)}]${fmt(b[d.name] ?? Number.NaN, 1, 11)} [${String(fb).padStart(2)}]`,
      );
    }
  } finally {
    for (const d of dets) await d.dispose();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await benchDetect();

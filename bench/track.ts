import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { normCrop } from '../src/align/index.js';
import type { DetectedFace, RgbImage } from '../src/core/types.js';
import { FaceRecognizer } from '../src/pipeline/index.js';
import { faceQuality } from '../src/quality/index.js';
import { Tracker } from '../src/track/index.js';
import { fmt, interleave } from './stats.js';

/**
 * What the stream core adds per frame, beside what it saves: on a 640×360 frame with 4 LFW faces,
 * median ms of detection, of one tracker update, of align + quality for every face, and of embedding
 * every face (the naive path's per-frame recogniser cost), measured side by side in one run. Then
 * tracker updates alone for crowds of 10, 30 and 100 synthetic boxes.
 */
export async function benchTrack(shared: string, rounds = 15): Promise<void> {
  const fr = await FaceRecognizer.create({ locations: { home: '/nonexistent', dirs: [join(shared, 'models')] } });
  try {
    const root = join(shared, 'data', 'faces', 'lfw-deepfunneled');
    const people = readdirSync(root).sort().slice(0, 4);
    const tiles = await Promise.all(
      people.map((p) =>
        sharp(join(root, p, readdirSync(join(root, p)).sort()[0] as string))
          .resize(140, 140)
          .toBuffer(),
      ),
    );
    const { data, info } = await sharp({ create: { width: 640, height: 360, channels: 3, background: { r: 90, g: 100, b: 110 } } })
      .composite(tiles.map((input, i) => ({ input, left: 10 + i * 158, top: 110 })))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const frame: RgbImage = { width: info.width, height: info.height, data: new Uint8Array(data) };
    const faces: DetectedFace[] = await fr.detector.detect(frame);
    const tracker = new Tracker<DetectedFace>();
    let f = 0;
    const crops = faces.map((d) => normCrop(frame, d.landmarks, fr.embedder.inputSize).crop);
    const ms = await interleave(
      {
        detect: async () => fr.detector.detect(frame),
        track: async () => tracker.update(f++, faces),
        alignQuality: async () => faces.map((d) => faceQuality(d, normCrop(frame, d.landmarks, fr.embedder.inputSize).crop)),
        embedAll: async () => fr.embedder.embedWithNorms(crops),
      },
      rounds,
    );
    console.log(`\n## Stream core per frame (640×360, ${faces.length} faces, detector ${fr.detector.name}; medians of ${rounds}, interleaved)`);
    console.log('| detect ms | tracker.update ms | align + quality ms (all faces) | embed ms (all faces) |');
    console.log('|---:|---:|---:|---:|');
    console.log(`| ${fmt(ms.detect ?? NaN)} | ${fmt(ms.track ?? NaN, 3)} | ${fmt(ms.alignQuality ?? NaN)} | ${fmt(ms.embedAll ?? NaN)} |`);
    console.log('\n| boxes per frame | tracker.update ms |');
    console.log('|---:|---:|');
    for (const n of [10, 30, 100]) {
      const crowd = new Tracker();
      let g = 0;
      const boxes = (k: number): [number, number, number, number] => {
        const x = (k % 20) * 64 + g * 0.5;
        const y = Math.floor(k / 20) * 72;
        return [x, y, x + 48, y + 60];
      };
      const t = await interleave(
        {
          update: async () =>
            crowd.update(
              g++,
              Array.from({ length: n }, (_, k) => ({ box: boxes(k), score: 0.9 })),
            ),
        },
        50,
        5,
      );
      console.log(`| ${n} | ${fmt(t.update ?? NaN, 3)} |`);
    }
  } finally {
    await fr.dispose();
  }
}

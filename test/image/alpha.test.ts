import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { decodeImage } from '../../src/image/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { sharedPath } from '../helpers/shared.js';

const face = sharedPath('data', 'faces', 'lfw-deepfunneled', 'Colin_Powell', 'Colin_Powell_0040.jpg');

describe('PNG alpha', () => {
  it('is composited over white: a fully transparent PNG decodes white and holds no face', async () => {
    // The face's colours stay under alpha 0: dropping alpha would show them.
    const hidden = await sharp(face).ensureAlpha(0).png().toBuffer();
    assert.equal((await sharp(hidden).metadata()).hasAlpha, true);
    const img = await decodeImage(hidden);
    assert.equal(img.data.length, 250 * 250 * 3);
    assert.ok(
      img.data.every((v) => v === 255),
      'every pixel white',
    );
    const fr = await FaceRecognizer.create({ locations: { dirs: [sharedPath('models')] } });
    try {
      assert.equal((await fr.recognize(hidden)).faces.length, 0);
      assert.equal((await fr.recognizeFile(face)).faces.length, 1);
    } finally {
      await fr.dispose();
    }
  });

  it('blends a half-transparent pixel with white, and leaves opaque images unchanged', async () => {
    const rgba = Buffer.from([0, 100, 200, 128, 10, 20, 30, 255]);
    const png = await sharp(rgba, { raw: { width: 2, height: 1, channels: 4 } })
      .png()
      .toBuffer();
    const img = await decodeImage(png);
    const a = 128 / 255;
    const expected = [0, 100, 200].map((c) => Math.round(a * c + (1 - a) * 255));
    assert.ok(
      Array.from(img.data.subarray(0, 3)).every((v, i) => Math.abs(v - expected[i]!) <= 1),
      `${Array.from(img.data.subarray(0, 3))} vs ${expected}`,
    );
    assert.deepEqual(Array.from(img.data.subarray(3, 6)), [10, 20, 30]);
    const opaque = await decodeImage(await readFile(face));
    const raw = await sharp(face).raw().toBuffer();
    assert.ok(Buffer.from(opaque.data).equals(raw));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { sharedPath } from '../helpers/shared.js';

// Imported by package name, as a user would (the package's own "exports" map, built dist/).
const root = (await import('arcface-ts')) as Record<string, unknown> & typeof import('../../src/index.js');
const gallery = (await import('arcface-ts/gallery')) as Record<string, unknown>;

describe('public API', () => {
  it('the package root exports what a user needs and no internals', () => {
    for (const name of [
      'FaceRecognizer',
      'openGallery',
      'decodeImage',
      'createFaceDetector',
      'ArcFaceError',
      'isArcFaceError',
      'modelLocationsFromEnv',
      'runLfwEvaluation',
    ]) {
      assert.equal(typeof root[name], 'function', name);
    }
    for (const internal of [
      'numpySum',
      'assertBoolean',
      'assertInteger',
      'writeCrop',
      'readOnnxNodes',
      'extractZipEntry',
      'nms',
      'ModelSession',
      'squaredL2',
    ]) {
      assert.equal(internal in root, false, `${internal} is internal`);
    }
    assert.ok(Object.keys(root).length < 110, `${Object.keys(root).length} names`);
  });

  it('arcface-ts/gallery, as docs/gallery.md imports it, holds the gallery with its stores', () => {
    for (const name of ['openGallery', 'enrollImages', 'identifyImage', 'SqliteGalleryStore', 'PostgresGalleryStore'])
      assert.equal(typeof gallery[name], 'function', name);
  });

  it('the README example: compare() from the package root, and NO_FACE naming the photo instead of a crash', async () => {
    const fr = await root.FaceRecognizer.create({ locations: { dirs: [sharedPath('models')] } });
    try {
      const lfw = (i: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', 'Colin_Powell', `Colin_Powell_00${i}.jpg`);
      const { similarity, same, threshold, faces } = await fr.compare(lfw(40), lfw(49));
      assert.equal(Math.round(similarity * 1e6) / 1e6, 0.645131);
      assert.equal(same, true);
      assert.equal(threshold, 0.249);
      assert.equal(faces.length, 2);
      const sky = await sharp({ create: { width: 100, height: 100, channels: 3, background: '#6699cc' } })
        .png()
        .toBuffer();
      await assert.rejects(fr.compare(lfw(40), sky), (e: unknown) => root.isArcFaceError(e, 'NO_FACE') && (e as Error).message.includes('second image'));
    } finally {
      await fr.dispose();
    }
  });
});

import assert from 'node:assert/strict';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RgbImage } from '../../src/core/index.js';
import { openGallery, type Gallery } from '../../src/gallery/index.js';
import { decodeImageFile } from '../../src/image/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { anonymizePhoto, padBox, type CoverStyle } from '../../src/privacy/index.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';

const lfw = (person: string, n: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', person, `${person}_${String(n).padStart(4, '0')}.jpg`);

/** Pixels of `a` and `b` that differ, inside and outside the rectangle `r`. */
function changed(a: RgbImage, b: RgbImage, r: readonly number[]): { inside: number; outside: number; area: number } {
  let inside = 0;
  let outside = 0;
  for (let y = 0; y < a.height; y++) {
    for (let x = 0; x < a.width; x++) {
      const i = (y * a.width + x) * 3;
      const diff = a.data[i] !== b.data[i] || a.data[i + 1] !== b.data[i + 1] || a.data[i + 2] !== b.data[i + 2];
      if (!diff) continue;
      if (x >= (r[0] as number) && x < (r[2] as number) && y >= (r[1] as number) && y < (r[3] as number)) inside++;
      else outside++;
    }
  }
  return { inside, outside, area: ((r[2] as number) - (r[0] as number)) * ((r[3] as number) - (r[1] as number)) };
}

describe('anonymizePhoto on a real LFW photo (real detector and recogniser)', () => {
  let fr: FaceRecognizer;
  let gallery: Gallery;
  let photo: RgbImage;
  before(async () => {
    const dir = testOutputDir('privacy-photo');
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    fr = await FaceRecognizer.create({ locations: { home: join(dir, 'home'), dirs: [sharedPath('models')] } });
    gallery = await openGallery(join(dir, 'gallery.db'), { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.3 });
    for (const [id, n] of [
      ['Colin_Powell', 49],
      ['George_W_Bush', 7],
    ] as const) {
      const face = (await fr.recognizeFile(lfw(id, n), { select: 'central' })).faces[0];
      assert.ok(face !== undefined, `a face in ${id} ${n}`);
      await gallery.enroll(id, [face.embedding]);
    }
    photo = await decodeImageFile(lfw('Colin_Powell', 40));
  });
  after(async () => {
    await gallery?.close();
    await fr?.dispose();
  });

  for (const style of ['blur', 'pixelate', 'fill'] as CoverStyle[]) {
    it(`${style}: every pixel change lies inside the padded face box, and most of the box changed`, async () => {
      const r = await anonymizePhoto(photo, { recognizer: fr, style, pad: 0.3 });
      const { faces } = await fr.detect(photo, { scoreThreshold: 0.3 });
      assert.ok(faces.length >= 1);
      assert.equal(r.covered.length, faces.length);
      const central = faces.reduce((a, b) => (Math.abs((a.box[0] + a.box[2]) / 2 - 125) < Math.abs((b.box[0] + b.box[2]) / 2 - 125) ? a : b));
      const expected = padBox(central.box, 0.3, photo.width, photo.height);
      assert.ok(expected !== undefined);
      assert.ok(
        r.covered.some((c) => c.every((v, i) => v === expected[i])),
        `the padded box ${expected} is among ${JSON.stringify(r.covered)}`,
      );
      const d = changed(photo, r.image, expected);
      // Other faces in the photo (if any) are covered too; nothing else may change.
      const elsewhere = r.covered.filter((c) => c !== expected).reduce((n, c) => n + changed(photo, r.image, c).inside, 0);
      assert.ok(d.outside <= elsewhere, `${d.outside} pixels changed outside the padded box`);
      assert.ok(d.inside > 0.7 * d.area, `${d.inside} of ${d.area} pixels inside changed`);
      assert.deepEqual(r.kept, []);
    });
  }

  it('keep: the consenting identity stays visible, with why; another consenting list covers the face', async () => {
    const kept = await anonymizePhoto(photo, { recognizer: fr, gallery, mode: 'keep', ids: ['Colin_Powell'] });
    assert.equal(kept.kept.length, 1);
    assert.equal(kept.kept[0]?.identity, 'Colin_Powell');
    assert.equal(kept.kept[0]?.reason, 'consented');
    assert.ok((kept.kept[0]?.score ?? 0) > 0.3);
    const other = await anonymizePhoto(photo, { recognizer: fr, gallery, mode: 'keep', ids: ['George_W_Bush'] });
    assert.equal(other.kept.length, 0);
    assert.ok(other.covered.length >= 1);
  });

  it('only: covers the listed identity and leaves other faces visible', async () => {
    const listed = await anonymizePhoto(photo, { recognizer: fr, gallery, mode: 'only', ids: ['Colin_Powell'] });
    assert.equal(listed.covered.length, 1);
    const unlisted = await anonymizePhoto(photo, { recognizer: fr, gallery, mode: 'only', ids: ['George_W_Bush'] });
    assert.equal(unlisted.covered.length, 0);
    assert.deepEqual(unlisted.image.data, photo.data);
    assert.equal(unlisted.kept[0]?.reason, 'not-listed');
  });

  it('refuses keep and only without a gallery, and a non-image', async () => {
    await assert.rejects(anonymizePhoto(photo, { recognizer: fr, mode: 'keep', ids: ['Colin_Powell'] }), /gallery/);
    await assert.rejects(anonymizePhoto({ width: 1, height: 1, data: new Uint8Array(1) }, { recognizer: fr }), TypeError);
  });
});

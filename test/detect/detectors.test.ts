import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DetectedFace, RgbImage } from '../../src/core/index.js';
import type { FaceDetector } from '../../src/detect/index.js';
import { resizeRgb } from '../../src/video/resize.js';
import { ALL_DETECTORS, centre, landmarksInsideBox, landmarksSane, lfwImage, openDetector } from './fixtures.js';

/** A handful of LFW people: frontal, turned, glasses, dark and bright backgrounds. */
const PEOPLE = [
  ['Aaron_Eckhart', 1],
  ['Colin_Powell', 40],
  ['Serena_Williams', 3],
  ['Jennifer_Aniston', 1],
  ['Hamid_Karzai', 3],
] as const;
const VARIANTS = ['lfw', 'lfw-deepfunneled'] as const;

/** The face of an LFW image is near the centre: box centre within 20% of the image size of it. */
function central(img: RgbImage, faces: readonly DetectedFace[]): DetectedFace | undefined {
  return faces.find((f) => {
    const [cx, cy] = centre(f);
    return Math.abs(cx - img.width / 2) <= 0.2 * img.width && Math.abs(cy - img.height / 2) <= 0.2 * img.height;
  });
}

const images: { name: string; img: RgbImage }[] = [];
for (const v of VARIANTS) for (const [p, i] of PEOPLE) images.push({ name: `${v}/${p}_${i}`, img: await lfwImage(v, p, i) });

for (const name of ALL_DETECTORS) {
  describe(`${name} on LFW`, () => {
    let det: FaceDetector;
    before(async () => {
      det = await openDetector(name);
    });
    after(async () => {
      await det.dispose();
    });

    it('finds the central face with sane landmarks inside its box, in original pixels', async () => {
      assert.equal(det.name, name);
      for (const { name: label, img } of images) {
        const faces = await det.detect(img);
        const f = central(img, faces);
        assert.ok(f !== undefined, `${label}: no central face among ${faces.length}`);
        assert.ok(landmarksSane(f), `${label}: landmarks out of order ${JSON.stringify(f.landmarks)}`);
        assert.ok(landmarksInsideBox(f), `${label}: landmarks outside box ${JSON.stringify(f)}`);
        const w = f.box[2] - f.box[0];
        assert.ok(w > 0.2 * img.width && w < 0.8 * img.width, `${label}: face width ${w} of ${img.width}`);
        assert.ok(f.score > 0 && f.score <= 1);
        assert.ok(
          f.box.every((v, i) => v >= 0 && v <= (i % 2 === 0 ? img.width : img.height)),
          `${label}: box outside image`,
        );
        for (let i = 1; i < faces.length; i++) assert.ok((faces[i - 1]?.score ?? 0) >= (faces[i]?.score ?? 0), 'sorted best first');
        assert.equal(f.pass?.kind, 'primary');
      }
    });
  });
}

describe('a frame already shrunk by the decoder (`downscaled`)', () => {
  let det: FaceDetector;
  before(async () => {
    det = await openDetector('yunet-n');
  });
  after(async () => {
    await det.dispose();
  });

  it('is read by the primary pass when it has the content size, with boxes in the full image; any other size is ignored', async () => {
    assert.equal(det.fitSize, 640);
    for (const { name: label, img } of images.slice(0, 4)) {
      // A 1000×1000 frame: the primary pass shrinks it to 640×640.
      const big = resizeRgb(img, 1000, 1000);
      const full = await det.detect(big);
      const small = resizeRgb(big, 640, 640);
      const read = await det.detect(big, { downscaled: small });
      const a = central(big, full);
      const b = central(big, read);
      assert.ok(a !== undefined && b !== undefined, `${label}: central face with and without the copy`);
      const side = a.box[2] - a.box[0];
      for (let i = 0; i < 4; i++) assert.ok(Math.abs((a.box[i] as number) - (b.box[i] as number)) < 0.05 * side, `${label}: box ${a.box} vs ${b.box}`);
      // Another resampling gave the network other pixels: the copy was read, not ignored.
      assert.notEqual(a.score, b.score, `${label}: the copy was not read`);
      assert.deepEqual(await det.detect(big, { downscaled: resizeRgb(big, 639, 640) }), full, `${label}: a copy of another size is ignored`);
    }
  });
});

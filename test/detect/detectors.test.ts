import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DetectedFace, RgbImage } from '../../src/core/index.js';
import type { FaceDetector } from '../../src/detect/index.js';
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

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { DetectedFace, RgbImage } from '../../src/core/index.js';
import type { FaceDetector } from '../../src/detect/index.js';
import { decodeImage } from '../../src/image/index.js';
import { canvas, centre, faceTile, landmarksInsideBox, landmarksSane, lfwPath, openDetector } from './fixtures.js';

/** Twelve different people, one per tile; sizes 60..250 px (face ≈ 0.6 of the tile: ~35..150 px). */
const GROUP = [
  'Aaron_Eckhart',
  'Jennifer_Aniston',
  'Hamid_Karzai',
  'Serena_Williams',
  'Tony_Blair',
  'Gloria_Macapagal_Arroyo',
  'Vladimir_Putin',
  'Laura_Bush',
  'Ariel_Sharon',
  'Jean_Chretien',
  'Junichiro_Koizumi',
  'Lleyton_Hewitt',
] as const;

interface Placed {
  readonly person: string;
  readonly left: number;
  readonly top: number;
  readonly size: number;
}

async function groupPhoto(): Promise<{ img: RgbImage; placed: Placed[] }> {
  const placed: Placed[] = [];
  const tiles: { input: Buffer; left: number; top: number }[] = [];
  let left = 20;
  let top = 20;
  let rowHeight = 0;
  for (const [i, person] of GROUP.entries()) {
    const size = Math.round(60 + (i * (250 - 60)) / (GROUP.length - 1));
    if (left + size > 1180) {
      left = 20;
      top += rowHeight + 30;
      rowHeight = 0;
    }
    tiles.push({ input: await faceTile(person, size), left, top });
    placed.push({ person, left, top, size });
    left += size + 30;
    rowHeight = Math.max(rowHeight, size);
  }
  return { img: await canvas(1200, top + rowHeight + 20, tiles), placed };
}

function inside(f: DetectedFace, p: Placed): boolean {
  const [cx, cy] = centre(f);
  return cx > p.left && cx < p.left + p.size && cy > p.top && cy < p.top + p.size;
}

for (const name of ['yunet-n', 'scrfd-500m'] as const) {
  describe(`${name}: scenes`, () => {
    let det: FaceDetector;
    before(async () => {
      det = await openDetector(name);
    });
    after(async () => {
      await det.dispose();
    });

    it('group photo: every tiled face found once, in its tile, landmarks inside its box', async () => {
      const { img, placed } = await groupPhoto();
      const faces = await det.detect(img);
      for (const p of placed) {
        const mine = faces.filter((f) => inside(f, p));
        assert.equal(mine.length, 1, `${p.person} (${p.size} px): ${mine.length} faces`);
        const f = mine[0] as DetectedFace;
        const [cx, cy] = centre(f);
        assert.ok(Math.abs(cx - (p.left + p.size / 2)) < 0.15 * p.size, `${p.person}: centre x ${cx}`);
        assert.ok(Math.abs(cy - (p.top + p.size / 2)) < 0.2 * p.size, `${p.person}: centre y ${cy}`);
        assert.ok(landmarksInsideBox(f), `${p.person}: landmarks outside box`);
        assert.ok(landmarksSane(f), `${p.person}: landmarks out of order`);
      }
      assert.equal(faces.length, placed.length, `faces outside tiles: ${faces.filter((f) => !placed.some((p) => inside(f, p))).length}`);
    });

    it('grey image: the face is found', async () => {
      const grey = await decodeImage(
        await sharp(lfwPath('lfw', 'Colin_Powell', 40))
          .greyscale()
          .jpeg()
          .toBuffer(),
      );
      const faces = await det.detect(grey);
      assert.ok(faces.length >= 1);
      assert.ok(landmarksSane(faces[0] as DetectedFace));
    });

    it('faces cut by the bottom and right borders: found, boxes clipped to the image', async () => {
      const src = lfwPath('lfw-deepfunneled', 'Aaron_Eckhart', 1);
      const bottom = await decodeImage(await sharp(src).extract({ left: 0, top: 0, width: 250, height: 150 }).png().toBuffer());
      const right = await decodeImage(await sharp(src).extract({ left: 0, top: 0, width: 120, height: 250 }).png().toBuffer());
      const fb = (await det.detect(bottom))[0];
      assert.ok(fb !== undefined, 'bottom: no face');
      assert.equal(fb.box[3], bottom.height, `bottom box ${JSON.stringify(fb.box)}`);
      const fr = (await det.detect(right))[0];
      assert.ok(fr !== undefined, 'right: no face');
      assert.equal(fr.box[2], right.width, `right box ${JSON.stringify(fr.box)}`);
      for (const f of [fb, fr]) assert.ok(f.box[0] >= 0 && f.box[1] >= 0 && f.box[0] < f.box[2] && f.box[1] < f.box[3]);
    });

    it('a ~30 px face in a 1920×1080 photo is found by a second pass', async () => {
      const tile = await faceTile('Aaron_Eckhart', 52);
      const img = await canvas(1920, 1080, [{ input: tile, left: 1500, top: 700 }]);
      const faces = await det.detect(img);
      assert.equal(faces.length, 1, `${faces.length} faces`);
      const f = faces[0] as DetectedFace;
      assert.equal(f.pass?.kind, 'tiled');
      assert.ok(inside(f, { person: 'x', left: 1500, top: 700, size: 52 }), JSON.stringify(f.box));
      const w = f.box[2] - f.box[0];
      assert.ok(w > 20 && w < 45, `face width ${w}`);
      assert.equal((await det.detect(img, { secondPass: false })).length, 0, 'primary alone should miss it');
    });

    it('a 24×24 thumbnail (face ~11 px) is found by the upscaled pass', async () => {
      const thumb = await decodeImage(
        await sharp(lfwPath('lfw', 'Aaron_Eckhart', 1))
          .resize(24, 24)
          .png()
          .toBuffer(),
      );
      assert.deepEqual(await det.detect(thumb, { secondPass: false }), []);
      const faces = await det.detect(thumb);
      assert.equal(faces.length, 1);
      const f = faces[0] as DetectedFace;
      assert.equal(f.pass?.kind, 'upscaled');
      assert.deepEqual(f.pass?.inputSize, [640, 640]);
      const [cx, cy] = centre(f);
      assert.ok(Math.abs(cx - 12) < 4 && Math.abs(cy - 12) < 5, `centre ${cx},${cy}`);
    });

    it('blank and flat images give no face', async () => {
      assert.deepEqual(await det.detect({ width: 640, height: 480, data: new Uint8Array(640 * 480 * 3) }), []);
      assert.deepEqual(await det.detect({ width: 300, height: 200, data: new Uint8Array(300 * 200 * 3).fill(128) }), []);
      assert.deepEqual(await det.detect({ width: 1, height: 1, data: new Uint8Array(3).fill(255) }), []);
    });

    it('minFaceSize and maxFaces filter the group photo', async () => {
      const { img } = await groupPhoto();
      const big = await det.detect(img, { minFaceSize: 100 });
      assert.ok(big.length >= 1 && big.length < 12, `${big.length}`);
      assert.ok(big.every((f) => Math.min(f.box[2] - f.box[0], f.box[3] - f.box[1]) >= 100 - 1));
      const two = await det.detect(img, { maxFaces: 2 });
      assert.equal(two.length, 2);
    });
  });
}

describe('yunet-2023mar (fixed 640×640 input): group photo', () => {
  it('pads the shrunk photo into 640×640 and maps faces back into their tiles', async () => {
    const det = await openDetector('yunet-2023mar');
    try {
      const { img, placed } = await groupPhoto();
      const faces = await det.detect(img);
      assert.ok(
        faces.every((f) => placed.some((p) => inside(f, p))),
        'a face outside every tile',
      );
      assert.ok(faces.every((f) => f.pass?.inputSize[0] === 640 && f.pass.inputSize[1] === 640));
      const big = placed.filter((p) => p.size >= 120);
      for (const p of big) assert.equal(faces.filter((f) => inside(f, p)).length, 1, `${p.person} (${p.size} px)`);
    } finally {
      await det.dispose();
    }
  });
});

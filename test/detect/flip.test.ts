import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DetectedFace } from '../../src/core/index.js';
import { createFaceDetector } from '../../src/detect/index.js';
import { mergeMirrored, mirrorImage, unmirrorFace } from '../../src/detect/flip.js';
import { detectorPath, lfwImage } from './fixtures.js';

const face: DetectedFace = {
  box: [10, 20, 40, 60],
  score: 0.8,
  landmarks: [
    [18, 30],
    [32, 31],
    [25, 40],
    [19, 50],
    [31, 51],
  ],
};

describe('mirror helpers', () => {
  it('mirrors pixels left–right', () => {
    const img = { width: 3, height: 1, data: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]) };
    assert.deepEqual([...mirrorImage(img).data], [7, 8, 9, 4, 5, 6, 1, 2, 3]);
  });
  it('maps a mirrored face back and keeps ArcFace order (golden)', () => {
    const back = unmirrorFace(face, 100);
    assert.deepEqual(back.box, [60, 20, 90, 60]);
    assert.deepEqual(back.landmarks, [
      [68, 31],
      [82, 30],
      [75, 40],
      [69, 51],
      [81, 50],
    ]);
    assert.deepEqual(unmirrorFace(back, 100), face);
  });
  it('averages matched faces and leaves unmatched ones', () => {
    const other: DetectedFace = {
      box: [12, 20, 42, 60],
      score: 0.6,
      landmarks: [
        [20, 30],
        [34, 31],
        [27, 40],
        [21, 50],
        [33, 51],
      ],
    };
    const far: DetectedFace = { ...face, box: [200, 200, 230, 240] };
    const [merged, alone] = mergeMirrored([face, far], [other], 0.4);
    assert.deepEqual(merged?.box, [11, 20, 41, 60]);
    assert.equal(merged?.score, 0.7);
    assert.deepEqual(merged?.landmarks[0], [19, 30]);
    assert.deepEqual(alone, far);
  });
});

describe('flipTest', () => {
  it('makes detection mirror-equivariant: detect(mirror(img)) mirrors detect(img)', async () => {
    const det = await createFaceDetector({ kind: 'yunet', modelPath: detectorPath('yunet-n'), flipTest: true }, { intraOpThreads: 1 });
    try {
      const img = await lfwImage('lfw-deepfunneled', 'Colin_Powell', 40);
      const a = (await det.detect(img))[0];
      const b = (await det.detect(mirrorImage(img)))[0];
      assert.ok(a !== undefined && b !== undefined);
      const back = unmirrorFace(b, img.width);
      for (let k = 0; k < 5; k++) {
        const i = k as 0;
        assert.ok(Math.abs(back.landmarks[i][0] - a.landmarks[i][0]) < 1e-3 && Math.abs(back.landmarks[i][1] - a.landmarks[i][1]) < 1e-3, `point ${k}`);
      }
    } finally {
      await det.dispose();
    }
  });
});

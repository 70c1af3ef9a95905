import assert from 'node:assert/strict';
import { test } from 'node:test';
import { iou as boxIou } from '../../src/detect/index.js';
import { motMetrics, type MotFrame } from '../../src/eval/index.js';

const box = (x: number): [number, number, number, number] => [x, 0, x + 10, 10];

test('boxIou: identical, disjoint and partial overlaps', () => {
  assert.equal(boxIou(box(0), box(0)), 1);
  assert.equal(boxIou(box(0), box(20)), 0);
  assert.ok(Math.abs(boxIou([0, 0, 2, 2], [1, 1, 3, 3]) - 1 / 7) < 1e-12);
});

test('motMetrics: a perfect tracker has IDF1 1, MOTA 1 and no switches', () => {
  const frames: MotFrame[] = Array.from({ length: 10 }, (_, i) => ({
    truth: [
      { id: 'a', box: box(i) },
      { id: 'b', box: box(100 - i) },
    ],
    tracks: [
      { id: 1, box: box(i) },
      { id: 2, box: box(100 - i) },
    ],
  }));
  const s = motMetrics(frames);
  assert.equal(s.idSwitches, 0);
  assert.equal(s.fragmentations, 0);
  assert.equal(s.idf1, 1);
  assert.equal(s.mota, 1);
  assert.equal(s.trackToTruth.get(1), 'a');
  assert.equal(s.trackToTruth.get(2), 'b');
});

test('motMetrics: an identity swap half way counts two switches and halves IDF1', () => {
  const frames: MotFrame[] = Array.from({ length: 10 }, (_, i) => ({
    truth: [
      { id: 'a', box: box(0) },
      { id: 'b', box: box(50) },
    ],
    tracks:
      i < 5
        ? [
            { id: 1, box: box(0) },
            { id: 2, box: box(50) },
          ]
        : [
            { id: 2, box: box(0) },
            { id: 1, box: box(50) },
          ],
  }));
  const s = motMetrics(frames);
  assert.equal(s.idSwitches, 2);
  assert.equal(s.idf1, 0.5);
});

test('motMetrics: a gap in tracking is a fragmentation, a new id after it a switch', () => {
  const frames: MotFrame[] = Array.from({ length: 9 }, (_, i) => ({
    truth: [{ id: 'a', box: box(0) }],
    tracks: i < 3 ? [{ id: 1, box: box(0) }] : i < 6 ? [] : [{ id: 7, box: box(0) }],
  }));
  const s = motMetrics(frames);
  assert.equal(s.fragmentations, 1);
  assert.equal(s.idSwitches, 1);
  assert.equal(s.matches, 6);
  assert.ok(Math.abs(s.mota - (1 - (3 + 0 + 1) / 9)) < 1e-12);
  assert.throws(() => motMetrics(frames, { iou: 0 }), RangeError);
});

test('motMetrics: a track on an ignored (mostly occluded) person is not a false positive', () => {
  const frames: MotFrame[] = Array.from({ length: 4 }, () => ({
    truth: [{ id: 'a', box: box(0) }],
    tracks: [
      { id: 1, box: box(0) },
      { id: 2, box: box(50) },
      { id: 3, box: box(100) },
    ],
    ignore: [{ id: 'b', box: box(50) }],
  }));
  const s = motMetrics(frames);
  assert.equal(s.trackObjects, 8, 'track 2 on the ignored person is left out, track 3 is a false positive');
  assert.equal(s.mota, 1 - 4 / 4);
  assert.equal(motMetrics(frames.map((f) => ({ truth: f.truth, tracks: f.tracks }))).trackObjects, 12);
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Box } from '../../src/core/index.js';
import { iou, nms, nmsVote } from '../../src/detect/index.js';

/**
 * Golden cases worked by hand: areas without the +1 convention. Boxes A=[0,0,10,10] and
 * B=[5,0,15,10] overlap 5×10 = 50 of a 150 union, IoU 1/3; A and C=[1,1,11,11] overlap 81 of 119.
 */
const A: Box = [0, 0, 10, 10];
const B: Box = [5, 0, 15, 10];
const C: Box = [1, 1, 11, 11];
const D: Box = [100, 100, 120, 130];

describe('iou', () => {
  it('matches hand-computed overlaps', () => {
    assert.ok(Math.abs(iou(A, B) - 1 / 3) < 1e-12);
    assert.ok(Math.abs(iou(A, C) - 81 / 119) < 1e-12);
    assert.equal(iou(A, D), 0);
    assert.equal(iou(A, A), 1);
  });
  it('is symmetric and zero for touching or degenerate boxes', () => {
    assert.equal(iou(B, A), iou(A, B));
    assert.equal(iou(A, [10, 0, 20, 10]), 0);
    assert.equal(iou([5, 5, 5, 5], [5, 5, 5, 5]), 0);
  });
});

describe('nms', () => {
  const cands = [
    { box: B, score: 0.7, id: 'B' },
    { box: A, score: 0.9, id: 'A' },
    { box: C, score: 0.8, id: 'C' },
    { box: D, score: 0.6, id: 'D' },
  ];
  it('keeps the best box and suppresses overlaps above the threshold (golden)', () => {
    assert.deepEqual(
      nms(cands, 0.4).map((c) => c.id),
      ['A', 'B', 'D'],
    );
    assert.deepEqual(
      nms(cands, 0.3).map((c) => c.id),
      ['A', 'D'],
    );
    assert.deepEqual(
      nms(cands, 0.7).map((c) => c.id),
      ['A', 'C', 'B', 'D'],
    );
  });
  it('suppresses only strictly above the threshold', () => {
    assert.deepEqual(
      nms(cands, 1 / 3).map((c) => c.id),
      ['A', 'B', 'D'],
    );
  });
  it('honours the limit, keeps input order on ties and never mutates its input', () => {
    const before = JSON.stringify(cands);
    assert.deepEqual(
      nms(cands, 0.4, 1).map((c) => c.id),
      ['A'],
    );
    const ties = [
      { box: D, score: 0.5, id: 'first' },
      { box: A, score: 0.5, id: 'second' },
    ];
    assert.deepEqual(
      nms(ties, 0.4).map((c) => c.id),
      ['first', 'second'],
    );
    assert.equal(JSON.stringify(cands), before);
    assert.deepEqual(nms([], 0.4), []);
  });
});

describe('nmsVote', () => {
  const lm = (x: number): [number, number][] => [
    [x, 0],
    [x + 1, 0],
    [x, 1],
    [x, 2],
    [x + 1, 2],
  ];
  it('averages box and landmarks of overlapping candidates, weighted by score (golden)', () => {
    const faces = [
      { box: [0, 0, 10, 10] as Box, score: 0.6, landmarks: lm(0) },
      { box: [2, 0, 12, 10] as Box, score: 0.3, landmarks: lm(3) },
      { box: [100, 100, 110, 110] as Box, score: 0.5, landmarks: lm(100) },
    ];
    const out = nmsVote(faces, 0.4, 0.4);
    assert.equal(out.length, 2);
    // IoU of the first two is 80/120 = 2/3 > 0.4: weights 0.6 and 0.3 give x = (0.6·0 + 0.3·2)/0.9.
    const first = out[0];
    assert.ok(first !== undefined);
    assert.equal(first.score, 0.6);
    assert.ok(Math.abs(first.box[0] - 2 / 3) < 1e-12 && Math.abs(first.box[2] - (10 + 2 / 3)) < 1e-12);
    assert.ok(Math.abs((first.landmarks[0]?.[0] ?? 0) - 1) < 1e-12);
    assert.deepEqual(out[1]?.box, [100, 100, 110, 110]);
  });
  it('lets weaker voters move the box without becoming faces', () => {
    const kept = [{ box: [0, 0, 10, 10] as Box, score: 0.9, landmarks: lm(0) }];
    const voter = { box: [0, 0, 10, 10] as Box, score: 0.1, landmarks: lm(9) };
    const out = nmsVote(kept, 0.3, 0.3, 10, [...kept, voter]);
    assert.equal(out.length, 1);
    assert.ok(Math.abs((out[0]?.landmarks[0]?.[0] ?? 0) - 0.9) < 1e-12);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mulberry32 as random } from '../../src/core/index.js';
import { placeLabels, type LabelRequest } from '../../src/video/index.js';

type Rect = { x: number; y: number; w: number; h: number };
const overlapArea = (a: Rect, b: Rect): number => {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
};
const rects = (labels: readonly LabelRequest[], spots: readonly { x: number; y: number }[]): Rect[] =>
  spots.map((s, i) => ({ x: s.x, y: s.y, w: (labels[i] as LabelRequest).width, h: (labels[i] as LabelRequest).height }));

describe('placeLabels', () => {
  it('puts a label on top of its box, left-aligned, when there is room', () => {
    assert.deepEqual(placeLabels([{ box: [100, 80, 200, 220], width: 60, height: 18 }], 640, 360), [{ x: 100, y: 62 }]);
  });

  it('keeps labels inside the frame: shifted left at the right edge, inside the box at the top edge, up at the bottom', () => {
    assert.deepEqual(placeLabels([{ box: [600, 40, 640, 90], width: 90, height: 16 }], 640, 360), [{ x: 550, y: 24 }]);
    assert.deepEqual(placeLabels([{ box: [300, 0, 380, 90], width: 90, height: 16 }], 640, 360), [{ x: 300, y: 0 }]);
    assert.deepEqual(placeLabels([{ box: [-30, 355, 20, 420], width: 40, height: 16 }], 640, 360), [{ x: 0, y: 339 }]);
    // Wider than the frame: from the left edge, the rest is clipped by the renderer.
    assert.deepEqual(placeLabels([{ box: [10, 50, 40, 90], width: 700, height: 16 }], 640, 360), [{ x: 0, y: 34 }]);
  });

  it('stacks the labels of boxes side by side instead of drawing one over the other', () => {
    // The observed case: three faces close together on a row, labels wider than the faces.
    const labels = [
      { box: [500, 100, 540, 150], width: 130, height: 18 },
      { box: [545, 102, 585, 152], width: 130, height: 18 },
      { box: [590, 98, 630, 148], width: 130, height: 18 },
    ] as const;
    const spots = placeLabels(labels, 640, 360);
    const r = rects(labels, spots);
    for (let i = 0; i < r.length; i++)
      for (let j = i + 1; j < r.length; j++) assert.equal(overlapArea(r[i] as Rect, r[j] as Rect), 0, `labels ${i} and ${j}: ${JSON.stringify(spots)}`);
    for (const s of r) assert.ok(s.x >= 0 && s.y >= 0 && s.x + s.w <= 640 && s.y + s.h <= 360, JSON.stringify(s));
    assert.deepEqual(spots[0], { x: 500, y: 82 }, 'the first label keeps its preferred spot');
  });

  it('over 200 random crowded frames: every label inside the frame, and no two overlap', () => {
    const next = random(11);
    for (let frame = 0; frame < 200; frame++) {
      const [W, H] = next() < 0.5 ? [640, 360] : [320, 180];
      const n = 1 + Math.floor(next() * 6);
      const labels: LabelRequest[] = [];
      for (let i = 0; i < n; i++) {
        const s = 20 + next() * 80;
        const x = -20 + next() * (W + 20);
        const y = -20 + next() * (H + 20);
        labels.push({ box: [x, y, x + s, y + s], width: 30 + Math.floor(next() * 120), height: 18 });
      }
      const r = rects(labels, placeLabels(labels, W, H));
      for (const s of r) assert.ok(s.x >= 0 && s.y >= 0 && s.x + s.w <= W && s.y + s.h <= H, `frame ${frame}: ${JSON.stringify(s)} in ${W}×${H}`);
      for (let i = 0; i < r.length; i++)
        for (let j = i + 1; j < r.length; j++) assert.equal(overlapArea(r[i] as Rect, r[j] as Rect), 0, `frame ${frame}: labels ${i}, ${j}`);
    }
  });

  it('rejects malformed input, saying what was expected', () => {
    assert.throws(() => placeLabels('x' as unknown as LabelRequest[], 10, 10), /Expected an array of labels/);
    assert.throws(
      () => placeLabels([], 0, 10),
      (e: unknown) => e instanceof RangeError && /frame width/.test((e as Error).message),
    );
    assert.throws(() => placeLabels([{ box: [0, 0, 1] as unknown as LabelRequest['box'], width: 1, height: 1 }], 10, 10), TypeError);
    assert.throws(() => placeLabels([{ box: [0, 0, 1, 1], width: -1, height: 1 }], 10, 10), /labels\[0\]\.width/);
  });
});

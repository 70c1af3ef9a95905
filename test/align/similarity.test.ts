import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARCFACE_TEMPLATE_112, arcfaceTemplate, estimateNorm, estimateSimilarity, normCrop } from '../../src/align/index.js';
import type { Landmarks5, Point } from '../../src/core/index.js';

function apply(m: readonly (readonly number[])[], p: Point): Point {
  const r0 = m[0] as readonly number[];
  const r1 = m[1] as readonly number[];
  return [(r0[0] as number) * p[0] + (r0[1] as number) * p[1] + (r0[2] as number), (r1[0] as number) * p[0] + (r1[1] as number) * p[1] + (r1[2] as number)];
}

describe('estimateSimilarity', () => {
  it('recovers an exact similarity to 1e-9', () => {
    const s = 1.7;
    const th = 0.3;
    const truth = [
      [s * Math.cos(th), -s * Math.sin(th), 12.5],
      [s * Math.sin(th), s * Math.cos(th), -40.25],
    ];
    const src: Point[] = [
      [10, 20],
      [50, 22],
      [31, 44],
      [15, 66],
      [47, 64],
    ];
    const dst = src.map((p) => apply(truth, p));
    const m = estimateSimilarity(src, dst);
    for (let r = 0; r < 2; r++) for (let k = 0; k < 3; k++) assert.ok(Math.abs((m[r] as readonly number[])[k]! - truth[r]![k]!) < 1e-9);
  });

  it('never returns a reflection, even for mirrored landmarks', () => {
    const mirrored = ARCFACE_TEMPLATE_112.map(([x, y]) => [112 - x, y] as const) as unknown as Landmarks5;
    const m = estimateNorm(mirrored);
    const det = m[0][0] * m[1][1] - m[0][1] * m[1][0];
    assert.ok(det > 0, `determinant ${det} must be positive`);
  });

  it('maps the template onto itself with the identity', () => {
    const m = estimateNorm(ARCFACE_TEMPLATE_112);
    assert.ok(Math.abs(m[0][0] - 1) < 1e-12 && Math.abs(m[0][1]) < 1e-12 && Math.abs(m[0][2]) < 1e-9);
  });

  it('rejects invalid input', () => {
    assert.throws(() => estimateSimilarity([[0, 0]], [[1, 1]]), RangeError);
    assert.throws(
      () =>
        estimateSimilarity(
          [
            [1, 1],
            [1, 1],
          ],
          [
            [0, 0],
            [1, 1],
          ],
        ),
      RangeError,
    );
    assert.throws(
      () =>
        estimateSimilarity(
          [
            [0, 0],
            [Number.NaN, 1],
          ],
          [
            [0, 0],
            [1, 1],
          ],
        ),
      RangeError,
    );
    assert.throws(() => estimateNorm([[0, 0]] as unknown as Landmarks5), TypeError);
  });
});

describe('arcfaceTemplate', () => {
  it('is the 112 template at 112 and scales by 2 at 224', () => {
    assert.deepEqual(arcfaceTemplate(112), ARCFACE_TEMPLATE_112);
    const t = arcfaceTemplate(224);
    assert.ok(Math.abs(t[0][0] - 2 * 38.2946) < 1e-9);
  });
  it('follows InsightFace estimate_norm at 128 (x shifted by 8)', () => {
    const t = arcfaceTemplate(128);
    assert.ok(Math.abs(t[0][0] - (38.2946 + 8)) < 1e-9 && Math.abs(t[0][1] - 51.6963) < 1e-9);
  });
  it('rejects sizes out of range', () => {
    assert.throws(() => arcfaceTemplate(0), RangeError);
    assert.throws(() => arcfaceTemplate(11.5), RangeError);
  });
});

describe('normCrop', () => {
  it('produces a black border where the face leaves the image', () => {
    const img = { width: 4, height: 4, data: new Uint8Array(48).fill(200) };
    const { crop } = normCrop(img, ARCFACE_TEMPLATE_112);
    assert.equal(crop.width, 112);
    assert.equal(crop.data[(100 * 112 + 100) * 3], 0);
    assert.equal(crop.data[(1 * 112 + 1) * 3], 200);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ARCFACE_TEMPLATE_112 } from '../../src/align/index.js';
import type { Landmarks5, Point } from '../../src/core/types.js';
import { NOSE_DEPTH_TEMPLATE, estimatePose, laplacianVariance } from '../../src/quality/index.js';

const deg = Math.PI / 180;

/** The template moved by a similarity: scale s, in-plane rotation (degrees), translation. */
function similar(lm: Landmarks5, s: number, rollDeg: number, tx: number, ty: number): Landmarks5 {
  const c = Math.cos(rollDeg * deg);
  const n = Math.sin(rollDeg * deg);
  return lm.map(([x, y]) => [s * (c * x - n * y) + tx, s * (n * x + c * y) + ty] as Point) as unknown as Landmarks5;
}

/**
 * Weak-perspective projection of the five-point face (template x, y; nose NOSE_DEPTH_TEMPLATE in front)
 * turned by yaw about the vertical axis, then by pitch about the horizontal one.
 */
function project(yawDeg: number, pitchDeg: number): Landmarks5 {
  const cx = 56;
  const cy = 72;
  return ARCFACE_TEMPLATE_112.map(([x, y], i) => {
    const X = x - cx;
    const Y = y - cy;
    const Z = i === 2 ? NOSE_DEPTH_TEMPLATE : 0; // towards the camera
    // Yaw: the nose (Z > 0) moves to image right for positive yaw.
    const x1 = X * Math.cos(yawDeg * deg) + Z * Math.sin(yawDeg * deg);
    const z1 = -X * Math.sin(yawDeg * deg) + Z * Math.cos(yawDeg * deg);
    // Pitch: looking up moves the nose to image top (smaller y).
    const y2 = Y * Math.cos(pitchDeg * deg) - z1 * Math.sin(pitchDeg * deg);
    return [x1 + 200, y2 + 150] as Point;
  }) as unknown as Landmarks5;
}

/** Mirror image of a landmark set: x → width − x, and left/right swapped to keep ArcFace order. */
function mirror(lm: Landmarks5, width: number): Landmarks5 {
  const m = lm.map(([x, y]) => [width - x, y] as Point);
  return [m[1]!, m[0]!, m[2]!, m[4]!, m[3]!];
}

describe('pose from five landmarks', () => {
  it('the template is frontal, whatever its scale, roll and position', () => {
    const p = estimatePose(ARCFACE_TEMPLATE_112);
    assert.ok(Math.abs(p.yaw) < 1e-9 && Math.abs(p.pitch) < 1e-9, JSON.stringify(p));
    for (const roll of [-40, -10, 0, 25, 60]) {
      const q = estimatePose(similar(ARCFACE_TEMPLATE_112, 2.7, roll, 300, -40));
      assert.ok(Math.abs(q.yaw) < 1e-6 && Math.abs(q.pitch) < 1e-6, `roll ${roll}: ${JSON.stringify(q)}`);
      assert.ok(Math.abs(q.roll - roll - estimatePose(ARCFACE_TEMPLATE_112).roll) < 1e-6);
    }
  });

  it('recovers yaw and pitch of a projected 3D face, and roll does not disturb them', () => {
    for (const yaw of [-60, -30, -10, 0, 15, 45]) {
      const p = estimatePose(project(yaw, 0));
      assert.ok(Math.abs(p.yaw - yaw) < 1e-6, `yaw ${yaw}: ${p.yaw}`);
      assert.ok(Math.abs(p.pitch) < 1e-6);
    }
    for (const pitch of [-30, -10, 20]) {
      const p = estimatePose(project(0, pitch));
      assert.ok(Math.abs(p.pitch - pitch) < 1e-6, `pitch ${pitch}: ${p.pitch}`);
      assert.ok(Math.abs(p.yaw) < 1e-6);
    }
    // Both at once: a weak-perspective approximation, within a few degrees.
    const both = estimatePose(similar(project(30, 15), 1.5, 20, 0, 0));
    assert.ok(Math.abs(both.yaw - 30) < 4 && Math.abs(both.pitch - 15) < 4, JSON.stringify(both));
  });

  it('mirrored landmarks negate yaw and keep pitch', () => {
    for (const [yaw, pitch] of [
      [25, 5],
      [-40, -12],
    ] as const) {
      const lm = similar(project(yaw, pitch), 1.2, 8, 10, 20);
      const a = estimatePose(lm);
      const b = estimatePose(mirror(lm, 640));
      // Within half a degree: the ArcFace template itself is not exactly symmetric (eye heights differ
      // by 0.2 px, the nose sits 0.1 px off the mouth's midline).
      assert.ok(Math.abs(a.yaw + b.yaw) < 0.5, `${a.yaw} vs ${b.yaw}`);
      assert.ok(Math.abs(a.pitch - b.pitch) < 0.5, `${a.pitch} vs ${b.pitch}`);
      assert.ok(Math.abs(a.roll + b.roll) < 0.5, `${a.roll} vs ${b.roll}`);
    }
  });

  it('degenerate landmarks give ±90 rather than NaN; malformed ones throw', () => {
    const p = estimatePose([
      [5, 5],
      [5, 5],
      [5, 5],
      [5, 5],
      [5, 5],
    ]);
    assert.equal(p.yaw, 90);
    assert.throws(() => estimatePose([[0, 0]] as unknown as Landmarks5), /Expected landmarks to be five finite \[x, y\] points/);
    assert.throws(
      () =>
        estimatePose([
          [0, 0],
          [1, 1],
          [2, Number.NaN],
          [3, 3],
          [4, 4],
        ] as unknown as Landmarks5),
      TypeError,
    );
  });
});

describe('Laplacian variance', () => {
  it('is zero on a flat image and large on a checkerboard; rejects tiny and malformed images', () => {
    const flat = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(128) };
    assert.equal(laplacianVariance(flat), 0);
    const board = { width: 8, height: 8, data: new Uint8Array(8 * 8 * 3) };
    for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) board.data.fill((x + y) % 2 === 0 ? 255 : 0, (y * 8 + x) * 3, (y * 8 + x) * 3 + 3);
    // Interior Laplacian is ±4·255 everywhere: variance (4·255)² = 1,040,400.
    assert.ok(Math.abs(laplacianVariance(board) - 1040400) < 1e-3);
    assert.throws(() => laplacianVariance({ width: 2, height: 2, data: new Uint8Array(12) }), RangeError);
    assert.throws(() => laplacianVariance({ width: 3, height: 3, data: new Uint8Array(5) }), TypeError);
  });
});

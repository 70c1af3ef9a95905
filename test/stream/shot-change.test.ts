import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RgbImage } from '../../src/core/index.js';
import { contentDifference, contentSignature, SHOT_CHANGE_DEFAULTS, ShotChangeDetector } from '../../src/stream/shot-change.js';

const W = 160;
const H = 90;

/** A frame of vertical colour bands, shifted by `shift` px (camera pan), scaled in brightness by `gain`. */
function bands(colours: readonly (readonly [number, number, number])[], shift = 0, gain = 1): RgbImage {
  const data = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const c = colours[Math.floor(((((x + shift) % W) + W) % W) / (W / colours.length))] as readonly [number, number, number];
      for (let k = 0; k < 3; k++) data[(y * W + x) * 3 + k] = Math.round((c[k] as number) * gain);
    }
  }
  return { width: W, height: H, data };
}

const SCENE_A = [
  [200, 40, 40],
  [40, 160, 60],
  [220, 220, 200],
  [30, 30, 120],
] as const;
const SCENE_B = [
  [20, 90, 200],
  [240, 200, 40],
  [90, 40, 90],
  [180, 180, 180],
] as const;

describe('ShotChangeDetector', () => {
  it('reports a hard cut at the first frame of the new scene, once', () => {
    const shots = new ShotChangeDetector();
    const found: number[] = [];
    for (let f = 0; f < 40; f++) {
      const change = shots.push(f < 20 ? bands(SCENE_A, f) : bands(SCENE_B, f));
      if (change !== undefined) {
        assert.equal(change.kind, 'cut');
        assert.ok(change.score >= SHOT_CHANGE_DEFAULTS.threshold, `score ${change.score}`);
        found.push(f);
      }
    }
    assert.deepEqual(found, [20]);
  });

  it('does not cut on a slow pan or a gradual brightness change', () => {
    const shots = new ShotChangeDetector();
    for (let f = 0; f < 60; f++) assert.equal(shots.push(bands(SCENE_A, 2 * f, 1 - f / 200)), undefined, `frame ${f}`);
  });

  it('reports a fade to black and the return from it', () => {
    const shots = new ShotChangeDetector();
    const found: [number, string][] = [];
    for (let f = 0; f < 60; f++) {
      // Bright for 10 frames, fades out over 20, black for 10, back to the scene.
      const gain = f < 10 ? 1 : f < 30 ? 1 - (f - 10) / 20 : f < 40 ? 0 : 1;
      const change = shots.push(bands(SCENE_A, 0, gain));
      if (change !== undefined) found.push([f, change.kind]);
    }
    assert.equal(found[0]?.[1], 'fade');
    assert.ok((found[0]?.[0] ?? 0) >= 25 && (found[0]?.[0] ?? 0) <= 30, JSON.stringify(found));
    assert.ok(
      found.some(([f]) => f === 40),
      JSON.stringify(found),
    );
  });

  it('keeps shots at least minShotFrames long (a flash is one change, not two)', () => {
    const shots = new ShotChangeDetector({ minShotFrames: 5 });
    const found: number[] = [];
    for (let f = 0; f < 30; f++) if (shots.push(f === 10 ? bands(SCENE_B) : bands(SCENE_A)) !== undefined) found.push(f);
    assert.deepEqual(found, [10]);
  });

  it('finds a cut below the fixed threshold by the adaptive rule after still frames', () => {
    // Two scenes alike enough that the change stays under 27 but far above the still frames before it.
    const near = [
      [200, 40, 40],
      [40, 160, 60],
      [150, 150, 230],
      [60, 60, 160],
    ] as const;
    const still = new ShotChangeDetector();
    const stillCuts: number[] = [];
    for (let f = 0; f < 30; f++) {
      const c = still.push(f < 15 ? bands(SCENE_A) : bands(near));
      if (c !== undefined) {
        assert.ok(c.score < SHOT_CHANGE_DEFAULTS.threshold && c.score >= SHOT_CHANGE_DEFAULTS.minContent, `score ${c.score}`);
        stillCuts.push(f);
      }
    }
    assert.deepEqual(stillCuts, [15]);
  });

  it('starts afresh when the frame size changes or after reset', () => {
    const shots = new ShotChangeDetector();
    shots.push(bands(SCENE_A));
    const small: RgbImage = { width: 32, height: 18, data: new Uint8Array(32 * 18 * 3) };
    assert.equal(shots.push(small), undefined);
    shots.reset();
    assert.equal(shots.push(bands(SCENE_B)), undefined);
  });

  it('signatures: identical images differ by 0, and the difference is symmetric', () => {
    const a = contentSignature(bands(SCENE_A), 16);
    const b = contentSignature(bands(SCENE_B), 16);
    assert.equal(contentDifference(a, a), 0);
    assert.equal(contentDifference(a, b), contentDifference(b, a));
    assert.ok(contentDifference(a, b) > 27);
    assert.throws(() => contentDifference(a, b.subarray(3)), RangeError);
  });

  it('rejects invalid options and images', () => {
    assert.throws(() => new ShotChangeDetector({ threshold: -1 }), RangeError);
    assert.throws(() => new ShotChangeDetector({ window: 0 }), RangeError);
    assert.throws(() => new ShotChangeDetector({ adaptiveRatio: 0.5 }), RangeError);
    assert.throws(() => new ShotChangeDetector(null as unknown as object), TypeError);
    assert.throws(() => new ShotChangeDetector().push({ width: 2, height: 2, data: new Uint8Array(3) }));
  });
});

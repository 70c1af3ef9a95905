import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gridSize, retinafacePriors } from '../../src/detect/anchors.js';
import { fillTensor, planLetterbox } from '../../src/detect/letterbox.js';
import { primaryPass, rescuePass, tiledPass, upscaledPass } from '../../src/detect/passes.js';

describe('anchors and priors', () => {
  it('RetinaFace priors: count, order and centres (biubug6 PriorBox)', () => {
    const p = retinafacePriors(32, 32);
    assert.equal(p.length, 2 * 16 + 2 * 4 + 2 * 1);
    assert.deepEqual(p[0], { cx: 4, cy: 4, size: 16 });
    assert.deepEqual(p[1], { cx: 4, cy: 4, size: 32 });
    assert.deepEqual(p[2], { cx: 12, cy: 4, size: 16 });
    assert.deepEqual(p[32], { cx: 8, cy: 8, size: 64 });
    assert.deepEqual(p.at(-1), { cx: 16, cy: 16, size: 512 });
    assert.equal(retinafacePriors(640, 640).length, 16800);
  });
  it('grid sizes round up', () => {
    assert.deepEqual(gridSize(640, 360, 32), { cols: 20, rows: 12 });
  });
});

describe('letterbox', () => {
  it('pads to multiples of 32, or to a fixed size with the scale reduced to fit', () => {
    const lb = planLetterbox({ x: 0, y: 0, width: 1920, height: 1080 }, 1 / 3);
    assert.deepEqual([lb.contentWidth, lb.contentHeight, lb.inputWidth, lb.inputHeight], [640, 360, 640, 384]);
    const fixed = planLetterbox({ x: 0, y: 0, width: 1000, height: 500 }, 1, [640, 640]);
    assert.deepEqual([fixed.scale, fixed.contentWidth, fixed.contentHeight, fixed.inputWidth, fixed.inputHeight], [0.64, 640, 320, 640, 640]);
    const tiny = planLetterbox({ x: 0, y: 0, width: 5, height: 3 }, 1);
    assert.deepEqual([tiny.inputWidth, tiny.inputHeight], [32, 32]);
  });
  it('fills NCHW in the model channel order with mean and scale, padding with pixel 0', () => {
    const img = { width: 2, height: 1, data: new Uint8Array([10, 20, 30, 40, 50, 60]) };
    const lb = planLetterbox({ x: 0, y: 0, width: 2, height: 1 }, 1);
    const bgr = fillTensor(img, lb, { order: 'bgr', mean: [1, 2, 3], scale: 0.5 });
    const plane = 32 * 32;
    assert.deepEqual([bgr[0], bgr[1], bgr[plane], bgr[2 * plane], bgr[2 * plane + 1]], [14.5, 29.5, 9, 3.5, 18.5]);
    assert.equal(bgr[2], -0.5);
    assert.equal(bgr[plane + 32], -1);
    const rgb = fillTensor(img, lb, { order: 'rgb', mean: [0, 0, 0], scale: 1 });
    assert.deepEqual([rgb[0], rgb[plane], rgb[2 * plane]], [10, 20, 30]);
  });
  it('averages when shrinking by more than 2× (no aliasing of a 1-pixel grid)', () => {
    const w = 8;
    const data = new Uint8Array(w * w * 3);
    for (let y = 0; y < w; y++) for (let x = 0; x < w; x++) data.fill((x + y) % 2 === 0 ? 255 : 0, (y * w + x) * 3, (y * w + x) * 3 + 3);
    const t = fillTensor({ width: w, height: w, data }, planLetterbox({ x: 0, y: 0, width: w, height: w }, 0.25), { order: 'rgb', mean: [0, 0, 0], scale: 1 });
    assert.ok(Math.abs((t[0] as number) - 127.5) < 1e-3, `got ${t[0]}`);
  });
});

describe('passes', () => {
  it('primary shrinks large images and keeps small ones unless asked to enlarge', () => {
    assert.equal(primaryPass(1920, 1080, 640).scale, 1 / 3);
    assert.equal(primaryPass(250, 250, 640).scale, 1);
    assert.equal(primaryPass(250, 250, 640, undefined, true).scale, 2.56);
    assert.equal(primaryPass(250, 250, 640, [640, 640]).inputWidth, 640);
  });
  it('upscaled only for small images, rescue at half the input size', () => {
    assert.equal(upscaledPass(800, 600, 640), undefined);
    assert.equal(upscaledPass(100, 80, 640)?.scale, 6.4);
    assert.equal(rescuePass(250, 250, 640).scale, 1.28);
  });
  it('tiles overlap, cover the image and respect maxTiles', () => {
    const tiles = tiledPass(1920, 1080, 640, 16);
    assert.equal(tiles.length, 8);
    assert.equal(tiles[0]?.scale, 1);
    assert.deepEqual(tiles.at(-1)?.region, { x: 1280, y: 440, width: 640, height: 640 });
    const few = tiledPass(6000, 4000, 640, 16);
    assert.ok(few.length <= 16 && few.length > 0);
    const s = few[0]?.scale ?? 0;
    assert.ok(s < 1 && s >= 1.5 * (640 / 6000), `scale ${s}`);
    assert.deepEqual(tiledPass(800, 600, 640, 16), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gridSize, retinafacePriors } from '../../src/detect/anchors.js';
import type { RgbImage } from '../../src/core/index.js';
import { fillTensor, planLetterbox, type Letterbox, type PixelContract, type Region } from '../../src/detect/letterbox.js';
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
  it('resamples exactly as the plain separable definition, for every kind of scale and region', () => {
    // The definition, written plainly: per axis, bilinear with aligned centres when enlarging and
    // pixel-area weights when shrinking; rows first (kept as float32), then columns, summed in order.
    const taps = (start: number, srcLen: number, dstLen: number): { i: number; w: number }[][] => {
      const ratio = srcLen / dstLen;
      return Array.from({ length: dstLen }, (_, d) => {
        if (ratio <= 1) {
          const f = Math.min(Math.max((d + 0.5) * ratio - 0.5, 0), srcLen - 1);
          const i0 = Math.floor(f);
          return [
            { i: start + i0, w: Math.fround(1 - (f - i0)) },
            { i: start + Math.min(i0 + 1, srcLen - 1), w: Math.fround(f - i0) },
          ];
        }
        const lo = d * ratio;
        const hi = Math.min((d + 1) * ratio, srcLen);
        const out: { i: number; w: number }[] = [];
        for (let i = Math.floor(lo); i < hi; i++) out.push({ i: start + i, w: Math.fround((Math.min(i + 1, hi) - Math.max(i, lo)) / ratio) });
        return out;
      });
    };
    const reference = (img: RgbImage, lb: Letterbox, c: PixelContract): Float32Array => {
      const { inputWidth: W, inputHeight: H, contentWidth: cw, contentHeight: ch, region } = lb;
      const out = new Float32Array(3 * W * H);
      for (let k = 0; k < 3; k++) out.fill(-(c.mean[k] as number) * c.scale, k * W * H, (k + 1) * W * H);
      const xt = taps(region.x, region.width, cw);
      const yt = taps(region.y, region.height, ch);
      const rows = Array.from({ length: region.height }, (_, r) =>
        Float32Array.from({ length: cw * 3 }, (_, j) => {
          let v = 0;
          for (const t of xt[Math.floor(j / 3)] ?? []) v += t.w * (img.data[((region.y + r) * img.width + t.i) * 3 + (j % 3)] as number);
          return v;
        }),
      );
      for (let y = 0; y < ch; y++) {
        for (let x = 0; x < cw; x++) {
          const px = [0, 1, 2].map((ch3) => {
            let v = 0;
            for (const t of yt[y] ?? []) v += t.w * (rows[t.i - region.y]?.[x * 3 + ch3] as number);
            return v;
          });
          const order = c.order === 'bgr' ? [2, 1, 0] : [0, 1, 2];
          for (let k = 0; k < 3; k++) out[k * W * H + y * W + x] = ((px[order[k] as number] as number) - (c.mean[k] as number)) * c.scale;
        }
      }
      return out;
    };
    const img = { width: 97, height: 61, data: new Uint8Array(97 * 61 * 3) };
    for (let i = 0; i < img.data.length; i++) img.data[i] = (i * 2654435761) >>> 24;
    const contract: PixelContract = { order: 'bgr', mean: [104, 117, 123], scale: 1 / 128 };
    const cases: [Region, number][] = [
      [{ x: 0, y: 0, width: 97, height: 61 }, 1],
      [{ x: 0, y: 0, width: 97, height: 61 }, 0.5],
      [{ x: 0, y: 0, width: 97, height: 61 }, 1 / 3],
      [{ x: 0, y: 0, width: 97, height: 61 }, 0.37],
      [{ x: 0, y: 0, width: 97, height: 61 }, 2.56],
      [{ x: 13, y: 7, width: 40, height: 30 }, 1],
      [{ x: 13, y: 7, width: 40, height: 30 }, 0.6],
      [{ x: 13, y: 7, width: 40, height: 30 }, 1.7],
    ];
    for (const [region, scale] of cases) {
      const lb = planLetterbox(region, scale);
      assert.deepEqual(fillTensor(img, lb, contract), reference(img, lb, contract), `region ${JSON.stringify(region)} at scale ${scale}`);
      // A second call (taps and working rows reused) gives the same tensor.
      assert.deepEqual(fillTensor(img, lb, contract), reference(img, lb, contract), `second call, scale ${scale}`);
    }
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

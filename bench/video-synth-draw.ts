/**
 * Drawing helpers of the synthetic video generator: a seeded PRNG, the textured background, pasting
 * a face region, and the frame-number stamp with its reader.
 */
import type { RgbImage } from '../src/core/types.js';
import { mulberry32 } from '../src/core/random.js';

/** Cells of the frame-number stamp along the top edge; each is width/40 pixels square. */
const STAMP_BITS = 16;
const STAMP_CELLS_PER_WIDTH = 40;

/** The seeded PRNG shared by synthetic data, benchmarks and tests. */
export const prng = mulberry32;

/**
 * A textured background (RGB bytes): two gradients, soft blobs, a few checked panels and per-pixel noise.
 *
 * @example
 * const bg = background(640, 360, prng(1))
 */
export function background(width: number, height: number, rand: () => number): Uint8Array {
  const data = new Uint8Array(width * height * 3);
  const base = [60 + rand() * 80, 60 + rand() * 80, 60 + rand() * 80];
  const blobs = Array.from({ length: 6 }, () => ({
    x: rand() * width,
    y: rand() * height,
    r: (0.1 + rand() * 0.25) * width,
    c: [rand() * 120 - 60, rand() * 120 - 60, rand() * 120 - 60],
  }));
  const panels = Array.from({ length: 5 }, () => ({
    x: rand() * width,
    y: rand() * height,
    w: (0.05 + rand() * 0.2) * width,
    h: (0.1 + rand() * 0.4) * height,
    c: [rand() * 200, rand() * 200, rand() * 200],
  }));
  const v = [0, 0, 0];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 3;
      for (let c = 0; c < 3; c++) v[c] = (base[c] as number) + 40 * (x / width) - 30 * (y / height);
      for (const b of blobs) {
        const k = Math.exp(-((x - b.x) ** 2 + (y - b.y) ** 2) / (b.r * b.r));
        for (let c = 0; c < 3; c++) v[c] = (v[c] as number) + (b.c[c] as number) * k;
      }
      for (const p of panels) {
        if (x < p.x || x >= p.x + p.w || y < p.y || y >= p.y + p.h) continue;
        for (let c = 0; c < 3; c++) v[c] = 0.5 * (v[c] as number) + 0.5 * (p.c[c] as number) + (((x >> 3) + (y >> 3)) & 1) * 12;
      }
      for (let c = 0; c < 3; c++) data[o + c] = Math.max(0, Math.min(255, (v[c] as number) + (rand() - 0.5) * 24));
    }
  }
  return data;
}

/**
 * Copies `img` into `frame` with its top-left corner at (x0, y0), clipped to the frame.
 *
 * @example
 * paste(frame, 640, 360, face, 100, 50)
 */
export function paste(frame: Uint8Array, width: number, height: number, img: RgbImage, x0: number, y0: number): void {
  for (let y = 0; y < img.height; y++) {
    const fy = y0 + y;
    if (fy < 0 || fy >= height) continue;
    const xa = Math.max(0, -x0);
    const xb = Math.min(img.width, width - x0);
    if (xb <= xa) continue;
    frame.set(img.data.subarray((y * img.width + xa) * 3, (y * img.width + xb) * 3), (fy * width + x0 + xa) * 3);
  }
}

/**
 * Draws `value` as 16 black/white cells (width/40 px square, most significant bit first) along the top edge.
 *
 * @example
 * stamp(frame, 640, 42)
 */
export function stamp(frame: Uint8Array, width: number, value: number): void {
  const cell = Math.floor(width / STAMP_CELLS_PER_WIDTH);
  for (let b = 0; b < STAMP_BITS; b++) {
    const v = (value >> (STAMP_BITS - 1 - b)) & 1 ? 255 : 0;
    for (let y = 0; y < cell; y++) frame.fill(v, (y * width + b * cell) * 3, (y * width + (b + 1) * cell) * 3);
  }
}

/**
 * Reads the frame number stamped by `stampFrameNumber` from a frame of any scale (cells are located
 * relative to the frame width).
 *
 * @example
 * for await (const f of openVideoSource('clip.mp4')) assert.equal(readFrameStamp(f.image), f.index)
 */
export function readFrameStamp(image: RgbImage): number {
  const cell = image.width / STAMP_CELLS_PER_WIDTH;
  let value = 0;
  for (let b = 0; b < STAMP_BITS; b++) {
    const x = Math.floor((b + 0.5) * (image.width / STAMP_CELLS_PER_WIDTH));
    const y = Math.floor(cell / 2);
    const o = (y * image.width + x) * 3;
    const luma = ((image.data[o] as number) + (image.data[o + 1] as number) + (image.data[o + 2] as number)) / 3;
    value = (value << 1) | (luma > 127 ? 1 : 0);
  }
  return value;
}

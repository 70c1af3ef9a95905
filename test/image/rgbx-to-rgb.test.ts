import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rgbxToRgb } from '../../src/image/decode-web.js';

/** The plain definition: every pixel's first three bytes, in order. */
function plain(rgbx: Uint8Array, pixels: number): Uint8Array {
  const out = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) for (let c = 0; c < 3; c++) out[3 * p + c] = rgbx[4 * p + c] as number;
  return out;
}

describe('browser pixels: RGBX to RGB, four pixels a word at a time', () => {
  it('gives the bytes of the plain copy for any pixel count, aligned or not', () => {
    for (const pixels of [0, 1, 3, 4, 5, 7, 8, 17, 1001]) {
      const bytes = new Uint8Array(4 * pixels + 1);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
      const aligned = bytes.subarray(0, 4 * pixels);
      assert.deepEqual(rgbxToRgb(aligned, pixels), plain(aligned, pixels), `${pixels} pixels`);
      // A view that does not start on a 4-byte boundary takes the byte path.
      const shifted = bytes.subarray(1, 1 + 4 * pixels);
      assert.deepEqual(rgbxToRgb(shifted, pixels), plain(shifted, pixels), `${pixels} pixels at offset 1`);
    }
    const clamped = new Uint8ClampedArray([1, 2, 3, 255, 4, 5, 6, 255, 7, 8, 9, 255, 10, 11, 12, 255, 13, 14, 15, 0]);
    assert.deepEqual([...rgbxToRgb(clamped, 5)], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
  });
});

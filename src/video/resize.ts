/**
 * Image scaling for frames composed or decoded in JavaScript (folders of frames, the synthetic
 * video generator): bilinear with pixel centres aligned and edges clamped, no native round-trip.
 */
import type { RgbImage } from '../core/index.js';

/**
 * The largest size with the aspect ratio of `width`×`height` that fits within `maxWidth`×`maxHeight`,
 * never larger than the original (as ffmpeg's `force_original_aspect_ratio=decrease` with `min(iw,W)`).
 *
 * @example
 * fitWithin(1280, 720, 640, 640) // [640, 360]
 */
export function fitWithin(width: number, height: number, maxWidth: number, maxHeight: number): [number, number] {
  const scale = Math.min(1, maxWidth / width, maxHeight / height);
  if (scale >= 1) return [width, height];
  return [Math.max(1, Math.round(width * scale)), Math.max(1, Math.round(height * scale))];
}

/**
 * Scales an RGB image to `width`×`height`, bilinear, sampling at pixel centres with the edges clamped
 * (so no dark border appears, unlike a warp with a constant border).
 *
 * @example
 * const small = resizeRgb(frame, 320, 180)
 */
export function resizeRgb(src: RgbImage, width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Expected a positive integer target size but received ${width}×${height}`);
  }
  if (width === src.width && height === src.height) return { width, height, data: src.data.slice() };
  const out = new Uint8Array(width * height * 3);
  const s = src.data;
  const sw = src.width;
  const sh = src.height;
  const fx = sw / width;
  const fy = sh / height;
  const x0s = new Int32Array(width);
  const x1s = new Int32Array(width);
  const wxs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const sx = Math.min(Math.max((x + 0.5) * fx - 0.5, 0), sw - 1);
    const x0 = Math.floor(sx);
    x0s[x] = x0 * 3;
    x1s[x] = Math.min(x0 + 1, sw - 1) * 3;
    wxs[x] = sx - x0;
  }
  for (let y = 0; y < height; y++) {
    const sy = Math.min(Math.max((y + 0.5) * fy - 0.5, 0), sh - 1);
    const y0 = Math.floor(sy);
    const wy = sy - y0;
    const r0 = y0 * sw * 3;
    const r1 = Math.min(y0 + 1, sh - 1) * sw * 3;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      const a = x0s[x] as number;
      const b = x1s[x] as number;
      const wx = wxs[x] as number;
      for (let c = 0; c < 3; c++) {
        const top = (s[r0 + a + c] as number) * (1 - wx) + (s[r0 + b + c] as number) * wx;
        const bottom = (s[r1 + a + c] as number) * (1 - wx) + (s[r1 + b + c] as number) * wx;
        out[o + c] = top * (1 - wy) + bottom * wy + 0.5;
      }
    }
  }
  return { width, height, data: out };
}

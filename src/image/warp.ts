import type { Affine2x3, RgbImage } from '../core/index.js';

/**
 * Inverse of a 2×3 affine matrix.
 *
 * @example
 * invertAffine([[2, 0, 1], [0, 2, 1]]) // [[0.5, 0, -0.5], [0, 0.5, -0.5]]
 */
export function invertAffine(m: Affine2x3): Affine2x3 {
  const [[a, b, tx], [c, d, ty]] = m;
  const det = a * d - b * c;
  if (det === 0 || !Number.isFinite(det)) throw new RangeError(`Expected an invertible affine matrix but its determinant is ${det}`);
  const ia = d / det;
  const ib = -b / det;
  const ic = -c / det;
  const id = a / det;
  return [
    [ia, ib, -(ia * tx + ib * ty)],
    [ic, id, -(ic * tx + id * ty)],
  ];
}

/**
 * Warps `src` by the affine `m` (source → destination, as `cv2.warpAffine` takes it) into a
 * `width`×`height` image, bilinear, with a constant 0 border: samples outside the source count as
 * black, so a face partly outside the photo fades to black exactly as OpenCV's BORDER_CONSTANT does.
 *
 * @example
 * const crop = warpAffine(photo, matrix, 112, 112)
 */
export function warpAffine(src: RgbImage, m: Affine2x3, width: number, height: number): RgbImage {
  const [[a, b, c], [d, e, f]] = invertAffine(m);
  const out = new Uint8Array(width * height * 3);
  const sw = src.width;
  const sh = src.height;
  const s = src.data;
  const stride = sw * 3;
  for (let y = 0; y < height; y++) {
    let sx = b * y + c;
    let sy = e * y + f;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, sx += a, sy += d, o += 3) {
      if (sx >= 0 && sy >= 0 && sx < sw - 1 && sy < sh - 1) {
        // Interior: all four neighbours exist (the common case, without per-sample bounds checks).
        const x0 = sx | 0;
        const y0 = sy | 0;
        const fx = sx - x0;
        const fy = sy - y0;
        const w00 = (1 - fx) * (1 - fy);
        const w01 = fx * (1 - fy);
        const w10 = (1 - fx) * fy;
        const w11 = fx * fy;
        const p = y0 * stride + x0 * 3;
        const q = p + stride;
        out[o] = w00 * (s[p] as number) + w01 * (s[p + 3] as number) + w10 * (s[q] as number) + w11 * (s[q + 3] as number) + 0.5;
        out[o + 1] = w00 * (s[p + 1] as number) + w01 * (s[p + 4] as number) + w10 * (s[q + 1] as number) + w11 * (s[q + 4] as number) + 0.5;
        out[o + 2] = w00 * (s[p + 2] as number) + w01 * (s[p + 5] as number) + w10 * (s[q + 2] as number) + w11 * (s[q + 5] as number) + 0.5;
        continue;
      }
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= sw || y0 >= sh) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const w00 = (1 - fx) * (1 - fy);
      const w01 = fx * (1 - fy);
      const w10 = (1 - fx) * fy;
      const w11 = fx * fy;
      const in0 = y0 >= 0;
      const in1 = y0 + 1 < sh;
      const inL = x0 >= 0;
      const inR = x0 + 1 < sw;
      const p00 = y0 * stride + x0 * 3;
      const p10 = p00 + stride;
      for (let ch = 0; ch < 3; ch++) {
        let v = 0.5;
        if (in0 && inL) v += w00 * (s[p00 + ch] as number);
        if (in0 && inR) v += w01 * (s[p00 + 3 + ch] as number);
        if (in1 && inL) v += w10 * (s[p10 + ch] as number);
        if (in1 && inR) v += w11 * (s[p10 + 3 + ch] as number);
        out[o + ch] = Math.min(v, 255);
      }
    }
  }
  return { width, height, data: out };
}

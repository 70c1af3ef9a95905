import type { Affine2x3, RgbImage } from '../core/types.js';

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
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const sx = a * x + b * y + c;
      const sy = d * x + e * y + f;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const o = (y * width + x) * 3;
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
      const p00 = (y0 * sw + x0) * 3;
      const p01 = p00 + 3;
      const p10 = p00 + sw * 3;
      const p11 = p10 + 3;
      for (let ch = 0; ch < 3; ch++) {
        let v = 0;
        if (in0 && inL) v += w00 * (s[p00 + ch] as number);
        if (in0 && inR) v += w01 * (s[p01 + ch] as number);
        if (in1 && inL) v += w10 * (s[p10 + ch] as number);
        if (in1 && inR) v += w11 * (s[p11 + ch] as number);
        out[o + ch] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
      }
    }
  }
  return { width, height, data: out };
}

import type { RgbImage } from '../core/types.js';

/** YuNet, SCRFD and RetinaFace need input sides divisible by their largest stride, 32 (SOURCE.md; OpenCV `FaceDetectorYN` pads to 32). */
export const INPUT_ALIGNMENT = 32;

/** A region of the original image, in pixels. */
export interface Region {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

/**
 * How one region of an image becomes one network input: scaled by `scale` into the top-left
 * `contentWidth × contentHeight` of an `inputWidth × inputHeight` tensor, zero-padded bottom and
 * right (InsightFace `SCRFD.detect` and OpenCV `FaceDetectorYN` both pad bottom/right).
 */
export interface Letterbox {
  readonly region: Region;
  readonly scale: number;
  readonly contentWidth: number;
  readonly contentHeight: number;
  readonly inputWidth: number;
  readonly inputHeight: number;
}

/** Pixel normalisation of a model: tensor channel `c` holds `(pixel[order[c]] − mean[c]) · scale`. */
export interface PixelContract {
  /** `rgb` or `bgr`: the channel order the network expects. */
  readonly order: 'rgb' | 'bgr';
  readonly mean: readonly [number, number, number];
  readonly scale: number;
}

function roundUp(v: number, m: number): number {
  return Math.max(m, Math.ceil(v / m) * m);
}

/**
 * Plans a letterbox: the region scaled by `scale`, padded to a multiple of 32, or to `fixed`
 * (`[w, h]`) for fixed-size models, in which case the scale is reduced so the content fits.
 *
 * @example
 * planLetterbox({ x: 0, y: 0, width: 1920, height: 1080 }, 1 / 3) // input 640×384, content 640×360
 */
export function planLetterbox(region: Region, scale: number, fixed?: readonly [number, number]): Letterbox {
  let s = scale;
  if (fixed !== undefined) s = Math.min(s, fixed[0] / region.width, fixed[1] / region.height);
  const contentWidth = Math.max(1, Math.min(Math.round(region.width * s), fixed?.[0] ?? Number.POSITIVE_INFINITY));
  const contentHeight = Math.max(1, Math.min(Math.round(region.height * s), fixed?.[1] ?? Number.POSITIVE_INFINITY));
  return {
    region,
    scale: s,
    contentWidth,
    contentHeight,
    inputWidth: fixed?.[0] ?? roundUp(contentWidth, INPUT_ALIGNMENT),
    inputHeight: fixed?.[1] ?? roundUp(contentHeight, INPUT_ALIGNMENT),
  };
}

/**
 * Fills an NCHW float32 tensor `[1, 3, inputHeight, inputWidth]` from the letterboxed region.
 * Resampling is bilinear with pixel centres aligned (`cv2.resize` `INTER_LINEAR`, which the OpenCV
 * and InsightFace detectors use); when shrinking by more than 2×, each output pixel averages an
 * n×n grid of bilinear samples (n = ⌈1/scale⌉) so small faces are not lost to aliasing. Padding is
 * pixel value 0 before normalisation, as in both references.
 *
 * @example
 * const data = fillTensor(img, planLetterbox(full, 0.5), { order: 'bgr', mean: [0, 0, 0], scale: 1 })
 */
export function fillTensor(image: RgbImage, lb: Letterbox, contract: PixelContract): Float32Array {
  const { inputWidth: W, inputHeight: H, contentWidth: cw, contentHeight: ch, region } = lb;
  const plane = W * H;
  const out = new Float32Array(3 * plane);
  const src = image.data;
  const iw = image.width;
  const sx = region.width / cw;
  const sy = region.height / ch;
  const nx = Math.max(1, Math.ceil(sx - 1e-6));
  const ny = Math.max(1, Math.ceil(sy - 1e-6));
  const perm = contract.order === 'rgb' ? [0, 1, 2] : [2, 1, 0];
  const p0 = perm[0] as number;
  const p1 = perm[1] as number;
  const p2 = perm[2] as number;
  const [m0, m1, m2] = contract.mean;
  const k = contract.scale;
  const xMax = region.x + region.width - 1;
  const yMax = region.y + region.height - 1;
  const weight = 1 / (nx * ny);
  const pix = [0, 0, 0];
  for (let i = 0; i < plane; i++) {
    out[i] = (0 - m0) * k;
    out[plane + i] = (0 - m1) * k;
    out[2 * plane + i] = (0 - m2) * k;
  }
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      pix[0] = 0;
      pix[1] = 0;
      pix[2] = 0;
      for (let v = 0; v < ny; v++) {
        const fy = region.y + (y + (v + 0.5) / ny) * sy - 0.5;
        const cy = fy < region.y ? region.y : fy > yMax ? yMax : fy;
        const y0 = Math.floor(cy);
        const y1 = y0 < yMax ? y0 + 1 : y0;
        const wy = cy - y0;
        for (let u = 0; u < nx; u++) {
          const fx = region.x + (x + (u + 0.5) / nx) * sx - 0.5;
          const cx = fx < region.x ? region.x : fx > xMax ? xMax : fx;
          const x0 = Math.floor(cx);
          const x1 = x0 < xMax ? x0 + 1 : x0;
          const wx = cx - x0;
          const a = (y0 * iw + x0) * 3;
          const b = (y0 * iw + x1) * 3;
          const c = (y1 * iw + x0) * 3;
          const d = (y1 * iw + x1) * 3;
          const w00 = (1 - wx) * (1 - wy);
          const w01 = wx * (1 - wy);
          const w10 = (1 - wx) * wy;
          const w11 = wx * wy;
          for (let q = 0; q < 3; q++) {
            pix[q] =
              (pix[q] as number) +
              w00 * (src[a + q] as number) +
              w01 * (src[b + q] as number) +
              w10 * (src[c + q] as number) +
              w11 * (src[d + q] as number);
          }
        }
      }
      const o = y * W + x;
      out[o] = ((pix[p0] as number) * weight - m0) * k;
      out[plane + o] = ((pix[p1] as number) * weight - m1) * k;
      out[2 * plane + o] = ((pix[p2] as number) * weight - m2) * k;
    }
  }
  return out;
}

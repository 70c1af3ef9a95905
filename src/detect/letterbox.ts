import type { RgbImage } from '../core/index.js';

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

/** Resampling taps of one axis: output `d` reads `taps` source indices from `index[d·taps…]` with `weight[…]`. */
interface AxisTaps {
  readonly taps: number;
  readonly index: Int32Array;
  readonly weight: Float32Array;
}

/**
 * Taps for resampling `srcLen` pixels starting at `start` into `dstLen`: bilinear with aligned pixel
 * centres when enlarging (`cv2.resize` `INTER_LINEAR`), pixel-area averaging when shrinking
 * (`INTER_AREA`, which OpenCV recommends for decimation: no aliasing of small faces).
 */
function axisTaps(start: number, srcLen: number, dstLen: number): AxisTaps {
  const ratio = srcLen / dstLen;
  if (ratio <= 1) {
    const index = new Int32Array(dstLen * 2);
    const weight = new Float32Array(dstLen * 2);
    for (let d = 0; d < dstLen; d++) {
      const f = Math.min(Math.max((d + 0.5) * ratio - 0.5, 0), srcLen - 1);
      const i0 = Math.floor(f);
      index[2 * d] = start + i0;
      index[2 * d + 1] = start + Math.min(i0 + 1, srcLen - 1);
      weight[2 * d] = 1 - (f - i0);
      weight[2 * d + 1] = f - i0;
    }
    return { taps: 2, index, weight };
  }
  const taps = Math.ceil(ratio) + 1;
  const index = new Int32Array(dstLen * taps);
  const weight = new Float32Array(dstLen * taps);
  for (let d = 0; d < dstLen; d++) {
    const lo = d * ratio;
    const hi = Math.min((d + 1) * ratio, srcLen);
    let k = 0;
    for (let i = Math.floor(lo); i < hi && k < taps; i++, k++) {
      index[d * taps + k] = start + i;
      weight[d * taps + k] = (Math.min(i + 1, hi) - Math.max(i, lo)) / ratio;
    }
    for (; k < taps; k++) index[d * taps + k] = start;
  }
  return { taps, index, weight };
}

/**
 * Fills an NCHW float32 tensor `[1, 3, inputHeight, inputWidth]` from the letterboxed region,
 * resampled separably (bilinear when enlarging, pixel-area when shrinking, per axis). Padding is
 * pixel value 0 before normalisation, as in InsightFace and OpenCV.
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
  const xt = axisTaps(region.x, region.width, cw);
  const yt = axisTaps(region.y, region.height, ch);
  const rows = region.height;
  // Horizontal pass over the region's rows: rows × cw × 3.
  const tmp = new Float32Array(rows * cw * 3);
  for (let r = 0; r < rows; r++) {
    const rowBase = (region.y + r) * iw * 3;
    const t = r * cw * 3;
    for (let x = 0; x < cw; x++) {
      let a = 0;
      let b = 0;
      let c = 0;
      for (let k = 0; k < xt.taps; k++) {
        const w = xt.weight[x * xt.taps + k] as number;
        if (w === 0) continue;
        const o = rowBase + (xt.index[x * xt.taps + k] as number) * 3;
        a += w * (src[o] as number);
        b += w * (src[o + 1] as number);
        c += w * (src[o + 2] as number);
      }
      tmp[t + x * 3] = a;
      tmp[t + x * 3 + 1] = b;
      tmp[t + x * 3 + 2] = c;
    }
  }
  const bgr = contract.order === 'bgr';
  const [m0, m1, m2] = contract.mean;
  const s = contract.scale;
  out.fill(-m0 * s, 0, plane);
  out.fill(-m1 * s, plane, 2 * plane);
  out.fill(-m2 * s, 2 * plane, 3 * plane);
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let k = 0; k < yt.taps; k++) {
        const w = yt.weight[y * yt.taps + k] as number;
        if (w === 0) continue;
        const o = ((yt.index[y * yt.taps + k] as number) - region.y) * cw * 3 + x * 3;
        r += w * (tmp[o] as number);
        g += w * (tmp[o + 1] as number);
        b += w * (tmp[o + 2] as number);
      }
      const o = y * W + x;
      out[o] = ((bgr ? b : r) - m0) * s;
      out[plane + o] = (g - m1) * s;
      out[2 * plane + o] = ((bgr ? r : b) - m2) * s;
    }
  }
  return out;
}

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
 * (`INTER_AREA`, which OpenCV recommends for decimation: no aliasing of small faces). Equal lengths
 * copy (one tap of weight 1). Each output has as many taps as the widest output needs; the unused
 * ones have weight 0.
 */
function axisTaps(start: number, srcLen: number, dstLen: number): AxisTaps {
  const ratio = srcLen / dstLen;
  if (ratio === 1) {
    const index = new Int32Array(dstLen);
    for (let d = 0; d < dstLen; d++) index[d] = start + d;
    return { taps: 1, index, weight: new Float32Array(dstLen).fill(1) };
  }
  if (ratio < 1) {
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
  // At most ⌈ratio⌉ + 1 source pixels overlap one output; an integer ratio overlaps exactly `ratio`.
  let taps = 1;
  for (let d = 0; d < dstLen; d++) {
    const lo = d * ratio;
    const hi = Math.min((d + 1) * ratio, srcLen);
    taps = Math.max(taps, Math.ceil(hi) - Math.floor(lo));
  }
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

/** Taps of recent axes: a video's frames all have the same size, so each frame reuses its plan. */
const tapsCache = new Map<string, AxisTaps>();
const TAPS_CACHE_SIZE = 32;

function cachedTaps(start: number, srcLen: number, dstLen: number): AxisTaps {
  const key = `${start},${srcLen},${dstLen}`;
  let t = tapsCache.get(key);
  if (t === undefined) {
    t = axisTaps(start, srcLen, dstLen);
    if (tapsCache.size >= TAPS_CACHE_SIZE) tapsCache.clear();
    tapsCache.set(key, t);
  }
  return t;
}

/** Working rows of the horizontal pass and one output row's sums, kept between calls (frames of a video). */
let rowsScratch = new Float32Array(0);
let sumScratch = new Float64Array(0);

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
  const xt = cachedTaps(region.x, region.width, cw);
  const yt = cachedTaps(region.y, region.height, ch);
  const bgr = contract.order === 'bgr';
  const [m0, m1, m2] = contract.mean;
  const s = contract.scale;
  out.fill(-m0 * s, 0, plane);
  out.fill(-m1 * s, plane, 2 * plane);
  out.fill(-m2 * s, 2 * plane, 3 * plane);
  const first = bgr ? 2 : 0;
  const last = bgr ? 0 : 2;
  if (xt.taps === 1 && yt.taps === 1) {
    // Same size: one pass from pixels to planes (the two passes' sums would be the pixels themselves).
    for (let y = 0; y < ch; y++) {
      const p = ((region.y + y) * iw + region.x) * 3;
      const o = y * W;
      for (let x = 0; x < cw; x++) {
        out[o + x] = ((src[p + x * 3 + first] as number) - m0) * s;
        out[plane + o + x] = ((src[p + x * 3 + 1] as number) - m1) * s;
        out[2 * plane + o + x] = ((src[p + x * 3 + last] as number) - m2) * s;
      }
    }
    return out;
  }
  const rows = region.height;
  const rowLen = cw * 3;
  // Horizontal pass over the region's rows: rows × cw × 3.
  if (rowsScratch.length < rows * rowLen) rowsScratch = new Float32Array(rows * rowLen);
  const tmp = rowsScratch;
  const xTaps = xt.taps;
  const xIndex = xt.index;
  const xWeight = xt.weight;
  for (let r = 0; r < rows; r++) {
    const rowBase = (region.y + r) * iw * 3;
    const t = r * rowLen;
    if (xTaps === 1) {
      const o = rowBase + region.x * 3;
      for (let i = 0; i < rowLen; i++) tmp[t + i] = src[o + i] as number;
      continue;
    }
    if (xTaps === 2) {
      // Unrolled: a weight-0 tap adds exactly 0, so the sums equal the general loop's.
      for (let x = 0; x < cw; x++) {
        const w0 = xWeight[2 * x] as number;
        const w1 = xWeight[2 * x + 1] as number;
        const o0 = rowBase + (xIndex[2 * x] as number) * 3;
        const o1 = rowBase + (xIndex[2 * x + 1] as number) * 3;
        tmp[t + x * 3] = w0 * (src[o0] as number) + w1 * (src[o1] as number);
        tmp[t + x * 3 + 1] = w0 * (src[o0 + 1] as number) + w1 * (src[o1 + 1] as number);
        tmp[t + x * 3 + 2] = w0 * (src[o0 + 2] as number) + w1 * (src[o1 + 2] as number);
      }
      continue;
    }
    for (let x = 0; x < cw; x++) {
      let a = 0;
      let b = 0;
      let c = 0;
      const base = x * xTaps;
      for (let k = 0; k < xTaps; k++) {
        const w = xWeight[base + k] as number;
        const o = rowBase + (xIndex[base + k] as number) * 3;
        a += w * (src[o] as number);
        b += w * (src[o + 1] as number);
        c += w * (src[o + 2] as number);
      }
      tmp[t + x * 3] = a;
      tmp[t + x * 3 + 1] = b;
      tmp[t + x * 3 + 2] = c;
    }
  }
  // Vertical pass, one output row at a time: the taps' rows summed in tap order (as per pixel).
  if (sumScratch.length < rowLen) sumScratch = new Float64Array(rowLen);
  const sum = sumScratch;
  const yTaps = yt.taps;
  for (let y = 0; y < ch; y++) {
    sum.fill(0, 0, rowLen);
    const base = y * yTaps;
    for (let k = 0; k < yTaps; k++) {
      const w = yt.weight[base + k] as number;
      if (w === 0) continue;
      const row = ((yt.index[base + k] as number) - region.y) * rowLen;
      for (let i = 0; i < rowLen; i++) sum[i] = (sum[i] as number) + w * (tmp[row + i] as number);
    }
    const o = y * W;
    for (let x = 0; x < cw; x++) {
      out[o + x] = ((sum[x * 3 + first] as number) - m0) * s;
      out[plane + o + x] = ((sum[x * 3 + 1] as number) - m1) * s;
      out[2 * plane + o + x] = ((sum[x * 3 + last] as number) - m2) * s;
    }
  }
  return out;
}

/**
 * Covering face regions of a frame: the box grown by a padding, clipped to the frame, then blurred,
 * pixelated or filled. Pure pixel code with no I/O (Node.js and the browser alike).
 */
import { assertNumber, assertOneOf, assertRgbImage, type Box, type RgbImage } from '../core/index.js';

/** How a covered region looks: heavily blurred, coarse blocks, or one solid colour. */
export type CoverStyle = 'blur' | 'pixelate' | 'fill';

/** The cover styles, for validation and help texts. */
export const COVER_STYLES: readonly CoverStyle[] = Object.freeze(['blur', 'pixelate', 'fill'] as const);

/** A region to cover, in integer pixels `[x0, y0, x1, y1)`, already padded and clipped. */
export type CoverRect = readonly [number, number, number, number];

/**
 * Blur radius as a share of the region's shorter side: 1/5, three box passes (≈ a Gaussian of σ ≈ side/5).
 * At that radius eyes, nose and mouth merge into one blob; a smaller one (1/10) left eyebrows readable
 * on 130-px LFW faces.
 */
const BLUR_RADIUS_SHARE = 1 / 5;
/** Box-blur passes; three approximate a Gaussian (Wells, "Efficient synthesis of Gaussian filters by cascaded uniform filters", 1986). */
const BLUR_PASSES = 3;
/** Pixel blocks across the region's shorter side: 6, coarser than the ~8×8 at which faces start to be recognisable again. */
const PIXEL_BLOCKS = 6;
/** Solid fill colour: black. */
const FILL_COLOR: readonly [number, number, number] = [0, 0, 0];

/**
 * A face box grown by `pad` times its width on the left and right and its height above and below,
 * rounded outwards to whole pixels and clipped to the frame; undefined when nothing is left.
 *
 * @example
 * padBox([100, 80, 164, 160], 0.25, 640, 360) // [84, 60, 180, 180]
 */
export function padBox(box: Box, pad: number, width: number, height: number): CoverRect | undefined {
  assertNumber('pad', pad, 0, 4);
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  const x0 = Math.max(0, Math.floor(box[0] - pad * w));
  const y0 = Math.max(0, Math.floor(box[1] - pad * h));
  const x1 = Math.min(width, Math.ceil(box[2] + pad * w));
  const y1 = Math.min(height, Math.ceil(box[3] + pad * h));
  return x1 > x0 && y1 > y0 ? [x0, y0, x1, y1] : undefined;
}

/**
 * A copy of `image` with each region covered in `style`; pixels outside every region are unchanged.
 * Blur and pixelation read only pixels inside the region, so nothing of a covered face leaks into
 * its surroundings and nothing of the surroundings is smeared over another region twice.
 *
 * @example
 * const safe = coverRegions(frame, [[84, 60, 180, 180]], 'pixelate')
 */
export function coverRegions(image: RgbImage, rects: readonly CoverRect[], style: CoverStyle): RgbImage {
  assertRgbImage('image', image);
  assertOneOf('style', style, COVER_STYLES);
  const data = new Uint8Array(image.data);
  const out: RgbImage = { width: image.width, height: image.height, data };
  for (const r of rects) {
    const x0 = Math.max(0, Math.floor(r[0]));
    const y0 = Math.max(0, Math.floor(r[1]));
    const x1 = Math.min(image.width, Math.ceil(r[2]));
    const y1 = Math.min(image.height, Math.ceil(r[3]));
    if (x1 <= x0 || y1 <= y0) continue;
    if (style === 'fill') fill(out, x0, y0, x1, y1);
    else if (style === 'pixelate') pixelate(out, x0, y0, x1, y1);
    else blur(out, x0, y0, x1, y1);
  }
  return out;
}

function fill(img: RgbImage, x0: number, y0: number, x1: number, y1: number): void {
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const i = (y * img.width + x) * 3;
      img.data[i] = FILL_COLOR[0];
      img.data[i + 1] = FILL_COLOR[1];
      img.data[i + 2] = FILL_COLOR[2];
    }
  }
}

function pixelate(img: RgbImage, x0: number, y0: number, x1: number, y1: number): void {
  const block = Math.max(2, Math.ceil(Math.min(x1 - x0, y1 - y0) / PIXEL_BLOCKS));
  for (let by = y0; by < y1; by += block) {
    for (let bx = x0; bx < x1; bx += block) {
      const ex = Math.min(bx + block, x1);
      const ey = Math.min(by + block, y1);
      const sum = [0, 0, 0];
      for (let y = by; y < ey; y++) {
        for (let x = bx; x < ex; x++) {
          const i = (y * img.width + x) * 3;
          sum[0] = (sum[0] as number) + (img.data[i] as number);
          sum[1] = (sum[1] as number) + (img.data[i + 1] as number);
          sum[2] = (sum[2] as number) + (img.data[i + 2] as number);
        }
      }
      const n = (ex - bx) * (ey - by);
      const mean = sum.map((s) => Math.round(s / n));
      for (let y = by; y < ey; y++) {
        for (let x = bx; x < ex; x++) {
          const i = (y * img.width + x) * 3;
          img.data[i] = mean[0] as number;
          img.data[i + 1] = mean[1] as number;
          img.data[i + 2] = mean[2] as number;
        }
      }
    }
  }
}

/** Three separable box passes over the region, reading only the region (edges clamped). */
function blur(img: RgbImage, x0: number, y0: number, x1: number, y1: number): void {
  const w = x1 - x0;
  const h = y1 - y0;
  const radius = Math.max(2, Math.round(Math.min(w, h) * BLUR_RADIUS_SHARE));
  const buf = new Float32Array(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = ((y0 + y) * img.width + x0 + x) * 3;
      const d = (y * w + x) * 3;
      buf[d] = img.data[s] as number;
      buf[d + 1] = img.data[s + 1] as number;
      buf[d + 2] = img.data[s + 2] as number;
    }
  }
  const tmp = new Float32Array(buf.length);
  for (let p = 0; p < BLUR_PASSES; p++) {
    boxPass(buf, tmp, w, h, radius, true);
    boxPass(tmp, buf, w, h, radius, false);
  }
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const s = (y * w + x) * 3;
      const d = ((y0 + y) * img.width + x0 + x) * 3;
      img.data[d] = Math.round(buf[s] as number);
      img.data[d + 1] = Math.round(buf[s + 1] as number);
      img.data[d + 2] = Math.round(buf[s + 2] as number);
    }
  }
}

/** One running-sum box filter of `radius` along x (`horizontal`) or y, edge pixels repeated. */
function boxPass(src: Float32Array, dst: Float32Array, w: number, h: number, radius: number, horizontal: boolean): void {
  const lines = horizontal ? h : w;
  const len = horizontal ? w : h;
  const at = (line: number, k: number): number => (horizontal ? line * w + k : k * w + line) * 3;
  const n = 2 * radius + 1;
  for (let line = 0; line < lines; line++) {
    for (let c = 0; c < 3; c++) {
      let sum = 0;
      for (let k = -radius; k <= radius; k++) sum += src[at(line, Math.min(len - 1, Math.max(0, k))) + c] as number;
      for (let k = 0; k < len; k++) {
        dst[at(line, k) + c] = sum / n;
        sum += (src[at(line, Math.min(len - 1, k + radius + 1)) + c] as number) - (src[at(line, Math.max(0, k - radius)) + c] as number);
      }
    }
  }
}

import type { Box, RgbImage } from '../core/index.js';

/**
 * Margin around a face box in a thumbnail, as a fraction of the box size on each side, so the
 * thumbnail shows the head and not only the detector's tight box.
 */
export const THUMBNAIL_MARGIN = 0.25;

/**
 * A copy of the region of `image` around `box` (with {@link THUMBNAIL_MARGIN}), clipped to the image.
 *
 * @example
 * const thumb = cropBox(frame, [100, 80, 180, 180])
 */
export function cropBox(image: RgbImage, box: Box, margin = THUMBNAIL_MARGIN): RgbImage {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  const x1 = clamp(Math.floor(box[0] - w * margin), 0, image.width - 1);
  const y1 = clamp(Math.floor(box[1] - h * margin), 0, image.height - 1);
  const x2 = clamp(Math.ceil(box[2] + w * margin), x1 + 1, image.width);
  const y2 = clamp(Math.ceil(box[3] + h * margin), y1 + 1, image.height);
  const width = x2 - x1;
  const height = y2 - y1;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((y1 + y) * image.width + x1) * 3;
    data.set(image.data.subarray(from, from + width * 3), y * width * 3);
  }
  return { width, height, data };
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

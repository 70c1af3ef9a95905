import type { Landmarks5 } from '../core/index.js';

/**
 * The ArcFace 112×112 five-point template: eye centres, nose tip and mouth corners, in ArcFace
 * landmark order. Source: InsightFace `python-package/insightface/utils/face_align.py`, `arcface_dst`
 * (the template every InsightFace recogniser, including the Luxonis zoo export, was trained on).
 */
export const ARCFACE_TEMPLATE_112: Landmarks5 = Object.freeze([
  Object.freeze([38.2946, 51.6963]),
  Object.freeze([73.5318, 51.5014]),
  Object.freeze([56.0252, 71.7366]),
  Object.freeze([41.5493, 92.3655]),
  Object.freeze([70.7299, 92.2041]),
] as const) as unknown as Landmarks5;

/**
 * The template for an `size`×`size` crop, scaled by InsightFace's rule (`face_align.estimate_norm`):
 * a multiple of 112 scales by size/112; any other size scales by size/128 and shifts x by 8·size/128
 * (the 112 template sits inside a 128 crop with 8 px margins left and right).
 *
 * @example
 * arcfaceTemplate(128) // for recognisers trained on 128×128 crops
 */
export function arcfaceTemplate(size: number): Landmarks5 {
  if (!Number.isInteger(size) || size < 16 || size > 4096) {
    throw new RangeError(`Expected an integer crop size between 16 and 4096 but received ${String(size)}`);
  }
  const byMultiple = size % 112 === 0;
  const ratio = byMultiple ? size / 112 : size / 128;
  const dx = byMultiple ? 0 : 8 * ratio;
  return ARCFACE_TEMPLATE_112.map(([x, y]) => [x * ratio + dx, y * ratio] as const) as unknown as Landmarks5;
}

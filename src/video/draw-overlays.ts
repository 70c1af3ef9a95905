/**
 * Box outlines and labels drawn on a copy of a frame, for annotated videos and previews.
 */
import { assertRgbImage, type Box, type RgbImage } from '../core/index.js';
import { drawText, fillRect, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';

/** One thing to draw: a box, an optional label above it, an optional colour (default green). */
export interface Overlay {
  readonly box: Box;
  readonly label?: string;
  readonly color?: readonly [number, number, number];
}

/** Default overlay colour: pure green, visible on skin and most backgrounds. */
export const DEFAULT_OVERLAY_COLOR: readonly [number, number, number] = Object.freeze([0, 255, 0] as const);
/** One line/font pixel per this many pixels of the shorter image side: 2 px at 360p, 3 px at 720p. */
const PIXELS_PER_STROKE = 240;
/** Luma (ITU-R BT.601 weights) above which a label background gets black text rather than white. */
const LIGHT_BACKGROUND_LUMA = 140;

function checkColor(i: number, c: unknown): readonly [number, number, number] {
  if (c === undefined) return DEFAULT_OVERLAY_COLOR;
  if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw new TypeError(`Expected overlays[${i}].color as three integers 0–255 but received ${JSON.stringify(c)}`);
  }
  return c as unknown as readonly [number, number, number];
}

/**
 * Returns a copy of `image` with each overlay's box outlined and its label drawn on a filled tab
 * above the box (inside it when there is no room above), everything clipped to the image. Line
 * width and font scale grow with the image: 2 px and 10×14-px characters at 640×360.
 *
 * @example
 * const annotated = drawOverlays(frame, [{ box: [40, 30, 140, 150], label: 'Alice #3' }])
 */
export function drawOverlays(image: RgbImage, overlays: readonly Overlay[]): RgbImage {
  assertRgbImage('image', image);
  if (!Array.isArray(overlays)) throw new TypeError(`Expected an array of overlays but received ${typeof overlays}`);
  const { width, height } = image;
  const data = image.data.slice();
  const stroke = Math.max(1, Math.round(Math.min(width, height) / PIXELS_PER_STROKE));
  overlays.forEach((o, i) => {
    const box = o?.box as unknown;
    if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new TypeError(`Expected overlays[${i}].box as [x1, y1, x2, y2] finite numbers but received ${JSON.stringify(box)}`);
    }
    const color = checkColor(i, o.color);
    const [x1, y1, x2, y2] = [Math.round(Math.min(box[0], box[2])), Math.round(Math.min(box[1], box[3])), Math.round(Math.max(box[0], box[2])), Math.round(Math.max(box[1], box[3]))];
    const w = Math.max(x2 - x1, 1);
    const h = Math.max(y2 - y1, 1);
    fillRect(data, width, height, x1, y1, w, stroke, color);
    fillRect(data, width, height, x1, y2 - stroke, w, stroke, color);
    fillRect(data, width, height, x1, y1, stroke, h, color);
    fillRect(data, width, height, x2 - stroke, y1, stroke, h, color);
    if (o.label === undefined || o.label === '') return;
    if (typeof o.label !== 'string') throw new TypeError(`Expected overlays[${i}].label as a string but received ${typeof o.label}`);
    const pad = stroke;
    const tabW = textWidth(o.label, stroke) + 2 * pad;
    const tabH = GLYPH_HEIGHT * stroke + 2 * pad;
    const tx = Math.max(0, Math.min(x1, width - tabW));
    const above = y1 - tabH;
    const ty = above >= 0 ? above : Math.max(0, Math.min(y1, height - tabH));
    fillRect(data, width, height, tx, ty, tabW, tabH, color);
    const luma = 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2];
    drawText(data, width, height, tx + pad, ty + pad, o.label, stroke, luma > LIGHT_BACKGROUND_LUMA ? [0, 0, 0] : [255, 255, 255]);
  });
  return { width, height, data };
}

/**
 * Box outlines and labels drawn on a copy of a frame, for annotated videos and previews.
 */
import { assertRgbImage, type Box, type RgbImage } from '../core/index.js';
import { drawText, fillRect, GLYPH_HEIGHT, textWidth } from './bitmap-font.js';
import { placeLabels } from './label-layout.js';

/**
 * One thing to draw: a box, an optional label above it, an optional colour (default green) and an
 * optional dashed outline (for a box that was predicted rather than seen).
 */
export interface Overlay {
  readonly box: Box;
  readonly label?: string;
  readonly color?: readonly [number, number, number];
  readonly dashed?: boolean;
}

/** Default overlay colour: pure green, visible on skin and most backgrounds. */
export const DEFAULT_OVERLAY_COLOR: readonly [number, number, number] = Object.freeze([0, 255, 0] as const);
/** One line/font pixel per this many pixels of the shorter image side: 2 px at 360p, 3 px at 720p. */
const PIXELS_PER_STROKE = 240;
/** Luma (ITU-R BT.601 weights) above which a label background gets black text rather than white. */
const LIGHT_BACKGROUND_LUMA = 140;
/** Dashes and gaps of a dashed outline, in strokes: 8 px at 360p, which reads as dashed, not as a thin solid line. */
const DASH_STROKES = 4;

/** How an outline is drawn: the image's pixels, its size, the line width, solid or dashed, and the colour. */
interface Pen {
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly stroke: number;
  readonly dashed: boolean;
  readonly color: readonly [number, number, number];
}

/** An outline segment from (x, y), `length` px along x (`horizontal`) or y. */
function segment(pen: Pen, x: number, y: number, length: number, horizontal: boolean): void {
  const { data, width, height, stroke, color } = pen;
  const dash = pen.dashed ? DASH_STROKES * stroke : length;
  for (let at = 0; at < length; at += 2 * dash) {
    const run = Math.min(dash, length - at);
    if (horizontal) fillRect(data, width, height, x + at, y, run, stroke, color);
    else fillRect(data, width, height, x, y + at, stroke, run, color);
  }
}

function checkColor(i: number, c: unknown): readonly [number, number, number] {
  if (c === undefined) return DEFAULT_OVERLAY_COLOR;
  if (!Array.isArray(c) || c.length !== 3 || !c.every((v) => Number.isInteger(v) && v >= 0 && v <= 255)) {
    throw new TypeError(`Expected overlays[${i}].color as three integers 0–255 but received ${JSON.stringify(c)}`);
  }
  return c as unknown as readonly [number, number, number];
}

/**
 * Returns a copy of `image` with each overlay's box outlined (dashed when asked) and its label drawn
 * on a filled tab above the box, placed by {@link placeLabels}: inside the image and clear of the
 * other labels (moved below the top edge, or stacked, when needed). Line width and font scale grow
 * with the image: 2 px and 10×14-px characters at 640×360.
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
  const pad = stroke;
  const tabH = GLYPH_HEIGHT * stroke + 2 * pad;
  const labelled: { label: string; color: readonly [number, number, number]; box: Box; width: number }[] = [];
  overlays.forEach((o, i) => {
    const box = o?.box as unknown;
    if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new TypeError(`Expected overlays[${i}].box as [x1, y1, x2, y2] finite numbers but received ${JSON.stringify(box)}`);
    }
    const color = checkColor(i, o.color);
    if (o.dashed !== undefined && typeof o.dashed !== 'boolean')
      throw new TypeError(`Expected overlays[${i}].dashed as a boolean but received ${typeof o.dashed}`);
    const pen: Pen = { data, width, height, stroke, dashed: o.dashed === true, color };
    const [x1, y1, x2, y2] = [
      Math.round(Math.min(box[0], box[2])),
      Math.round(Math.min(box[1], box[3])),
      Math.round(Math.max(box[0], box[2])),
      Math.round(Math.max(box[1], box[3])),
    ];
    const w = Math.max(x2 - x1, 1);
    const h = Math.max(y2 - y1, 1);
    segment(pen, x1, y1, w, true);
    segment(pen, x1, y2 - stroke, w, true);
    segment(pen, x1, y1, h, false);
    segment(pen, x2 - stroke, y1, h, false);
    if (o.label === undefined || o.label === '') return;
    if (typeof o.label !== 'string') throw new TypeError(`Expected overlays[${i}].label as a string but received ${typeof o.label}`);
    labelled.push({ label: o.label, color, box: [x1, y1, x2, y2], width: textWidth(o.label, stroke) + 2 * pad });
  });
  // Labels are drawn after every outline, so no box is drawn over a label, at spots where they stay inside the frame and clear of each other.
  const spots = placeLabels(
    labelled.map((l) => ({ box: l.box, width: l.width, height: tabH })),
    width,
    height,
  );
  labelled.forEach((l, i) => {
    const { x, y } = spots[i] as { x: number; y: number };
    fillRect(data, width, height, x, y, l.width, tabH, l.color);
    const luma = 0.299 * l.color[0] + 0.587 * l.color[1] + 0.114 * l.color[2];
    drawText(data, width, height, x + pad, y + pad, l.label, stroke, luma > LIGHT_BACKGROUND_LUMA ? [0, 0, 0] : [255, 255, 255]);
  });
  return { width, height, data };
}

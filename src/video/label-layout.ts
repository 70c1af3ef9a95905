/**
 * Where the labels of a frame's boxes go: each one inside the frame and clear of the others. Pure
 * geometry, shared by the Node renderer (`drawOverlays`) and the web pages (the browser bundle exports it).
 */
import type { Box } from '../core/index.js';

/** One label to place: the box it names and the label's size in pixels. */
export interface LabelRequest {
  readonly box: Box;
  readonly width: number;
  readonly height: number;
}

/** The top-left corner of a placed label. */
export interface LabelPlacement {
  readonly x: number;
  readonly y: number;
}

/**
 * Rows tried above and below the preferred spot before a label settles for the least overlap: 8 rows
 * of a 14-px label is 112 px, more than a crowd of faces stacks in a 360p frame.
 */
const MAX_STACK_ROWS = 8;

function checkRequest(i: number, r: LabelRequest): void {
  const box = r?.box as unknown;
  if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`Expected labels[${i}].box as [x1, y1, x2, y2] finite numbers but received ${JSON.stringify(box)}`);
  }
  for (const k of ['width', 'height'] as const) {
    const v = r[k];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
      throw new RangeError(`Expected labels[${i}].${k} as a finite number ≥ 0 but received ${String(v)}`);
  }
}

function overlap(a: LabelPlacement & { w: number; h: number }, b: LabelPlacement & { w: number; h: number }): number {
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  return w > 0 && h > 0 ? w * h : 0;
}

/**
 * Places one label per box, in order (earlier labels keep the better spots): the preferred spot is
 * on top of the box, left-aligned with it; when the frame has no room there it goes just below
 * the box's top edge (inside the box). A label that would overlap one already placed moves a row
 * at a time (up first, then down) until it is clear; if no row within {@link MAX_STACK_ROWS} is
 * clear, it takes the row with the least overlap. Every label is kept inside the `width`×`height`
 * frame (a label wider or taller than the frame starts at its left or top edge).
 *
 * @example
 * placeLabels([{ box: [600, 40, 640, 90], width: 90, height: 16 }], 640, 360) // [{ x: 550, y: 24 }]
 */
export function placeLabels(labels: readonly LabelRequest[], width: number, height: number): LabelPlacement[] {
  if (!Array.isArray(labels)) throw new TypeError(`Expected an array of labels but received ${typeof labels}`);
  for (const [k, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      throw new RangeError(`Expected the frame ${k} as a finite number > 0 but received ${String(v)}`);
  }
  const placed: (LabelPlacement & { w: number; h: number })[] = [];
  labels.forEach((r, i) => {
    checkRequest(i, r);
    const { width: w, height: h } = r;
    const x1 = Math.min(r.box[0], r.box[2]);
    const y1 = Math.min(r.box[1], r.box[3]);
    const clampX = (x: number): number => Math.max(0, Math.min(x, width - w));
    const clampY = (y: number): number => Math.max(0, Math.min(y, height - h));
    const x = clampX(x1);
    const start = clampY(y1 - h >= 0 ? y1 - h : y1);
    const rows = [start];
    for (let k = 1; k <= MAX_STACK_ROWS; k++) rows.push(start - k * h, start + k * h);
    let best: (LabelPlacement & { w: number; h: number }) | undefined;
    let bestOverlap = Number.POSITIVE_INFINITY;
    for (const y of rows) {
      if (y < 0 && h <= height) continue;
      if (y + h > height && y !== start) continue;
      const candidate = { x, y: clampY(y), w, h };
      const total = placed.reduce((s, p) => s + overlap(candidate, p), 0);
      if (total < bestOverlap) {
        best = candidate;
        bestOverlap = total;
        if (total === 0) break;
      }
    }
    placed.push(best ?? { x, y: start, w, h });
  });
  return placed.map(({ x, y }) => ({ x, y }));
}

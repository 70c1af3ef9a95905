/**
 * How much of a true face an anonymised frame leaves bare: the share of the face box that is neither
 * hidden by a face pasted over it (synthetic clips: nearer people are pasted later) nor inside a cover.
 * Shared by the `anonymize` benchmark and the anonymiser's tests.
 */
import type { Box } from '../src/core/types.js';
import type { TruthFrame } from './video-synth.js';

/** A frame counts as "bare" when some true face shows more than this share of its area uncovered. */
export const BARE_SHARE = 0.1;

/**
 * Share (0–1) of `face`, clipped to the `width`×`height` frame, that is not inside any of `hidden` and not
 * inside any of `covers` (pixel grid, 1-px cells); 0 for a face wholly outside the frame.
 */
export function bareShare(face: Box, hidden: readonly (readonly number[])[], covers: readonly (readonly number[])[], width: number, height: number): number {
  const x0 = Math.max(0, Math.floor(face[0]));
  const y0 = Math.max(0, Math.floor(face[1]));
  const x1 = Math.min(width, Math.ceil(face[2]));
  const y1 = Math.min(height, Math.ceil(face[3]));
  const w = x1 - x0;
  const h = y1 - y0;
  if (w <= 0 || h <= 0) return 0;
  const mask = new Uint8Array(w * h);
  const mark = (r: readonly number[], value: number): void => {
    const ax = Math.max(x0, Math.floor(r[0] as number)) - x0;
    const ay = Math.max(y0, Math.floor(r[1] as number)) - y0;
    const bx = Math.min(x1, Math.ceil(r[2] as number)) - x0;
    const by = Math.min(y1, Math.ceil(r[3] as number)) - y0;
    for (let y = ay; y < by; y++) mask.fill(value, y * w + ax, Math.max(y * w + ax, y * w + bx));
  };
  for (const r of hidden) mark(r, 1);
  for (const r of covers) mark(r, 1);
  let bare = 0;
  for (const m of mask) if (m === 0) bare++;
  return bare / (w * h);
}

/** Per true face of a synthetic frame: its person and its bare share given the covers (occluders from the paste order). */
export function syntheticBareShares(
  truth: TruthFrame,
  covers: readonly (readonly number[])[],
  width: number,
  height: number,
): { personId: string; share: number }[] {
  const objects = truth.objects;
  const tall = (b: Box): number => b[3] - b[1];
  return objects.map((o) => {
    // The truth's own visible share bounds the result: the boxes of the faces pasted over `o` only approximate what hides it.
    // Pasted after `o` (so over it): taller boxes, or equally tall ones later by person id (bench/video-synth.ts).
    const over = objects.filter((q) => q !== o && (tall(q.box) > tall(o.box) || (tall(q.box) === tall(o.box) && q.personId > o.personId))).map((q) => q.box);
    return { personId: o.personId, share: Math.min(o.visible, bareShare(o.faceBox, over, covers, width, height)) };
  });
}

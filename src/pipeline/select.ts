import type { Box } from '../core/index.js';
import type { FaceSelection } from './types.js';

const area = (b: Box): number => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);

/**
 * Indices of the picked faces in detector order: `all` keeps every one, `largest` the one with the
 * largest box, `central` the one whose box centre is nearest the image centre, distances in units of
 * the image diagonal, ties broken by size.
 *
 * @example
 * selectFaceIndices(faces, 'largest', 640, 480) // [2]
 */
export function selectFaceIndices(faces: readonly { readonly box: Box }[], selection: FaceSelection, width: number, height: number): number[] {
  if (selection === 'all' || faces.length === 0) return faces.map((_, i) => i);
  const cx = width / 2;
  const cy = height / 2;
  const diag = Math.hypot(width, height);
  const cost =
    selection === 'largest'
      ? (b: Box): number => -area(b)
      : (b: Box): number => Math.hypot((b[0] + b[2]) / 2 - cx, (b[1] + b[3]) / 2 - cy) / diag - 1e-6 * Math.sqrt(area(b));
  let best = 0;
  for (let i = 1; i < faces.length; i++) if (cost((faces[i] as { box: Box }).box) < cost((faces[best] as { box: Box }).box)) best = i;
  return [best];
}

/**
 * Picks faces by {@link selectFaceIndices}.
 *
 * @example
 * selectFaces(faces, 'central', 250, 250)
 */
export function selectFaces<T extends { readonly box: Box }>(faces: readonly T[], selection: FaceSelection, width: number, height: number): T[] {
  return selectFaceIndices(faces, selection, width, height).map((i) => faces[i] as T);
}

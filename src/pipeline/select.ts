import type { Box } from '../core/types.js';
import type { FaceSelection } from './types.js';

const area = (b: Box): number => Math.max(0, b[2] - b[0]) * Math.max(0, b[3] - b[1]);

/**
 * Picks faces: `all` keeps them (detector order), `largest` the one with the largest box, `central`
 * the one whose box centre is nearest the image centre, distances in units of the image diagonal,
 * ties broken by size.
 *
 * @example
 * selectFaces(faces, 'central', 250, 250)
 */
export function selectFaces<T extends { readonly box: Box }>(faces: readonly T[], selection: FaceSelection, width: number, height: number): T[] {
  if (faces.length <= 1 || selection === 'all') return [...faces];
  if (selection === 'largest') {
    return [faces.reduce((best, f) => (area(f.box) > area(best.box) ? f : best))];
  }
  const cx = width / 2;
  const cy = height / 2;
  const diag = Math.hypot(width, height);
  const cost = (b: Box): number => Math.hypot((b[0] + b[2]) / 2 - cx, (b[1] + b[3]) / 2 - cy) / diag - 1e-6 * Math.sqrt(area(b));
  return [faces.reduce((best, f) => (cost(f.box) < cost(best.box) ? f : best))];
}

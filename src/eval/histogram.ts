/**
 * Genuine and impostor score histograms on cosine similarity, fixed bins over [-1, 1].
 */
import { assertInteger } from '../core/index.js';
import { assertPairArrays } from './pair-arrays.js';

/** Default bin count: 0.025-wide bins over the cosine range [-1, 1]. */
export const HISTOGRAM_BINS = 80;

/** Counts of genuine and impostor pairs per cosine bin. */
export interface ScoreHistogram {
  /** Bin edges, `bins + 1` values from -1 to 1; bin i is `[edges[i], edges[i+1])`, the last one closed. */
  readonly edges: readonly number[];
  readonly genuine: readonly number[];
  readonly impostor: readonly number[];
}

/**
 * Histograms of the cosine similarities of genuine (`same`) and impostor pairs.
 *
 * @example
 * const h = scoreHistogram([0.8, 0.1], [true, false])
 */
export function scoreHistogram(cosines: ArrayLike<number>, same: ArrayLike<boolean>, bins: number = HISTOGRAM_BINS): ScoreHistogram {
  assertPairArrays('cosines', cosines, same);
  assertInteger('bins', bins, 1, 10_000);
  const edges = Array.from({ length: bins + 1 }, (_, i) => -1 + (2 * i) / bins);
  const genuine = new Array<number>(bins).fill(0);
  const impostor = new Array<number>(bins).fill(0);
  for (let i = 0; i < cosines.length; i++) {
    const c = Math.min(1, Math.max(-1, cosines[i] as number));
    const b = Math.min(bins - 1, Math.floor(((c + 1) / 2) * bins));
    const target = same[i] === true ? genuine : impostor;
    target[b] = (target[b] as number) + 1;
  }
  return { edges, genuine, impostor };
}

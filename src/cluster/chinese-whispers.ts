/**
 * Chinese Whispers graph clustering (Biemann, 2006) exactly as dlib runs it for faces
 * (`dlib/clustering/chinese_whispers.h`, `chinese_whispers_clustering` in dlib's Python tools):
 * an unweighted edge between every two faces closer than a Euclidean distance threshold, a
 * self-loop on every face, labels initialised to the node number, then `iterations × nodes` times
 * a random node takes the label with the largest summed edge weight among its neighbours (ties to
 * the smallest label, as dlib's ordered map iterates). The baseline of the cluster benchmark.
 */
import { assertInteger, assertNumber } from '../core/index.js';
import type { NeighbourGraph } from './neighbour-graph.js';
import { compactLabels } from './average-linkage.js';
import { seededRandom } from './random.js';

/** Options of {@link chineseWhispers}. */
export interface ChineseWhispersOptions {
  /** Edge when the Euclidean distance of the unit embeddings is below this (dlib's `threshold`). */
  readonly distance: number;
  /** dlib's default `num_iterations`. */
  readonly iterations: number;
  readonly seed: number;
}

/**
 * dlib's defaults: 100 iterations; the distance threshold is model-specific (0.6 for dlib's own model).
 *
 * @example
 * chineseWhispers(graph, { ...CHINESE_WHISPERS_DEFAULTS, distance: 1.1 })
 */
export const CHINESE_WHISPERS_DEFAULTS: Readonly<Omit<ChineseWhispersOptions, 'distance'>> = Object.freeze({ iterations: 100, seed: 0 });

/**
 * Labels (0…m−1, every row labelled, singletons included) by Chinese Whispers over the edges of
 * `graph` closer than `distance`.
 *
 * @example
 * const labels = chineseWhispers(graph, { distance: 1.0, iterations: 100, seed: 0 })
 */
export function chineseWhispers(graph: NeighbourGraph, options: Partial<ChineseWhispersOptions> & { distance: number }): Int32Array {
  const o = { ...CHINESE_WHISPERS_DEFAULTS, ...options };
  assertNumber('distance', o.distance, 0, 2);
  assertInteger('iterations', o.iterations, 1, 100_000);
  const n = graph.rows;
  // |a − b|² = 2 − 2·cos for unit vectors.
  const minCos = 1 - (o.distance * o.distance) / 2;
  const lists: number[][] = Array.from({ length: n }, (_, i) => [i]);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < graph.k; t++) {
      const j = graph.neighbours[i * graph.k + t] as number;
      if (j < 0 || (graph.scores[i * graph.k + t] as number) <= minCos) break;
      (lists[i] as number[]).push(j);
      (lists[j] as number[]).push(i);
    }
  }
  const adj = lists.map((l) => Int32Array.from(new Set(l)));
  const labels = Int32Array.from({ length: n }, (_, i) => i);
  const counts = new Float64Array(n);
  const r = seededRandom(o.seed);
  for (let it = 0; it < n * o.iterations; it++) {
    const i = Math.floor(r() * n);
    const nb = adj[i] as Int32Array;
    for (const j of nb) counts[labels[j] as number] = (counts[labels[j] as number] as number) + 1;
    let best = -1;
    let bestScore = 0;
    for (const j of nb) {
      const l = labels[j] as number;
      const c = counts[l] as number;
      if (c > bestScore || (c === bestScore && l < best)) {
        best = l;
        bestScore = c;
      }
    }
    for (const j of nb) counts[labels[j] as number] = 0;
    labels[i] = best;
  }
  const size = new Int32Array(n);
  for (const l of labels) size[l] = (size[l] as number) + 1;
  return compactLabels(n, (i) => labels[i] as number, size, 1);
}

/**
 * The full re-cluster: agglomerative clustering with average linkage (UPGMA) on cosine similarity,
 * stopped at a threshold, with cannot-link constraints (two faces of one photo never join, nor two
 * faces a person has said are not one person).
 *
 * For unit embeddings the average pairwise cosine of two clusters is the dot product of their
 * summed vectors over the product of their sizes, so each linkage costs one dot product and is
 * exact. Two clusters whose average cosine reaches the threshold have at least one pair of faces
 * at or above it, so merging along the edges of a neighbour graph built with that `minScore`
 * finds every merge an all-pairs run would, up to the graph's `k` cap. Average linkage does not
 * chain two people together through one lookalike pair, which single linkage (Immich's nearest
 * neighbour rule) and label propagation (Chinese Whispers) can.
 */
import { assertNumber } from '../core/index.js';
import { MergeHeap } from './max-heap.js';
import type { NeighbourGraph } from './neighbour-graph.js';

/** Options of {@link averageLinkage}. */
export interface AverageLinkageOptions {
  /** Clusters merge while their average cosine is at least this. */
  readonly threshold: number;
  /** Photo of each row (cannot-link: rows of one photo never share a cluster); omitted, none. */
  readonly photos?: ArrayLike<number> | undefined;
  /**
   * Pairs of rows that must never share a cluster (hand edits: "not this person", a face moved out
   * of a person); omitted, none.
   */
  readonly cannotLink?: readonly (readonly [number, number])[] | undefined;
  /** Clusters smaller than this are left unassigned (label −1). */
  readonly minSize?: number;
  /**
   * Extra cosine asked of small merges: clusters of n and m faces merge when their average cosine
   * reaches `threshold + smallMargin / √(n·m)`. The average of n·m chance similarities between
   * strangers spreads as 1/√(n·m), so two lone faces (the likeliest chance match in a large
   * collection) must agree most; default 0.
   */
  readonly smallMargin?: number;
}

/**
 * Clusters the rows of `matrix`; returns a label per row, 0…m−1 in order of first row, −1 for rows
 * left in clusters smaller than `minSize`.
 *
 * @example
 * const labels = averageLinkage(matrix, 512, buildNeighbourGraph(matrix, 512, { minScore: 0.35 }), { threshold: 0.35 })
 */
export function averageLinkage(matrix: Float32Array, dim: number, graph: NeighbourGraph, options: AverageLinkageOptions): Int32Array {
  const threshold = assertNumber('threshold', options.threshold, -1, 1);
  const margin = assertNumber('smallMargin', options.smallMargin ?? 0, 0, 2);
  const needed = (a: number, b: number): number => threshold + margin / Math.sqrt(a * b);
  const n = graph.rows;
  if (matrix.length !== n * dim) throw new RangeError(`Expected a ${n} × ${dim} matrix for the graph but received ${matrix.length} values`);
  const photos = options.photos;
  if (photos !== undefined && photos.length !== n) throw new RangeError(`Expected ${n} photo ids but received ${photos.length}`);
  const parent = Int32Array.from({ length: n }, (_, i) => i);
  const size = new Int32Array(n).fill(1);
  const changed = new Float64Array(n);
  const sums = new Map<number, Float32Array>();
  const photoSets = new Map<number, Set<number>>();
  const adj: (number[] | undefined)[] = new Array<number[] | undefined>(n);
  const find = (x: number): number => {
    let r = x;
    while ((parent[r] as number) !== r) r = parent[r] as number;
    while ((parent[x] as number) !== r) {
      const nx = parent[x] as number;
      parent[x] = r;
      x = nx;
    }
    return r;
  };
  const vec = (c: number): Float32Array => sums.get(c) ?? matrix.subarray(c * dim, (c + 1) * dim);
  const tags = cannotLinkTags(n, options.cannotLink);
  const tracked = photos !== undefined || tags.size > 0;
  const photoSet = (c: number): Set<number> =>
    photoSets.get(c) ?? new Set([...(photos === undefined || (photos[c] as number) < 0 ? [] : [photos[c] as number]), ...(tags.get(c) ?? [])]);
  const conflict = (a: number, b: number): boolean => {
    if (!tracked) return false;
    const [s, l] = [photoSet(a), photoSet(b)].sort((x, y) => x.size - y.size) as [Set<number>, Set<number>];
    for (const p of s) if (l.has(p)) return true;
    return false;
  };
  const heap = new MergeHeap();
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < graph.k; t++) {
      const j = graph.neighbours[i * graph.k + t] as number;
      if (j < 0) break;
      const s = graph.scores[i * graph.k + t] as number;
      if (s < threshold) break;
      if (adj[i] === undefined) adj[i] = [];
      if (adj[j] === undefined) adj[j] = [];
      (adj[i] as number[]).push(j);
      (adj[j] as number[]).push(i);
      if (s >= needed(1, 1) && (i < j || !hasNeighbour(graph, j, i))) heap.push(s, i, j, 0);
    }
  }
  const e = { score: 0, a: 0, b: 0, stamp: 0 };
  let time = 0;
  const mark = new Float64Array(n).fill(-1);
  while (heap.pop(e)) {
    const { a, b } = e;
    if ((parent[a] as number) !== a || (parent[b] as number) !== b) continue;
    if ((changed[a] as number) > e.stamp || (changed[b] as number) > e.stamp) continue;
    if (conflict(a, b)) continue;
    time++;
    const [w, l] = (size[a] as number) >= (size[b] as number) ? [a, b] : [b, a];
    // The winner's sum grows in place; a lone face gets its own copy first.
    const sum = sums.get(w) ?? Float32Array.from(vec(w));
    const lv = vec(l);
    for (let j = 0; j < dim; j++) sum[j] = (sum[j] as number) + (lv[j] as number);
    sums.set(w, sum);
    sums.delete(l);
    if (tracked) {
      const ps = new Set(photoSet(w));
      for (const p of photoSet(l)) ps.add(p);
      photoSets.set(w, ps);
      photoSets.delete(l);
    }
    parent[l] = w;
    size[w] = (size[w] as number) + (size[l] as number);
    changed[w] = time;
    const merged: number[] = [];
    for (const list of [adj[w], adj[l]]) {
      for (const x of list ?? []) {
        const c = find(x);
        if (c === w || (mark[c] as number) === time) continue;
        mark[c] = time;
        merged.push(c);
      }
    }
    adj[w] = merged;
    adj[l] = undefined;
    for (const c of merged) {
      const link = dotOf(sum, vec(c), dim) / ((size[w] as number) * (size[c] as number));
      if (link >= needed(size[w] as number, size[c] as number) && !conflict(w, c)) heap.push(link, w, c, time);
    }
  }
  return compactLabels(n, find, size, options.minSize ?? 1);
}

/**
 * First tag of cannot-link pairs: above every photo number (photo numbers are 31-bit, see
 * `hashPhoto`), so a pair's tag never equals a photo's.
 */
const CANNOT_LINK_TAG = 2 ** 31;

/**
 * Cannot-link pairs as tags: both rows of pair k carry tag 2³¹ + k, and two clusters that hold one
 * tag between them conflict exactly as two faces of one photo do.
 *
 * @example
 * cannotLinkTags(3, [[0, 2]]) // Map { 0 => [2147483648], 2 => [2147483648] }
 */
export function cannotLinkTags(n: number, pairs: readonly (readonly [number, number])[] | undefined): Map<number, number[]> {
  const tags = new Map<number, number[]>();
  (pairs ?? []).forEach(([a, b], k) => {
    for (const r of [a, b]) {
      if (!Number.isInteger(r) || r < 0 || r >= n) throw new RangeError(`Expected cannot-link rows between 0 and ${n - 1} but received ${r} in pair ${k}`);
      const list = tags.get(r);
      if (list === undefined) tags.set(r, [CANNOT_LINK_TAG + k]);
      else list.push(CANNOT_LINK_TAG + k);
    }
  });
  return tags;
}

function hasNeighbour(g: NeighbourGraph, row: number, other: number): boolean {
  for (let t = 0; t < g.k; t++) {
    const j = g.neighbours[row * g.k + t] as number;
    if (j < 0) return false;
    if (j === other) return true;
  }
  return false;
}

function dotOf(a: Float32Array, b: Float32Array, dim: number): number {
  let s0 = 0;
  let s1 = 0;
  for (let j = 0; j < dim; j += 2) {
    s0 += (a[j] as number) * (b[j] as number);
    s1 += (a[j + 1] as number) * (b[j + 1] as number);
  }
  return s0 + s1;
}

/**
 * Labels 0…m−1 in order of each cluster's first row; −1 for clusters smaller than `minSize`.
 *
 * @example
 * compactLabels(3, (i) => [0, 0, 2][i], new Int32Array([2, 0, 1]), 2) // [0, 0, -1]
 */
export function compactLabels(n: number, root: (i: number) => number, size: ArrayLike<number>, minSize: number): Int32Array {
  const labels = new Int32Array(n);
  const id = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const r = root(i);
    if ((size[r] as number) < minSize) {
      labels[i] = -1;
      continue;
    }
    let l = id.get(r);
    if (l === undefined) {
      l = id.size;
      id.set(r, l);
    }
    labels[i] = l;
  }
  return labels;
}

/**
 * Defaults of the full re-cluster, chosen on the tuning half of LFW with w600k-mbf-int8 by
 * `npm run bench -- cluster --sweep` (best BCubed F1 with ≤ 0.5 % of persons mixing people there):
 * two lone faces merge at cosine ≥ 0.37, large clusters at an average ≥ 0.32.
 *
 * @example
 * averageLinkage(matrix, 512, graph, { ...FULL_DEFAULTS, minSize: 2 })
 */
export const FULL_DEFAULTS: Readonly<{ threshold: number; smallMargin: number }> = Object.freeze({ threshold: 0.32, smallMargin: 0.05 });

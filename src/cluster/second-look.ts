/**
 * A second look at finished clusters: a face whose average cosine to the other faces of its cluster
 * is low was most likely pulled in by a look-alike, and is left out (label −1) instead. For unit
 * embeddings, with s the cluster's summed vector, face i's average cosine to the other n − 1 faces
 * is (s·eᵢ − 1) / (n − 1), so the look costs one dot product per face.
 */
import { assertNumber } from '../core/index.js';

/**
 * Each face's average cosine to the other faces of its cluster (NaN for faces alone or unassigned).
 *
 * @example
 * const links = leaveOneOutLinks(matrix, 512, labels)
 */
export function leaveOneOutLinks(matrix: Float32Array, dim: number, labels: ArrayLike<number>): Float64Array {
  const n = labels.length;
  if (matrix.length !== n * dim) throw new RangeError(`Expected a ${n} × ${dim} matrix for ${n} labels but received ${matrix.length} values`);
  const sums = new Map<number, { s: Float64Array; n: number }>();
  for (let i = 0; i < n; i++) {
    const l = labels[i] as number;
    if (l < 0) continue;
    const c = sums.get(l) ?? { s: new Float64Array(dim), n: 0 };
    for (let j = 0; j < dim; j++) c.s[j] = (c.s[j] as number) + (matrix[i * dim + j] as number);
    c.n++;
    sums.set(l, c);
  }
  const out = new Float64Array(n).fill(Number.NaN);
  for (let i = 0; i < n; i++) {
    const c = sums.get(labels[i] as number);
    if (c === undefined || c.n < 2) continue;
    let d = 0;
    for (let j = 0; j < dim; j++) d += (c.s[j] as number) * (matrix[i * dim + j] as number);
    out[i] = (d - 1) / (c.n - 1);
  }
  return out;
}

/**
 * Labels with every face of a cluster of ≥ `minSize` faces whose average cosine to the rest is below
 * `minLink` set to −1 (one pass; clusters left with one face become −1 too).
 *
 * @example
 * const trimmed = secondLook(matrix, 512, labels, { minLink: 0.3 })
 */
export function secondLook(matrix: Float32Array, dim: number, labels: ArrayLike<number>, o: { minLink: number; minSize?: number }): Int32Array {
  const minLink = assertNumber('minLink', o.minLink, -1, 1);
  const minSize = o.minSize ?? 3;
  const links = leaveOneOutLinks(matrix, dim, labels);
  const size = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) size.set(labels[i] as number, (size.get(labels[i] as number) ?? 0) + 1);
  const out = Int32Array.from(labels);
  for (let i = 0; i < out.length; i++) {
    if ((out[i] as number) >= 0 && (size.get(out[i] as number) ?? 0) >= minSize && (links[i] as number) < minLink) out[i] = -1;
  }
  const left = new Map<number, number>();
  for (const l of out) if (l >= 0) left.set(l, (left.get(l) ?? 0) + 1);
  for (let i = 0; i < out.length; i++) if ((out[i] as number) >= 0 && left.get(out[i] as number) === 1) out[i] = -1;
  return out;
}

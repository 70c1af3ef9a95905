/**
 * Small vector math shared by the embedder, the gallery and evaluation.
 */

/**
 * Euclidean norm of `v`.
 *
 * @example
 * l2norm(new Float32Array([3, 4])) // 5
 */
export function l2norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) * (v[i] as number);
  return Math.sqrt(s);
}

/**
 * A unit-length copy of `v` (float32). A zero vector stays zero rather than becoming NaN.
 *
 * @example
 * l2normalize([3, 4]) // Float32Array [0.6, 0.8]
 */
export function l2normalize(v: ArrayLike<number>): Float32Array {
  const n = l2norm(v);
  const out = new Float32Array(v.length);
  if (n === 0) return out;
  for (let i = 0; i < v.length; i++) out[i] = (v[i] as number) / n;
  return out;
}

/**
 * Dot product; equals cosine similarity for unit vectors. Accumulates in float64.
 *
 * @example
 * dot(a, b)
 */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`Expected vectors of equal length but received ${a.length} and ${b.length}`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

/**
 * Cosine similarity of two vectors of any length (normalises both).
 *
 * @example
 * cosine([1, 0], [1, 1]) // 0.7071…
 */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const na = l2norm(a);
  const nb = l2norm(b);
  if (na === 0 || nb === 0) return 0;
  return dot(a, b) / (na * nb);
}

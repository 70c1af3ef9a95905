/**
 * Seeded synthetic unit embeddings for gallery tests and benchmarks: random directions on the
 * 512-sphere (near-orthogonal, like different people) and noisy copies of them (like other photos
 * of the same person).
 */
import { mulberry32 } from '../src/core/index.js';

/** The seeded PRNG shared by synthetic data, benchmarks and tests. */
export const rng = mulberry32;

/** A standard normal sample (Box–Muller). */
function gauss(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** Writes a random unit vector into `out` at `off`. */
export function randomUnit(r: () => number, dim: number, out = new Float32Array(dim), off = 0): Float32Array {
  let s = 0;
  for (let j = 0; j < dim; j++) {
    const g = gauss(r);
    out[off + j] = g;
    s += g * g;
  }
  const inv = 1 / Math.sqrt(s);
  for (let j = 0; j < dim; j++) out[off + j] = (out[off + j] as number) * inv;
  return out;
}

/**
 * A unit vector at cosine ≈ `cos` to unit `base`: base·cos + (random orthogonal)·sin. Copies at
 * cosine 0.7 to one base are at about 0.49 to each other, like photos of one face.
 */
export function near(r: () => number, base: Float32Array, cos: number, out = new Float32Array(base.length), off = 0): Float32Array {
  const dim = base.length;
  const n = randomUnit(r, dim);
  let d = 0;
  for (let j = 0; j < dim; j++) d += (n[j] as number) * (base[j] as number);
  let s = 0;
  for (let j = 0; j < dim; j++) {
    const v = (n[j] as number) - d * (base[j] as number);
    n[j] = v;
    s += v * v;
  }
  const sin = Math.sqrt(Math.max(0, 1 - cos * cos));
  const inv = 1 / Math.sqrt(s);
  let t = 0;
  for (let j = 0; j < dim; j++) {
    const v = cos * (base[j] as number) + sin * (n[j] as number) * inv;
    out[off + j] = v;
    t += v * v;
  }
  const k = 1 / Math.sqrt(t);
  for (let j = 0; j < dim; j++) out[off + j] = (out[off + j] as number) * k;
  return out;
}

/** `rows` random unit vectors in one matrix. */
export function randomMatrix(seed: number, rows: number, dim: number): Float32Array {
  const r = rng(seed);
  const m = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) randomUnit(r, dim, m, i * dim);
  return m;
}

/** Exact top-k by brute force in float64, for checking indexes. */
export function bruteForce(matrix: Float32Array, dim: number, q: Float32Array, k: number): { row: number; score: number }[] {
  const rows = matrix.length / dim;
  const all: { row: number; score: number }[] = [];
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += (q[j] as number) * (matrix[r * dim + j] as number);
    all.push({ row: r, score: s });
  }
  return all.sort((a, b) => b.score - a.score || a.row - b.row).slice(0, k);
}

/**
 * `count` synthetic identities: a random base direction each and `perPerson` templates at cosine 0.7
 * to it (like photos of one person), seeded.
 *
 * @example
 * const crowd = syntheticPeople(1, 2000, 1, 512)
 */
export function syntheticPeople(seed: number, count: number, perPerson: number, dim: number): { id: string; base: Float32Array; templates: Float32Array[] }[] {
  const r = rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const base = randomUnit(r, dim);
    return { id: `person_${String(i).padStart(4, '0')}`, base, templates: Array.from({ length: perPerson }, () => near(r, base, 0.7)) };
  });
}

/** One identity of {@link syntheticGallery}. */
export interface SyntheticIdentity {
  readonly id: string;
  readonly base: Float32Array;
  /** In enrolment order. */
  readonly templates: Float32Array[];
  /** Indices into `templates` of photos of someone else (mislabels). */
  readonly mislabelled: readonly number[];
  /** A second look (beard, glasses, age): a direction at cosine ≈ 0.35 to `base`, or null. */
  readonly look: Float32Array | null;
}

/**
 * Templates per identity of {@link syntheticGallery}, as cumulative shares: most identities have
 * one or two photos and a tail has many, as in LFW (4,069 of 5,749 people with one image, a few
 * with more than 100) and in enrolment galleries.
 */
const TEMPLATE_COUNTS: readonly (readonly [share: number, min: number, max: number])[] = [
  [0.45, 1, 1],
  [0.65, 2, 2],
  [0.8, 3, 4],
  [0.92, 5, 9],
  [1, 10, 20],
];

/**
 * Synthetic identities with a realistic structure, until `templates` templates are made: template
 * counts per {@link TEMPLATE_COUNTS}; photos at cosine 0.7 to the person's base; an identity of ≥ 4
 * photos has, with chance 0.2, a second look (a third of its photos near another direction, a
 * trusted second sub-centre); an identity of ≥ 3 photos has, with chance 0.2, one mislabelled photo
 * (a random direction: an untrusted sub-centre of its own). Seeded.
 *
 * @example
 * const ids = syntheticGallery(7, 100_000, 512)
 */
export function syntheticGallery(seed: number, templates: number, dim: number): SyntheticIdentity[] {
  const r = rng(seed);
  const out: SyntheticIdentity[] = [];
  let made = 0;
  while (made < templates) {
    const u = r();
    const [, min, max] = TEMPLATE_COUNTS.find(([share]) => u < share) ?? [1, 1, 1];
    const n = Math.min(templates - made, min + Math.floor(r() * (max - min + 1)));
    const base = randomUnit(r, dim);
    const look = n >= 4 && r() < 0.2 ? near(r, base, 0.35) : null;
    const list = Array.from({ length: n }, (_, i) => near(r, look !== null && i % 3 === 2 ? look : base, 0.7));
    const mislabelled: number[] = [];
    if (n >= 3 && r() < 0.2) {
      const at = Math.floor(r() * n);
      list[at] = randomUnit(r, dim);
      mislabelled.push(at);
    }
    out.push({ id: `id_${String(out.length).padStart(6, '0')}`, base, templates: list, mislabelled, look });
    made += n;
  }
  return out;
}

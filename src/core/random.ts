/**
 * mulberry32 (Tommy Ettinger, public domain): a small, fast, seedable 32-bit PRNG giving numbers in
 * [0, 1). Synthetic data, benchmarks and tests use it so every run sees the same sequence.
 *
 * @example
 * const rand = mulberry32(1); rand() // the same sequence for the same seed
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

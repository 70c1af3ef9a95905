/**
 * A seedable pseudo-random generator, so that every clustering run (Chinese Whispers' node order,
 * the random projection of the approximate neighbour search) is reproducible.
 */

/**
 * mulberry32 (Tommy Ettinger, public domain): a small, fast 32-bit generator; returns uniform
 * numbers in [0, 1).
 *
 * @example
 * const r = seededRandom(7); r() // 0.…
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A standard normal sample (Box–Muller) from a uniform generator.
 *
 * @example
 * gaussian(seededRandom(1))
 */
export function gaussian(r: () => number): number {
  const u = Math.max(r(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

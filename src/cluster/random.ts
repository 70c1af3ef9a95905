/**
 * A seedable pseudo-random generator, so that every clustering run (Chinese Whispers' node order,
 * the random projection of the approximate neighbour search) is reproducible.
 */
import { mulberry32 } from '../core/index.js';

/**
 * The project's seeded generator (mulberry32, see `core/random.ts`); returns uniform numbers in [0, 1).
 *
 * @example
 * const r = seededRandom(7); r() // 0.…
 */
export const seededRandom: (seed: number) => () => number = mulberry32;

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

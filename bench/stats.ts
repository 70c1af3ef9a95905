/** Median of a list of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The q-quantile (0..1) of a list, nearest rank; NaN for an empty list. */
export function percentile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] as number;
}

/**
 * Times several variants side by side: each round runs every variant once, in rotating order, so
 * machine noise hits all of them alike. Returns the median milliseconds per variant.
 */
export async function interleave(variants: Record<string, () => Promise<unknown>>, rounds: number, warmup = 2): Promise<Record<string, number>> {
  const names = Object.keys(variants);
  for (let w = 0; w < warmup; w++) for (const n of names) await (variants[n] as () => Promise<unknown>)();
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(r + k) % names.length] as string;
      const t0 = performance.now();
      await (variants[n] as () => Promise<unknown>)();
      (times[n] as number[]).push(performance.now() - t0);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(times[n] as number[])]));
}

/** Formats a number with fixed decimals, right-aligned. */
export function fmt(x: number, digits = 2, width = 9): string {
  return x.toFixed(digits).padStart(width);
}

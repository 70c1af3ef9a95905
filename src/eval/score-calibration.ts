/**
 * Impostor and genuine score tables of a recogniser from a labelled photo set: every pair of
 * embeddings is scored (cosine), different-person pairs into the impostor histogram, same-person
 * pairs into the genuine one; the compact tables of {@link ScoreCalibration} are read off the
 * histograms. On the 7,701 shared LFW photos that is 29.6 million pairs, enough for FAR down to
 * 1e-7 (≈ 3 pairs), where LFW's 3,000 protocol impostor pairs stop at 3e-4.
 */
import type { ScoreCalibration } from '../models/index.js';

/**
 * Histogram resolution in cosine: 1e-4, finer than the 4 decimals thresholds are quoted with.
 *
 * @example
 * Math.round((cosine + 1) / SCORE_BIN) // a score's bin
 */
export const SCORE_BIN = 1e-4;
const BINS = Math.round(2 / SCORE_BIN) + 1;

/** Score histograms: `counts[b]` pairs scored in [b·SCORE_BIN − 1 − SCORE_BIN/2, … + SCORE_BIN/2). */
export interface ScoreHistograms {
  readonly impostor: Float64Array;
  readonly genuine: Float64Array;
  readonly impostorPairs: number;
  readonly genuinePairs: number;
}

/** Options of {@link scoreCalibration}. */
export interface ScoreCalibrationOptions {
  /** Impostor table points per decade of FAR (default 10). */
  readonly stepsPerDecade?: number;
  /** Deepest FAR decade asked for (default 7: 1e-7); points below 1 / impostor pairs are left out. */
  readonly decades?: number;
  readonly source: string;
}

/**
 * FRR levels of the genuine table: dense near 0, where identification thresholds sit.
 *
 * @example
 * GENUINE_FRR_LEVELS.indexOf(0.01) // the cosine below which 1 % of same-person pairs fall
 */
export const GENUINE_FRR_LEVELS: readonly number[] = Object.freeze([0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.9]);

const bin = (cos: number): number => Math.min(BINS - 1, Math.max(0, Math.round((cos + 1) / SCORE_BIN)));
const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

/**
 * Scores every pair of `embeddings` (unit vectors) and histograms them by whether `labels` agree.
 * O(n²·d): about 20 s for 7,701 512-d embeddings on one core.
 *
 * @example
 * const h = scoreHistograms([e1, e2, e3], ['ada', 'ada', 'bob']) // 1 genuine, 2 impostor pairs
 */
export function scoreHistograms(embeddings: readonly Float32Array[], labels: readonly string[]): ScoreHistograms {
  if (!Array.isArray(embeddings) || !Array.isArray(labels) || embeddings.length !== labels.length) {
    throw new RangeError(`Expected as many labels as embeddings but received ${labels?.length} labels for ${embeddings?.length} embeddings`);
  }
  const n = embeddings.length;
  const d = n === 0 ? 0 : (embeddings[0] as Float32Array).length;
  const m = new Float32Array(n * d);
  embeddings.forEach((e, i) => {
    if (!(e instanceof Float32Array) || e.length !== d)
      throw new RangeError(`Expected embeddings[${i}] to be a Float32Array of ${d} but received ${e?.length}`);
    m.set(e, i * d);
  });
  const ids = new Int32Array(n);
  const codes = new Map<string, number>();
  labels.forEach((l, i) => {
    if (typeof l !== 'string') throw new TypeError(`Expected labels[${i}] to be a string but received ${typeof l}`);
    ids[i] = codes.get(l) ?? codes.set(l, codes.size).size - 1;
  });
  const impostor = new Float64Array(BINS);
  const genuine = new Float64Array(BINS);
  let ip = 0;
  let gp = 0;
  for (let i = 0; i < n; i++) {
    const oi = i * d;
    for (let j = i + 1; j < n; j++) {
      const oj = j * d;
      let s = 0;
      for (let k = 0; k < d; k++) s += (m[oi + k] as number) * (m[oj + k] as number);
      const b = bin(s);
      if (ids[i] === ids[j]) {
        genuine[b] = (genuine[b] as number) + 1;
        gp++;
      } else {
        impostor[b] = (impostor[b] as number) + 1;
        ip++;
      }
    }
  }
  return { impostor, genuine, impostorPairs: ip, genuinePairs: gp };
}

/**
 * The compact tables from histograms: the cosine at FAR 10^(−k/steps) for every k the pair count
 * supports (at least one pair expected above it), and the cosine at each {@link GENUINE_FRR_LEVELS}.
 *
 * @example
 * const cal = scoreCalibration(scoreHistograms(embeddings, labels), { source: 'my photos, yunet-n' })
 */
export function scoreCalibration(h: ScoreHistograms, opts: ScoreCalibrationOptions): ScoreCalibration {
  const steps = opts.stepsPerDecade ?? 10;
  const decades = opts.decades ?? 7;
  if (!Number.isInteger(steps) || steps < 1 || steps > 100) throw new RangeError(`Expected stepsPerDecade in 1..100 but received ${steps}`);
  if (h.impostorPairs < 10) throw new RangeError(`Expected at least 10 impostor pairs to calibrate but received ${h.impostorPairs}`);
  const impostor: [number, number][] = [];
  // From FAR 10^-0.5 (a third of impostors) down: smaller galleries never need more.
  for (let k = Math.ceil(steps / 2); k <= decades * steps; k++) {
    const far = 10 ** (-k / steps);
    if (far * h.impostorPairs < 1) break;
    const allowed = far * h.impostorPairs;
    let cum = 0;
    let b = BINS - 1;
    while (b >= 0 && cum + (h.impostor[b] as number) <= allowed) cum += h.impostor[b--] as number;
    impostor.push([Number(far.toPrecision(4)), round4((b + 0.5) * SCORE_BIN - 1)]);
  }
  const genuine: [number, number][] = [];
  if (h.genuinePairs > 0) {
    for (const frr of GENUINE_FRR_LEVELS) {
      let cum = 0;
      let b = 0;
      while (b < BINS && cum + (h.genuine[b] as number) <= frr * h.genuinePairs) cum += h.genuine[b++] as number;
      genuine.push([frr, round4((b - 0.5) * SCORE_BIN - 1)]);
    }
  }
  return { impostor, genuine, impostorPairs: h.impostorPairs, genuinePairs: h.genuinePairs, source: opts.source };
}

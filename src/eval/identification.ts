/**
 * Open-set identification metrics (NIST FRVT 1:N terms): each mated probe (its person is enrolled)
 * and each non-mated probe (a stranger) is searched against the gallery. Rank-k: fraction of mated
 * probes whose person is among the k best candidates. FPIR(t): fraction of non-mated probes whose
 * best score is ≥ t. DIR(t) = 1 − FNIR(t): fraction of mated probes whose best candidate is their
 * person with a score ≥ t. DIR at FPIR x is read at the lowest threshold whose FPIR ≤ x.
 */

/** A gallery for evaluation: identity id → templates (unit embeddings); an identity scores its best template. */
export type EvalGallery = ReadonlyMap<string, readonly Float32Array[]>;

/** Probe outcomes, the input of every metric. */
export interface IdentificationScores {
  /** Per mated probe: rank of its person (1 = best; Infinity when not enrolled) and best candidate's score and id. */
  readonly mated: readonly { readonly rank: number; readonly topScore: number; readonly topIsMate: boolean }[];
  /** Per non-mated probe: best score over the gallery. */
  readonly nonMatedTop: Float64Array;
  readonly galleryIdentities: number;
}

/** One operating point. */
export interface IdentificationPoint {
  readonly threshold: number;
  readonly fpir: number;
  readonly dir: number;
}

/**
 * FPIR targets at which DIR is reported: 10 %, 1 %, 0.1 % (NIST FRVT 1:N reports these).
 *
 * @example
 * REPORTED_FPIRS.map((f) => dirAtFpir(scores, f))
 */
export const REPORTED_FPIRS: readonly number[] = Object.freeze([0.1, 0.01, 0.001]);

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function identityScores(gallery: EvalGallery, probe: Float32Array): { id: string; score: number }[] {
  const out: { id: string; score: number }[] = [];
  for (const [id, templates] of gallery) {
    let best = -Infinity;
    for (const t of templates) best = Math.max(best, dot(t, probe));
    out.push({ id, score: best });
  }
  return out;
}

/**
 * Scores every probe against the gallery.
 *
 * @example
 * const s = scoreIdentification(gallery, [{ label: 'ada', embedding }], [strangerEmbedding])
 */
export function scoreIdentification(
  gallery: EvalGallery,
  mated: readonly { readonly label: string; readonly embedding: Float32Array }[],
  nonMated: readonly Float32Array[],
): IdentificationScores {
  if (!(gallery instanceof Map) || gallery.size === 0)
    throw new RangeError(`Expected a non-empty gallery but received ${gallery instanceof Map ? 'an empty one' : typeof gallery}`);
  const m = mated.map(({ label, embedding }) => {
    const scores = identityScores(gallery, embedding);
    const mine = scores.find((s) => s.id === label);
    let top = scores[0] as { id: string; score: number };
    for (const s of scores) if (s.score > top.score) top = s;
    const rank = mine === undefined ? Infinity : 1 + scores.filter((s) => s.score > mine.score).length;
    return { rank, topScore: top.score, topIsMate: mine !== undefined && rank === 1 };
  });
  const nm = Float64Array.from(nonMated, (e) => Math.max(...identityScores(gallery, e).map((s) => s.score)));
  return { mated: m, nonMatedTop: nm, galleryIdentities: gallery.size };
}

/**
 * Fraction of mated probes whose person ranks within `k`.
 *
 * @example
 * rankK(scores, 1)
 */
export function rankK(s: IdentificationScores, k: number): number {
  return s.mated.length === 0 ? Number.NaN : s.mated.filter((p) => p.rank <= k).length / s.mated.length;
}

/**
 * FPIR and DIR at a threshold.
 *
 * @example
 * pointAtThreshold(scores, 0.3) // { threshold: 0.3, fpir, dir }
 */
export function pointAtThreshold(s: IdentificationScores, threshold: number): IdentificationPoint {
  let fp = 0;
  for (const x of s.nonMatedTop) if (x >= threshold) fp++;
  const hits = s.mated.filter((p) => p.topIsMate && p.topScore >= threshold).length;
  return {
    threshold,
    fpir: s.nonMatedTop.length === 0 ? Number.NaN : fp / s.nonMatedTop.length,
    dir: s.mated.length === 0 ? Number.NaN : hits / s.mated.length,
  };
}

/**
 * DIR at the lowest threshold whose FPIR ≤ `fpir` (thresholds just above each stranger's score);
 * null when there are too few strangers to measure it (fewer than 1 / fpir).
 *
 * @example
 * dirAtFpir(scores, 0.01)?.dir
 */
export function dirAtFpir(s: IdentificationScores, fpir: number): IdentificationPoint | null {
  const n = s.nonMatedTop.length;
  if (n * fpir < 1) return null;
  const sorted = Float64Array.from(s.nonMatedTop).sort().reverse();
  const allowed = Math.floor(fpir * n + 1e-9);
  // Strangers at index < allowed may pass; the threshold sits just above the next one.
  const next = sorted[allowed];
  const threshold = next === undefined ? -1 : next + 1e-6;
  return pointAtThreshold(s, threshold);
}

/**
 * The DET curve: (FPIR, FNIR) at each threshold just above a stranger's score, best first.
 *
 * @example
 * detCurve(scores).map((p) => [p.fpir, 1 - p.dir])
 */
export function detCurve(s: IdentificationScores): IdentificationPoint[] {
  const sorted = Float64Array.from(s.nonMatedTop).sort().reverse();
  const out: IdentificationPoint[] = [];
  for (let i = 0; i < sorted.length; i++) {
    const t = (sorted[i] as number) + 1e-6;
    if (i > 0 && sorted[i] === sorted[i - 1]) continue;
    out.push(pointAtThreshold(s, t));
  }
  return out;
}

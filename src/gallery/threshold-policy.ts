/**
 * Open-set identification thresholds from a recogniser's impostor table and the gallery's size.
 *
 * A stranger is compared with every enrolled identity, so the chance that at least one of N
 * impostor scores passes a threshold grows with N. For a target false positive identification rate
 * (FPIR, NIST FRVT 1:N) the per-comparison false accept rate must be
 * FAR = 1 − (1 − FPIR)^(1/N) (independent comparisons); the threshold is the cosine at that FAR in
 * the impostor table, so it rises as the gallery grows. The formula was chosen over a per-size
 * simulation on the calibration photos by measurement (`scripts/openset-study.ts`, docs/identification.md):
 * on random galleries of 10 to 2,000 LFW people with 2,000 strangers, the FPIR measured at the
 * formula's threshold averaged 0.66–1.02 % for a 1 % target (sampling noise ±0.22 %), and the
 * simulated 1 % thresholds lay within 0.008 of the formula's. The formula needs only the compact
 * table and extends to galleries larger than any calibration set; a simulation needs the photos.
 */
import { ArcFaceError } from '../core/index.js';
import { type ScoreCalibration, findKnownModelBySha256 } from '../models/index.js';

/**
 * Default target FPIR: 1 % of strangers may be taken for someone, the operating point NIST FRVT 1:N
 * reports most often (FNIR at FPIR 0.01).
 *
 * @example
 * identificationThreshold(calibration, n, { fpir: DEFAULT_TARGET_FPIR })
 */
export const DEFAULT_TARGET_FPIR = 0.01;

/** Which threshold an identification used, and why. */
export interface ThresholdChoice {
  readonly threshold: number;
  /**
   * `given`: the caller's threshold; `fpir`: derived from the impostor table for `targetFpir` and
   * `galleryIdentities`; `floor`: the FPIR threshold fell below the 1:1 threshold, which was kept;
   * `fixed`: the 1:1 threshold (no impostor table for this model).
   */
  readonly source: 'given' | 'fpir' | 'floor' | 'fixed';
  readonly targetFpir?: number;
  readonly galleryIdentities?: number;
  /** Per-comparison false accept rate the FPIR target asks for. */
  readonly pairFar?: number;
  /** One sentence for people. */
  readonly reason: string;
}

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

function checkTable(cal: ScoreCalibration): readonly (readonly [number, number])[] {
  const t = cal?.impostor;
  if (!Array.isArray(t) || t.length < 2) {
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected an impostor table of at least 2 [far, cosine] points but received ${Array.isArray(t) ? t.length : typeof t}`,
    );
  }
  return t;
}

/**
 * The cosine at which a fraction `far` of impostor pairs still scores, interpolated linearly in
 * log10(FAR) between table points; beyond the table's deepest point its cosine is returned
 * (`clamped` true): the table cannot say more.
 *
 * @example
 * cosineAtFar(calibration, 1e-5) // { cosine: 0.31, clamped: false }
 */
export function cosineAtFar(cal: ScoreCalibration, far: number): { cosine: number; clamped: boolean } {
  if (typeof far !== 'number' || !(far > 0 && far <= 1)) throw new RangeError(`Expected far in (0, 1] but received ${String(far)}`);
  const t = checkTable(cal);
  const first = t[0] as readonly [number, number];
  const last = t[t.length - 1] as readonly [number, number];
  if (far >= first[0]) return { cosine: first[1], clamped: far > first[0] };
  if (far <= last[0]) return { cosine: last[1], clamped: far < last[0] };
  for (let i = 1; i < t.length; i++) {
    const [f1, c1] = t[i] as readonly [number, number];
    if (far >= f1) {
      const [f0, c0] = t[i - 1] as readonly [number, number];
      const u = (Math.log10(far) - Math.log10(f0)) / (Math.log10(f1) - Math.log10(f0));
      return { cosine: c0 + u * (c1 - c0), clamped: false };
    }
  }
  return { cosine: last[1], clamped: true };
}

/**
 * The fraction of impostor pairs scoring at or above `cosine` (log-linear between table points,
 * clamped to the table's ends).
 *
 * @example
 * farAtCosine(calibration, 0.249) // ≈ 1e-3
 */
export function farAtCosine(cal: ScoreCalibration, cosine: number): number {
  if (typeof cosine !== 'number' || !Number.isFinite(cosine)) throw new TypeError(`Expected a finite cosine but received ${String(cosine)}`);
  const t = checkTable(cal);
  const first = t[0] as readonly [number, number];
  const last = t[t.length - 1] as readonly [number, number];
  if (cosine <= first[1]) return first[0];
  if (cosine >= last[1]) return last[0];
  for (let i = 1; i < t.length; i++) {
    const [f1, c1] = t[i] as readonly [number, number];
    if (cosine <= c1) {
      const [f0, c0] = t[i - 1] as readonly [number, number];
      const u = c1 === c0 ? 1 : (cosine - c0) / (c1 - c0);
      return 10 ** (Math.log10(f0) + u * (Math.log10(f1) - Math.log10(f0)));
    }
  }
  return last[0];
}

/**
 * The identification threshold for a gallery of `identities` identities and a target FPIR, never
 * below `floor` (the recogniser's 1:1 threshold, so that a small gallery is no more lenient than
 * `compare`).
 *
 * @example
 * identificationThreshold(calibration, 1600, { fpir: 0.01, floor: 0.249 }).threshold
 */
export function identificationThreshold(cal: ScoreCalibration, identities: number, opts: { fpir?: number; floor?: number | null } = {}): ThresholdChoice {
  if (!Number.isInteger(identities) || identities < 0)
    throw new RangeError(`Expected the gallery size to be a non-negative integer but received ${String(identities)}`);
  const fpir = opts.fpir ?? DEFAULT_TARGET_FPIR;
  if (typeof fpir !== 'number' || !(fpir > 0 && fpir < 1)) throw new RangeError(`Expected a target FPIR in (0, 1) but received ${String(fpir)}`);
  const n = Math.max(1, identities);
  // 1 − (1 − fpir)^(1/n), computed without cancellation for large n.
  const pairFar = -Math.expm1(Math.log1p(-fpir) / n);
  const { cosine, clamped } = cosineAtFar(cal, pairFar);
  const pct = `${+(fpir * 100).toPrecision(3)} %`;
  const base = `FPIR ${pct} over ${identities} identit${identities === 1 ? 'y' : 'ies'} asks for FAR ${pairFar.toExponential(2)} per comparison`;
  const floor = opts.floor ?? null;
  if (floor !== null && cosine < floor) {
    return {
      threshold: floor,
      source: 'floor',
      targetFpir: fpir,
      galleryIdentities: identities,
      pairFar,
      reason: `${base}: cosine ${round4(cosine)}, below the 1:1 threshold ${floor}, which is kept`,
    };
  }
  const note = clamped ? ` (deeper than the impostor table's last point, ${checkTable(cal).at(-1)?.[0]}: its cosine is used)` : '';
  return {
    threshold: round4(cosine),
    source: 'fpir',
    targetFpir: fpir,
    galleryIdentities: identities,
    pairFar,
    reason: `${base}: cosine ${round4(cosine)} from the impostor table${note}`,
  };
}

/**
 * The registry's score calibration for a gallery's model fingerprint (`sha256:<hex>|…`), if any.
 *
 * @example
 * calibrationForFingerprint(fr.fingerprint)?.impostorPairs
 */
export function calibrationForFingerprint(fingerprint: string): ScoreCalibration | undefined {
  const m = /^sha256:([0-9a-f]{64})\|/.exec(fingerprint);
  return m === null ? undefined : findKnownModelBySha256(m[1] as string)?.calibration;
}

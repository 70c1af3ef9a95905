/**
 * The contract of an entry in the registry of known models: what a model is called, which file it
 * is, where it is published, under which licence, and how to feed it. The entries themselves live
 * in `known-models.ts`; this file holds only the shapes.
 */

/** What a model does: one of the detector families the project decodes, or a face recogniser. */
export type ModelTask = 'yunet' | 'scrfd' | 'retinaface' | 'recognizer';

/** Licence terms of a model's weights (not of the code that trained it). */
export interface ModelLicence {
  /** Short name, e.g. `MIT` or `InsightFace: non-commercial research only`. */
  readonly name: string;
  /** True when the weights may not be used commercially; the CLI prints a notice once per home. */
  readonly nonCommercial: boolean;
  /** Where the terms are stated. */
  readonly url: string;
}

/**
 * A cosine-similarity threshold calibrated for a recogniser: two faces are the same person when
 * their cosine is at least `cosine`; `far` is the false accept rate measured at that threshold.
 */
export interface CalibratedThreshold {
  readonly cosine: number;
  readonly far: number;
  /** How and on what data the threshold was measured. */
  readonly source: string;
}

/**
 * A recogniser's score distributions, measured on a labelled photo set (see `arcface calibrate
 * --faces`): the impostor table gives the cosine at which a given fraction of different-person pairs
 * still score (false accept rate, log-spaced down to the deepest rate the pair count supports); the
 * genuine table the cosine below which a given fraction of same-person pairs fall (false reject
 * rate). Open-set identification derives its threshold from the impostor table and the gallery's
 * size (see `identificationThreshold`).
 */
export interface ScoreCalibration {
  /** `[far, cosine]` points, far decreasing, cosine increasing: FAR(cosine) ≈ far. */
  readonly impostor: readonly (readonly [far: number, cosine: number])[];
  /** `[frr, cosine]` points, both increasing: a fraction `frr` of genuine pairs scores below `cosine`. */
  readonly genuine: readonly (readonly [frr: number, cosine: number])[];
  readonly impostorPairs: number;
  readonly genuinePairs: number;
  /** How and on what data the tables were measured. */
  readonly source: string;
}

/**
 * One place a model can be obtained from:
 * - `file`: the model file itself at an HTTPS URL;
 * - `zip-entry`: one entry of a zip archive (e.g. an InsightFace "buffalo" pack);
 * - `page`: a web page where a person can download it; there is no direct link to fetch.
 */
export type ModelOrigin =
  | { readonly kind: 'file'; readonly url: string; readonly note?: string }
  | {
      readonly kind: 'zip-entry';
      readonly url: string;
      /** File name of the entry inside the archive; matched on its last path segment. */
      readonly entry: string;
      /** SHA-256 of the whole archive, hex, when published; checked before extracting. */
      readonly archiveSha256?: string;
      readonly archiveSize?: number;
      readonly note?: string;
    }
  | { readonly kind: 'page'; readonly url: string; readonly note: string };

/** One model the registry knows by name. */
export interface KnownModel {
  /** Registry name, kebab-case, e.g. `w600k-mbf-int8`. */
  readonly name: string;
  /** File name the model has on disk, in `ARCFACE_MODELS` folders and in the cache. */
  readonly fileName: string;
  readonly task: ModelTask;
  /** Size in bytes, when known. */
  readonly size?: number;
  /** SHA-256 of the file, lower-case hex, when known with certainty. */
  readonly sha256?: string;
  /** Where to get it, tried in order by `pullModel`. */
  readonly sources: readonly ModelOrigin[];
  readonly licence: ModelLicence;
  /** One line on what the model is. */
  readonly description: string;
  /** How to feed the model and read its outputs (input name, layout, channel order, scaling). */
  readonly contract: string;
  /** Recognisers only: the calibrated cosine threshold, when one has been measured. */
  readonly threshold?: CalibratedThreshold;
  /** Recognisers only: impostor and genuine score tables for open-set identification, when measured. */
  readonly calibration?: ScoreCalibration;
}

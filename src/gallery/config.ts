import { ArcFaceError } from '../core/errors.js';
import { assertInteger, assertNumber, assertOneOf, assertString } from '../core/validate.js';

/** Which in-memory index serves identification. */
export type IndexChoice = 'auto' | 'exact' | 'int8' | 'hnsw';

/** Options of {@link openGallery} and {@link Gallery.fromStore}. */
export interface GalleryOptions {
  /**
   * Recogniser fingerprint (`FaceRecognizer.fingerprint`); galleries refuse any other model.
   * Needed to create a gallery; omitted, an existing gallery is opened with the model it records
   * (for listing, editing and export without loading a model).
   */
  readonly fingerprint?: string;
  /** Embedding size; like `fingerprint`, taken from the gallery when omitted. */
  readonly embeddingSize?: number;
  /**
   * Cosine at or above which a match is `known` (the recogniser's calibrated threshold). Without
   * it, identify/verify/audit need a per-call threshold.
   */
  readonly threshold?: number;
  /** `auto`: exact scan below `hnswThreshold` sub-centres, HNSW at or above. */
  readonly index?: IndexChoice;
  /** Sub-centre count at which `auto` switches to HNSW. */
  readonly hnswThreshold?: number;
  /** Rows re-ranked exactly after an int8 scan. */
  readonly int8Rerank?: number;
  readonly hnswM?: number;
  readonly hnswEfConstruction?: number;
  readonly hnswEfSearch?: number;
  /** Most sub-centres per identity (Sub-center ArcFace K). */
  readonly maxSubCenters?: number;
  /** Average cosine at which template groups merge; defaults to `threshold`. */
  readonly joinThreshold?: number;
  /** Open read-only (SQLite). */
  readonly readonly?: boolean;
  /**
   * Templates from which a SQLite gallery keeps a binary snapshot of its matrix beside the file
   * (`<file>.matrix`), read at open instead of the rows while the gallery is unchanged.
   */
  readonly snapshotMinRows?: number;
}

/** Resolved options: the model is known, the threshold may still be per call. */
export type ResolvedGalleryOptions = Required<Omit<GalleryOptions, 'joinThreshold' | 'threshold'>> & {
  readonly threshold: number | null;
  readonly joinThreshold: number;
};

/**
 * Defaults. `hnswThreshold` 200,000: measured with `bench/gallery.ts` on this project's 2-core
 * machine, the exact SIMD scan of 100,000 512-d rows takes ~41 ms (under load), while HNSW
 * (M 16, efConstruction 64, ef 64) on 100,000 random unit vectors reached only 0.705 recall@1
 * after a 832 s build, so exact search is kept well past where it is merely fast. `int8Rerank` 64
 * covers int8 rounding (about 1 % of cosine) for any k ≤ 10 (identical results in every test);
 * HNSW M 16 / efConstruction 100 follow hnswlib's ALGO_PARAMS.md, efSearch 128 doubles its
 * example ef for recall on high-dimensional data; K = 3 as in Sub-center ArcFace.
 *
 * @example
 * openGallery('g.db', { ...model, hnswThreshold: GALLERY_DEFAULTS.hnswThreshold * 2 })
 */
export const GALLERY_DEFAULTS = Object.freeze({
  index: 'auto' as IndexChoice,
  hnswThreshold: 200_000,
  int8Rerank: 64,
  hnswM: 16,
  hnswEfConstruction: 100,
  hnswEfSearch: 128,
  maxSubCenters: 3,
  readonly: false,
  snapshotMinRows: 50_000,
});

/**
 * Join threshold used when neither `joinThreshold` nor `threshold` is given: the cosine at which
 * same-person pairs of the default MobileFaceNet recogniser separate from different-person pairs
 * on LFW (measured by `scripts/gallery-audit.ts`; see docs/gallery.md).
 *
 * @example
 * resolveGalleryOptions({ fingerprint, embeddingSize: 512 }).joinThreshold === FALLBACK_JOIN_THRESHOLD
 */
export const FALLBACK_JOIN_THRESHOLD = 0.3;

/**
 * Validates options and returns a resolved copy (the input is not modified). `recorded` supplies
 * the model of an existing gallery when the options name none.
 *
 * @example
 * resolveGalleryOptions({ fingerprint: 'sha256:…', embeddingSize: 512, threshold: 0.3 })
 */
export function resolveGalleryOptions(o: GalleryOptions, recorded?: { readonly fingerprint: string; readonly embeddingSize: number }): ResolvedGalleryOptions {
  if (typeof o !== 'object' || o === null) throw new ArcFaceError('INVALID_ARGUMENT', `Expected gallery options object but received ${String(o)}`);
  try {
    const threshold = o.threshold === undefined ? null : assertNumber('threshold', o.threshold, -1, 1);
    const fingerprint = o.fingerprint ?? recorded?.fingerprint;
    const embeddingSize = o.embeddingSize ?? recorded?.embeddingSize;
    if (fingerprint === undefined || embeddingSize === undefined) {
      throw new ArcFaceError('INVALID_ARGUMENT', 'Expected a model fingerprint and embedding size (from the recogniser) to create a gallery but received none');
    }
    return Object.freeze({
      fingerprint: assertString('fingerprint', fingerprint),
      embeddingSize: assertInteger('embeddingSize', embeddingSize, 2, 65536),
      threshold,
      index: assertOneOf('index', o.index ?? GALLERY_DEFAULTS.index, ['auto', 'exact', 'int8', 'hnsw'] as const),
      hnswThreshold: assertInteger('hnswThreshold', o.hnswThreshold ?? GALLERY_DEFAULTS.hnswThreshold, 1, 2 ** 31),
      int8Rerank: assertInteger('int8Rerank', o.int8Rerank ?? GALLERY_DEFAULTS.int8Rerank, 1, 100_000),
      hnswM: assertInteger('hnswM', o.hnswM ?? GALLERY_DEFAULTS.hnswM, 2, 128),
      hnswEfConstruction: assertInteger('hnswEfConstruction', o.hnswEfConstruction ?? GALLERY_DEFAULTS.hnswEfConstruction, 4, 4096),
      hnswEfSearch: assertInteger('hnswEfSearch', o.hnswEfSearch ?? GALLERY_DEFAULTS.hnswEfSearch, 1, 4096),
      maxSubCenters: assertInteger('maxSubCenters', o.maxSubCenters ?? GALLERY_DEFAULTS.maxSubCenters, 1, 64),
      joinThreshold: assertNumber('joinThreshold', o.joinThreshold ?? threshold ?? FALLBACK_JOIN_THRESHOLD, -1, 1),
      readonly: o.readonly ?? GALLERY_DEFAULTS.readonly,
      snapshotMinRows: assertInteger('snapshotMinRows', o.snapshotMinRows ?? GALLERY_DEFAULTS.snapshotMinRows, 1, 2 ** 31),
    });
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new ArcFaceError('INVALID_ARGUMENT', e.message, { cause: e });
    throw e;
  }
}

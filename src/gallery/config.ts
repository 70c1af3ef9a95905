import type { KeyEncryptionKey } from './kek.js';
import { ArcFaceError, assertInteger, assertNumber, assertOneOf, assertString } from '../core/index.js';
import type { ScoreCalibration } from '../models/index.js';
import { PGVECTOR_MAX_EF_SEARCH } from './search/postgres-search.js';
import type { SubCenterParams } from './sub-centers.js';
import { calibrationForFingerprint, DEFAULT_TARGET_FPIR } from './threshold-policy.js';

/** Which in-memory index serves identification. */
export type IndexChoice = 'auto' | 'exact' | 'int8' | 'hnsw';

/**
 * Where identification runs: `database` in the store (PostgreSQL + pgvector), `memory` in this
 * process's index over every template; `auto` is `database` where the store can (PostgreSQL), else `memory`.
 */
export type SearchChoice = 'auto' | 'database' | 'memory';

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
  /** `hnsw.ef_search` of database search (PostgreSQL + pgvector), 1–1000. */
  readonly databaseEfSearch?: number;
  /** Where identification runs (default `auto`); `memory` forces the in-memory index on PostgreSQL (comparisons, benchmarks). */
  readonly search?: SearchChoice;
  /** Most sub-centres per identity (Sub-center ArcFace K). */
  readonly maxSubCenters?: number;
  /**
   * Average cosine at which template groups merge; defaults to `threshold`. A PostgreSQL gallery
   * records both at creation and uses its recorded ones when these are omitted (given and different,
   * it refuses to open: `GALLERY_PARAMS_MISMATCH`).
   */
  readonly joinThreshold?: number;
  /** Open read-only (SQLite). */
  readonly readonly?: boolean;
  /**
   * Templates from which a SQLite gallery keeps a binary snapshot of its matrix beside the file
   * (`<file>.matrix`), read at open instead of the rows while the gallery is unchanged.
   */
  readonly snapshotMinRows?: number;
  /**
   * Impostor/genuine tables of the recogniser for open-set identification; by default the
   * registry's for the gallery's model (looked up by the model SHA-256 of the fingerprint); `null`
   * turns the FPIR threshold off (identify then uses `threshold`).
   */
  readonly calibration?: ScoreCalibration | null;
  /** Target false positive identification rate of `identify` (default {@link DEFAULT_TARGET_FPIR}). */
  readonly targetFpir?: number;
  /**
   * Key-encryption key of a sealed gallery (SQLite only): opens a sealed one, seals a new one, and
   * is refused for an unsealed gallery that holds identities (`GALLERY_NOT_SEALED`), for PostgreSQL
   * and for IndexedDB (`SEALING_UNSUPPORTED`). See docs/security.md.
   */
  readonly kek?: KeyEncryptionKey;
}

/** Resolved options: the model is known, the threshold may still be per call. */
export type ResolvedGalleryOptions = Required<Omit<GalleryOptions, 'joinThreshold' | 'threshold' | 'calibration' | 'kek'>> & {
  readonly threshold: number | null;
  readonly calibration: ScoreCalibration | null;
  readonly joinThreshold: number;
};

/**
 * Defaults, measured with `bench/gallery.ts` on this project's 2-core machine (512-d random unit
 * vectors, planted near-duplicate queries). `hnswThreshold` 1,000,000: the exact scan, split over
 * both cores, takes ~13 ms at 100,000 rows and ~80 ms at 1,000,000, while an HNSW graph costs a
 * long first build (~700 s per 100,000 rows at M 32 / efConstruction 200 on 2 cores; persisted
 * after), so exact search is kept up to a million rows. HNSW M 32 / efConstruction 200: at M 16 /
 * efConstruction 100, 100,000 such vectors gave only 0.755 recall@1 at ef 64; at M 32 /
 * efConstruction 200, 1.000 at every ef from 64 (hnswlib's ALGO_PARAMS.md: higher M for high
 * dimension and high recall). Recall falls as the graph grows: at 300,000 rows ef 64 / 128 / 256
 * gave 0.905 / 0.985 / 1.000 in 2.6 / 3.9 / 7.9 ms, so efSearch is 256 — HNSW serves galleries of a
 * million rows and more, where a missed identity costs more than milliseconds (the exact scan takes
 * ~95 ms there); `hnswEfSearch` trades back. `databaseEfSearch` 512: on pgvector's default graph (m 16,
 * ef_construction 64) over 30,534 sub-centres of 100,000 synthetic templates (`npm run bench -- scale`),
 * ef_search 256 / 512 / 1000 gave recall@1 0.960–0.967 / 0.993–1.000 / 1.000 (two runs; pgvector's graph
 * is random) on new photos of enrolled people in 14 / 22–23 / 34 ms;
 * a denser graph (m 32, ef_construction 128) reached 1.000 at 256 in the same 23 ms but took 6× longer
 * to build (846 s against 134 s on PGlite), so the default graph and the wider search list are kept. `int8Rerank` 64 covers int8 rounding (about 1 % of cosine) for any k ≤ 10 (identical
 * results in every test); K = 3 as in Sub-center ArcFace. `snapshotMinRows` 50,000: reading SQLite
 * rows costs ~5.5 µs each (~0.3 s at 50,000), the snapshot a fraction of that.
 *
 * @example
 * openGallery('g.db', { ...model, hnswThreshold: GALLERY_DEFAULTS.hnswThreshold * 2 })
 */
export const GALLERY_DEFAULTS = Object.freeze({
  index: 'auto' as IndexChoice,
  search: 'auto' as SearchChoice,
  hnswThreshold: 1_000_000,
  int8Rerank: 64,
  hnswM: 32,
  hnswEfConstruction: 200,
  hnswEfSearch: 256,
  databaseEfSearch: 512,
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
export function resolveGalleryOptions(
  o: GalleryOptions,
  recorded?: { readonly fingerprint: string; readonly embeddingSize: number; readonly subCenters?: SubCenterParams | undefined },
): ResolvedGalleryOptions {
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
      databaseEfSearch: assertInteger('databaseEfSearch', o.databaseEfSearch ?? GALLERY_DEFAULTS.databaseEfSearch, 1, PGVECTOR_MAX_EF_SEARCH),
      search: assertOneOf('search', o.search ?? GALLERY_DEFAULTS.search, ['auto', 'database', 'memory'] as const),
      maxSubCenters: assertInteger('maxSubCenters', o.maxSubCenters ?? recorded?.subCenters?.maxSubCenters ?? GALLERY_DEFAULTS.maxSubCenters, 1, 64),
      joinThreshold: assertNumber('joinThreshold', o.joinThreshold ?? recorded?.subCenters?.joinThreshold ?? threshold ?? FALLBACK_JOIN_THRESHOLD, -1, 1),
      readonly: o.readonly ?? GALLERY_DEFAULTS.readonly,
      snapshotMinRows: assertInteger('snapshotMinRows', o.snapshotMinRows ?? GALLERY_DEFAULTS.snapshotMinRows, 1, 2 ** 31),
      calibration: o.calibration === undefined ? (calibrationForFingerprint(fingerprint) ?? null) : o.calibration,
      targetFpir: assertNumber('targetFpir', o.targetFpir ?? DEFAULT_TARGET_FPIR, Number.MIN_VALUE, 0.999),
    });
  } catch (e) {
    if (e instanceof TypeError || e instanceof RangeError) throw new ArcFaceError('INVALID_ARGUMENT', e.message, { cause: e });
    throw e;
  }
}

/**
 * LFW verification end to end: embed every image of the pairs once (central face, fallback when
 * none is found), score each pair by squared L2 distance and run the protocol.
 */
import { assertInteger } from '../core/index.js';
import { embedImageFiles, type EmbedFilesOptions, type EmbedProgress } from './embed-files.js';
import type { EmbeddingCache } from './embedding-cache.js';
import { squaredL2, type EvalRecognizer } from './face-embedding.js';
import { lfwImagePath, uniqueLfwImages, type LfwPairs } from './lfw-pairs.js';
import { evaluateVerification, type VerificationMetrics } from './protocol.js';

/** Options of {@link runLfwEvaluation}. */
export interface LfwEvaluationOptions {
  /** Folder holding `Name/Name_0001.jpg`. */
  readonly dataDir: string;
  readonly pairs: LfwPairs;
  /** Evaluate only the first N folds (N-fold protocol on them); default all. */
  readonly limitFolds?: number;
  readonly cache?: EmbeddingCache;
  readonly onProgress?: (progress: EmbedProgress) => void;
  /** Who embeds an uncached image, and how many at once: see {@link EmbedFilesOptions}. */
  readonly embed?: EmbedFilesOptions['embed'];
  readonly concurrency?: number;
}

/** Counts and timings of a run, next to its metrics. */
export interface LfwEvaluation {
  readonly metrics: VerificationMetrics;
  readonly folds: number;
  readonly images: number;
  /** Images where no face was found, relative paths; each was embedded with the central fallback. */
  readonly noFace: readonly string[];
  /** Images served from the embedding cache. */
  readonly cachedImages: number;
  /** Per-pair squared L2 distances and labels, in protocol order (for re-scoring). */
  readonly dist: readonly number[];
  readonly same: readonly boolean[];
  readonly timing: {
    /** Wall time of the whole evaluation: reading, hashing, embedding, cache and protocol. */
    readonly wallMs: number;
    /** Recogniser time (detect + align + embed) spent in this run: the bound a faster loop could reach. */
    readonly recognizerMs: number;
    /** Recogniser time of all images as recorded when they were embedded (cache hits included). */
    readonly recordedRecognizerMs: number;
  };
}

/**
 * Runs the LFW protocol with `recognizer` on `options.pairs`.
 *
 * @example
 * const lfw = await readLfwPairs('/data/lfw/pairs.txt')
 * const r = await runLfwEvaluation(recognizer, { dataDir: '/data/lfw', pairs: lfw })
 * console.log(r.metrics.kfold.accuracyMean)
 */
export async function runLfwEvaluation(recognizer: EvalRecognizer, options: LfwEvaluationOptions): Promise<LfwEvaluation> {
  const t0 = performance.now();
  const folds = options.limitFolds === undefined ? options.pairs.folds : assertInteger('limitFolds', options.limitFolds, 1, options.pairs.folds);
  const pairs = options.pairs.pairs.filter((p) => p.fold < folds);
  const paths = uniqueLfwImages(pairs).map(lfwImagePath);
  const embedded = await embedImageFiles(recognizer, options.dataDir, paths, {
    ...(options.cache === undefined ? {} : { cache: options.cache }),
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    ...(options.embed === undefined ? {} : { embed: options.embed }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
  });
  const get = (rel: string): Float32Array => {
    const e = embedded.embeddings.get(rel);
    if (e === undefined) throw new RangeError(`Expected an embedding for ${rel} but none was made`);
    return e.embedding;
  };
  const dist = pairs.map((p) => squaredL2(get(lfwImagePath(p.a)), get(lfwImagePath(p.b))));
  const same = pairs.map((p) => p.same);
  const metrics = evaluateVerification(dist, same, { folds });
  return {
    metrics,
    folds,
    images: paths.length,
    noFace: embedded.noFace,
    cachedImages: embedded.cached,
    dist,
    same,
    timing: { wallMs: performance.now() - t0, recognizerMs: embedded.recognizerMs, recordedRecognizerMs: embedded.recordedRecognizerMs },
  };
}

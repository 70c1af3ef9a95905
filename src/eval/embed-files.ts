/**
 * Embeds a list of image files once each, through the embedding cache, with progress reports.
 */
import { join } from 'node:path';
import { ArcFaceError, assertInteger, sha256Digest } from '../core/index.js';
import { readFileBytes } from '../image/index.js';
import type { EmbeddingCache } from './embedding-cache.js';
import { embedCentralFace, type EvalRecognizer, type ImageEmbedding } from './face-embedding.js';

/** Progress of an embedding run, reported after every item. */
export interface EmbedProgress {
  readonly done: number;
  readonly total: number;
  /** Items served from the cache. */
  readonly cached: number;
  /** Items where no face was found (fallback used). */
  readonly fallback: number;
  /** Milliseconds since the run started. */
  readonly elapsedMs: number;
}

/** Finished images that may wait to be taken in order, per image in flight. */
const RESULTS_AHEAD = 4;

/** Embeds the central face of one image's bytes (default: {@link embedCentralFace} with the recogniser). */
export type CentralFaceEmbedder = (bytes: Uint8Array) => Promise<ImageEmbedding>;

/** Options of {@link embedImageFiles}. */
export interface EmbedFilesOptions {
  readonly cache?: EmbeddingCache;
  readonly onProgress?: (progress: EmbedProgress) => void;
  /**
   * Who embeds an image that is not cached; it must give what {@link embedCentralFace} gives with
   * the recogniser (e.g. the same models in worker threads). Default: `embedCentralFace(recognizer, ·)`.
   */
  readonly embed?: CentralFaceEmbedder;
  /**
   * Images read, hashed and embedded at once (1–64, default 1). More than 1 pays only with an
   * `embed` that runs elsewhere (worker threads): onnxruntime-node runs a model on the calling
   * thread. Results, cache contents and progress order are those of one at a time.
   */
  readonly concurrency?: number;
}

/** Result of {@link embedImageFiles}. */
export interface EmbeddedFiles {
  /** Embedding per relative path. */
  readonly embeddings: ReadonlyMap<string, ImageEmbedding>;
  /** Relative paths where no face was found. */
  readonly noFace: readonly string[];
  /** Items served from the cache. */
  readonly cached: number;
  /** Recogniser milliseconds spent in this run (cache hits cost nothing). */
  readonly recognizerMs: number;
  /** Recogniser milliseconds of all items as recorded when each was embedded (cache hits included). */
  readonly recordedRecognizerMs: number;
}

/**
 * Reads a file's bytes; a missing file is a coded `FILE_NOT_FOUND` naming it.
 *
 * @example
 * const bytes = await readEvalFile('/data/lfw/A/A_0001.jpg')
 */
export async function readEvalFile(path: string): Promise<Uint8Array> {
  return readFileBytes(path, 'an image file');
}

/**
 * Embeds `relPaths` (relative to `dataDir`), each once, in order.
 *
 * @example
 * const { embeddings, noFace } = await embedImageFiles(recognizer, '/data/lfw', ['A/A_0001.jpg'])
 */
export async function embedImageFiles(
  recognizer: EvalRecognizer,
  dataDir: string,
  relPaths: readonly string[],
  options: EmbedFilesOptions = {},
): Promise<EmbeddedFiles> {
  const t0 = performance.now();
  const concurrency = options.concurrency === undefined ? 1 : assertInteger('concurrency', options.concurrency, 1, 64);
  const embed = options.embed ?? ((bytes: Uint8Array) => embedCentralFace(recognizer, bytes));
  const embeddings = new Map<string, ImageEmbedding>();
  const noFace: string[] = [];
  let cached = 0;
  let recognizerMs = 0;
  let recordedRecognizerMs = 0;
  const unique = [...new Set(relPaths)];
  // Images of equal content met while the first is still being embedded wait for it, as they would
  // have found it in the cache one at a time.
  const inFlight = new Map<string, Promise<ImageEmbedding>>();
  type Done = { item: ImageEmbedding; hit: boolean; spentMs: number };
  const start = async (rel: string): Promise<Done> => {
    const bytes = await readEvalFile(join(dataDir, rel));
    const sha = sha256Digest(bytes);
    const hit = options.cache?.get(sha) ?? (options.cache === undefined ? undefined : await inFlight.get(sha));
    if (hit !== undefined) return { item: hit, hit: true, spentMs: 0 };
    const pending = embed(bytes);
    if (options.cache !== undefined) inFlight.set(sha, pending);
    try {
      const item = await pending;
      if (item.embedding.length !== recognizer.embeddingSize) {
        throw new ArcFaceError(
          'EMBEDDING_SIZE_MISMATCH',
          `Expected an embedding of ${recognizer.embeddingSize} floats for ${rel} but received ${item.embedding.length}`,
        );
      }
      await options.cache?.put(sha, item);
      return { item, hit: false, spentMs: item.recognizerMs };
    } finally {
      inFlight.delete(sha);
    }
  };
  // Started in order; a new image starts as soon as any running one finishes (not only the oldest),
  // so one slow image does not leave the other workers idle; results are taken in order below, and
  // at most RESULTS_AHEAD × concurrency wait to be taken.
  const window: Promise<Done>[] = [];
  let next = 0;
  let running = 0;
  const fill = (): void => {
    while (running < concurrency && window.length < RESULTS_AHEAD * concurrency && next < unique.length) {
      running++;
      // The count drops before anyone awaiting the image resumes, so the loop below can start the next.
      const p = start(unique[next++] as string).finally(() => running--);
      // Awaited in order below; a failure further ahead must not surface as an unhandled rejection first.
      p.then(fill, () => undefined);
      window.push(p);
    }
  };
  for (const rel of unique) {
    fill();
    const { item, hit, spentMs } = await (window.shift() as Promise<Done>);
    if (hit) cached++;
    recognizerMs += spentMs;
    recordedRecognizerMs += item.recognizerMs;
    if (item.fallback) noFace.push(rel);
    embeddings.set(rel, item);
    options.onProgress?.({ done: embeddings.size, total: unique.length, cached, fallback: noFace.length, elapsedMs: performance.now() - t0 });
  }
  return { embeddings, noFace, cached, recognizerMs, recordedRecognizerMs };
}

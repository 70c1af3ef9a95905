/**
 * Embeds a list of image files once each, through the embedding cache, with progress reports.
 */
import { join } from 'node:path';
import { ArcFaceError, sha256Digest } from '../core/index.js';
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

/** Options of {@link embedImageFiles}. */
export interface EmbedFilesOptions {
  readonly cache?: EmbeddingCache;
  readonly onProgress?: (progress: EmbedProgress) => void;
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
export async function embedImageFiles(recognizer: EvalRecognizer, dataDir: string, relPaths: readonly string[], options: EmbedFilesOptions = {}): Promise<EmbeddedFiles> {
  const t0 = performance.now();
  const embeddings = new Map<string, ImageEmbedding>();
  const noFace: string[] = [];
  let cached = 0;
  let recognizerMs = 0;
  let recordedRecognizerMs = 0;
  const unique = [...new Set(relPaths)];
  for (const rel of unique) {
    const bytes = await readEvalFile(join(dataDir, rel));
    const sha = sha256Digest(bytes);
    let item: ImageEmbedding | undefined = options.cache?.get(sha);
    if (item !== undefined) {
      cached++;
    } else {
      item = await embedCentralFace(recognizer, bytes);
      if (item.embedding.length !== recognizer.embeddingSize) {
        throw new ArcFaceError('EMBEDDING_SIZE_MISMATCH', `Expected an embedding of ${recognizer.embeddingSize} floats for ${rel} but received ${item.embedding.length}`);
      }
      recognizerMs += item.recognizerMs;
      await options.cache?.put(sha, item);
    }
    recordedRecognizerMs += item.recognizerMs;
    if (item.fallback) noFace.push(rel);
    embeddings.set(rel, item);
    options.onProgress?.({ done: embeddings.size, total: unique.length, cached, fallback: noFace.length, elapsedMs: performance.now() - t0 });
  }
  return { embeddings, noFace, cached, recognizerMs, recordedRecognizerMs };
}

/**
 * Embeds a list of image files once each, through the embedding cache, with progress reports.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArcFaceError } from '../core/index.js';
import type { EmbeddingCache } from './embedding-cache.js';
import { sha256Hex } from './embedding-cache.js';
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
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ArcFaceError('FILE_NOT_FOUND', `Expected an image file at ${path} but none exists`, { cause: e });
    throw e;
  }
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
    const sha = sha256Hex(bytes);
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

/**
 * A one-line progress text with rate and ETA, e.g. `embedded 1200/7701 (15.6%) · 32.1 img/s · ETA 3m22s · cached 0 · no face 3`.
 *
 * @example
 * process.stderr.write(`\r${formatProgress(p)}`)
 */
export function formatProgress(p: EmbedProgress, noun = 'img'): string {
  const pct = p.total === 0 ? 100 : (100 * p.done) / p.total;
  const rate = p.elapsedMs > 0 ? (p.done * 1000) / p.elapsedMs : 0;
  const eta = rate > 0 ? (p.total - p.done) / rate : Number.NaN;
  return `embedded ${p.done}/${p.total} (${pct.toFixed(1)}%) · ${rate.toFixed(1)} ${noun}/s · ETA ${formatDuration(eta * 1000)} · cached ${p.cached} · no face ${p.fallback}`;
}

/**
 * Milliseconds as `1h02m03s`, `2m03s` or `4.5s`; `?` when unknown.
 *
 * @example
 * formatDuration(123000) // '2m03s'
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '?';
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)}s`;
  const total = Math.round(s);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m${sec}s` : `${m}m${sec}s`;
}

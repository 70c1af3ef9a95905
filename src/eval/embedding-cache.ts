/**
 * On-disk cache of image embeddings for evaluation runs, so that a re-run or a re-scoring does not
 * embed again. One JSON-lines file per (model fingerprint, detector, flip, fallback method): each line holds
 * the SHA-256 of the image file bytes, how the face was found and the embedding as base64 float32
 * (little-endian). Lines are appended as images are embedded, so an interrupted run keeps its work;
 * a torn last line is ignored on load.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { ArcFaceError, assertString } from '../core/index.js';

/** One cached image. */
export interface CachedEmbedding {
  /** Unit-length embedding. */
  readonly embedding: Float32Array;
  /** True when no face was found and the fixed central fallback was embedded. */
  readonly fallback: boolean;
  /** Milliseconds the recognizer spent on the image when it was embedded (detect + align + embed). */
  readonly recognizerMs: number;
}

/** What makes embeddings comparable: recogniser fingerprint, detector, flip and fallback method. */
export interface EmbeddingCacheKey {
  readonly fingerprint: string;
  /** Detector name (the detector decides which face and which landmarks are embedded). */
  readonly detector: string;
  readonly flip: boolean;
  readonly fallback: string;
}

interface CacheLine {
  sha256: string;
  fallback: boolean;
  ms: number;
  e: string;
}

function isCacheLine(v: unknown): v is CacheLine {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.sha256 === 'string' && typeof o.fallback === 'boolean' && typeof o.ms === 'number' && typeof o.e === 'string';
}

/**
 * A JSON-lines embedding cache keyed by image SHA-256 within one model configuration.
 *
 * @example
 * const cache = await EmbeddingCache.open('out/cache', { fingerprint: fr.fingerprint, detector: 'yunet-n', flip: true, fallback: FALLBACK_METHOD })
 * const hit = cache.get(sha)
 * if (!hit) await cache.put(sha, { embedding, fallback: false, recognizerMs: 31 })
 */
export class EmbeddingCache {
  /** Path of the cache file. */
  readonly path: string;
  /** Embedding length every entry must have (fixed by the first entry). */
  #size: number | undefined;
  readonly #entries: Map<string, CachedEmbedding>;

  private constructor(path: string, entries: Map<string, CachedEmbedding>, size: number | undefined) {
    this.path = path;
    this.#entries = entries;
    this.#size = size;
  }

  /**
   * Opens (or starts) the cache file for one configuration in `dir`. The file name is a hash of
   * the configuration, so different models, flip settings or fallbacks never share entries.
   */
  static async open(dir: string, key: EmbeddingCacheKey): Promise<EmbeddingCache> {
    assertString('dir', dir);
    assertString('fingerprint', key.fingerprint);
    assertString('detector', key.detector);
    const id = createHash('sha256')
      .update(JSON.stringify([key.fingerprint, key.detector, key.flip, key.fallback]))
      .digest('hex')
      .slice(0, 16);
    await mkdir(dir, { recursive: true });
    const path = join(dir, `embeddings-${id}.jsonl`);
    const entries = new Map<string, CachedEmbedding>();
    let size: number | undefined;
    let text = '';
    try {
      text = await readFile(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    if (text.length > 0 && !text.endsWith('\n')) {
      // Cut a torn final line so that the next append starts on a fresh line.
      const good = text.slice(0, text.lastIndexOf('\n') + 1);
      await truncate(path, Buffer.byteLength(good, 'utf8'));
      text = good;
    }
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line.length === 0) return;
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch (e) {
        throw new ArcFaceError('PROTOCOL_INVALID', `${path}:${i + 1}: expected a JSON cache entry but received unparsable text`, { cause: e });
      }
      if (!isCacheLine(parsed))
        throw new ArcFaceError('PROTOCOL_INVALID', `${path}:${i + 1}: expected {sha256, fallback, ms, e} but received ${line.slice(0, 60)}`);
      const buf = Buffer.from(parsed.e, 'base64');
      const embedding = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      size ??= embedding.length;
      if (embedding.length !== size || buf.byteLength % 4 !== 0) {
        throw new ArcFaceError('PROTOCOL_INVALID', `${path}:${i + 1}: expected an embedding of ${size} floats but received ${buf.byteLength / 4}`);
      }
      entries.set(parsed.sha256, { embedding, fallback: parsed.fallback, recognizerMs: parsed.ms });
    });
    return new EmbeddingCache(path, entries, size);
  }

  /** Number of cached images. */
  get size(): number {
    return this.#entries.size;
  }

  /** The cached entry of an image, by the SHA-256 of its file bytes. */
  get(sha256: string): CachedEmbedding | undefined {
    return this.#entries.get(sha256);
  }

  /** Adds an entry and appends it to the file. */
  async put(sha256: string, entry: CachedEmbedding): Promise<void> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new TypeError(`Expected a lower-case hex SHA-256 but received "${sha256}"`);
    this.#size ??= entry.embedding.length;
    if (entry.embedding.length !== this.#size) {
      throw new ArcFaceError('EMBEDDING_SIZE_MISMATCH', `Expected an embedding of ${this.#size} floats for the cache but received ${entry.embedding.length}`);
    }
    const e = Buffer.from(entry.embedding.buffer, entry.embedding.byteOffset, entry.embedding.byteLength).toString('base64');
    const line: CacheLine = { sha256, fallback: entry.fallback, ms: Math.round(entry.recognizerMs * 1000) / 1000, e };
    await appendFile(this.path, `${JSON.stringify(line)}\n`);
    this.#entries.set(sha256, { embedding: Float32Array.from(entry.embedding), fallback: entry.fallback, recognizerMs: entry.recognizerMs });
  }
}

import type { Worker } from 'node:worker_threads';
import { ArcFaceError, ERROR_CODES, type ErrorCode } from '../../src/core/index.js';
import type { ImageEmbedding } from '../../src/eval/index.js';
import type { ModelLocations } from '../../src/models/index.js';
import { spawnModuleWorker } from '../server/index.js';

/** What each evaluation worker opens: the models and options of the recogniser it stands in for. */
export interface EvalWorkerConfig {
  readonly locations: ModelLocations;
  readonly detector: string;
  readonly recognizer: string;
  readonly flip: boolean;
}

type Reply =
  | { type: 'ready'; fingerprint: string }
  | { type: 'failed'; error: { code: string; message: string } }
  | { type: 'result'; id: number; ok: true; embedding: Float32Array; fallback: boolean; recognizerMs: number }
  | { type: 'result'; id: number; ok: false; error: { code: string; message: string } };

/** A worker that has not exited this long after its last job is stopped. */
const CLOSE_GRACE_MS = 10_000;

interface Pending {
  readonly resolve: (e: ImageEmbedding) => void;
  readonly reject: (e: unknown) => void;
}

function fromWire(e: { code: string; message: string }): ArcFaceError {
  return new ArcFaceError((e.code in ERROR_CODES ? e.code : 'INTERNAL') as ErrorCode, e.message);
}

/**
 * Worker threads that embed evaluation images in parallel, each with its own recogniser on one
 * intra-op thread. onnxruntime-node runs a model on the thread that calls it, so one process embeds
 * one image at a time however many threads a model may use; on the small face models, N single-
 * threaded recognisers side by side give more images per second than one recogniser with N threads.
 * Each worker computes exactly what the caller's recogniser computes (same models, same options;
 * the fingerprints are checked), so results do not depend on which worker embedded an image.
 *
 * @example
 * const workers = await EvalWorkers.start(config, 2, fr.fingerprint)
 * const { embedding } = await workers.embed(bytes)
 * await workers.close()
 */
export class EvalWorkers {
  readonly #workers: Worker[];
  readonly #pending: Map<number, Pending>[];
  #nextId = 0;
  #closed = false;

  private constructor(workers: Worker[]) {
    this.#workers = workers;
    this.#pending = workers.map(() => new Map());
    workers.forEach((w, i) => {
      const pending = this.#pending[i] as Map<number, Pending>;
      w.on('message', (m: Reply) => {
        if (m.type !== 'result') return;
        const p = pending.get(m.id);
        pending.delete(m.id);
        if (m.ok) p?.resolve({ embedding: m.embedding, fallback: m.fallback, recognizerMs: m.recognizerMs });
        else p?.reject(fromWire(m.error));
      });
      const failAll = (err: unknown): void => {
        for (const p of pending.values()) p.reject(err);
        pending.clear();
      };
      w.on('error', failAll);
      w.on('exit', () => failAll(new ArcFaceError('INTERNAL', `Expected evaluation worker ${i} to keep running but it exited`)));
    });
  }

  /**
   * Starts `count` workers and waits until each has opened its models; refuses workers whose
   * recogniser fingerprint is not `fingerprint` (the embedding cache is keyed by it).
   */
  static async start(config: EvalWorkerConfig, count: number, fingerprint: string): Promise<EvalWorkers> {
    const workers = Array.from({ length: count }, () => spawnModuleWorker(new URL('./eval-worker.js', import.meta.url).href, config));
    try {
      await Promise.all(
        workers.map(
          (w, i) =>
            new Promise<void>((resolve, reject) => {
              w.once('error', reject);
              w.once('message', (m: Reply) => {
                if (m.type === 'failed') reject(fromWire(m.error));
                else if (m.type === 'ready' && m.fingerprint !== fingerprint) {
                  reject(new ArcFaceError('INTERNAL', `Expected evaluation worker ${i} to open recogniser ${fingerprint} but it opened ${m.fingerprint}`));
                } else resolve();
              });
            }),
        ),
      );
    } catch (err) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw err;
    }
    return new EvalWorkers(workers);
  }

  /** Embeds the central face of `bytes` on the least busy worker (what `embedCentralFace` gives). */
  readonly embed = (bytes: Uint8Array): Promise<ImageEmbedding> => {
    if (this.#closed) return Promise.reject(new ArcFaceError('INVALID_ARGUMENT', 'Expected open evaluation workers but they were closed'));
    let k = 0;
    this.#pending.forEach((p, i) => {
      if (p.size < (this.#pending[k] as Map<number, Pending>).size) k = i;
    });
    const id = this.#nextId++;
    // A copy of its own (a Buffer's slice is a view of a shared pool) that can be moved to the worker.
    const copy = new Uint8Array(bytes);
    return new Promise<ImageEmbedding>((resolve, reject) => {
      (this.#pending[k] as Map<number, Pending>).set(id, { resolve, reject });
      (this.#workers[k] as Worker).postMessage({ id, bytes: copy }, [copy.buffer]);
    });
  };

  /** Lets each worker finish its jobs, release its models and exit. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(
      this.#workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.removeAllListeners('exit');
            const timer = setTimeout(() => void w.terminate(), CLOSE_GRACE_MS);
            w.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            w.postMessage({ close: true });
          }),
      ),
    );
  }
}

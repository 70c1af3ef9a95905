import type { Worker } from 'node:worker_threads';
import { ArcFaceError, ERROR_CODES, type ErrorCode } from '../../../src/core/index.js';
import type { ModelLocations } from '../../../src/models/index.js';
import type { EngineInfo, EngineListener, InferenceEngine, InferenceJob, JobResults } from './engine.js';
import type { WireError } from './inference-jobs.js';
import { SERVER_DEFAULTS, type ResolvedServerOptions } from '../options.js';
import { spawnInferenceWorker, type WorkerMessage } from './worker-spawn.js';

/** What each worker is started with. */
export interface WorkerConfig {
  readonly detector: string | undefined;
  readonly recognizer: string | undefined;
  readonly locations: ModelLocations | undefined;
  readonly intraOpThreads: number;
  /** Decision threshold (cosine) used when the recogniser has no calibrated one. */
  readonly threshold: number;
}

/** Pool options. */
export interface PoolOptions extends WorkerConfig {
  readonly workers: number;
  /** Jobs allowed to wait; the next one is refused with QUEUE_FULL. */
  readonly queueSize: number;
  /** Queue wait plus run time allowed per job before TIMEOUT. */
  readonly timeoutMs: number;
}

/**
 * The pool configuration that resolved server options ask for: one place, for the app and for
 * `arcface serve`'s start-up services alike.
 *
 * @example
 * InferencePool.start(poolOptionsFrom(resolveServerOptions({ workers: 2 })))
 */
export function poolOptionsFrom(opts: ResolvedServerOptions): PoolOptions {
  return {
    workers: opts.workers,
    queueSize: opts.queueSize,
    timeoutMs: opts.requestTimeoutMs,
    intraOpThreads: opts.intraOpThreads,
    detector: opts.detector,
    recognizer: opts.recognizer,
    locations: opts.locations,
    threshold: opts.threshold ?? SERVER_DEFAULTS.fallbackThreshold,
  };
}

interface Pending {
  readonly id: number;
  readonly job: InferenceJob;
  readonly enqueued: number;
  started: number;
  settled: boolean;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
  timer: NodeJS.Timeout | undefined;
  cleanup?: () => void;
}

interface Slot {
  worker: Worker;
  ready: boolean;
  current: Pending | undefined;
}

/** Retry-After floor in seconds: clients should not hammer a full queue faster than once a second. */
const MIN_RETRY_AFTER_S = 1;
/** Run-time guess before any job has finished: a detect+embed on one 2-core CPU is ~0.1–0.3 s. */
const INITIAL_RUN_ESTIMATE_S = 0.3;
/** Weight of the newest job in the running mean of run time (exponential moving average). */
const RUN_EMA_WEIGHT = 0.2;

/** The error of a job whose client closed the connection; nobody reads it, the metrics count it. */
function clientGone(op: string): ArcFaceError {
  return new ArcFaceError('TIMEOUT', `Expected the client to wait for the ${op} job but it closed the connection`);
}

function fromWire(e: WireError): ArcFaceError {
  const code = (e.code in ERROR_CODES ? e.code : 'INTERNAL') as ErrorCode;
  return new ArcFaceError(code, e.message);
}

/**
 * A bounded pool of inference worker threads, each with its own models: the event loop never runs
 * a model, a full queue is refused at once (QUEUE_FULL with a Retry-After estimate) instead of
 * growing, and every job has a deadline (TIMEOUT).
 *
 * @example
 * const pool = InferencePool.start({ workers: 2, queueSize: 16, timeoutMs: 30000, intraOpThreads: 1, detector: undefined, recognizer: undefined, locations: undefined, threshold: 0.3 })
 * const { faces } = await pool.run({ op: 'detect', image: bytes, maxPixels: 16e6 })
 */
export class InferencePool implements InferenceEngine {
  readonly ready: Promise<EngineInfo>;
  #info: EngineInfo | undefined;
  #loadError: ArcFaceError | undefined;
  readonly #opts: PoolOptions;
  readonly #slots: Slot[] = [];
  readonly #queue: Pending[] = [];
  #nextId = 1;
  #closing = false;
  #runEstimateS = INITIAL_RUN_ESTIMATE_S;
  #drained: (() => void) | undefined;
  readonly #listeners = new Set<EngineListener>();

  private constructor(opts: PoolOptions) {
    this.#opts = opts;
    let resolveReady!: (i: EngineInfo) => void;
    let rejectReady!: (e: unknown) => void;
    this.ready = new Promise<EngineInfo>((res, rej) => {
      resolveReady = res;
      rejectReady = rej;
    });
    this.ready.catch(() => undefined);
    let readyCount = 0;
    for (let i = 0; i < opts.workers; i++) {
      this.#addSlot((info) => {
        readyCount += 1;
        this.#info ??= info;
        if (readyCount === opts.workers) resolveReady(info);
      }, rejectReady);
    }
  }

  /**
   * Starts the workers; models load in the background (`ready`).
   *
   * @example
   * const pool = InferencePool.start(opts); await pool.ready
   */
  static start(opts: PoolOptions): InferencePool {
    return new InferencePool(opts);
  }

  get info(): EngineInfo | undefined {
    return this.#info;
  }

  get queueDepth(): number {
    return this.#queue.length;
  }

  get inFlight(): number {
    return this.#slots.filter((s) => s.current !== undefined).length;
  }

  #addSlot(onReady: (info: EngineInfo) => void, onFail: (e: unknown) => void): void {
    const slot: Slot = { worker: spawnInferenceWorker(this.#opts), ready: false, current: undefined };
    this.#slots.push(slot);
    slot.worker.on('message', (msg: WorkerMessage) => this.#onMessage(slot, msg, onReady, onFail));
    slot.worker.on('error', (err) => this.#onCrash(slot, err));
    slot.worker.on('exit', (code) => {
      if (!this.#closing) this.#onCrash(slot, new Error(`inference worker exited with code ${code}`));
    });
  }

  #onMessage(slot: Slot, msg: WorkerMessage, onReady: (info: EngineInfo) => void, onFail: (e: unknown) => void): void {
    if (msg.type === 'ready') {
      slot.ready = true;
      onReady(msg.info);
      this.#pump();
    } else if (msg.type === 'failed') {
      this.#loadError = fromWire(msg.error);
      onFail(this.#loadError);
      for (const p of this.#queue.splice(0)) this.#settle(p, this.#loadError);
    } else {
      const p = slot.current;
      slot.current = undefined;
      if (p !== undefined && p.id === msg.id) {
        const runS = msg.runMs / 1000;
        this.#runEstimateS += RUN_EMA_WEIGHT * (runS - this.#runEstimateS);
        for (const l of this.#listeners) l.onJob?.(p.job.op, (p.started - p.enqueued) / 1000, runS);
        this.#settle(p, msg.ok ? undefined : fromWire(msg.error), msg.ok ? msg.result : undefined);
      }
      this.#pump();
    }
  }

  #onCrash(slot: Slot, err: unknown): void {
    const idx = this.#slots.indexOf(slot);
    if (idx < 0) return;
    this.#slots.splice(idx, 1);
    if (slot.current !== undefined) {
      this.#settle(
        slot.current,
        new ArcFaceError('INTERNAL', `Expected the inference worker to answer but it stopped (${(err as Error).message ?? String(err)})`),
      );
    }
    if (!this.#closing && this.#loadError === undefined) {
      this.#addSlot(
        () => this.#pump(),
        () => undefined,
      );
    }
  }

  #settle(p: Pending, error: unknown, result?: unknown): void {
    if (p.timer !== undefined) clearTimeout(p.timer);
    p.cleanup?.();
    if (p.settled) return;
    p.settled = true;
    if (error === undefined) p.resolve(result);
    else p.reject(error);
    this.#checkDrained();
  }

  #pump(): void {
    for (const slot of this.#slots) {
      if (!slot.ready || slot.current !== undefined) continue;
      let p = this.#queue.shift();
      while (p?.settled) p = this.#queue.shift();
      if (p === undefined) break;
      p.started = performance.now();
      slot.current = p;
      slot.worker.postMessage({ id: p.id, job: p.job });
    }
    this.#checkDrained();
  }

  #checkDrained(): void {
    if (this.#drained !== undefined && this.#queue.length === 0 && this.inFlight === 0) this.#drained();
  }

  /**
   * Seconds a client should wait before retrying a refused job: the queue ahead of it divided by
   * the workers, times the running mean job time.
   */
  retryAfterSeconds(): number {
    const ahead = this.#queue.length + this.inFlight;
    return Math.max(MIN_RETRY_AFTER_S, Math.ceil((ahead / Math.max(1, this.#slots.length)) * this.#runEstimateS));
  }

  /**
   * Adds a job listener (metrics); returns its remover.
   *
   * @example
   * const off = pool.subscribe({ onJob: (op, wait, run) => console.log(op, run) })
   */
  subscribe(listener: EngineListener): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /**
   * Throws QUEUE_FULL when a job submitted now would be refused (every worker busy and the queue
   * full), or the models' load error. The HTTP layer calls it before reading a request body, so a refused upload costs nothing.
   *
   * @example
   * pool.admit() // throws when full
   */
  admit(): void {
    if (this.#loadError !== undefined) throw this.#loadError;
    const idle = this.#slots.some((s) => s.ready && s.current === undefined);
    if (idle || this.#queue.length < this.#opts.queueSize) return;
    for (const l of this.#listeners) l.onReject?.('queue_full');
    const retryAfterSeconds = this.retryAfterSeconds();
    throw new ArcFaceError(
      'QUEUE_FULL',
      `Expected room in the inference queue but all ${this.#opts.queueSize} places are taken; retry in ${retryAfterSeconds} s`,
      {
        details: { retryAfterSeconds },
      },
    );
  }

  /**
   * Runs one job on the next free worker.
   *
   * @example
   * const { similarity } = await pool.run({ op: 'verify', images: [a, b], maxPixels: 16e6, select: 'largest', threshold: 0.3 })
   */
  run<J extends InferenceJob>(job: J, signal?: AbortSignal): Promise<JobResults[J['op']]> {
    if (this.#closing)
      return Promise.reject(
        new ArcFaceError('QUEUE_FULL', 'Expected a running server but it is shutting down', { details: { retryAfterSeconds: MIN_RETRY_AFTER_S } }),
      );
    if (this.#loadError !== undefined) return Promise.reject(this.#loadError);
    if (signal?.aborted === true) return Promise.reject(clientGone(job.op));
    try {
      this.admit();
    } catch (err) {
      return Promise.reject(err);
    }
    return new Promise<JobResults[J['op']]>((resolve, reject) => {
      const p: Pending = {
        id: this.#nextId++,
        job,
        enqueued: performance.now(),
        started: 0,
        settled: false,
        resolve: resolve as (v: unknown) => void,
        reject,
        timer: undefined,
      };
      p.timer = setTimeout(() => {
        if (p.settled) return;
        const i = this.#queue.indexOf(p);
        if (i >= 0) this.#queue.splice(i, 1);
        for (const l of this.#listeners) l.onReject?.('timeout');
        this.#settle(p, new ArcFaceError('TIMEOUT', `Expected the ${job.op} job to finish within ${this.#opts.timeoutMs} ms but it did not`));
      }, this.#opts.timeoutMs);
      if (signal !== undefined) {
        const onAbort = (): void => {
          if (p.settled) return;
          const i = this.#queue.indexOf(p);
          if (i >= 0) this.#queue.splice(i, 1);
          for (const l of this.#listeners) l.onReject?.('client_gone');
          this.#settle(p, clientGone(job.op));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        p.cleanup = () => signal.removeEventListener('abort', onAbort);
      }
      this.#queue.push(p);
      this.#pump();
    });
  }

  /**
   * Lets queued and running jobs finish, then stops every worker.
   *
   * @example
   * await pool.close()
   */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#loadError === undefined && (this.#queue.length > 0 || this.inFlight > 0)) {
      await new Promise<void>((res) => {
        this.#drained = res;
        this.#checkDrained();
      });
    }
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
    this.#slots.length = 0;
  }
}

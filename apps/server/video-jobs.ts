import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Worker } from 'node:worker_threads';
import { ArcFaceError, type ErrorCode } from '../../src/core/index.js';
import { buildTimeline, type StreamEvent, type Timeline } from '../../src/stream/index.js';
import type { VideoSourceOptions } from '../../src/video/index.js';
import type { WireError } from './inference-jobs.js';
import type { VideoWorkerData } from './video-worker.js';
import { spawnAppWorker } from './worker-spawn.js';
import type { WorkerConfig } from './worker-pool.js';

/** Options of the video service. */
export interface VideoServiceOptions {
  /** Folder for uploaded videos while their job runs (files are 0600 and removed afterwards). */
  readonly dir: string;
  /** Gallery the workers name faces with (SQLite file or postgres:// URL). */
  readonly galleryLocation?: string;
  /** Largest upload, bytes. */
  readonly maxBytes: number;
  /** Jobs running at once; the rest wait in order. */
  readonly concurrency: number;
  /** Jobs kept (finished ones are forgotten oldest first). */
  readonly keep: number;
  /** Admin-configured live streams by name: clients may only name these, never give a URL (SSRF). */
  readonly streams: Readonly<Record<string, string>>;
  /** Source options of the live streams (RTSP transport, reconnection); they always run live. */
  readonly streamSource?: VideoSourceOptions;
  readonly detectEvery: number;
  readonly threshold?: number;
}

/**
 * Defaults: one video at a time (a 2-core server has no room for two), 500 MiB uploads, 100 jobs
 * remembered, at most 100,000 events kept per job.
 */
export const VIDEO_SERVICE_DEFAULTS = Object.freeze({ maxBytes: 500 * 2 ** 20, concurrency: 1, keep: 100, detectEvery: 1, maxEvents: 100_000 });

/** What a job looks like to clients. */
export interface VideoJobView {
  readonly id: string;
  readonly status: 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  readonly frames: number;
  readonly dropped: number;
  readonly events: number;
  readonly error?: WireError;
  readonly timeline?: Timeline;
}

/** What a live stream looks like to clients: its state, frames, drops and reconnections so far. */
export interface StreamView {
  readonly name: string;
  readonly status: VideoJobView['status'];
  readonly frames: number;
  readonly dropped: number;
  /** Times the stream was opened again after it stopped (see `VideoSourceOptions.reconnectAttempts`). */
  readonly reconnects: number;
}

/** What a video worker posts (see video-worker.ts). */
type WorkerMessage =
  | { type: 'frame'; frame: number; dropped: number; reconnects: number; events: StreamEvent[]; closing: boolean }
  | { type: 'done' }
  | { type: 'error'; error: WireError };

type Listener = (e: { kind: 'event'; event: StreamEvent } | { kind: 'end'; status: VideoJobView['status']; error?: WireError }) => void;

interface Run {
  readonly id: string;
  status: VideoJobView['status'];
  frames: number;
  dropped: number;
  reconnects: number;
  readonly events: StreamEvent[];
  error?: WireError;
  worker?: Worker;
  /** Set once the worker thread has exited. */
  exited?: boolean;
  readonly listeners: Set<Listener>;
  readonly file?: string;
  readonly source: string;
  readonly sourceOptions: VideoSourceOptions;
}

/**
 * Video jobs and live streams, each in its own worker thread with its own models: uploads become
 * jobs that run in order; a named stream runs while at least one client listens and its events are
 * fanned out to every listener.
 *
 * @example
 * const videos = new VideoService(config, { dir: '/tmp/videos', maxBytes: 1e9, concurrency: 1, keep: 100, streams: {}, detectEvery: 1 })
 */
export class VideoService {
  readonly #config: WorkerConfig;
  readonly #o: VideoServiceOptions;
  readonly #jobs = new Map<string, Run>();
  readonly #queue: Run[] = [];
  readonly #streams = new Map<string, Run>();
  #running = 0;
  #closed = false;

  constructor(config: WorkerConfig, options: VideoServiceOptions) {
    this.#config = config;
    this.#o = options;
  }

  /** Names of the live streams clients may open. */
  get streamNames(): string[] {
    return Object.keys(this.#o.streams).sort();
  }

  /** The live streams that have been opened, with their state and counters. */
  streamViews(): StreamView[] {
    return [...this.#streams.entries()].map(([name, r]) => ({ name, status: r.status, frames: r.frames, dropped: r.dropped, reconnects: r.reconnects }));
  }

  /** Stores an upload (size-limited) and queues its job. */
  async submit(body: Readable): Promise<VideoJobView> {
    if (this.#closed) throw new ArcFaceError('QUEUE_FULL', 'Expected a running server but it is shutting down');
    await mkdir(this.#o.dir, { recursive: true, mode: 0o700 });
    const id = randomUUID();
    const file = join(this.#o.dir, `${id}.video`);
    let bytes = 0;
    const max = this.#o.maxBytes;
    const limit = async function* (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
      for await (const chunk of src) {
        bytes += chunk.length;
        if (bytes > max) throw new ArcFaceError('PAYLOAD_TOO_LARGE', `Expected a video of at most ${max} bytes but the upload is larger`);
        yield chunk;
      }
    };
    try {
      await pipeline(body, limit, createWriteStream(file, { mode: 0o600 }));
    } catch (err) {
      await rm(file, { force: true });
      if (err instanceof ArcFaceError) throw err;
      throw new ArcFaceError('PROTOCOL_INVALID', 'Expected a complete video upload but the body ended early', { cause: err });
    }
    if (bytes === 0) {
      await rm(file, { force: true });
      throw new ArcFaceError('VIDEO_DECODE_FAILED', 'Expected a video in the request body but it was empty');
    }
    const run: Run = { id, status: 'queued', frames: 0, dropped: 0, reconnects: 0, events: [], listeners: new Set(), file, source: file, sourceOptions: { live: false } };
    this.#jobs.set(id, run);
    this.#forgetOld();
    this.#queue.push(run);
    this.#pump();
    return this.view(id);
  }

  /** A job's state; `NOT_FOUND` for unknown ids. */
  view(id: string): VideoJobView {
    const run = this.#get(id);
    return {
      id: run.id,
      status: run.status,
      frames: run.frames,
      dropped: run.dropped,
      events: run.events.length,
      ...(run.error === undefined ? {} : { error: run.error }),
      ...(run.status === 'done' || run.status === 'failed' || run.status === 'cancelled' ? { timeline: buildTimeline(run.events) } : {}),
    };
  }

  /** The events of a job so far. */
  events(id: string): readonly StreamEvent[] {
    return this.#get(id).events;
  }

  /**
   * Follows a job: replays its events, then calls `listener` for each new one and once at the end.
   * Returns the function that stops following.
   */
  follow(id: string, listener: Listener): () => void {
    const run = this.#get(id);
    for (const event of run.events) listener({ kind: 'event', event });
    if (run.status !== 'queued' && run.status !== 'running') {
      listener({ kind: 'end', status: run.status, ...(run.error === undefined ? {} : { error: run.error }) });
      return () => undefined;
    }
    run.listeners.add(listener);
    return () => run.listeners.delete(listener);
  }

  /** Cancels a job (or forgets a finished one). */
  async cancel(id: string): Promise<void> {
    const run = this.#get(id);
    const i = this.#queue.indexOf(run);
    if (i >= 0) this.#queue.splice(i, 1);
    if (run.status === 'queued' || run.status === 'running') this.#end(run, 'cancelled');
    this.#jobs.delete(id);
    if (run.file !== undefined) await rm(run.file, { force: true });
  }

  /**
   * Listens to a named live stream: starts it when it is the first listener, stops it (after the
   * frame in progress) when the last one leaves. Unknown names raise `NOT_FOUND`; URLs are never accepted.
   */
  listen(name: string, listener: Listener): () => void {
    const url = Object.hasOwn(this.#o.streams, name) ? this.#o.streams[name] : undefined;
    if (url === undefined) throw new ArcFaceError('NOT_FOUND', `Expected one of the configured streams (${this.streamNames.join(', ') || 'none'}) but received "${name}"`);
    let run = this.#streams.get(name);
    if (run === undefined || (run.status !== 'running' && run.status !== 'queued')) {
      run = { id: `stream:${name}`, status: 'queued', frames: 0, dropped: 0, reconnects: 0, events: [], listeners: new Set(), source: url, sourceOptions: { ...this.#o.streamSource, live: true } };
      this.#streams.set(name, run);
      this.#start(run);
    }
    const r = run;
    r.listeners.add(listener);
    return () => {
      r.listeners.delete(listener);
      if (r.listeners.size === 0) r.worker?.postMessage('stop');
    };
  }

  /** Stops every worker and removes stored uploads. */
  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#jobs.values(), ...this.#streams.values()];
    this.#queue.length = 0;
    await Promise.all(all.map(async (r) => {
      if (r.status === 'queued' || r.status === 'running') this.#end(r, 'cancelled');
      if (r.worker !== undefined && r.exited !== true) await stopWorker(r.worker);
      if (r.file !== undefined) await rm(r.file, { force: true });
    }));
  }

  #get(id: string): Run {
    const run = this.#jobs.get(id);
    if (run === undefined) throw new ArcFaceError('NOT_FOUND', `Expected a known video job id but received "${id}"`);
    return run;
  }

  #forgetOld(): void {
    for (const [id, run] of this.#jobs) {
      if (this.#jobs.size <= this.#o.keep) break;
      if (run.status === 'done' || run.status === 'failed' || run.status === 'cancelled') this.#jobs.delete(id);
    }
  }

  #pump(): void {
    while (this.#running < this.#o.concurrency && this.#queue.length > 0) {
      const run = this.#queue.shift() as Run;
      this.#running++;
      this.#start(run, () => {
        this.#running--;
        if (run.file !== undefined) void rm(run.file, { force: true });
        this.#pump();
      });
    }
  }

  #start(run: Run, onExit?: () => void): void {
    const data: VideoWorkerData = {
      config: this.#config,
      galleryLocation: this.#o.galleryLocation,
      source: run.source,
      sourceOptions: run.sourceOptions,
      detectEvery: this.#o.detectEvery,
      threshold: this.#o.threshold,
    };
    const worker = spawnAppWorker('video-worker', data);
    run.worker = worker;
    run.status = 'running';
    worker.on('message', (m: WorkerMessage) => {
      if (m.type === 'frame') {
        if (!m.closing) run.frames++;
        run.dropped = m.dropped;
        run.reconnects = m.reconnects;
        for (const event of m.events) {
          if (run.events.length < VIDEO_SERVICE_DEFAULTS.maxEvents) run.events.push(event);
          for (const l of run.listeners) l({ kind: 'event', event });
        }
      } else if (m.type === 'done') {
        this.#end(run, 'done');
      } else {
        run.error = m.error;
        this.#end(run, 'failed');
      }
    });
    worker.on('error', (err) => {
      run.error = { code: 'INTERNAL', message: err.message };
      this.#end(run, 'failed');
    });
    worker.on('exit', () => {
      run.exited = true;
      if (run.status === 'running') {
        run.error = { code: 'INTERNAL' satisfies ErrorCode, message: 'Expected the video worker to finish but it stopped' };
        this.#end(run, 'failed');
      }
      onExit?.();
    });
  }

  #end(run: Run, status: VideoJobView['status']): void {
    if (run.status !== 'queued' && run.status !== 'running') return;
    run.status = status;
    for (const l of run.listeners) l({ kind: 'end', status, ...(run.error === undefined ? {} : { error: run.error }) });
    run.listeners.clear();
    if (status === 'cancelled') run.worker?.postMessage('stop');
  }
}

/** Longest wait for a worker to finish its frame and release its models before it is terminated. */
const WORKER_STOP_MS = 10_000;

/**
 * Asks a worker to stop after its frame in progress and waits for it to exit: terminating a thread
 * while onnxruntime runs a model in it aborts the whole process, so `terminate()` is the last resort.
 */
async function stopWorker(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage('stop');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), WORKER_STOP_MS);
  });
  const outcome = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (outcome === 'late') await worker.terminate();
}

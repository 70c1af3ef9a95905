import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ArcFaceError } from '../../../src/core/index.js';
import type { AnonymizeReport } from '../../../src/privacy/index.js';
import { buildTimeline, type Timeline, type TrackSighting } from '../../../src/stream/index.js';
import type { VideoSourceOptions } from '../../../src/video/index.js';
import { EventBus } from './event-bus.js';
import type { WireError } from './inference-jobs.js';
import { anonymizedPath, claimFolder, recoverJobRecords, removeJobRecord, writeJobRecord, type JobStatus } from './video-journal.js';
import { resolveVideoLimits, VIDEO_LIMIT_DEFAULTS, type VideoLimits } from './video-limits.js';
import {
  endRun,
  MAX_RUN_EVENTS,
  newRun,
  recordOf,
  runFromRecord,
  startRun,
  stopWorker,
  streamEventsOf,
  type Run,
  type RunEvent,
  type RunHooks,
  type RunListener,
  type VideoLog,
} from './video-run.js';
import { storeUpload } from './video-upload.js';
import type { AnonymizeTask, VideoWorkerData } from './video-worker.js';
import type { WorkerConfig } from './worker-pool.js';

export type { VideoLog } from './video-run.js';

/** Options of the video service; limits default to {@link VIDEO_LIMIT_DEFAULTS}. */
export interface VideoServiceOptions extends Partial<VideoLimits> {
  /**
   * Folder of uploads and job records, kept across restarts (the server's data folder, `videos/`):
   * at start, leftover uploads are removed and unfinished jobs reported failed. It belongs to one
   * running server (`claimFolder`): another one holding it is refused at start.
   */
  readonly dir: string;
  /** Gallery the workers name faces with (SQLite file or postgres:// URL); anonymisation modes `keep` and `only` need it. */
  readonly galleryLocation?: string;
  /** Jobs running at once; the rest wait in order. */
  readonly concurrency?: number;
  /** Finished jobs remembered (the oldest are forgotten first). */
  readonly keep?: number;
  /** Admin-configured live streams by name: clients may only name these, never give a URL (SSRF). */
  readonly streams: Readonly<Record<string, string>>;
  /** Source options of the live streams (RTSP transport, reconnection); they always run live. */
  readonly streamSource?: VideoSourceOptions;
  readonly detectEvery?: number;
  readonly threshold?: number;
  /** ffmpeg binary for the workers (default: `chooseFfmpeg`'s). */
  readonly ffmpegPath?: string;
  /** How often a long-lived event stream re-checks its API key, ms. */
  readonly keyRecheckMs?: number;
  /** The server's event bus the runs publish to (default: one of the service's own). */
  readonly bus?: EventBus;
  /** How long an always-running stream waits before it is opened again after it failed or ended, ms. */
  readonly streamRestartMs?: number;
  readonly log?: VideoLog;
  /**
   * Records the tracks that ended in a job or stream as sightings under `source` (a stream's name,
   * `video:<job id>`); resolves to the events to add to the run. Absent: no sightings.
   */
  readonly onSightings?: (source: string, sightings: readonly TrackSighting[]) => Promise<readonly RunEvent[]>;
  /** Best faces kept per ended track for `onSightings`. Default 3. */
  readonly sightingFaces?: number;
}

/**
 * Defaults: one video at a time (a 2-core server has no room for two), 100 jobs remembered, at most
 * 100,000 events kept per job, keys of event streams re-checked every 5 s.
 */
export const VIDEO_SERVICE_DEFAULTS = Object.freeze({
  ...VIDEO_LIMIT_DEFAULTS,
  concurrency: 1,
  keep: 100,
  detectEvery: 1,
  maxEvents: MAX_RUN_EVENTS,
  keyRecheckMs: 5000,
  // An always-running stream that gave up (its reconnect tries spent) is tried again 30 s later:
  // a camera off for longer costs one ffmpeg start per 30 s, not a busy loop.
  streamRestartMs: 30_000,
});

/** Who asks about a job: the key's id (null without keys) and whether it may see every job. */
export interface JobRequester {
  readonly keyId: string | null;
  readonly admin: boolean;
}

/** What a job looks like to clients. */
export interface VideoJobView {
  readonly id: string;
  readonly status: JobStatus;
  readonly createdAt: string;
  readonly frames: number;
  readonly dropped: number;
  readonly events: number;
  readonly limits: Pick<VideoLimits, 'maxBytes' | 'maxPixels' | 'maxFrames' | 'maxDurationSeconds'>;
  readonly error?: WireError;
  readonly timeline?: Timeline;
  /** An anonymisation job, once done: what was covered and kept, and where the covered video is. */
  readonly report?: AnonymizeReport;
  readonly video?: string;
}

/** Which job family a request is about: `/v1/videos` (faces named) or `/v1/anonymize` (faces covered); one never sees the other's jobs. */
export type JobKind = 'video' | 'anonymize';

/** What a live stream looks like to clients: its state, frames, drops and reconnections so far. */
export interface StreamView {
  readonly name: string;
  readonly status: JobStatus;
  readonly frames: number;
  readonly dropped: number;
  /** Times the stream was opened again after it stopped (see `VideoSourceOptions.reconnectAttempts`). */
  readonly reconnects: number;
}

/**
 * Video jobs and live streams, each in its own worker thread with its own models: uploads become
 * jobs that run in order, bounded and owned by the key that made them; a named stream runs while
 * at least one client listens (or always, see {@link VideoService.keepStreamsRunning}). Every run
 * publishes its events and status changes on the event bus, which the listeners read.
 *
 * @example
 * const videos = VideoService.open(config, { dir: '/var/lib/arcface/videos', streams: {} })
 */
export class VideoService {
  readonly #config: WorkerConfig;
  readonly #o: VideoServiceOptions;
  readonly #limits: VideoLimits;
  readonly #jobs = new Map<string, Run>();
  readonly #queue: Run[] = [];
  readonly #streams = new Map<string, Run>();
  /** Listeners of each live stream: it stops when the last one leaves. */
  readonly #streamListeners = new Map<string, number>();
  readonly #restartTimers = new Set<NodeJS.Timeout>();
  readonly #bus: EventBus;
  /** Uploads still arriving: their owner and bytes so far. */
  readonly #receiving = new Map<string, { quota: string | null; bytes: number }>();
  /** Seconds the recent jobs took, for Retry-After. */
  readonly #durations: number[] = [];
  #running = 0;
  #closed = false;
  #release: () => void = () => undefined;

  private constructor(config: WorkerConfig, options: VideoServiceOptions) {
    this.#config = config;
    this.#o = options;
    this.#limits = resolveVideoLimits(options);
    this.#bus = options.bus ?? new EventBus(options.log);
  }

  /** The event bus every job and stream publishes to. */
  get bus(): EventBus {
    return this.#bus;
  }

  /**
   * Opens the service on its folder: creates it (0700), removes leftover uploads, and reloads the
   * job records (unfinished ones become failed with VIDEO_JOB_INTERRUPTED).
   *
   * @example
   * const videos = VideoService.open(poolConfig, { dir: join(home, 'videos'), streams: { door: 'rtsp://cam/1' } })
   */
  static open(config: WorkerConfig, options: VideoServiceOptions): VideoService {
    const service = new VideoService(config, options);
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    service.#release = claimFolder(options.dir);
    for (const r of recoverJobRecords(options.dir)) service.#jobs.set(r.id, runFromRecord(r));
    service.#forgetOld();
    return service;
  }

  /** The limits jobs run under. */
  get limits(): VideoLimits {
    return this.#limits;
  }

  /** Names of the live streams clients may open. */
  get streamNames(): string[] {
    return Object.keys(this.#o.streams).sort();
  }

  /** The live streams that have been opened, with their state and counters. */
  streamViews(): StreamView[] {
    return [...this.#streams.entries()].map(([name, r]) => ({ name, status: r.status, frames: r.frames, dropped: r.dropped, reconnects: r.reconnects }));
  }

  /** How often a long-lived event stream re-checks its key, ms. */
  get keyRecheckMs(): number {
    return this.#o.keyRecheckMs ?? VIDEO_SERVICE_DEFAULTS.keyRecheckMs;
  }

  /**
   * Whether one more upload of `declaredBytes` (when known) is admitted now: RATE_LIMITED (429) past
   * the key's jobs, QUEUE_FULL (503) past the queue or the disk budget, both with Retry-After.
   * Called before the body is read, and again as it arrives.
   */
  admit(quota: string | null, declaredBytes?: number): void {
    if (this.#closed) throw new ArcFaceError('QUEUE_FULL', 'Expected a running server but it is shutting down', { details: { retryAfterSeconds: 5 } });
    const l = this.#limits;
    const retry = this.#retryAfter();
    let ofKey = 0;
    for (const r of this.#jobs.values()) if (r.quota === quota && (r.status === 'queued' || r.status === 'running')) ofKey++;
    for (const u of this.#receiving.values()) if (u.quota === quota) ofKey++;
    if (ofKey >= l.maxJobsPerKey) {
      throw new ArcFaceError(
        'RATE_LIMITED',
        `Expected at most ${l.maxJobsPerKey} unfinished video jobs per key but this key has ${ofKey}; retry in ${retry} s`,
        {
          details: { retryAfterSeconds: retry },
        },
      );
    }
    const waiting = this.#queue.length + this.#receiving.size;
    if (waiting >= l.maxQueued) {
      throw new ArcFaceError('QUEUE_FULL', `Expected room in the video queue (${l.maxQueued} jobs) but it is full; retry in ${retry} s`, {
        details: { retryAfterSeconds: retry },
      });
    }
    if (declaredBytes !== undefined && this.#pendingBytes() + declaredBytes > l.maxPendingBytes) {
      throw new ArcFaceError(
        'QUEUE_FULL',
        `Expected room for ${declaredBytes} bytes among pending uploads but the server holds too many; retry in ${retry} s`,
        {
          details: { retryAfterSeconds: retry },
        },
      );
    }
  }

  /**
   * Stores an upload (bounded, removed when `signal` aborts) and queues its job, owned by `owner` and
   * counted against `quota` (the key, or the client's address without keys; default `owner`).
   */
  async submit(
    body: Readable,
    by: { owner: string | null; quota?: string; requestId?: string; declaredBytes?: number; signal?: AbortSignal; upload?: string },
    anonymize?: AnonymizeTask,
  ): Promise<VideoJobView> {
    if (anonymize !== undefined && anonymize.mode !== 'all' && this.#o.galleryLocation === undefined) {
      throw new ArcFaceError(
        'INVALID_ARGUMENT',
        `Expected a server with a gallery for mode "${anonymize.mode}" (faces are named against it) but this one has none`,
      );
    }
    const quota = by.quota ?? by.owner;
    this.admit(quota, by.declaredBytes);
    const id = randomUUID();
    const file = join(this.#o.dir, `${id}.video`);
    const receiving = { quota, bytes: 0 };
    this.#receiving.set(id, receiving);
    let stored: Awaited<ReturnType<typeof storeUpload>>;
    try {
      stored = await storeUpload(body, file, {
        maxBytes: this.#limits.maxBytes,
        ...(by.signal === undefined ? {} : { signal: by.signal }),
        onBytes: (n) => {
          if (this.#pendingBytes() + n > this.#limits.maxPendingBytes) {
            throw new ArcFaceError('QUEUE_FULL', 'Expected room among pending uploads but the server holds too many', {
              details: { retryAfterSeconds: this.#retryAfter() },
            });
          }
          receiving.bytes += n;
        },
      });
    } finally {
      this.#receiving.delete(id);
    }
    if (this.#closed) {
      await rm(file, { force: true });
      throw new ArcFaceError('QUEUE_FULL', 'Expected a running server but it is shutting down', { details: { retryAfterSeconds: 5 } });
    }
    const run = newRun({
      id,
      owner: by.owner,
      quota,
      ...(by.requestId === undefined ? {} : { requestId: by.requestId }),
      ...(by.upload === undefined ? {} : { upload: by.upload }),
      file,
      bytes: stored.bytes,
      source: file,
      sourceOptions: {
        live: false,
        container: stored.container,
        maxPixels: this.#limits.maxPixels,
        ...(this.#o.ffmpegPath === undefined ? {} : { ffmpegPath: this.#o.ffmpegPath }),
      },
      ...(anonymize === undefined ? {} : { anonymize: { task: anonymize, output: anonymizedPath(this.#o.dir, id) } }),
    });
    this.#jobs.set(id, run);
    this.#record(run);
    this.#forgetOld();
    this.#queue.push(run);
    this.#pump();
    return this.#view(run);
  }

  /** A job's state; NOT_FOUND for unknown ids and for jobs of another key. */
  view(id: string, who: JobRequester, kind: JobKind = 'video'): VideoJobView {
    return this.#view(this.#get(id, who, kind));
  }

  /** The covered video of a finished anonymisation job; NOT_FOUND while it runs, and for unknown or others' jobs. */
  anonymizedVideo(id: string, who: JobRequester): string {
    const run = this.#get(id, who, 'anonymize');
    if (run.status !== 'done' || run.anonymize === undefined) {
      throw new ArcFaceError('NOT_FOUND', `Expected a finished anonymisation job but job "${id.slice(0, 64)}" is ${run.status}`);
    }
    return run.anonymize.output;
  }

  /** The events of a job so far (jobs finished before a restart keep their timeline, not their events). */
  events(id: string, who: JobRequester, kind: JobKind = 'video'): readonly RunEvent[] {
    return this.#get(id, who, kind).events;
  }

  /**
   * Follows a job: replays its events, then calls `listener` for each new one and once at the end.
   * Returns the function that stops following.
   */
  follow(id: string, who: JobRequester, listener: RunListener, kind: JobKind = 'video'): () => void {
    const run = this.#get(id, who, kind);
    for (const event of run.events) listener({ kind: 'event', event });
    if (run.status !== 'queued' && run.status !== 'running') {
      listener({ kind: 'end', status: run.status, ...(run.error === undefined ? {} : { error: run.error }) });
      return () => undefined;
    }
    return this.#subscribeRun(run.id, listener);
  }

  /** Cancels a job (or forgets a finished one). */
  async cancel(id: string, who: JobRequester, kind: JobKind = 'video'): Promise<void> {
    const run = this.#get(id, who, kind);
    const i = this.#queue.indexOf(run);
    if (i >= 0) this.#queue.splice(i, 1);
    if (run.status === 'queued' || run.status === 'running') this.#end(run, 'cancelled');
    this.#jobs.delete(id);
    removeJobRecord(this.#o.dir, id);
    await this.#removeUpload(run);
    await this.#removeOutput(run);
  }

  /**
   * Listens to a named live stream: starts it when it is the first listener, stops it (after the
   * frame in progress) when the last one leaves. Unknown names raise `NOT_FOUND`; URLs are never accepted.
   */
  listen(name: string, listener: RunListener): () => void {
    const url = Object.hasOwn(this.#o.streams, name) ? this.#o.streams[name] : undefined;
    if (url === undefined)
      throw new ArcFaceError('NOT_FOUND', `Expected one of the configured streams (${this.streamNames.join(', ') || 'none'}) but received "${name}"`);
    let run = this.#streams.get(name);
    if (run === undefined || (run.status !== 'running' && run.status !== 'queued')) {
      run = newRun({
        id: `stream:${name}`,
        owner: null,
        quota: null,
        stream: name,
        source: url,
        sourceOptions: {
          ...this.#o.streamSource,
          live: true,
          maxPixels: this.#limits.maxPixels,
          ...(this.#o.ffmpegPath === undefined ? {} : { ffmpegPath: this.#o.ffmpegPath }),
        },
      });
      this.#streams.set(name, run);
      this.#start(run);
    }
    const r = run;
    const unsubscribe = this.#subscribeRun(r.id, listener);
    this.#streamListeners.set(name, (this.#streamListeners.get(name) ?? 0) + 1);
    let left = false;
    return () => {
      if (left) return;
      left = true;
      unsubscribe();
      const n = (this.#streamListeners.get(name) ?? 1) - 1;
      this.#streamListeners.set(name, n);
      if (n === 0 && this.#streams.get(name) === r) r.worker?.postMessage('stop');
    };
  }

  /**
   * Runs every configured stream from now until the service closes, whether or not a client
   * follows it (for MQTT and webhooks, which need events with nobody watching). A stream that fails
   * or ends is opened again after `streamRestartMs`.
   *
   * @example
   * videos.keepStreamsRunning()
   */
  keepStreamsRunning(): void {
    for (const name of this.streamNames) this.#hold(name);
  }

  #hold(name: string): void {
    if (this.#closed) return;
    let leave: () => void = () => undefined;
    leave = this.listen(name, (e) => {
      if (e.kind !== 'end') return;
      leave();
      if (this.#closed) return;
      const timer = setTimeout(() => {
        this.#restartTimers.delete(timer);
        this.#hold(name);
      }, this.#o.streamRestartMs ?? VIDEO_SERVICE_DEFAULTS.streamRestartMs);
      timer.unref();
      this.#restartTimers.add(timer);
    });
  }

  /** Follows one run on the bus: its events, then its end (a status other than queued or running). */
  #subscribeRun(runId: string, listener: RunListener): () => void {
    let stop: () => void = () => undefined;
    stop = this.#bus.subscribe((m) => {
      if (m.runId !== runId) return;
      if (m.kind === 'event') listener({ kind: 'event', event: m.event });
      else if (m.status !== 'queued' && m.status !== 'running') {
        stop();
        listener({ kind: 'end', status: m.status, ...(m.error === undefined ? {} : { error: m.error }) });
      }
    });
    return stop;
  }

  /** Stops every worker and removes stored uploads; unfinished jobs stay recorded as such, and are reported failed at the next start. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#restartTimers) clearTimeout(t);
    this.#restartTimers.clear();
    const all = [...this.#jobs.values(), ...this.#streams.values()];
    this.#queue.length = 0;
    await Promise.all(
      all.map(async (r) => {
        if (r.status === 'queued' || r.status === 'running') this.#end(r, 'cancelled');
        if (r.worker !== undefined && r.exited !== true) await stopWorker(r.worker);
        await this.#removeUpload(r);
      }),
    );
    this.#release();
  }

  #view(run: Run): VideoJobView {
    const l = this.#limits;
    const finished = run.status === 'done' || run.status === 'failed' || run.status === 'cancelled';
    return {
      id: run.id,
      status: run.status,
      createdAt: run.createdAt,
      frames: run.frames,
      dropped: run.dropped,
      events: Math.max(run.events.length, run.eventCount),
      limits: { maxBytes: l.maxBytes, maxPixels: l.maxPixels, maxFrames: l.maxFrames, maxDurationSeconds: l.maxDurationSeconds },
      ...(run.error === undefined ? {} : { error: run.error }),
      ...(finished && run.anonymize === undefined ? { timeline: run.timeline ?? buildTimeline(streamEventsOf(run.events)) } : {}),
      ...(run.report === undefined ? {} : { report: run.report }),
      ...(run.anonymize !== undefined && run.status === 'done' ? { video: `/v1/anonymize/${run.id}/video` } : {}),
    };
  }

  #get(id: string, who: JobRequester, kind: JobKind): Run {
    const run = this.#jobs.get(id);
    // Another key's job, or a job of the other family, answers exactly as an unknown one: its id tells nothing.
    if (run === undefined || (!who.admin && run.owner !== who.keyId) || (run.anonymize === undefined) !== (kind === 'video')) {
      throw new ArcFaceError('NOT_FOUND', `Expected a known ${kind === 'video' ? 'video' : 'anonymisation'} job id but received "${id.slice(0, 64)}"`);
    }
    return run;
  }

  #pendingBytes(): number {
    let n = 0;
    for (const r of this.#jobs.values()) n += r.bytes;
    for (const u of this.#receiving.values()) n += u.bytes;
    return n;
  }

  /** Seconds until a slot is likely free: the mean recent job time times the jobs ahead, 1 s to 1 h. */
  #retryAfter(): number {
    const mean = this.#durations.length === 0 ? 60 : this.#durations.reduce((a, b) => a + b, 0) / this.#durations.length;
    const ahead = this.#queue.length / (this.#o.concurrency ?? VIDEO_SERVICE_DEFAULTS.concurrency) + 1;
    return Math.min(3600, Math.max(1, Math.ceil(mean * ahead)));
  }

  #record(run: Run): void {
    if (run.stream !== undefined) return;
    try {
      writeJobRecord(this.#o.dir, recordOf(run));
    } catch (err) {
      this.#o.log?.warn({ err, jobId: run.id }, 'could not record the video job');
    }
  }

  #hooks(onExit?: () => void): RunHooks {
    const record = this.#o.onSightings;
    return {
      ...(this.#o.log === undefined ? {} : { log: this.#o.log }),
      record: (r) => this.#record(r),
      publish: (m) => this.#bus.publish(m),
      ...(onExit === undefined ? {} : { onExit }),
      ...(record === undefined ? {} : { onSightings: (run: Run, list: readonly TrackSighting[]) => record(run.stream ?? `video:${run.id}`, list) }),
    };
  }

  async #removeUpload(run: Run): Promise<void> {
    const file = run.file;
    run.file = undefined;
    run.bytes = 0;
    if (file !== undefined) await rm(file, { force: true });
  }

  /** Removes an anonymisation job's covered video (cancelled, forgotten, failed). */
  async #removeOutput(run: Run): Promise<void> {
    if (run.anonymize !== undefined) await rm(run.anonymize.output, { force: true });
  }

  #forgetOld(): void {
    const keep = this.#o.keep ?? VIDEO_SERVICE_DEFAULTS.keep;
    for (const [id, run] of this.#jobs) {
      if (this.#jobs.size <= keep) break;
      if (run.status === 'done' || run.status === 'failed' || run.status === 'cancelled') {
        this.#jobs.delete(id);
        removeJobRecord(this.#o.dir, id);
        void this.#removeOutput(run);
      }
    }
  }

  #pump(): void {
    while (this.#running < (this.#o.concurrency ?? VIDEO_SERVICE_DEFAULTS.concurrency) && this.#queue.length > 0) {
      const run = this.#queue.shift() as Run;
      this.#running++;
      run.startedAt = performance.now();
      this.#start(run, () => {
        this.#running--;
        if (run.startedAt !== undefined) this.#durations.splice(0, Math.max(0, this.#durations.length - 19), (performance.now() - run.startedAt) / 1000);
        void this.#removeUpload(run);
        if (run.status !== 'done') void this.#removeOutput(run);
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
      detectEvery: this.#o.detectEvery ?? VIDEO_SERVICE_DEFAULTS.detectEvery,
      threshold: this.#o.threshold,
      sightingFaces: this.#o.onSightings === undefined ? 0 : (this.#o.sightingFaces ?? 3),
      ...(run.stream === undefined ? { limits: { maxFrames: this.#limits.maxFrames, maxDurationSeconds: this.#limits.maxDurationSeconds } } : {}),
      ...(run.anonymize === undefined ? {} : { anonymize: run.anonymize }),
    };
    startRun(run, data, this.#hooks(onExit));
  }

  #end(run: Run, status: JobStatus): void {
    endRun(run, status, this.#hooks());
  }
}

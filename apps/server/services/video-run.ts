/**
 * One video job or live stream as the service holds it (a "run"), and its worker thread: starting
 * it, following its messages, ending it, and telling clients why it failed in our words only.
 */
import type { Worker } from 'node:worker_threads';
import type { ErrorCode } from '../../../src/core/index.js';
import type { AnonymizeReport } from '../../../src/privacy/index.js';
import { buildTimeline, type StreamEvent, type Timeline, type TrackSighting } from '../../../src/stream/index.js';
import type { VideoSourceOptions } from '../../../src/video/index.js';
import { shownFileName } from '../plugins/index.js';
import type { BusMessage, EventOrigin, ServerEvent } from './event-bus.js';
import type { SightingEvent } from '../../../src/sightings/index.js';
import type { WireError } from './inference-jobs.js';
import type { JobRecord, JobStatus } from './video-journal.js';
import type { AnonymizeTask, VideoWorkerData } from './video-worker.js';
import { spawnAppWorker } from './worker-spawn.js';

/** Most events kept per job (a listener still receives every one). */
export const MAX_RUN_EVENTS = 100_000;

/** Where failures are logged with their full reason (ffmpeg's words, paths), never sent to clients. */
export interface VideoLog {
  warn(obj: object, msg: string): void;
}

/** What a run reports: its stream's events and the sightings recorded from it. */
export type RunEvent = StreamEvent | SightingEvent;

/**
 * The stream's own events of a run (its timeline is built from them).
 *
 * @example
 * buildTimeline(streamEventsOf(run.events))
 */
export function streamEventsOf(events: readonly RunEvent[]): StreamEvent[] {
  return events.filter((e): e is StreamEvent => !e.type.startsWith('sighting.') && !e.type.startsWith('visitor.'));
}

/** Receives a run's events, then its end (what one SSE client follows, read from the event bus). */
export type RunListener = (e: { kind: 'event'; event: ServerEvent } | { kind: 'end'; status: JobStatus; error?: WireError }) => void;

/** A job or a live stream. */
export interface Run {
  readonly id: string;
  readonly owner: string | null;
  /** Whom the job counts against: the key, or the client's address when keys are off. */
  readonly quota: string | null;
  readonly createdAt: string;
  /** The request that made the job, for the log. */
  readonly requestId?: string;
  /** A live stream's name (its URL is never shown). */
  readonly stream?: string;
  /** The file name the client gave its upload (multipart), as messages quote it; never the stored path. */
  readonly upload?: string;
  status: JobStatus;
  frames: number;
  dropped: number;
  /** Times a live stream was opened again after it stopped (see `VideoSourceOptions.reconnectAttempts`). */
  reconnects: number;
  events: RunEvent[];
  /** Events counted before a restart (their list is not kept). */
  eventCount: number;
  error?: WireError;
  timeline?: Timeline;
  worker?: Worker;
  exited?: boolean;
  file?: string;
  /** Bytes of the upload still on disk. */
  bytes: number;
  readonly source: string;
  readonly sourceOptions: VideoSourceOptions;
  startedAt?: number;
  /** An anonymisation job (`/v1/anonymize`): what to cover, and the file the covered video goes to. */
  readonly anonymize?: { readonly task: AnonymizeTask; readonly output: string };
  /** An anonymisation job's report, once done. */
  report?: AnonymizeReport;
}

/**
 * A queued run with nothing counted yet.
 *
 * @example
 * const run = newRun({ id, owner: null, quota: null, source: url, sourceOptions: { live: true } })
 */
export function newRun(
  fields: Pick<Run, 'id' | 'owner' | 'quota' | 'source' | 'sourceOptions'> &
    Partial<Pick<Run, 'requestId' | 'stream' | 'upload' | 'file' | 'bytes' | 'anonymize'>>,
): Run {
  return { createdAt: new Date().toISOString(), status: 'queued', frames: 0, dropped: 0, reconnects: 0, events: [], eventCount: 0, bytes: 0, ...fields };
}

/**
 * A run rebuilt from its record after a restart (finished: it never starts again).
 *
 * @example
 * const run = runFromRecord(record)
 */
export function runFromRecord(r: JobRecord): Run {
  return {
    ...newRun({ id: r.id, owner: r.owner, quota: r.owner, source: '', sourceOptions: {} }),
    createdAt: r.createdAt,
    status: r.status,
    frames: r.frames,
    dropped: r.dropped,
    eventCount: r.events,
    ...(r.error === undefined ? {} : { error: r.error }),
    ...(r.timeline === undefined ? {} : { timeline: r.timeline }),
    ...(r.anonymize === undefined ? {} : { anonymize: r.anonymize }),
    ...(r.report === undefined ? {} : { report: r.report }),
  };
}

/**
 * What is kept of a run on disk.
 *
 * @example
 * writeJobRecord(dir, recordOf(run))
 */
export function recordOf(run: Run): JobRecord {
  return {
    id: run.id,
    owner: run.owner,
    createdAt: run.createdAt,
    status: run.status,
    frames: run.frames,
    dropped: run.dropped,
    events: Math.max(run.events.length, run.eventCount),
    ...(run.error === undefined ? {} : { error: run.error }),
    ...(run.anonymize === undefined && (run.status === 'done' || run.status === 'failed')
      ? { timeline: run.timeline ?? buildTimeline(streamEventsOf(run.events)) }
      : {}),
    ...(run.anonymize === undefined ? {} : { anonymize: run.anonymize }),
    ...(run.report === undefined ? {} : { report: run.report }),
  };
}

/** What clients are told for each failure code: our words only, no path, URL or ffmpeg text. */
const PUBLIC_MESSAGES: Readonly<Partial<Record<string, string>>> = Object.freeze({
  VIDEO_DECODE_FAILED: 'Expected a decodable video but it is corrupt, truncated or not a video',
  VIDEO_UNSUPPORTED: 'Expected a video stream in a codec the server decodes but found none',
  VIDEO_TIMEOUT: 'Expected frames to keep coming but the source stalled',
  VIDEO_STREAM_ENDED: 'Expected the stream to keep streaming but it ended',
  VIDEO_STREAM_UNAVAILABLE: 'Expected the stream to answer but it could not be reached',
  VIDEO_JOB_INTERRUPTED: 'Expected the job to finish but the server restarted before it did; upload the video again',
  FILE_NOT_FOUND: 'Expected the upload on the server but it is gone',
});

/** A path, a `file:` name or a URL in a message: what a limit refusal names its source by. */
const SOURCE_NAME = /(?:[a-z][a-z0-9+.-]*:)?\/[^\s'"()]*/gi;

/**
 * What a client is told of a failed run: our words only, prefixed with the stream's name or the
 * upload's own file name. A limit refusal (VIDEO_TOO_LARGE) keeps its figures, but the source it
 * names (the stored path in any form, a stream's URL) becomes "the upload" / "the stream", and
 * ffmpeg's reason is dropped; the full message goes to the log.
 *
 * @example
 * publicRunError(run, { code: 'VIDEO_DECODE_FAILED', message: 'Expected a decodable video at /srv/x.video …' })
 * // { code: 'VIDEO_DECODE_FAILED', message: 'Upload "holiday.mp4": Expected a decodable video but it is corrupt, truncated or not a video' }
 */
export function publicRunError(run: Pick<Run, 'id' | 'stream' | 'upload' | 'file' | 'anonymize'>, error: WireError): WireError {
  const who = run.stream !== undefined ? `Stream "${run.stream}": ` : run.upload !== undefined ? `Upload ${shownFileName(run.upload)}: ` : '';
  if (error.code === 'VIDEO_TOO_LARGE') {
    const source = run.stream === undefined ? 'the upload' : 'the stream';
    // The stored path first, whole (it may hold spaces), then anything else that looks like a path or a URL.
    const stored = run.file === undefined ? error.message : error.message.split(`file:${run.file}`).join(source).split(run.file).join(source);
    const words = stored.replace(/ but ffmpeg could not read it \(.*\)$/s, ' but they are larger').replace(SOURCE_NAME, source);
    return { code: error.code, message: `${who}${words}` };
  }
  // An anonymisation job's own ids or tag not in the gallery: our words about what the client sent.
  if (run.anonymize !== undefined && (error.code === 'IDENTITY_NOT_FOUND' || error.code === 'NOT_FOUND'))
    return { code: error.code, message: `${who}${error.message}` };
  const known = PUBLIC_MESSAGES[error.code];
  if (known !== undefined) return { code: error.code, message: `${who}${known}` };
  return {
    code: error.code,
    message: `${who}Expected the video job to finish but it failed inside the server (${error.code}); the server log has the details (job ${run.id})`,
  };
}

/**
 * Where a run's messages go on the event bus: a stream by its name, a job by its id.
 *
 * @example
 * originOf(run) // { kind: 'stream', name: 'door' }
 */
export function originOf(run: Run): EventOrigin {
  return run.stream === undefined ? { kind: 'video', id: run.id } : { kind: 'stream', name: run.stream };
}

/** The bus message saying that a run's status is now `run.status`. */
function statusMessage(run: Run): BusMessage {
  return {
    kind: 'status',
    runId: run.id,
    origin: originOf(run),
    at: new Date().toISOString(),
    status: run.status,
    counters: { frames: run.frames, dropped: run.dropped, reconnects: run.reconnects },
    ...(run.error === undefined ? {} : { error: run.error }),
  };
}

/** What a run reports back to its service. */
export interface RunHooks {
  readonly log?: VideoLog;
  /** Puts the run's events and status changes on the server's event bus. */
  readonly publish: (message: BusMessage) => void;
  /** A run reached a status worth keeping (running, done, failed). */
  readonly record: (run: Run) => void;
  /** The worker thread has exited. */
  readonly onExit?: () => void;
  /** Tracks that ended with their best faces (asked with `VideoWorkerData.sightingFaces`); resolves to the events to add. */
  readonly onSightings?: (run: Run, sightings: readonly TrackSighting[]) => Promise<readonly RunEvent[]>;
}

/**
 * Adds events to a run and publishes them on the event bus (SSE clients and event sinks read them there).
 *
 * @example
 * addRunEvents(run, [event], hooks, originOf(run))
 */
export function addRunEvents(run: Run, events: readonly RunEvent[], hooks: Pick<RunHooks, 'publish'>, origin: EventOrigin): void {
  const at = new Date().toISOString();
  for (const event of events) {
    if (run.events.length < MAX_RUN_EVENTS) run.events.push(event);
    hooks.publish({ kind: 'event', runId: run.id, origin, at, event });
  }
}

/**
 * Ends a run once (later calls do nothing): publishes its end, records it, stops a cancelled worker.
 *
 * @example
 * endRun(run, 'cancelled', hooks)
 */
export function endRun(run: Run, status: JobStatus, hooks: Pick<RunHooks, 'record' | 'publish'>): void {
  if (run.status !== 'queued' && run.status !== 'running') return;
  run.status = status;
  hooks.publish(statusMessage(run));
  if (status === 'cancelled') run.worker?.postMessage('stop');
  else hooks.record(run);
}

/** Logs the full reason with the job and request ids; the run keeps only what a client may read. */
function failRun(run: Run, error: WireError, hooks: RunHooks): void {
  if (run.status !== 'queued' && run.status !== 'running') return;
  hooks.log?.warn({ jobId: run.id, requestId: run.requestId, stream: run.stream, error }, 'video job failed');
  run.error = publicRunError(run, error);
  endRun(run, 'failed', hooks);
}

type WorkerMessage =
  | { type: 'frame'; frame: number; dropped: number; reconnects: number; events: StreamEvent[]; sightings?: TrackSighting[]; closing: boolean }
  | { type: 'report'; report: AnonymizeReport }
  | { type: 'done' }
  | { type: 'error'; error: WireError };

/**
 * Starts a run's worker thread and follows it until it exits.
 *
 * @example
 * startRun(run, workerData, { log, record: (r) => save(r), onExit: () => next() })
 */
export function startRun(run: Run, data: VideoWorkerData, hooks: RunHooks): void {
  const worker = spawnAppWorker('video-worker', data);
  run.worker = worker;
  run.status = 'running';
  hooks.record(run);
  hooks.publish(statusMessage(run));
  const origin = originOf(run);
  // Sightings are recorded in order, and the run ends only after the last of them added its events.
  let recorded: Promise<void> = Promise.resolve();
  const after = (fn: () => void): void => {
    void recorded.then(fn);
  };
  worker.on('message', (m: WorkerMessage) => {
    if (m.type === 'frame') {
      if (!m.closing) run.frames++;
      run.dropped = m.dropped;
      run.reconnects = m.reconnects;
      addRunEvents(run, m.events, hooks, origin);
      const onSightings = hooks.onSightings;
      const list = m.sightings;
      if (list !== undefined && list.length > 0 && onSightings !== undefined) {
        // Their events follow the frame's.
        recorded = recorded.then(() =>
          onSightings(run, list).then(
            (events) => addRunEvents(run, events, hooks, origin),
            (err: unknown) => hooks.log?.warn({ jobId: run.id, err }, 'could not record sightings'),
          ),
        );
      }
    } else if (m.type === 'report') {
      run.report = m.report;
    } else if (m.type === 'done') {
      after(() => endRun(run, 'done', hooks));
    } else {
      const error = m.error;
      after(() => failRun(run, error, hooks));
    }
  });
  worker.on('error', (err) => after(() => failRun(run, { code: 'INTERNAL', message: err.message }, hooks)));
  worker.on('exit', () => {
    run.exited = true;
    after(() => {
      if (run.status === 'running')
        failRun(run, { code: 'INTERNAL' satisfies ErrorCode, message: 'Expected the video worker to finish but it stopped' }, hooks);
      hooks.onExit?.();
    });
  });
}

/** Longest wait for a worker to finish its frame and release its models before it is terminated. */
const WORKER_STOP_MS = 10_000;

/**
 * Asks a worker to stop after its frame in progress and waits for it to exit: terminating a thread
 * while onnxruntime runs a model in it aborts the whole process, so `terminate()` is the last resort.
 *
 * @example
 * await stopWorker(run.worker)
 */
export async function stopWorker(worker: Worker): Promise<void> {
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

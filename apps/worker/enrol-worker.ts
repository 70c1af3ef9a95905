import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { asArcFaceError, assertInteger } from '../../src/core/index.js';
import type { Gallery } from '../../src/gallery/index.js';
import {
  assertPhotoJob,
  enrolPhotoJob,
  isBadInput,
  makeFaceTemplates,
  MicroBatcher,
  type IngestImage,
  type IngestRecognizer,
  type PhotoJobResult,
  type TemplateOutcome,
} from '../../src/ingest/index.js';
import type { EnrolFaceChoice } from '../../src/ingest/index.js';
import { assertRedisUrl, ENROL_JOB_VERSION, enrolKeys, type EnrolJobData } from './enrol-queue.js';

/** Options of {@link startEnrolWorker}. */
export interface EnrolWorkerOptions {
  readonly redisUrl: string;
  readonly queueName: string;
  readonly gallery: Gallery;
  readonly recognizer: IngestRecognizer;
  /** Jobs in flight at once (reading files and writing the gallery overlap the model runs). */
  readonly concurrency: number;
  /** Photos embedded per model call, gathered across the jobs in flight. */
  readonly batchSize: number;
  /** How long a job's lock lasts without renewal: a killed worker's jobs return to the queue after it (ms). */
  readonly lockDurationMs: number;
  /** How often the worker looks for jobs whose lock expired (ms). */
  readonly stalledIntervalMs: number;
  readonly face?: EnrolFaceChoice;
  /** Receives one event per job (the CLI prints them). */
  readonly onEvent?: (event: WorkerEvent) => void;
}

/** A job done or failed, as the worker reports it. */
export interface WorkerEvent {
  readonly event: 'enrolled' | 'duplicate' | 'retrying' | 'dead-letter';
  readonly jobId: string;
  readonly identityId?: string;
  readonly file?: string;
  readonly templateId?: number;
  readonly reason?: string;
}

/**
 * BullMQ's defaults, kept unless the caller tunes them: a lock of 30 s renewed every 15 s, a stall
 * check every 30 s; so a killed worker's jobs are back in the queue within about a minute. Four jobs
 * in flight let file reads and gallery writes overlap the model runs (not tuned further); the 5 ms
 * linger that gathers their photos into one batch costs a fraction of a photo's ~28 ms (400 LFW
 * photos at 36/s on 2 cores, `npm run bench -- ingest`).
 *
 * @example
 * await startEnrolWorker({ redisUrl, queueName, gallery, recognizer, ...ENROL_WORKER_DEFAULTS })
 */
export const ENROL_WORKER_DEFAULTS = Object.freeze({ concurrency: 4, batchSize: 8, lingerMs: 5, lockDurationMs: 30_000, stalledIntervalMs: 30_000 });

/** A running worker; `close` lets the jobs in flight finish, then stops taking jobs. */
export interface EnrolWorker {
  close(): Promise<void>;
}

/**
 * Starts a worker that enrols the queue's photo jobs into `gallery`. Bad input (an unreadable
 * photo, no face, several faces, a file changed or gone since it was queued) fails the job at once,
 * as a dead letter whose reason starts with its error code; any other failure (a busy or restarting
 * database) is retried with the job's back-off. The worker keeps reconnecting when Redis goes away.
 *
 * @example
 * const w = await startEnrolWorker({ redisUrl, queueName: 'arcface-enrol', gallery, recognizer, ...ENROL_WORKER_DEFAULTS })
 * process.once('SIGTERM', () => w.close())
 */
export async function startEnrolWorker(opts: EnrolWorkerOptions): Promise<EnrolWorker> {
  const url = assertRedisUrl(opts.redisUrl);
  const concurrency = assertInteger('concurrency', opts.concurrency, 1, 256);
  const batchSize = assertInteger('batchSize', opts.batchSize, 1, 256);
  const lockDuration = assertInteger('lockDurationMs', opts.lockDurationMs, 500, 3_600_000);
  const stalledInterval = assertInteger('stalledIntervalMs', opts.stalledIntervalMs, 200, 3_600_000);
  const redis = new Redis(url, { maxRetriesPerRequest: null });
  redis.on('error', () => {});
  const keys = enrolKeys(opts.queueName);
  const face = opts.face === undefined ? {} : { face: opts.face };
  const batcher = new MicroBatcher<IngestImage, TemplateOutcome>((imgs) => makeFaceTemplates(opts.recognizer, imgs, face), {
    maxItems: batchSize,
    lingerMs: ENROL_WORKER_DEFAULTS.lingerMs,
  });
  const emit = opts.onEvent ?? (() => {});

  const processJob = async (job: Job<EnrolJobData>): Promise<PhotoJobResult> => {
    const id = String(job.id);
    try {
      if (job.data?.v !== ENROL_JOB_VERSION) {
        throw new UnrecoverableError(`INVALID_ARGUMENT: Expected an enrolment job of version ${ENROL_JOB_VERSION} but received ${JSON.stringify(job.data?.v)}`);
      }
      const data = assertPhotoJob(job.data);
      const result = await enrolPhotoJob(opts.gallery, (img) => batcher.submit(img), data);
      await redis.sadd(keys.done, id);
      const base = { jobId: id, identityId: data.identityId, file: data.path };
      emit(result.templateId === null ? { event: 'duplicate', ...base } : { event: 'enrolled', ...base, templateId: result.templateId });
      return result;
    } catch (e) {
      if (e instanceof UnrecoverableError) throw e;
      const err = asArcFaceError(e);
      const reason = `${err.code}: ${err.message}`;
      if (isBadInput(err)) throw new UnrecoverableError(reason);
      throw new Error(reason);
    }
  };

  const worker = new Worker<EnrolJobData, PhotoJobResult>(opts.queueName, processJob, {
    connection: redis,
    concurrency,
    lockDuration,
    stalledInterval,
    maxStalledCount: 1,
  });
  worker.on('error', () => {});
  worker.on('failed', (job, err) => {
    if (job === undefined) return;
    const final = err instanceof UnrecoverableError || err.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
    emit({ event: final ? 'dead-letter' : 'retrying', jobId: String(job.id), identityId: job.data?.identityId, file: job.data?.path, reason: err.message });
  });
  await worker.waitUntilReady();
  return {
    async close(): Promise<void> {
      await worker.close();
      await redis.quit().catch(() => redis.disconnect());
    },
  };
}

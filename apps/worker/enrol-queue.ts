import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { ArcFaceError, redactUrl } from '../../src/core/index.js';
import type { PhotoJob } from '../../src/ingest/index.js';

/**
 * The enrolment queue on Redis, shared by `arcface enroll --people --queue` (producer), `arcface
 * worker` (consumer) and `arcface jobs` (status). A job is one photo of one identity.
 *
 * What a job carries: the photo's path on storage every worker mounts at the same place, and its
 * SHA-256 — not its bytes. Redis holds everything in memory: 166,000 photos of 2–5 MB would be
 * 300–800 GB of RAM, against ~300 bytes a job as a path. The SHA-256 keeps the job exact: a worker
 * that finds other bytes at the path (or none) dead-letters the job (`SOURCE_CHANGED`,
 * `FILE_NOT_FOUND`) instead of enrolling a photo nobody queued.
 *
 * @example
 * new Queue(ENROL_QUEUE_DEFAULTS.name, { connection })
 */
export const ENROL_QUEUE_DEFAULTS = Object.freeze({
  /** Queue name (BullMQ keys `bull:<name>:…`). */
  name: 'arcface-enrol',
  /**
   * Attempts of a job that fails for a reason that may pass (database busy or restarting): 6 with
   * exponential back-off from 1 s wait 1 + 2 + 4 + 8 + 16 = 31 s in all, enough to ride out a
   * database failover; bad input is dead-lettered at the first attempt.
   */
  attempts: 6,
  backoffMs: 1000,
  /** Completed jobs kept for `jobs status` (a week, at most 100,000: ~50 MB of Redis); dead letters are kept until retried. */
  keepCompletedSeconds: 7 * 24 * 3600,
  keepCompletedCount: 100_000,
});

/**
 * Job payload version: a worker refuses payloads of another shape.
 *
 * @example
 * const data: EnrolJobData = { v: ENROL_JOB_VERSION, batch, identityId, name, path, sha256 }
 */
export const ENROL_JOB_VERSION = 1;

/** The payload of an enrolment job. */
export interface EnrolJobData extends PhotoJob {
  readonly v: typeof ENROL_JOB_VERSION;
  /** The enqueue run it belongs to (`jobs status` shows progress per batch). */
  readonly batch: string;
}

/**
 * The job id: the photo's SHA-256 and a hash of the identity id. BullMQ ignores a job whose id is
 * already queued, so queueing a folder twice queues each photo once; and the gallery itself skips a
 * photo the identity already holds, so a job that runs twice (a worker killed after its write) adds
 * one template.
 *
 * @example
 * enrolJobId('Ada_Lovelace', 'e3b0c442…') // 'e3b0c442…-1f2a…' (64 + 1 + 16 hex digits)
 */
export function enrolJobId(identityId: string, sha256: string): string {
  return `${sha256}-${createHash('sha256').update(identityId).digest('hex').slice(0, 16)}`;
}

/**
 * Redis keys ArcFace.ts keeps beside BullMQ's: the set of job ids done, the batches (hash of their
 * metadata) and each batch's set of job ids.
 *
 * @example
 * enrolKeys('arcface-enrol').done // 'arcface:arcface-enrol:done'
 */
export function enrolKeys(queueName: string): { done: string; batches: string; batch: (id: string) => string } {
  return { done: `arcface:${queueName}:done`, batches: `arcface:${queueName}:batches`, batch: (id) => `arcface:${queueName}:batch:${id}` };
}

/**
 * Checks a `redis://` or `rediss://` URL. `INVALID_ARGUMENT` otherwise.
 *
 * @example
 * assertRedisUrl('redis://127.0.0.1:6379/0')
 */
export function assertRedisUrl(url: unknown): string {
  let ok = false;
  if (typeof url === 'string') {
    try {
      ok = ['redis:', 'rediss:'].includes(new URL(url).protocol);
    } catch {
      ok = false;
    }
  }
  if (!ok)
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected a Redis URL redis://host:port[/db] for --queue but received ${JSON.stringify(String(url).slice(0, 80))}`,
    );
  return url as string;
}

/** Connection timeout of one-shot commands (enqueue, status): Redis on a LAN answers in milliseconds. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * A Redis client for one-shot commands: it connects now and fails fast, as `QUEUE_UNAVAILABLE`, when
 * Redis cannot be reached (workers instead keep reconnecting, see `startEnrolWorker`).
 *
 * @example
 * const redis = await connectRedis('redis://127.0.0.1:6379')
 */
export async function connectRedis(url: string): Promise<Redis> {
  const redis = new Redis(assertRedisUrl(url), {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: null,
    retryStrategy: () => null,
  });
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (cause) {
    redis.disconnect();
    throw new ArcFaceError('QUEUE_UNAVAILABLE', `Expected Redis at ${redactUrl(url)} to answer but: ${(cause as Error).message}`, { cause });
  }
  return redis;
}

/**
 * The job options: idempotent id, retries with exponential back-off, dead letters kept.
 *
 * @example
 * queue.add('enrol', data, enrolJobOptions(data))
 */
export function enrolJobOptions(data: Pick<EnrolJobData, 'identityId' | 'sha256'>) {
  return {
    jobId: enrolJobId(data.identityId, data.sha256),
    attempts: ENROL_QUEUE_DEFAULTS.attempts,
    backoff: { type: 'exponential', delay: ENROL_QUEUE_DEFAULTS.backoffMs },
    removeOnComplete: { age: ENROL_QUEUE_DEFAULTS.keepCompletedSeconds, count: ENROL_QUEUE_DEFAULTS.keepCompletedCount },
    removeOnFail: false,
  } as const;
}

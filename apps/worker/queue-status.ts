import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { enrolKeys, type EnrolJobData } from './enrol-queue.js';

/** Progress of one enqueue run. */
export interface BatchStatus {
  readonly batch: string;
  /** The people folder it queued. */
  readonly root: string | null;
  readonly createdAt: number | null;
  /** Photos queued (job ids). */
  readonly total: number;
  /** Photos enrolled (or found already enrolled) by a worker. */
  readonly done: number;
  /** Dead letters. */
  readonly dead: number;
  /** Neither done nor dead: waiting, running, delayed for a retry. */
  readonly pending: number;
}

/** One dead letter: a job that failed for good, with why. */
export interface DeadLetter {
  readonly jobId: string;
  readonly identityId: string | null;
  readonly file: string | null;
  /** The error code, from the reason (`NO_FACE: …`). */
  readonly code: string | null;
  readonly reason: string;
  readonly attempts: number;
  readonly failedAt: number | null;
}

/** What `arcface jobs status` prints. */
export interface QueueStatus {
  readonly queue: string;
  /** BullMQ's job counts by state. */
  readonly counts: Readonly<Record<string, number>>;
  /** Photos enrolled by workers since the queue began (all batches). */
  readonly enrolled: number;
  readonly batches: readonly BatchStatus[];
  readonly deadLetters: readonly DeadLetter[];
}

/** Most dead letters read to count them per batch (beyond this, counts are of the newest). */
const MAX_DEAD_SCANNED = 10_000;

/**
 * Reads the queue's state: BullMQ's counts, each batch's progress and the newest dead letters with
 * their reasons (at most `deadLimit`).
 *
 * @example
 * const s = await readQueueStatus(redis, 'arcface-enrol', 20)
 */
export async function readQueueStatus(redis: Redis, queueName: string, deadLimit: number): Promise<QueueStatus> {
  const keys = enrolKeys(queueName);
  const queue = new Queue<EnrolJobData>(queueName, { connection: redis });
  try {
    const counts = await queue.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'prioritized', 'waiting-children');
    const failed = await queue.getFailed(0, MAX_DEAD_SCANNED - 1);
    const deadIds = failed.map((j) => String(j.id));
    const batches: BatchStatus[] = [];
    const meta = await redis.hgetall(keys.batches);
    for (const [batch, json] of Object.entries(meta).sort(([a], [b]) => (a < b ? 1 : a > b ? -1 : 0))) {
      const info = parseMeta(json);
      const total = await redis.scard(keys.batch(batch));
      const done = await intersectionSize(redis, keys.batch(batch), keys.done);
      const dead = deadIds.length === 0 ? 0 : (await redis.smismember(keys.batch(batch), ...deadIds)).filter((x) => x === 1).length;
      batches.push({ batch, root: info.root, createdAt: info.createdAt, total, done, dead, pending: Math.max(0, total - done - dead) });
    }
    const deadLetters = failed.slice(0, deadLimit).map((j): DeadLetter => {
      const reason = j.failedReason ?? '';
      const code = /^([A-Z][A-Z0-9_]+): /.exec(reason)?.[1] ?? null;
      return {
        jobId: String(j.id),
        identityId: j.data?.identityId ?? null,
        file: j.data?.path ?? null,
        code,
        reason,
        attempts: j.attemptsMade,
        failedAt: j.finishedOn ?? null,
      };
    });
    return { queue: queueName, counts, enrolled: await redis.scard(keys.done), batches, deadLetters };
  } finally {
    await queue.close();
  }
}

/** `SINTERCARD` (Redis 7) counts without copying; Redis 6 lacks it, so there the intersection is read. */
async function intersectionSize(redis: Redis, a: string, b: string): Promise<number> {
  try {
    return Number(await redis.call('SINTERCARD', 2, a, b));
  } catch {
    return (await redis.sinter(a, b)).length;
  }
}

function parseMeta(json: string): { root: string | null; createdAt: number | null } {
  try {
    const v = JSON.parse(json) as { root?: unknown; createdAt?: unknown };
    return { root: typeof v.root === 'string' ? v.root : null, createdAt: typeof v.createdAt === 'number' ? v.createdAt : null };
  } catch {
    return { root: null, createdAt: null };
  }
}

/**
 * Sends every dead letter back to the queue for a new run (after the photo was fixed, say).
 *
 * @example
 * const n = await retryDeadLetters(redis, 'arcface-enrol')
 */
export async function retryDeadLetters(redis: Redis, queueName: string): Promise<number> {
  const queue = new Queue<EnrolJobData>(queueName, { connection: redis });
  try {
    const n = await queue.getFailedCount();
    await queue.retryJobs({ state: 'failed' });
    return n;
  } finally {
    await queue.close();
  }
}

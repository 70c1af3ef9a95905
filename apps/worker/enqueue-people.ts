import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { isArcFaceError } from '../../src/core/index.js';
import { readImageBytes } from '../../src/image/index.js';
import { imageSha256, type PeopleFolderScan } from '../../src/ingest/index.js';
import { ENROL_JOB_VERSION, enrolJobOptions, enrolKeys, type EnrolJobData } from './enrol-queue.js';

/** Jobs per Redis round trip when queueing (BullMQ `addBulk`, `SMISMEMBER`). */
const ENQUEUE_CHUNK = 500;

/** What {@link enqueuePeople} queued. */
export interface EnqueueSummary {
  readonly queue: string;
  readonly batch: string;
  readonly identities: number;
  readonly images: number;
  /** Jobs handed to BullMQ (a job id already waiting or dead-lettered is not queued twice). */
  readonly enqueued: number;
  /** Photos a worker already enrolled (by job id): not queued again. */
  readonly alreadyDone: number;
  /** Photos that could not be read to hash them. */
  readonly unreadable: readonly { readonly file: string; readonly code: string; readonly message: string }[];
}

/** A batch id: UTC time to the second and 4 random hex digits (`20260130T101500Z-1a2b`). */
function newBatchId(): string {
  return `${new Date()
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(2).toString('hex')}`;
}

/**
 * Queues one job per photo of a scanned people folder (see `EnrolJobData` for what a job carries):
 * each photo is read once here to hash it. Photos already enrolled by a worker are left out, so
 * queueing a folder again queues only its new photos; the batch still counts them, as done.
 *
 * @example
 * const summary = await enqueuePeople(redis, 'arcface-enrol', await scanPeopleFolder('lfw'))
 */
export async function enqueuePeople(redis: Redis, queueName: string, scan: PeopleFolderScan, onImage: () => void = () => {}): Promise<EnqueueSummary> {
  const keys = enrolKeys(queueName);
  const batch = newBatchId();
  const jobs: EnrolJobData[] = [];
  const unreadable: { file: string; code: string; message: string }[] = [];
  for (const person of scan.people) {
    for (const path of person.files) {
      try {
        const sha256 = imageSha256(await readImageBytes(path));
        jobs.push({ v: ENROL_JOB_VERSION, batch, identityId: person.id, name: person.name, path, sha256 });
      } catch (e) {
        if (!isArcFaceError(e)) throw e;
        unreadable.push({ file: path, code: e.code, message: e.message });
      } finally {
        onImage();
      }
    }
  }
  const queue = new Queue<EnrolJobData>(queueName, { connection: redis });
  let enqueued = 0;
  let alreadyDone = 0;
  try {
    await redis.hset(keys.batches, batch, JSON.stringify({ root: scan.root, createdAt: Date.now(), identities: scan.people.length, images: jobs.length }));
    for (let i = 0; i < jobs.length; i += ENQUEUE_CHUNK) {
      const chunk = jobs.slice(i, i + ENQUEUE_CHUNK);
      const ids = chunk.map((j) => enrolJobOptions(j).jobId);
      await redis.sadd(keys.batch(batch), ...ids);
      const done = await redis.smismember(keys.done, ...ids);
      const fresh = chunk.filter((_, k) => done[k] !== 1);
      alreadyDone += chunk.length - fresh.length;
      if (fresh.length > 0) await queue.addBulk(fresh.map((data) => ({ name: 'enrol', data, opts: enrolJobOptions(data) })));
      enqueued += fresh.length;
    }
  } finally {
    await queue.close();
  }
  return { queue: queueName, batch, identities: scan.people.length, images: jobs.length, enqueued, alreadyDone, unreadable };
}

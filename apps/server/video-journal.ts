/**
 * The record of video jobs on disk, one small JSON file per job beside the uploads, so a server
 * that restarts (after a crash or SIGKILL) answers for the jobs it had accepted: those that had not
 * finished are reported failed with VIDEO_JOB_INTERRUPTED, and every leftover upload is removed.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import type { Timeline } from '../../src/stream/index.js';
import type { WireError } from './inference-jobs.js';

/** A job's status. */
export type JobStatus = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

/** What is kept of a job on disk. */
export interface JobRecord {
  readonly id: string;
  /** Id of the API key that made the job; null when the server runs without keys. */
  readonly owner: string | null;
  readonly createdAt: string;
  readonly status: JobStatus;
  readonly frames: number;
  readonly dropped: number;
  readonly events: number;
  readonly error?: WireError;
  readonly timeline?: Timeline;
}

/** Job ids are UUIDs: nothing else is read back as a record. */
const RECORD_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;
/** What the service itself leaves behind: uploads and half-written records. Nothing else is ever removed. */
const LEFTOVER_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(video|json\.tmp)$/;

/**
 * Writes a job's record (0600), replacing the previous one atomically.
 *
 * @example
 * writeJobRecord('/data/videos', record)
 */
export function writeJobRecord(dir: string, record: JobRecord): void {
  const path = join(dir, `${record.id}.json`);
  writeFileSync(`${path}.tmp`, JSON.stringify(record), { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/**
 * Removes a job's record.
 *
 * @example
 * removeJobRecord('/data/videos', id)
 */
export function removeJobRecord(dir: string, id: string): void {
  rmSync(join(dir, `${id}.json`), { force: true });
}

/**
 * Reads the upload folder at start: removes the uploads and half-written records a stopped server
 * left (files named by a job id, nothing else, so a folder shared by mistake loses nothing), marks the jobs that were queued or running as failed, and returns the records oldest first.
 *
 * @example
 * const records = recoverJobRecords('/data/videos')
 */
export function recoverJobRecords(dir: string): JobRecord[] {
  const out: JobRecord[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (LEFTOVER_FILE.test(name)) {
      rmSync(path, { force: true });
      continue;
    }
    if (!RECORD_FILE.test(name)) continue;
    let record: JobRecord;
    try {
      record = JSON.parse(readFileSync(path, 'utf8')) as JobRecord;
    } catch {
      rmSync(path, { force: true });
      continue;
    }
    if (record.status === 'queued' || record.status === 'running') {
      record = {
        ...record,
        status: 'failed',
        error: { code: 'VIDEO_JOB_INTERRUPTED', message: 'Expected the job to finish but the server restarted before it did; upload the video again' },
      };
      writeJobRecord(dir, record);
    }
    out.push(record);
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * The record of video jobs on disk, one small JSON file per job beside the uploads, so a server
 * that restarts (after a crash or SIGKILL) answers for the jobs it had accepted: those that had not
 * finished are reported failed with VIDEO_JOB_INTERRUPTED, and every leftover upload is removed.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { ArcFaceError } from '../../../src/core/index.js';
import type { AnonymizeReport } from '../../../src/privacy/index.js';
import type { Timeline } from '../../../src/stream/index.js';
import type { WireError } from './inference-jobs.js';
import type { AnonymizeTask } from './video-worker.js';

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
  /** An anonymisation job: its task and the covered video's file (kept while the record is). */
  readonly anonymize?: { readonly task: AnonymizeTask; readonly output: string };
  readonly report?: AnonymizeReport;
}

/** Job ids are UUIDs: nothing else is read back as a record. */
const RECORD_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.json$/;
/** What the service itself leaves behind: uploads and half-written records. Nothing else is ever removed. */
const LEFTOVER_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(video|json\.tmp)$/;
/** The covered video of an anonymisation job: kept with a finished record, removed otherwise. */
const OUTPUT_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.anon\.mp4$/;

/**
 * Where an anonymisation job's covered video goes in the job folder.
 *
 * @example
 * anonymizedPath('/data/videos', id) // '/data/videos/<id>.anon.mp4'
 */
export function anonymizedPath(dir: string, id: string): string {
  return join(dir, `${id}.anon.mp4`);
}

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
  const outputs: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const output = OUTPUT_FILE.exec(name)?.[1];
    if (output !== undefined) outputs.push(output);
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
  const finished = new Set(out.filter((r) => r.status === 'done').map((r) => r.id));
  for (const id of outputs) if (!finished.has(id)) rmSync(anonymizedPath(dir, id), { force: true });
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The file naming the process that owns an upload folder. */
const OWNER_FILE = 'server.pid';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The process that holds a folder's claim, if it still runs (not this one). */
function holderOf(path: string): number | undefined {
  let holder = Number.NaN;
  try {
    holder = Number(readFileSync(path, 'utf8').trim());
  } catch {
    return undefined;
  }
  return Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && alive(holder) ? holder : undefined;
}

/**
 * Claims the upload folder for this process, so a second server started on the same folder fails at
 * start instead of removing the first one's uploads and failing its jobs. A claim left by a process
 * that no longer runs (a crash, SIGKILL) is taken over. The claim file is created exclusively, so
 * two servers starting at once cannot both win it.
 *
 * @example
 * const release = claimFolder('/data/videos')
 */
export function claimFolder(dir: string): () => void {
  const path = join(dir, OWNER_FILE);
  const release = (): void => {
    try {
      if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
    } catch {
      // already gone
    }
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = holderOf(path);
    if (holder !== undefined) {
      throw new ArcFaceError(
        'INVALID_ARGUMENT',
        `Expected the video folder ${dir} to be free but server process ${holder} uses it; give each server its own --video-dir`,
      );
    }
    // Ours already (the same process opening it again), or left by a process that has ended.
    if (readFileSync(path, 'utf8').trim() === String(process.pid)) return release;
    rmSync(path, { force: true });
  }
  throw new ArcFaceError(
    'INVALID_ARGUMENT',
    `Expected to claim the video folder ${dir} but other servers keep claiming it; give each server its own --video-dir`,
  );
}

/**
 * The first of `base`, `base-2`, `base-3`… that no other running server holds, claimed for this
 * process: servers sharing one data folder (replicas on one machine) each get their own, and a
 * restarted server finds its previous folder again when it starts in the same order.
 *
 * @example
 * const dir = claimFreeFolder(join(home, 'videos'))
 */
export function claimFreeFolder(base: string, tries = 64): string {
  for (let i = 1; i <= tries; i++) {
    const dir = i === 1 ? base : `${base}-${i}`;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    try {
      claimFolder(dir);
      return dir;
    } catch (err) {
      if (!(err instanceof ArcFaceError)) throw err;
    }
  }
  throw new ArcFaceError('INVALID_ARGUMENT', `Expected a free video folder among ${base} … ${base}-${tries} but every one is held by a running server`);
}

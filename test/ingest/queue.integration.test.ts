import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';
import { Queue } from 'bullmq';
import { freshHome, runCli } from '../helpers/cli.js';
import { freePort, startRedis, type TestRedis } from '../helpers/redis.js';
import { lfwPeople, makePeopleTree, writeCorrupt } from './people-tree.js';
import { startWorker } from './worker.js';
import { startPgServer, type PgTestServer } from '../helpers/pg-server.js';

interface Status {
  counts: Record<string, number>;
  enrolled: number;
  batches: { batch: string; total: number; done: number; dead: number; pending: number }[];
  deadLetters: { jobId: string; identityId: string; file: string; code: string; reason: string; attempts: number }[];
}

/** Per-image jobs, 10 people × 5 photos: enough work that both workers are busy when one is killed. */
const PEOPLE = 10;
const PER_PERSON = 5;

describe('enrolment queue: Redis + two arcface worker processes on one PostgreSQL gallery (PGlite over pglite-socket)', () => {
  let redis: TestRedis;
  let db: PGlite;
  let server: PgTestServer;
  let pgUrl: string;
  before(async () => {
    redis = await startRedis();
    server = await startPgServer({ maxConnections: 16 });
    db = server.db;
    pgUrl = server.url;
  });
  after(async () => {
    await redis?.stop();
    await server?.stop();
  });

  it('enrols every photo exactly once after a worker is SIGKILLed mid-batch, and dead-letters bad photos with their reasons', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-queue-'));
    const people = join(dir, 'people');
    const names = lfwPeople(PEOPLE, PER_PERSON);
    const tree = makePeopleTree(people, names, PER_PERSON);
    const [p0, p1, p2] = names as [string, string, string];
    writeCorrupt(people, p0);
    const gone = join(people, p1, 'gone.jpg');
    copyFileSync(tree.get(p2)![0]!, gone);
    const changed = join(people, p2, 'changed.jpg');
    copyFileSync(tree.get(p1)![0]!, changed);
    const home = freshHome();
    const status = async (): Promise<Status> => {
      const r = await runCli(['jobs', 'status', '--queue', redis.url, '--json'], { ARCFACE_HOME: home });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Status;
    };

    const queued = await runCli(['enroll', '--people', people, '--queue', redis.url, '--json'], { ARCFACE_HOME: home });
    assert.equal(queued.code, 0, queued.stderr);
    const q = JSON.parse(queued.stdout) as { batch: string; identities: number; images: number; enqueued: number };
    assert.deepEqual(
      { identities: q.identities, images: q.images, enqueued: q.enqueued },
      { identities: PEOPLE, images: PEOPLE * PER_PERSON + 3, enqueued: PEOPLE * PER_PERSON + 3 },
    );
    // After queueing, one photo vanishes and another is replaced: the workers must not enrol what nobody queued.
    rmSync(gone);
    copyFileSync(tree.get(p0)![1]!, changed);

    const common = ['--queue', redis.url, '-g', pgUrl, '--concurrency', '2', '--batch', '4', '--lock-duration', '2000', '--stalled-interval', '500'];
    const a = startWorker(common);
    const b = startWorker(common);
    t.after(() => {
      for (const w of [a, b]) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    });
    await Promise.all([a.waitFor('ready'), b.waitFor('ready')]);
    await a.waitFor('enrolled', 3);
    a.child.kill('SIGKILL');
    assert.equal(await a.exited, 'SIGKILL');
    const byA = a.events.filter((e) => e.event === 'enrolled' || e.event === 'duplicate').length;
    assert.ok(byA < PEOPLE * PER_PERSON, `worker A was killed with work left (${byA} done)`);

    let s = await status();
    const deadline = Date.now() + 90_000;
    while ((s.batches[0]?.pending ?? 1) > 0 || (s.counts.active ?? 0) > 0) {
      assert.ok(Date.now() < deadline, `queue not drained: ${JSON.stringify(s)}\n${b.stderr()}`);
      await sleep(500);
      s = await status();
    }
    assert.deepEqual(
      s.batches.map((x) => [x.batch, x.total, x.done, x.dead]),
      [[q.batch, PEOPLE * PER_PERSON + 3, PEOPLE * PER_PERSON, 3]],
    );
    assert.equal(s.counts.failed, 3);
    assert.deepEqual(s.deadLetters.map((d) => [basename(d.file), d.code, d.attempts]).sort(), [
      ['changed.jpg', 'SOURCE_CHANGED', 1],
      ['corrupt.jpg', 'IMAGE_TRUNCATED', 1],
      ['gone.jpg', 'FILE_NOT_FOUND', 1],
    ]);
    for (const d of s.deadLetters) assert.match(d.reason, new RegExp(`^${d.code}: Expected`));

    // The jobs the killed worker held were re-delivered once their lock expired.
    const queue = new Queue('arcface-enrol', { connection: { url: redis.url } });
    const completed = await queue.getCompleted(0, -1);
    await queue.close();
    assert.equal(completed.length, PEOPLE * PER_PERSON);
    assert.ok(
      completed.some((j) => j.stalledCounter >= 1),
      'a job of the killed worker was re-delivered',
    );

    // Count templates in the database itself: each photo once, whatever ran twice.
    const rows = (
      await db.query<{ identity_id: string; n: number; shas: number }>(
        'SELECT identity_id, COUNT(*)::int AS n, COUNT(DISTINCT source_sha256)::int AS shas FROM arcface_templates GROUP BY identity_id ORDER BY identity_id COLLATE "C"',
      )
    ).rows;
    assert.deepEqual(
      rows.map((r) => [r.identity_id, r.n, r.shas]),
      [...names].sort().map((n) => [n, PER_PERSON, PER_PERSON]),
    );
    const thumbs = (await db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM arcface_template_thumbnails')).rows[0]?.n;
    assert.equal(thumbs, PEOPLE * PER_PERSON);

    // Queueing the folder again queues nothing already enrolled.
    const again = await runCli(['enroll', '--people', people, '--queue', redis.url, '--json'], { ARCFACE_HOME: home });
    assert.equal((JSON.parse(again.stdout) as { alreadyDone: number }).alreadyDone, PEOPLE * PER_PERSON);

    // SIGTERM while busy: the worker finishes the jobs it holds before it exits, so none is left locked.
    const more = join(dir, 'more');
    makePeopleTree(more, lfwPeople(PEOPLE + 3, PER_PERSON).slice(PEOPLE), PER_PERSON);
    const inMore = (): number => b.events.filter((e) => e.event === 'enrolled' && e.file?.startsWith(more)).length;
    const next = await runCli(['enroll', '--people', more, '--queue', redis.url, '--json'], { ARCFACE_HOME: home });
    const batch2 = (JSON.parse(next.stdout) as { batch: string }).batch;
    while (inMore() === 0) await sleep(20);
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0, b.stderr());
    assert.equal(b.events.at(-1)?.event, 'stopped');
    const afterStop = await status();
    assert.equal(afterStop.counts.active, 0);
    const progress = afterStop.batches.find((x) => x.batch === batch2)!;
    assert.deepEqual([progress.total, progress.done, progress.done + progress.pending], [3 * PER_PERSON, inMore(), 3 * PER_PERSON]);
  });

  it('retries a job that failed because the gallery was busy, with back-off, until it succeeds', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-busy-'));
    const gallery = join(dir, 'g.db');
    makePeopleTree(join(dir, 'people'), lfwPeople(1, 1), 1);
    const w = startWorker(['--queue', redis.url, '--queue-name', 'busy-test', '-g', gallery]);
    t.after(() => {
      if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    });
    await w.waitFor('ready');
    // Another process holds the gallery's write lock past the worker's busy timeout (5 s).
    const holder = new Database(gallery);
    holder.exec('BEGIN IMMEDIATE');
    const queued = await runCli(['enroll', '--people', join(dir, 'people'), '--queue', redis.url, '--queue-name', 'busy-test', '--json']);
    assert.equal(queued.code, 0, queued.stderr);
    await w.waitFor('retrying', 1, 30_000);
    holder.exec('COMMIT');
    holder.close();
    await w.waitFor('enrolled', 1, 30_000);
    assert.match(w.events.find((e) => e.event === 'retrying')?.reason ?? '', /^GALLERY_BUSY: /);
    w.child.kill('SIGTERM');
    assert.equal(await w.exited, 0);
    const r = await runCli(['gallery', 'list', '-g', gallery, '--json']);
    assert.deepEqual(
      (JSON.parse(r.stdout) as { templates: number }[]).map((i) => i.templates),
      [1],
    );
  });

  it('reports a Redis that does not answer as QUEUE_UNAVAILABLE, and a bad URL as INVALID_ARGUMENT', async () => {
    const port = await freePort();
    const r = await runCli(['jobs', 'status', '--queue', `redis://127.0.0.1:${port}`, '--json']);
    assert.equal(r.code, 2);
    assert.equal((JSON.parse(r.stderr.trim().split('\n').at(-1)!) as { code: string }).code, 'QUEUE_UNAVAILABLE');
    const bad = await runCli(['jobs', 'status', '--queue', 'http://127.0.0.1:6379', '--json']);
    assert.equal(bad.code, 1);
    assert.equal((JSON.parse(bad.stderr.trim().split('\n').at(-1)!) as { code: string }).code, 'INVALID_ARGUMENT');
  });
});

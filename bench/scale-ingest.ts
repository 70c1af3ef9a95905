/**
 * Bulk enrolment throughput: the local `arcface enroll --people` against the Redis queue drained by
 * one and by two `arcface worker` processes, on the same LFW photos, side by side in one run.
 *
 * What each row times: local, the whole command (model load included, ~1 s); queue, the enqueue
 * (read + SHA-256 of every photo, `addBulk`) apart, then the drain, from the enqueue's end to the
 * last job done, with the workers started and their models loaded beforehand (a worker fleet is
 * long-lived). The workers share one SQLite gallery file, so the rows measure the embedding work
 * and the queue, not a database server; each worker gets cores / workers onnxruntime threads.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** Options of {@link runIngestBench}. */
export interface IngestBenchOptions {
  /** The shared folder (models, data/faces/lfw). */
  readonly shared: string;
  /** Photos to enrol (LFW people in name order, all their photos, until this many). Default 400. */
  readonly images?: number;
  readonly log: (line: string) => void;
}

/** One measured variant. */
export interface IngestBenchRow {
  readonly variant: string;
  readonly images: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

const REPO = resolve(import.meta.dirname, '..');
const CLI = join(REPO, 'dist', 'apps', 'cli', 'main.js');
const QUEUE = 'arcface-enrol';

function peopleTree(shared: string, dir: string, images: number): number {
  const lfw = join(shared, 'data', 'faces', 'lfw');
  let n = 0;
  for (const name of readdirSync(lfw).sort()) {
    if (n >= images) break;
    const files = readdirSync(join(lfw, name))
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .slice(0, images - n);
    mkdirSync(join(dir, name), { recursive: true });
    for (const f of files) copyFileSync(join(lfw, name, f), join(dir, name, f));
    n += files.length;
  }
  return n;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer().once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => ok(typeof a === 'object' && a !== null ? a.port : 0));
    });
  });
}

/** Runs the CLI to completion; throws with its stderr when it fails. */
function cli(args: string[], env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`arcface ${args.slice(0, 2).join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

async function startRedis(dir: string): Promise<{ url: string; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  for (let i = 0; ; i++) {
    try {
      await probe.connect();
      break;
    } catch (e) {
      if (i > 50) throw new Error(`redis-server did not start on ${url}: ${(e as Error).message}`);
      await sleep(100);
    }
  }
  probe.disconnect();
  return { url, child };
}

/** Starts `workers` worker processes and resolves when each printed "ready". */
async function startWorkers(workers: number, url: string, gallery: string, env: NodeJS.ProcessEnv): Promise<ChildProcess[]> {
  const threads = String(Math.max(1, Math.floor(cpus().length / workers)));
  return Promise.all(
    Array.from(
      { length: workers },
      () =>
        new Promise<ChildProcess>((ok, fail) => {
          const child = spawn(process.execPath, [CLI, 'worker', '--queue', url, '-g', gallery, '--threads', threads, '--json'], {
            env,
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let err = '';
          child.stderr?.on('data', (d: Buffer) => {
            err += d.toString();
            if (err.includes('"event":"ready"')) ok(child);
          });
          child.once('exit', (code) => fail(new Error(`worker exited (${code}): ${err}`)));
        }),
    ),
  );
}

/**
 * Measures ingestion images/s (see the module comment) and prints a table through `log`.
 *
 * @example
 * await runIngestBench({ shared: '../shared', images: 400, log: console.log })
 */
export async function runIngestBench(opts: IngestBenchOptions): Promise<IngestBenchRow[]> {
  if (!existsSync(CLI)) throw new Error(`The ingestion benchmark runs the built CLI: run npm run build first (${CLI} is missing)`);
  if (spawnSync('redis-server', ['--version']).status !== 0)
    throw new Error('The ingestion benchmark needs redis-server on PATH (apt-get install redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'arcface-bench-ingest-'));
  const env = { ...process.env, ARCFACE_MODELS: join(opts.shared, 'models'), ARCFACE_HOME: join(dir, 'home') };
  const rows: IngestBenchRow[] = [];
  const row = (variant: string, images: number, seconds: number): void => {
    rows.push({ variant, images, seconds, imagesPerSecond: images / seconds });
  };
  try {
    const people = join(dir, 'people');
    const images = peopleTree(opts.shared, people, opts.images ?? 400);
    opts.log(`\n## Ingestion (${images} LFW photos, ${cpus().length} cores, load average before ${loadavg()[0]?.toFixed(1)})`);
    let t = performance.now();
    const local = JSON.parse(cli(['enroll', '--people', people, '-g', join(dir, 'local.db'), '--json'], env)) as { enrolled: number };
    row('local enroll --people (1 process, incl. model load)', local.enrolled, (performance.now() - t) / 1000);
    for (const workers of [1, 2]) {
      const redisDir = join(dir, `redis-${workers}`);
      mkdirSync(redisDir);
      const redis = await startRedis(redisDir);
      const gallery = join(dir, `queue-${workers}.db`);
      const fleet = await startWorkers(workers, redis.url, gallery, env);
      const client = new Redis(redis.url);
      try {
        t = performance.now();
        const q = JSON.parse(cli(['enroll', '--people', people, '--queue', redis.url, '--json'], env)) as { enqueued: number };
        const queuedAt = performance.now();
        if (workers === 1) row('queue: enqueue (hash + addBulk)', q.enqueued, (queuedAt - t) / 1000);
        while ((await client.scard(`arcface:${QUEUE}:done`)) + (await client.zcard(`bull:${QUEUE}:failed`)) < q.enqueued) await sleep(50);
        row(
          `queue: ${workers} worker${workers > 1 ? 's' : ''} (drain, models loaded)`,
          Number(await client.scard(`arcface:${QUEUE}:done`)),
          (performance.now() - queuedAt) / 1000,
        );
      } finally {
        client.disconnect();
        for (const w of fleet) w.kill('SIGTERM');
        await Promise.all(fleet.map((w) => new Promise((ok) => (w.exitCode === null ? w.once('exit', ok) : ok(null)))));
        redis.child.kill('SIGTERM');
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  opts.log('| variant | images | seconds | images/s |');
  opts.log('|---|---:|---:|---:|');
  for (const r of rows) opts.log(`| ${r.variant} | ${r.images} | ${r.seconds.toFixed(1)} | ${r.imagesPerSecond.toFixed(1)} |`);
  const rate = (p: string): number => rows.find((r) => r.variant.startsWith(p))?.imagesPerSecond ?? Number.NaN;
  const ratios = `2 workers / 1 worker: ${(rate('queue: 2') / rate('queue: 1')).toFixed(2)}×; 1 worker / local: ${(rate('queue: 1') / rate('local')).toFixed(2)}×`;
  opts.log(`${ratios}; load average after ${loadavg()[0]?.toFixed(1)}`);
  return rows;
}

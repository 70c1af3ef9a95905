/**
 * Load test of `POST /v1/verify`: autocannon against a server on 127.0.0.1 in a child process.
 *
 *   npx tsx scripts/load-test.ts [--connections 32] [--duration 30] [--workers 2] [--threads 1] [--queue 32]
 *
 * Passes when no response is a 5xx other than a deliberate 503 (QUEUE_FULL), no request errors
 * out, and the server's resident memory grows by no more than 10 % from after warm-up to the end.
 * Prints p50/p99 latency, throughput, /healthz latency under load and RSS before/after, and writes them to
 * test-output/load-test.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { KeyStore } from '../apps/server/services/key-store.js';
import { serve } from '../apps/server/server.js';

/** The part of autocannon's result this script reads. */
interface AutocannonResult {
  latency: { p50: number; p99: number; mean: number; max: number };
  requests: { average: number; total: number };
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
  duration: number;
}
type Autocannon = (opts: Record<string, unknown>, cb: (err: Error | null, res: AutocannonResult) => void) => unknown;

/** Largest RSS growth accepted between warm-up and the end of the run (the task's 10 %). */
const MAX_RSS_GROWTH = 0.1;
/** Warm-up requests before the first RSS reading: lets V8, sharp and onnxruntime reach steady state. */
const WARMUP_REQUESTS = 64;
/** How often /healthz is probed during the run: 5 times a second, like an eager load balancer. */
const HEALTH_PROBE_INTERVAL_MS = 200;
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

async function child(keysPath: string, workers: number, threads: number, queue: number): Promise<void> {
  const server = await serve({
    host: '127.0.0.1',
    port: 0,
    keysPath,
    workers,
    intraOpThreads: threads,
    queueSize: queue,
    rateLimit: { max: 1_000_000_000, windowMs: 60_000 },
    locations: { home: mkdtempSync(join(tmpdir(), 'arcface-load-home-')), dirs: [process.env.ARCFACE_MODELS ?? resolve(ROOT, '..', 'shared', 'models')] },
    log: () => undefined,
  });
  process.stdout.write(`LISTENING ${server.url}\n`);
}

/** `[sum, count]` of a histogram series in the /metrics text. */
function histogram(text: string, name: string, labels: string): [number, number] {
  const sum = new RegExp(`^${name}_sum\\{${labels}\\} ([\\d.e+-]+)$`, 'm').exec(text);
  const count = new RegExp(`^${name}_count\\{${labels}\\} (\\d+)$`, 'm').exec(text);
  return [Number(sum?.[1] ?? 0), Number(count?.[1] ?? 0)];
}

/** Mean milliseconds of a histogram series between two scrapes. */
function meanMsBetween(before: string, after: string, name: string, labels: string): number {
  const [s0, c0] = histogram(before, name, labels);
  const [s1, c1] = histogram(after, name, labels);
  return c1 === c0 ? Number.NaN : Math.round(((s1 - s0) / (c1 - c0)) * 10_000) / 10;
}

async function rss(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^arcface_process_resident_memory_bytes (\d+)$/m.exec(text);
  if (m === null) throw new Error('RSS gauge missing from /metrics');
  return Number(m[1]);
}

function lfw(person: string, n: number): Buffer {
  const shared = process.env.ARCFACE_SHARED ?? resolve(ROOT, '..', 'shared');
  return readFileSync(join(shared, 'data', 'faces', 'lfw', person, `${person}_${String(n).padStart(4, '0')}.jpg`));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      connections: { type: 'string', default: '32' },
      duration: { type: 'string', default: '30' },
      workers: { type: 'string', default: '2' },
      threads: { type: 'string', default: '1' },
      queue: { type: 'string', default: '32' },
    },
  });
  const workers = Number(values.workers);
  const threads = Number(values.threads);
  const queue = Number(values.queue);
  if (values.child !== undefined) return child(values.child, workers, threads, queue);

  const dir = mkdtempSync(join(tmpdir(), 'arcface-load-'));
  const keysPath = join(dir, 'keys.db');
  const ks = KeyStore.open(keysPath);
  const key = ks.create({ scope: 'read', name: 'load test' }).key;
  ks.close();
  const childArgs = ['--child', keysPath, '--workers', String(workers), '--threads', String(threads), '--queue', String(queue)];
  const proc: ChildProcess = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...childArgs], {
    stdio: ['ignore', 'pipe', 'inherit'],
    cwd: ROOT,
  });
  const url = await new Promise<string>((res, rej) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString();
      const m = /LISTENING (\S+)/.exec(buf);
      if (m === null) return;
      // The server's request log follows on stdout: drained, not kept.
      proc.stdout?.off('data', onData);
      proc.stdout?.resume();
      res(m[1] as string);
    };
    proc.stdout?.on('data', onData);
    proc.once('exit', (code) => rej(new Error(`server exited with ${code}`)));
  });
  try {
    const form = new FormData();
    form.append('image1', new Blob([new Uint8Array(lfw('Colin_Powell', 40))], { type: 'image/jpeg' }), 'a.jpg');
    form.append('image2', new Blob([new Uint8Array(lfw('Colin_Powell', 49))], { type: 'image/jpeg' }), 'b.jpg');
    const encoded = new Response(form);
    const body = Buffer.from(await encoded.arrayBuffer());
    const headers = { 'x-api-key': key, 'content-type': encoded.headers.get('content-type') ?? '' };
    for (let i = 0; i < WARMUP_REQUESTS; i++) {
      const r = await fetch(`${url}/v1/verify`, { method: 'POST', headers, body });
      if (r.status !== 200) throw new Error(`warm-up request answered ${r.status}: ${await r.text()}`);
    }
    const rssBefore = await rss(url);
    const metricsBefore = await (await fetch(`${url}/metrics`)).text();
    const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
    const connections = Number(values.connections);
    const duration = Number(values.duration);
    process.stderr.write(
      `load: ${connections} connections × ${duration} s on POST ${url}/v1/verify (${workers} workers × ${threads} threads, queue ${queue})\n`,
    );
    const health: number[] = [];
    let loading = true;
    const probe = (async () => {
      while (loading) {
        const t = performance.now();
        const h = await fetch(`${url}/healthz`);
        if (h.status !== 200) throw new Error(`/healthz answered ${h.status} under load`);
        health.push(performance.now() - t);
        await new Promise((r) => setTimeout(r, HEALTH_PROBE_INTERVAL_MS));
      }
    })();
    const result = await new Promise<AutocannonResult>((res, rej) => {
      autocannon({ url: `${url}/v1/verify`, method: 'POST', headers, body, connections, duration, timeout: 60 }, (err, r) =>
        err === null ? res(r) : rej(err),
      );
    });
    loading = false;
    await probe;
    health.sort((a, b) => a - b);
    const pct = (p: number): number => Math.round((health[Math.min(health.length - 1, Math.floor(p * health.length))] ?? Number.NaN) * 10) / 10;
    const rssAfter = await rss(url);
    const metricsAfter = await (await fetch(`${url}/metrics`)).text();
    const codes = Object.fromEntries(Object.entries(result.statusCodeStats).map(([c, s]) => [c, s.count]));
    const fiveXx = Object.entries(codes)
      .filter(([c]) => c.startsWith('5') && c !== '503')
      .reduce((n, [, v]) => n + v, 0);
    const growth = (rssAfter - rssBefore) / rssBefore;
    const report = {
      route: 'POST /v1/verify (two 150×150 LFW JPEGs, multipart)',
      connections,
      durationSeconds: result.duration,
      workers,
      threadsPerWorker: threads,
      queueSize: queue,
      requests: result.requests.total,
      throughputPerSecond: Math.round(result.requests.average * 10) / 10,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, mean: Math.round(result.latency.mean * 10) / 10, max: result.latency.max },
      statusCodes: codes,
      errors: result.errors,
      timeouts: result.timeouts,
      unexpected5xx: fiveXx,
      perJobMs: {
        workerRunMean: meanMsBetween(metricsBefore, metricsAfter, 'arcface_inference_duration_seconds', 'op="verify"'),
        queueWaitMean: meanMsBetween(metricsBefore, metricsAfter, 'arcface_queue_wait_seconds', 'op="verify"'),
      },
      healthzUnderLoadMs: { probes: health.length, p50: pct(0.5), p99: pct(0.99), max: pct(1) },
      rssBytes: { before: rssBefore, after: rssAfter, growthPercent: Math.round(growth * 1000) / 10 },
    };
    mkdirSync(join(ROOT, 'test-output'), { recursive: true });
    writeFileSync(join(ROOT, 'test-output', 'load-test.json'), `${JSON.stringify(report, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const ok = fiveXx === 0 && result.errors === 0 && result.timeouts === 0 && growth <= MAX_RSS_GROWTH;
    process.stdout.write(ok ? 'PASS\n' : 'FAIL\n');
    process.exitCode = ok ? 0 : 1;
  } finally {
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  }
}

await main();

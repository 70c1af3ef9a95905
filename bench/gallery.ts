/**
 * Gallery benchmark on synthetic 512-d unit vectors with planted near-duplicate queries: exact
 * float32 top-10, int8 + exact re-rank, HNSW latency and recall@1 against exact, index memory,
 * SQLite enrolment rate and gallery open time, at each requested size.
 *
 * Run: `npx tsx bench/gallery.ts --sizes 100000,1000000 [--queries 200] [--no-hnsw] [--no-sqlite] [--hnsw-max-size N] [--m 32] [--ef-construction 200] [--ef-search 64,128,256,512]`
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FlatIndex, GALLERY_DEFAULTS, HnswIndex, SqliteGalleryStore, type StoreStamp } from '../src/gallery/index.js';
import { near, rng } from './synthetic.js';
import { median } from './stats.js';

/** Options of {@link benchGallery}. */
export interface GalleryBenchOptions {
  readonly sizes: readonly number[];
  readonly dim?: number;
  readonly queries?: number;
  readonly hnsw?: boolean;
  /** Largest size at which HNSW is built (its build grows with size; default: every size). */
  readonly hnswMaxSize?: number;
  readonly sqlite?: boolean;
  /** Scratch folder for SQLite files (default `test-output/bench-gallery`). */
  readonly dir?: string;
  readonly hnswM?: number;
  readonly hnswEfConstruction?: number;
  /** Search candidate lists tried on the one graph (default 64, 128, 256, 512). */
  readonly hnswEfSearch?: readonly number[];
  readonly log?: (line: string) => void;
}

/** Figures for one size. */
export interface GalleryBenchResult {
  readonly size: number;
  readonly exactMs: { median: number; p95: number };
  readonly int8Ms: { median: number; p95: number };
  /** Fraction of queries whose int8 + re-rank top-10 equals the exact top-10. */
  readonly int8Agreement: number;
  readonly flatMemoryMB: number;
  readonly hnsw?: { buildS: number; memoryMB: number; bySearchEf: { ef: number; ms: { median: number; p95: number }; recallAt1: number }[] };
  readonly sqlite?: {
    templatesPerS: number;
    fileMB: number;
    /** Fresh-process opens: exact index from the SQLite rows (first), then from the matrix snapshot. */
    openExactS: number;
    openSnapshotS: number;
    /** Fresh-process open with the HNSW index: the graph persisted by this run, rows from the snapshot. */
    openHnswS: number;
  };
}

const FP = 'sha256:bench|RGB|NCHW|127.5,127.5,127.5|127.5,127.5,127.5|112|512';

/** Fast unit vectors: xorshift-uniform coordinates normalised (near-orthogonal in 512-d, like different faces). */
function fillUnit(m: Float32Array, rows: number, dim: number, seed: number): void {
  let x = seed | 1;
  for (let r = 0; r < rows; r++) {
    const o = r * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const v = (x >>> 0) / 4294967296 - 0.5;
      m[o + j] = v;
      s += v * v;
    }
    const inv = 1 / Math.sqrt(s);
    for (let j = 0; j < dim; j++) m[o + j] = (m[o + j] as number) * inv;
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] as number;
}

function timeAll<T>(qs: Float32Array[], fn: (q: Float32Array) => T): { out: T[]; median: number; p95: number } {
  const t: number[] = [];
  const out: T[] = [];
  for (const q of qs) {
    const t0 = performance.now();
    out.push(fn(q));
    t.push(performance.now() - t0);
  }
  return { out, median: median(t), p95: pct(t, 0.95) };
}

/**
 * Runs the benchmark at each size and returns the figures (also logged line by line).
 *
 * @example
 * const results = await benchGallery({ sizes: [100_000] })
 */
export async function benchGallery(opts: GalleryBenchOptions): Promise<GalleryBenchResult[]> {
  const dim = opts.dim ?? 512;
  const nq = opts.queries ?? 200;
  const log = opts.log ?? ((l: string) => console.log(l));
  const dir = opts.dir ?? resolve(import.meta.dirname, '..', 'test-output', 'bench-gallery');
  const results: GalleryBenchResult[] = [];
  for (const size of opts.sizes) {
    log(`## gallery ${size.toLocaleString('en')} × ${dim}`);
    let t0 = performance.now();
    let matrix: Float32Array | null = new Float32Array(size * dim);
    fillUnit(matrix, size, dim, 12345 + size);
    const r = rng(size);
    const qs = Array.from({ length: nq }, () => {
      const row = Math.floor(r() * size);
      return near(r, matrix!.slice(row * dim, (row + 1) * dim), 0.9);
    });
    log(`data ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    t0 = performance.now();
    let flat: FlatIndex | null = FlatIndex.build(matrix, dim, { int8: true, rerank: 64 });
    log(`flat build ${((performance.now() - t0) / 1000).toFixed(1)} s, ${(flat.memoryBytes() / 2 ** 20).toFixed(0)} MB (float32 + int8 copies)`);
    const f = flat;
    const exact = timeAll(qs, (q) => f.exactSearch(q, 10));
    const int8 = timeAll(qs, (q) => f.search(q, 10));
    const agree = int8.out.filter((h, i) => JSON.stringify(h) === JSON.stringify(exact.out[i])).length / nq;
    log(`exact top-10   median ${exact.median.toFixed(2)} ms  p95 ${exact.p95.toFixed(2)} ms`);
    log(`int8+rerank    median ${int8.median.toFixed(2)} ms  p95 ${int8.p95.toFixed(2)} ms  identical to exact: ${(agree * 100).toFixed(1)} %`);
    const res: { -readonly [K in keyof GalleryBenchResult]: GalleryBenchResult[K] } = {
      size,
      exactMs: { median: exact.median, p95: exact.p95 },
      int8Ms: { median: int8.median, p95: int8.p95 },
      int8Agreement: agree,
      flatMemoryMB: flat.memoryBytes() / 2 ** 20,
    };
    const truth = exact.out.map((h) => h[0]?.row);
    flat.dispose();
    flat = null;
    const m = matrix;
    const hopts = { m: opts.hnswM ?? GALLERY_DEFAULTS.hnswM, efConstruction: opts.hnswEfConstruction ?? GALLERY_DEFAULTS.hnswEfConstruction };
    const path = join(dir, `g-${size}.db`);
    let stamp: StoreStamp | null = null;
    if (opts.sqlite !== false) {
      mkdirSync(dir, { recursive: true });
      for (const suffix of ['', '-wal', '-shm', '.hnsw', '.hnsw.json', '.matrix']) rmSync(path + suffix, { force: true });
      const store = await SqliteGalleryStore.open(path, { fingerprint: FP, embeddingSize: dim });
      const batch = 10_000;
      t0 = performance.now();
      for (let start = 0; start < size; start += batch) {
        const items = [];
        for (let i = start; i < Math.min(size, start + batch); i++)
          items.push({ identity: { id: `id${i}` }, templates: [{ embedding: m.subarray(i * dim, (i + 1) * dim) }] });
        await store.enrollMany(items, 'create');
      }
      const enrolS = (performance.now() - t0) / 1000;
      stamp = await store.stamp();
      await store.close();
      const fileMB = statSync(path).size / 2 ** 20;
      log(`sqlite enrol ${(size / enrolS).toFixed(0)} templates/s (${enrolS.toFixed(1)} s, ${fileMB.toFixed(0)} MB file)`);
      res.sqlite = { templatesPerS: size / enrolS, fileMB, openExactS: Number.NaN, openSnapshotS: Number.NaN, openHnswS: Number.NaN };
    }
    const withHnsw = opts.hnsw !== false && size <= (opts.hnswMaxSize ?? Infinity);
    if (withHnsw) {
      const efs = opts.hnswEfSearch ?? [64, 128, 256, 512];
      t0 = performance.now();
      const o = { ...hopts, efSearch: efs[0] ?? 64, seed: 100 };
      // Built once; beside the SQLite gallery it is persisted under the gallery's key, so that
      // opening the gallery with the HNSW index loads this graph instead of building another.
      const h =
        stamp === null
          ? HnswIndex.build(m, dim, o)
          : HnswIndex.loadOrBuild(`${path}.hnsw`, { generation: stamp.generation, rows: size, dim, fingerprint: FP, ...hopts }, m, o);
      const buildS = (performance.now() - t0) / 1000;
      const memoryMB = h.memoryBytes() / 2 ** 20;
      log(`hnsw build ${buildS.toFixed(1)} s (M ${hopts.m}, efC ${hopts.efConstruction}), ~${memoryMB.toFixed(0)} MB`);
      const bySearchEf = efs.map((ef) => {
        h.setEf(ef);
        const hs = timeAll(qs, (q) => h.search(q, 10));
        const recallAt1 = hs.out.filter((hit, i) => hit[0]?.row === truth[i]).length / nq;
        log(`hnsw ef ${ef}: search median ${hs.median.toFixed(3)} ms p95 ${hs.p95.toFixed(3)} ms; recall@1 ${recallAt1.toFixed(3)}`);
        return { ef, ms: { median: hs.median, p95: hs.p95 }, recallAt1 };
      });
      res.hnsw = { buildS, memoryMB, bySearchEf };
      h.dispose();
    }
    matrix = null;
    if (res.sqlite !== undefined) {
      // Each open runs in a fresh process, as a server or a CLI command starts.
      const openTimed = (index: 'exact' | 'hnsw'): { s: number; kind: string } => {
        const script = join(import.meta.dirname, 'open-gallery.ts');
        const out = execFileSync(process.execPath, ['--import', 'tsx', script, path, index, FP, String(dim), String(hopts.m), String(hopts.efConstruction)], {
          encoding: 'utf8',
          maxBuffer: 1 << 20,
        });
        return JSON.parse(out.trim().split('\n').at(-1) as string) as { s: number; kind: string };
      };
      const openExact = openTimed('exact');
      const openSnapshot = openTimed('exact');
      log(`open exact, fresh process: from the SQLite rows ${openExact.s.toFixed(2)} s; from the matrix snapshot ${openSnapshot.s.toFixed(2)} s`);
      // Timed where this run persisted a graph (else the open would build one).
      const hnsw = withHnsw ? openTimed('hnsw') : null;
      if (hnsw !== null) log(`open hnsw, fresh process, persisted graph + matrix snapshot: ${hnsw.s.toFixed(2)} s`);
      res.sqlite = { ...res.sqlite, openExactS: openExact.s, openSnapshotS: openSnapshot.s, openHnswS: hnsw?.s ?? Number.NaN };
    }
    results.push(res);
  }
  return results;
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const arg = (name: string): string | undefined => {
    const i = process.argv.indexOf(name);
    return i >= 0 ? process.argv[i + 1] : undefined;
  };
  const sizes = (arg('--sizes') ?? '100000,1000000').split(',').map(Number);
  const os = await import('node:os');
  console.log(`# gallery benchmark — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(1)}`);
  const out = await benchGallery({
    sizes,
    queries: Number(arg('--queries') ?? 200),
    hnsw: !process.argv.includes('--no-hnsw'),
    sqlite: !process.argv.includes('--no-sqlite'),
    hnswMaxSize: Number(arg('--hnsw-max-size') ?? Infinity),
    hnswM: Number(arg('--m') ?? GALLERY_DEFAULTS.hnswM),
    hnswEfConstruction: Number(arg('--ef-construction') ?? GALLERY_DEFAULTS.hnswEfConstruction),
    hnswEfSearch: (arg('--ef-search') ?? '64,128,256,512').split(',').map(Number),
  });
  console.log(JSON.stringify(out));
}

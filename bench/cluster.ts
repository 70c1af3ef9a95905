/**
 * Clustering benchmark. Quality: every photo of the shared LFW folder (its central face; true label
 * = folder name) clustered by our full re-cluster (average linkage) and our incremental density
 * clustering, and, as baselines on the same embeddings, Immich's algorithm at its defaults and
 * dlib's Chinese Whispers. Speed: full clustering of synthetic clustered embeddings and the
 * incremental add of one photo at that size. Re-scan: `syncFolders` over a library of files the
 * gallery already knows (unchanged, and with every mtime changed so each file is read and hashed).
 *
 * Run: `npm run bench -- cluster [--variant lfw] [--sweep] [--speed-size 100000] [--no-speed] [--no-quality] [--rescan-size 10000]`
 */
import { mkdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  averageLinkage,
  buildNeighbourGraph,
  chineseWhispers,
  FULL_DEFAULTS,
  IMMICH_DEFAULTS,
  immichClustering,
  INCREMENTAL_DEFAULTS,
  IncrementalClusterer,
  scoreClustering,
  secondLook,
  seededRandom,
  type ClusterScores,
  type IncrementalOptions,
  type NeighbourGraph,
} from '../src/cluster/index.js';
import { openGallery } from '../src/gallery/index.js';
import { People, syncFolders, type PeopleRecognizer } from '../src/people/index.js';
import { sha256Digest } from '../src/core/index.js';
import { near, randomUnit, rng } from './synthetic.js';
import { loadLfwEmbeddings } from './cluster-lfw.js';
import { median } from './stats.js';

/** Options of {@link benchCluster}. */
export interface ClusterBenchOptions {
  readonly shared: string;
  readonly variant?: string;
  readonly sweep?: boolean;
  readonly quality?: boolean;
  readonly speed?: boolean;
  readonly speedSize?: number;
  /** Files in the re-scan section (0: skip it). */
  readonly rescanSize?: number;
  readonly log?: (line: string) => void;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)} %`;

function row(name: string, s: ClusterScores, ms: number): string {
  const mixed = s.persons === 0 ? 0 : s.mixedPersons / s.persons;
  const bcubed = `${s.bcubedPrecision.toFixed(3)} | ${s.bcubedRecall.toFixed(3)} | **${s.bcubedF1.toFixed(3)}**`;
  const pairwise = `${s.pairwisePrecision.toFixed(3)} | ${s.pairwiseRecall.toFixed(3)} | ${s.pairwiseF1.toFixed(3)}`;
  return `| ${name} | ${bcubed} | ${pairwise} | ${s.persons} | ${s.mixedPersons} (${pct(mixed)}) | ${s.unassigned} | ${(ms / 1000).toFixed(1)} s |`;
}

function shuffled(n: number, seed: number): Int32Array {
  const r = seededRandom(seed);
  const o = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [o[i], o[j]] = [o[j] as number, o[i] as number];
  }
  return o;
}

function timed<T>(fn: () => T): [T, number] {
  const t0 = performance.now();
  const out = fn();
  return [out, performance.now() - t0];
}

/** Our incremental clustering fed faces one by one in `order`; labels by row. */
function incremental(matrix: Float32Array, dim: number, order: Int32Array, o: Partial<IncrementalOptions>): Int32Array {
  const c = new IncrementalClusterer(dim, o);
  for (const r of order) c.add(matrix.subarray(r * dim, (r + 1) * dim), r);
  const byFace = c.labels();
  const out = new Int32Array(order.length);
  order.forEach((r, f) => (out[r] = byFace[f] as number));
  return out;
}

function subset(matrix: Float32Array, dim: number, rows: number[]): Float32Array {
  const m = new Float32Array(rows.length * dim);
  rows.forEach((r, i) => m.set(matrix.subarray(r * dim, (r + 1) * dim), i * dim));
  return m;
}

async function quality(o: ClusterBenchOptions, log: (line: string) => void): Promise<void> {
  const variant = o.variant ?? 'lfw';
  const set = await loadLfwEmbeddings(o.shared, variant, resolve(import.meta.dirname, '..', 'bench-output', 'cluster-cache'), log);
  const dim = set.embeddings[0]?.length ?? 512;
  const n = set.files.length;
  const matrix = new Float32Array(n * dim);
  set.embeddings.forEach((e, i) => matrix.set(e, i * dim));
  const names = [...new Set(set.labels)];
  const truth = Int32Array.from(set.labels, (l) => names.indexOf(l));
  const [graph, graphMs] = timed(() => buildNeighbourGraph(matrix, dim, { k: 100, minScore: 0 }));
  const order = shuffled(n, 42);
  const t = scoreClustering(truth, truth);
  log(
    `\n## People discovery on ${variant}: ${n} photos (central face, ${set.noFace} without a detected face embedded at the fixed central box), ${t.trueLabels} people`,
  );
  log(
    `${t.trueLabelsWithTwo} people have ≥ 2 photos (the persons a clustering can find); ${t.trueSingletons} photos are the only one of their person (right to leave unassigned).`,
  );
  log(
    `Exact 100-NN graph in ${(graphMs / 1000).toFixed(1)} s; faces visited in one seeded random order by the order-dependent algorithms. ` +
      'Persons = clusters of ≥ 2 faces; unassigned = faces in none; a lone face counts as its own cluster in the scores.\n',
  );
  log('| algorithm | BCubed P | BCubed R | BCubed F1 | pair P | pair R | pair F1 | persons found | persons mixing people | unassigned | time |');
  log('|---|---|---|---|---|---|---|---|---|---|---|');
  const run = (name: string, fn: () => Int32Array): ClusterScores => {
    const [labels, ms] = timed(fn);
    const s = scoreClustering(labels, truth);
    log(row(name, s, ms));
    return s;
  };
  run(`ours, full: average linkage ≥ ${FULL_DEFAULTS.threshold} + ${FULL_DEFAULTS.smallMargin}/√(n·m)`, () =>
    averageLinkage(matrix, dim, graph, { ...FULL_DEFAULTS, minSize: 2 }),
  );
  const inc = INCREMENTAL_DEFAULTS;
  run(`ours, incremental (maxDistance ${inc.maxDistance}, minFaces ${inc.minFaces}, join/merge ≥ ${inc.mergeThreshold} + ${inc.smallMargin}/√(n·m))`, () =>
    incremental(matrix, dim, order, {}),
  );
  run('Immich defaults (maxDistance 0.5, minFaces 3)', () => immichClustering(graph, { ...IMMICH_DEFAULTS, order }));
  run('Immich, minFaces 2', () => immichClustering(graph, { maxDistance: 0.5, minFaces: 2, order }));
  for (const d of [0.9, 1.0, 1.1]) {
    run(`Chinese Whispers (dlib), distance < ${d} (cos > ${(1 - (d * d) / 2).toFixed(3)}), 100 iterations`, () =>
      chineseWhispers(graph, { distance: d, iterations: 100, seed: 0 }),
    );
  }
  heldOut(matrix, dim, truth, log);
  if (o.sweep === true) sweep(matrix, dim, truth, log);
}

/**
 * The defaults on both halves (people with even numbers in name order tuned the parameters; the odd
 * ones are held out): BCubed F1 and the share of persons mixing two or more people, with and without
 * the second look ({@link secondLook}: faces whose average cosine to the rest of their person is
 * below τ are left out).
 */
function heldOut(matrix: Float32Array, dim: number, truth: Int32Array, log: (line: string) => void): void {
  log('\n### Mixing on each half (even people: tuning; odd people: held out)');
  log('| algorithm | half | BCubed F1 | persons | mixing people | mixing share |');
  log('|---|---|---|---|---|---|');
  for (const h of [0, 1]) {
    const rows = Array.from(truth.keys()).filter((i) => (truth[i] as number) % 2 === h);
    const m = subset(matrix, dim, rows);
    const tr = Int32Array.from(rows, (r) => truth[r] as number);
    const g = buildNeighbourGraph(m, dim, { k: 100, minScore: 0 });
    const half = h === 0 ? 'tuning' : '**held out**';
    const line = (name: string, labels: Int32Array): void => {
      const s = scoreClustering(labels, tr);
      log(`| ${name} | ${half} | ${s.bcubedF1.toFixed(4)} | ${s.persons} | ${s.mixedPersons} | ${pct(s.mixedPersons / Math.max(1, s.persons))} |`);
    };
    const full = averageLinkage(m, dim, g, { ...FULL_DEFAULTS, minSize: 2 });
    const inc = incremental(m, dim, shuffled(rows.length, 42), {});
    line('ours, full (defaults)', full);
    for (const t of SECOND_LOOK_SWEEP) line(`ours, full + second look τ = ${t}`, secondLook(m, dim, full, { minLink: t }));
    line('ours, incremental (defaults)', inc);
    for (const t of SECOND_LOOK_SWEEP) line(`ours, incremental + second look τ = ${t}`, secondLook(m, dim, inc, { minLink: t }));
  }
}

/** Second-look thresholds compared by {@link heldOut}. */
const SECOND_LOOK_SWEEP = [0.2, 0.25, 0.3, 0.35];

/** Parameter sweep on the even-numbered people (tuning half), scored on both halves. */
function sweep(matrix: Float32Array, dim: number, truth: Int32Array, log: (line: string) => void): void {
  const halves = [0, 1].map((h) => Array.from(truth.keys()).filter((i) => (truth[i] as number) % 2 === h));
  for (const [h, rows] of halves.entries()) {
    const m = subset(matrix, dim, rows);
    const tr = Int32Array.from(rows, (r) => truth[r] as number);
    const g: NeighbourGraph = buildNeighbourGraph(m, dim, { k: 100, minScore: 0 });
    const order = shuffled(rows.length, 42);
    log(`\n### Sweep on the ${h === 0 ? 'tuning (even people)' : 'held-out (odd people)'} half: ${rows.length} photos`);
    for (const threshold of [0.25, 0.28, 0.3, 0.32, 0.35]) {
      for (const smallMargin of [0, 0.05, 0.1, 0.15]) {
        const s = scoreClustering(averageLinkage(m, dim, g, { threshold, smallMargin, minSize: 2 }), tr);
        log(
          `average linkage ≥ ${threshold} + ${smallMargin}/√(n·m): BCubed F1 ${s.bcubedF1.toFixed(4)} ` +
            `(P ${s.bcubedPrecision.toFixed(3)} R ${s.bcubedRecall.toFixed(3)}), mixed ${s.mixedPersons}/${s.persons}`,
        );
      }
    }
    const variants: Partial<IncrementalOptions>[] = [
      { mergeThreshold: 2, smallMargin: 0, joinThreshold: 0.3 },
      { maxDistance: 0.55 },
      {},
      { maxDistance: 0.63, joinThreshold: 0.3, mergeThreshold: 0.32, smallMargin: 0.05 },
      { joinThreshold: 0.3, mergeThreshold: 0.32, smallMargin: 0.05 },
      { minFaces: 3 },
    ];
    for (const v of variants) {
      const s = scoreClustering(incremental(m, dim, order, v), tr);
      log(
        `incremental ${JSON.stringify({ ...INCREMENTAL_DEFAULTS, ...v })}: BCubed F1 ${s.bcubedF1.toFixed(4)}, mixed ${s.mixedPersons}/${s.persons}, unassigned ${s.unassigned}`,
      );
    }
    for (const d of [0.8, 0.9, 1.0, 1.1, 1.2]) {
      const s = scoreClustering(chineseWhispers(g, { distance: d }), tr);
      log(`Chinese Whispers distance ${d}: BCubed F1 ${s.bcubedF1.toFixed(4)}, mixed ${s.mixedPersons}/${s.persons}`);
    }
    for (const maxDistance of [0.4, 0.5, 0.6]) {
      const s = scoreClustering(immichClustering(g, { maxDistance, minFaces: 3, order }), tr);
      log(`Immich maxDistance ${maxDistance} minFaces 3: BCubed F1 ${s.bcubedF1.toFixed(4)}, mixed ${s.mixedPersons}/${s.persons}`);
    }
  }
}

/**
 * Synthetic clustered embeddings like a photo collection: person sizes from a Zipf-like law
 * (a few people in many photos, many in one or two), each face at cosine ≈ 0.75 to its person's
 * direction (faces of one person then meet at ≈ 0.56, as ArcFace photos of one person do on LFW).
 */
function syntheticFaces(rows: number, dim: number, seed: number): { matrix: Float32Array; truth: Int32Array } {
  const r = rng(seed);
  const matrix = new Float32Array(rows * dim);
  const truth = new Int32Array(rows);
  let row = 0;
  let person = 0;
  const centre = new Float32Array(dim);
  while (row < rows) {
    const size = Math.min(rows - row, Math.max(1, Math.floor(1 / (r() ** 0.9 + 0.004))));
    randomUnit(r, dim, centre);
    for (let i = 0; i < size; i++, row++) {
      near(r, centre, 0.75, matrix, row * dim);
      truth[row] = person;
    }
    person++;
  }
  return { matrix, truth };
}

async function speed(o: ClusterBenchOptions, log: (line: string) => void): Promise<void> {
  const rows = o.speedSize ?? 100_000;
  const dim = 512;
  const { matrix, truth } = syntheticFaces(rows, dim, 7);
  const people = new Set(truth).size;
  log(
    `\n## Speed on ${rows.toLocaleString('en')} synthetic ${dim}-d faces of ${people.toLocaleString('en')} people [goals: full ≤ 60 s, add one photo ≤ 50 ms]`,
  );
  const [graph, gMs] = timed(() => buildNeighbourGraph(matrix, dim, { k: 16, minScore: FULL_DEFAULTS.threshold }));
  const [labels, lMs] = timed(() => averageLinkage(matrix, dim, graph, { ...FULL_DEFAULTS, minSize: 2 }));
  const s = scoreClustering(labels, truth);
  const graphKind = rows > 12_000 ? 'inverted file over a 64-d random projection, exact re-scoring' : 'exact';
  log(
    `full re-cluster: neighbour graph ${(gMs / 1000).toFixed(1)} s (${graphKind}) + average linkage ${(lMs / 1000).toFixed(1)} s = ` +
      `**${((gMs + lMs) / 1000).toFixed(1)} s**; BCubed F1 ${s.bcubedF1.toFixed(4)} against the planted people, ${s.mixedPersons} of ${s.persons} persons mixed`,
  );
  const c = new IncrementalClusterer(dim);
  const extra = 60;
  const base = rows - extra;
  const [, loadMs] = timed(() =>
    c.load(
      matrix.subarray(0, base * dim),
      labels.subarray(0, base),
      Int32Array.from({ length: base }, (_, i) => i),
    ),
  );
  const times: number[] = [];
  for (let i = base; i < rows; i++) {
    const [, ms] = timed(() => c.add(matrix.subarray(i * dim, (i + 1) * dim), i));
    times.push(ms);
  }
  log(
    `incremental: ${base.toLocaleString('en')} clustered faces loaded in ${(loadMs / 1000).toFixed(1)} s; add one photo (one face): ` +
      `median **${median(times).toFixed(1)} ms**, max ${Math.max(...times).toFixed(1)} ms over ${extra} photos`,
  );
  await galleryBacked(matrix, labels, dim, base, log);
}

/** The same add through {@link People} on a SQLite gallery holding the clustered faces (writes included). */
async function galleryBacked(matrix: Float32Array, labels: Int32Array, dim: number, base: number, log: (line: string) => void): Promise<void> {
  const dir = resolve(import.meta.dirname, '..', 'bench-output', 'cluster-gallery');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const g = await openGallery(join(dir, 'g.db'), { fingerprint: 'bench', embeddingSize: dim, threshold: 0.3 });
  const people = await People.open(g);
  try {
    const t0 = performance.now();
    const pids = new Map<number, number>();
    await people.store.sql.transaction(async (q) => {
      const ids = await people.store.insertFaces(
        q,
        Array.from({ length: base }, (_, i) => ({
          photo: `p${i}`,
          box: [0, 0, 100, 100] as const,
          detScore: 0.9,
          embedding: matrix.subarray(i * dim, (i + 1) * dim),
        })),
      );
      const byLabel = new Map<number, number[]>();
      labels.subarray(0, base).forEach((l, i) => {
        if (l >= 0) byLabel.set(l, [...(byLabel.get(l) ?? []), ids[i] as number]);
      });
      for (const [l, faceIds] of byLabel) {
        const p = await people.store.createPerson(q);
        pids.set(l, p);
        await people.store.assign(q, faceIds, p);
      }
    });
    const buildMs = performance.now() - t0;
    const times: number[] = [];
    for (let i = base; i < base + 30; i++) {
      const [, ms] = await timedAsync(() =>
        people.addPhoto(`new-${i}`, [{ box: [0, 0, 100, 100], detScore: 0.9, embedding: matrix.subarray(i * dim, (i + 1) * dim) }]),
      );
      times.push(ms);
    }
    log(
      `gallery-backed (People.addPhoto on SQLite, database writes included): ${base.toLocaleString('en')} faces stored in ${(buildMs / 1000).toFixed(1)} s; ` +
        `first add ${(times[0] as number).toFixed(0)} ms (loads every face), then median **${median(times.slice(1)).toFixed(1)} ms**, ` +
        `max ${Math.max(...times.slice(1)).toFixed(1)} ms over ${times.length - 1} photos`,
    );
  } finally {
    await people.close();
    await g.close();
  }
}

/**
 * A re-scan of `size` photos the gallery knows: `syncFolders` with a recogniser that refuses to run
 * (a known photo is never embedded again), first with files untouched (path, size and mtime match:
 * nothing is read), then with every mtime changed (each file read and hashed, still no embedding).
 */
async function rescan(size: number, log: (line: string) => void): Promise<void> {
  const dir = resolve(import.meta.dirname, '..', 'bench-output', 'cluster-rescan');
  rmSync(dir, { recursive: true, force: true });
  const photos = join(dir, 'Photos');
  const files: string[] = [];
  // 100 folders of size/100 files, 8 KB each (the size of a small JPEG; the content is never decoded).
  for (let i = 0; i < size; i++) {
    const sub = join(photos, `d${String(i % 100).padStart(2, '0')}`);
    if (i < 100) mkdirSync(sub, { recursive: true });
    const f = join(sub, `p${i}.jpg`);
    const bytes = Buffer.alloc(8192, i % 251);
    bytes.writeUInt32LE(i, 0);
    writeFileSync(f, bytes);
    files.push(f);
  }
  const g = await openGallery(join(dir, 'g.db'), { fingerprint: 'bench', embeddingSize: 512, threshold: 0.3 });
  const people = await People.open(g);
  const refuse: PeopleRecognizer = {
    fingerprint: 'bench',
    recognize: () => Promise.reject(new Error('a known photo was sent to the recogniser')),
  };
  try {
    await people.store.sql.transaction(async (q) => {
      for (const f of files) {
        const st = statSync(f);
        const bytes = readFileSync(f);
        await people.store.claimPhoto(q, { sha256: sha256Digest(new Uint8Array(bytes)), path: f, size: st.size, mtimeMs: st.mtimeMs, faces: 1 });
      }
    });
    const [same, sameMs] = await timedAsync(() => syncFolders(people, refuse, [photos], files));
    for (const f of files) utimesSync(f, new Date(), new Date(Date.now() + 60_000));
    const [touched, touchedMs] = await timedAsync(() => syncFolders(people, refuse, [photos], files));
    log(`\n## Re-scan of ${size.toLocaleString('en')} known photos (syncFolders, SQLite gallery, 8 KB files, no embedding)`);
    log(
      `unchanged files (stat only): **${(sameMs / 1000).toFixed(2)} s** (${same.unchanged} unchanged, ${same.added.length} added, ${same.removed.length} removed)`,
    );
    log(
      `every mtime changed (each file read and hashed): **${(touchedMs / 1000).toFixed(2)} s** (${touched.unchanged} unchanged, ${touched.added.length} added, ${touched.removed.length} removed)`,
    );
  } finally {
    await people.close();
    await g.close();
  }
}

async function timedAsync<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const out = await fn();
  return [out, performance.now() - t0];
}

/**
 * Runs the cluster benchmark sections.
 *
 * @example
 * await benchCluster({ shared: '../shared', log: console.log })
 */
export async function benchCluster(o: ClusterBenchOptions): Promise<void> {
  const log = o.log ?? ((line: string) => console.log(line));
  if (o.quality !== false) await quality(o, log);
  if (o.speed !== false) await speed(o, log);
  if ((o.rescanSize ?? 10_000) > 0) await rescan(o.rescanSize ?? 10_000, log);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const flag = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const shared = process.env.ARCFACE_SHARED ?? resolve(import.meta.dirname, '..', '..', 'shared');
  await benchCluster({
    shared,
    variant: flag('--variant') ?? 'lfw',
    sweep: args.includes('--sweep'),
    quality: !args.includes('--no-quality'),
    speed: !args.includes('--no-speed'),
    speedSize: Number(flag('--speed-size') ?? 100_000),
    rescanSize: Number(flag('--rescan-size') ?? 10_000),
  });
}

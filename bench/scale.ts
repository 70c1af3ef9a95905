/**
 * `npm run bench -- scale [--scale-templates N] [--scale-dense]`: the gallery at server scale, in sections.
 *
 * - `search`: a synthetic gallery of N templates (default 100,000; identities of realistic
 *   structure, see `syntheticGallery`) in PostgreSQL + pgvector (PGlite, in process). Identify
 *   p50/p95 and recall@1 against the exact in-memory path, for database search at several
 *   `hnsw.ef_search` values and for the in-memory index (exact and HNSW), all through the same
 *   Gallery API; open time of the PostgreSQL gallery at 1k / 10k / N templates against the
 *   in-memory open + first query; load and index-build times.
 *
 * Other sections (bulk ingestion) register in {@link SCALE_SECTIONS} from their own files.
 */
import { cpus, loadavg } from 'node:os';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { Gallery, PostgresGalleryStore, pgliteClient, type GalleryOptions, type IdentifyResult } from '../src/gallery/index.js';
import { runIngestBench } from './scale-ingest.js';
import { median, percentile } from './stats.js';
import { near, randomUnit, rng, syntheticGallery, type SyntheticIdentity } from './synthetic.js';

/** Options shared by every section of the scale benchmark. */
export interface ScaleBenchOptions {
  /** The shared folder (models, LFW photos), for the ingest section. */
  readonly shared: string;
  /** Photos the ingest section enrols (default 400). */
  readonly images?: number;
  /** Templates in the gallery (default 100,000). */
  readonly templates: number;
  /** Also build and search a denser pgvector graph (m 32, ef_construction 128): 846 s more at 100,000 templates on PGlite. */
  readonly dense?: boolean;
  readonly log: (line: string) => void;
}

/** One section of `bench scale`: a name (selectable with `--scale-sections a,b`) and its run. */
export interface ScaleSection {
  readonly name: string;
  readonly run: (o: ScaleBenchOptions) => Promise<void>;
}

const FP = 'sha256:bench-scale|RGB|NCHW|127.5,127.5,127.5|127.5,127.5,127.5|112|512';
const DIM = 512;
/** Known queries (new photos of enrolled people) and strangers; 150 + 50 keep p95 meaningful. */
const KNOWN_QUERIES = 150;
const STRANGERS = 50;
/** `hnsw.ef_search` values tried: pgvector's default 40, wider lists, the gallery default 256, up to pgvector's limit 1000. */
const EF_SEARCH = [40, 100, 256, 512, 1000];
/** A denser graph tried after the default one: the build parameters the in-memory index defaults towards (M 32). */
const DENSE = { m: 32, efConstruction: 128 } as const;
/** Identities per write transaction while loading. */
const LOAD_BATCH = 500;
/** pgvector's HNSW defaults (m 16, ef_construction 64), used for the in-memory graph too so the two compare like for like. */
const HNSW_BUILD = { hnswM: 16, hnswEfConstruction: 64 } as const;
const BASE: GalleryOptions = { fingerprint: FP, embeddingSize: DIM, threshold: 0.3, calibration: null };

const s = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const ms = (x: number): string => `${x.toFixed(2)} ms`;
const load = (): string =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' / ');

/** The queries: a new photo (a held-out template) of random enrolled identities, and strangers. */
function makeQueries(crowd: readonly SyntheticIdentity[]): Float32Array[] {
  const r = rng(4242);
  const known = Array.from({ length: KNOWN_QUERIES }, () => {
    const p = crowd[Math.floor(r() * crowd.length)] as SyntheticIdentity;
    return near(r, p.look !== null && r() < 0.3 ? p.look : p.base, 0.7);
  });
  return [...known, ...Array.from({ length: STRANGERS }, () => randomUnit(r, DIM))];
}

interface Variant {
  readonly name: string;
  readonly run: (q: Float32Array) => Promise<IdentifyResult>;
}

/** Runs every variant on every query, rotating the order per query so machine noise hits all alike. */
async function timeVariants(variants: readonly Variant[], qs: readonly Float32Array[]): Promise<Map<string, { times: number[]; results: IdentifyResult[] }>> {
  const out = new Map(variants.map((v) => [v.name, { times: [] as number[], results: [] as IdentifyResult[] }]));
  for (const v of variants) await v.run(qs[0] as Float32Array);
  for (const [i, q] of qs.entries()) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(i + k) % variants.length] as Variant;
      const t0 = performance.now();
      const res = await v.run(q);
      const rec = out.get(v.name) as { times: number[]; results: IdentifyResult[] };
      rec.times.push(performance.now() - t0);
      rec.results[i] = res;
    }
  }
  return out;
}

async function openPg(db: PGlite, opts: GalleryOptions): Promise<Gallery> {
  return Gallery.fromStore(await PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' }), opts);
}

/** Open (+ first query) of the database path and of the in-memory path, at the gallery's current size. */
async function openTimes(db: PGlite, q: Float32Array): Promise<{ open: number; first: number; memOpen: number; memFirst: number }> {
  let t0 = performance.now();
  const g = await openPg(db, BASE);
  const open = performance.now() - t0;
  t0 = performance.now();
  await g.identify(q);
  const first = performance.now() - t0;
  t0 = performance.now();
  const m = await openPg(db, { ...BASE, search: 'memory', index: 'exact' });
  const memOpen = performance.now() - t0;
  t0 = performance.now();
  await m.identify(q);
  const memFirst = performance.now() - t0;
  await m.close();
  return { open, first, memOpen, memFirst };
}

/** The search section (see the file's comment). */
export async function benchScaleSearch(o: ScaleBenchOptions): Promise<void> {
  const { log } = o;
  log(`\n### Search in PostgreSQL (pgvector, PGlite in process) vs in memory — ${o.templates.toLocaleString('en')} templates`);
  log(`load average at start ${load()} (${cpus().length} cores; other work on the machine shifts every figure)`);
  let t0 = performance.now();
  const crowd = syntheticGallery(2026, o.templates, DIM);
  const qs = makeQueries(crowd);
  log(
    `data: ${crowd.length.toLocaleString('en')} identities, ${crowd.filter((p) => p.mislabelled.length > 0).length} with a mislabelled photo, ` +
      `${crowd.filter((p) => p.look !== null).length} with a second look (${s(performance.now() - t0)})`,
  );
  const db = await PGlite.create({ extensions: { vector } });
  const writer = await openPg(db, BASE);
  // Bulk load: the HNSW index is built once after the rows are in (inserting into it row by row is several times slower).
  await db.exec('DROP INDEX arcface_subcenters_hnsw');
  const stages = [...new Set([1000, 10_000, o.templates].filter((n) => n <= o.templates))].sort((a, b) => a - b);
  const opens: { templates: number; rows: number; build: number; open: number; first: number; memOpen: number; memFirst: number }[] = [];
  let loaded = 0;
  let next = 0;
  let loadMs = 0;
  for (const stage of stages) {
    t0 = performance.now();
    while (loaded < stage && next < crowd.length) {
      const batch: { identity: { id: string }; templates: { embedding: Float32Array }[] }[] = [];
      while (batch.length < LOAD_BATCH && loaded < stage && next < crowd.length) {
        const p = crowd[next++] as SyntheticIdentity;
        batch.push({ identity: { id: p.id }, templates: p.templates.map((embedding) => ({ embedding })) });
        loaded += p.templates.length;
      }
      await writer.store.enrollMany(batch, 'create');
    }
    loadMs += performance.now() - t0;
    t0 = performance.now();
    await db.exec('CREATE INDEX arcface_subcenters_hnsw ON arcface_subcenters USING hnsw (mean vector_cosine_ops)');
    const build = performance.now() - t0;
    const rows = Number((await db.query<{ n: number }>('SELECT COUNT(*)::int AS n FROM arcface_subcenters')).rows[0]?.n);
    const times = await openTimes(db, qs[0] as Float32Array);
    opens.push({ templates: loaded, rows, build, ...times });
    log(
      `loaded ${loaded.toLocaleString('en')} templates (${rows.toLocaleString('en')} trusted sub-centres) in ${s(loadMs)} so far; HNSW build ${s(build)}; load average ${load()}`,
    );
    if (stage !== stages.at(-1)) await db.exec('DROP INDEX arcface_subcenters_hnsw');
  }
  log(`load: ${(loaded / (loadMs / 1000)).toFixed(0)} templates/s through enrollMany (sub-centres computed in each transaction, no HNSW index)`);

  t0 = performance.now();
  const exact = await openPg(db, { ...BASE, search: 'memory', index: 'exact' });
  await exact.identify(qs[0] as Float32Array);
  const exactOpen = performance.now() - t0;
  t0 = performance.now();
  const hnsw = await openPg(db, { ...BASE, search: 'memory', index: 'hnsw', ...HNSW_BUILD, hnswEfSearch: 256 });
  await hnsw.identify(qs[0] as Float32Array);
  const hnswOpen = performance.now() - t0;
  log(`in-memory open + first query: exact ${s(exactOpen)}, HNSW (m 16, ef_construction 64, built in process) ${s(hnswOpen)}`);
  const pg = await openPg(db, BASE);
  const pgVariants = (tag: string): Variant[] =>
    EF_SEARCH.map((ef) => ({ name: `pgvector ${tag} ef_search ${ef}`, run: (q: Float32Array) => pg.identify(q, { efSearch: ef }) }));
  const variants: Variant[] = [
    { name: 'memory exact', run: (q) => exact.identify(q) },
    { name: 'memory HNSW m 16 ef 256', run: (q) => hnsw.identify(q) },
    ...pgVariants('m 16'),
  ];
  const res = await timeVariants(variants, qs);
  const truth = (res.get('memory exact') as { results: IdentifyResult[] }).results;
  log('');
  log('| identify (top 5) | p50 | p95 | recall@1 vs exact, known faces | same decision, known | same decision, strangers | same top-5 ids |');
  log('|---|---:|---:|---:|---:|---:|---:|');
  const table = (r: Map<string, { times: number[]; results: IdentifyResult[] }>): void => {
    for (const [name, v] of r) {
      const share = (pred: (x: IdentifyResult, i: number) => boolean, from: number, to: number): string =>
        `${((v.results.slice(from, to).filter((x, i) => pred(x, i + from)).length / (to - from)) * 100).toFixed(1)} %`;
      const top1 = share((x, i) => x.candidates[0]?.id === truth[i]?.candidates[0]?.id, 0, KNOWN_QUERIES);
      const known = share((x, i) => x.decision === truth[i]?.decision, 0, KNOWN_QUERIES);
      const strangers = share((x, i) => x.decision === truth[i]?.decision, KNOWN_QUERIES, qs.length);
      const top5 = share((x, i) => x.candidates.map((c) => c.id).join() === truth[i]?.candidates.map((c) => c.id).join(), 0, qs.length);
      log(`| ${name} | ${ms(median(v.times))} | ${ms(percentile(v.times, 0.95))} | ${top1} | ${known} | ${strangers} | ${top5} |`);
    }
  };
  table(res);
  if (o.dense === true) {
    t0 = performance.now();
    await db.exec(`DROP INDEX arcface_subcenters_hnsw;
    CREATE INDEX arcface_subcenters_hnsw ON arcface_subcenters USING hnsw (mean vector_cosine_ops) WITH (m = ${DENSE.m}, ef_construction = ${DENSE.efConstruction})`);
    const denseBuild = performance.now() - t0;
    table(await timeVariants(pgVariants(`m ${DENSE.m}`), qs));
    log(
      `(${qs.length} queries: ${KNOWN_QUERIES} new photos of enrolled people, ${STRANGERS} strangers; the m ${DENSE.m} / ef_construction ${DENSE.efConstruction} ` +
        `graph built in ${s(denseBuild)}; load average ${load()})`,
    );
  } else {
    log(
      `(${qs.length} queries: ${KNOWN_QUERIES} new photos of enrolled people, ${STRANGERS} strangers; load average ${load()}; \`--scale-dense\` adds an m ${DENSE.m} graph)`,
    );
  }
  log('');
  log('| templates | sub-centre rows | HNSW build | PostgreSQL open | its first identify | in-memory open | its first identify (loads + indexes) |');
  log('|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of opens) {
    log(
      `| ${r.templates.toLocaleString('en')} | ${r.rows.toLocaleString('en')} | ${s(r.build)} | ${ms(r.open)} | ${ms(r.first)} | ${ms(r.memOpen)} | ${ms(r.memFirst)} |`,
    );
  }
  await Promise.all([exact.close(), hnsw.close(), pg.close(), writer.close()]);
  await db.close();
}

/**
 * The sections of `bench scale`, run in this order: search (this file) and bulk ingestion
 * (`bench/scale-ingest.ts`: local `enroll --people` against 1 and 2 queue workers).
 */
export const SCALE_SECTIONS: ScaleSection[] = [
  { name: 'search', run: benchScaleSearch },
  { name: 'ingest', run: async (o) => void (await runIngestBench({ shared: o.shared, images: o.images ?? 400, log: o.log })) },
];

/**
 * Runs the selected sections (all by default).
 *
 * @example
 * await benchScale({ templates: 10_000, log: console.log })
 */
export async function benchScale(o: ScaleBenchOptions, only?: ReadonlySet<string>): Promise<void> {
  o.log(`\n## Scale: ${o.templates.toLocaleString('en')} templates`);
  for (const section of SCALE_SECTIONS) if (only === undefined || only.has(section.name)) await section.run(o);
}

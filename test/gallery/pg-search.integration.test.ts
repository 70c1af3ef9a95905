import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { isArcFaceError } from '../../src/core/index.js';
import {
  Gallery,
  openGallery,
  POSTGRES_SCHEMA_VERSION,
  PostgresGalleryStore,
  pgliteClient,
  type GalleryOptions,
  type IdentifyResult,
  type SqlClient,
  type SqlQueryable,
} from '../../src/gallery/index.js';
import type { ScoreCalibration } from '../../src/models/index.js';
import { DIM, FP, scratch } from './fixtures.js';
import { near, randomUnit, rng, syntheticGallery, type SyntheticIdentity } from './synthetic.js';
import { startPgServer, type PgTestServer } from '../helpers/pg-server.js';

const THRESHOLD = 0.3;
/** A made-up impostor table, so that the FPIR policy (and with it the identity count) decides the threshold. */
const CALIBRATION: ScoreCalibration = {
  impostor: [
    [1e-1, 0.1],
    [1e-3, 0.2],
    [1e-6, 0.45],
  ],
  genuine: [
    [0.01, 0.2],
    [0.5, 0.6],
  ],
  impostorPairs: 1e6,
  genuinePairs: 1e4,
  source: 'test',
};
const OPTS: GalleryOptions = { fingerprint: FP, embeddingSize: DIM, threshold: THRESHOLD, calibration: CALIBRATION };
const code = (c: string) => (e: unknown) => isArcFaceError(e) && e.code === c;

/** ~240 templates: singles, many-photo identities, second looks and mislabelled photos. */
const CROWD = syntheticGallery(11, 240, DIM);

/** Queries: new photos of enrolled people (base and second look), photos like the mislabels, strangers. */
function queries(crowd: readonly SyntheticIdentity[]): Float32Array[] {
  const r = rng(99);
  const qs: Float32Array[] = [];
  crowd.forEach((p, i) => {
    if (i % 2 === 0) qs.push(near(r, p.base, 0.7));
    if (p.look !== null) qs.push(near(r, p.look, 0.7));
    for (const m of p.mislabelled) qs.push(near(r, p.templates[m] as Float32Array, 0.8));
  });
  for (let i = 0; i < 20; i++) qs.push(randomUnit(r, DIM));
  return qs;
}

async function enrollAll(g: Gallery, crowd: readonly SyntheticIdentity[]): Promise<void> {
  for (const p of crowd) await g.enroll(p.id, p.templates, { name: `Name ${p.id}` });
}

/** The same answers: candidates (ids, names, sub-centres), decision, threshold; scores within 1e-5. */
function assertSame(a: IdentifyResult, b: IdentifyResult, what: string): void {
  assert.deepEqual(
    a.candidates.map((c) => [c.id, c.name, c.subCenter]),
    b.candidates.map((c) => [c.id, c.name, c.subCenter]),
    what,
  );
  a.candidates.forEach((c, i) =>
    assert.ok(Math.abs(c.score - (b.candidates[i]?.score ?? Number.NaN)) < 1e-5, `${what}: score ${c.score} vs ${b.candidates[i]?.score}`),
  );
  assert.equal(a.decision, b.decision, what);
  assert.deepEqual(a.thresholdChoice, b.thresholdChoice, what);
}

async function compare(db: Gallery, exact: Gallery, qs: readonly Float32Array[], what: string): Promise<void> {
  for (const [i, q] of qs.entries()) assertSame(await db.identify(q, { topK: 5 }), await exact.identify(q, { topK: 5 }), `${what} query ${i}`);
}

/** A client that records every statement it runs (transactions included). */
function recording(inner: SqlClient, log: string[]): SqlClient {
  const wrap = (q: SqlQueryable): SqlQueryable => ({
    query: <R>(text: string, params?: readonly unknown[]) => {
      log.push(text);
      return q.query<R>(text, params);
    },
  });
  return { ...wrap(inner), transaction: (fn) => inner.transaction((tx) => fn(wrap(tx))), end: () => inner.end() };
}

describe('identification inside PostgreSQL (PGlite + pgvector, in process)', () => {
  let db: PGlite;
  let pg: Gallery;
  let sqlite: Gallery;
  const open = async (opts: GalleryOptions = OPTS, client: SqlClient = pgliteClient(db)) =>
    Gallery.fromStore(await PostgresGalleryStore.open(client, { fingerprint: FP, embeddingSize: DIM, location: 'pglite' }), opts);
  before(async () => {
    db = await PGlite.create({ extensions: { vector } });
    pg = await open();
    sqlite = await openGallery(join(scratch('pg-search'), 'g.db'), { ...OPTS, index: 'exact' });
    await enrollAll(pg, CROWD);
    await enrollAll(sqlite, CROWD);
    await pg.create('no-templates-yet');
    await sqlite.create('no-templates-yet');
  });
  after(async () => {
    await sqlite.close();
    await db.close();
  });

  it('gives the exact in-memory answers (SQLite, and forced in-memory on the same database)', async () => {
    assert.ok(CROWD.some((p) => p.mislabelled.length > 0) && CROWD.some((p) => p.look !== null) && CROWD.some((p) => p.templates.length === 1));
    assert.equal((await pg.indexInfo()).kind, 'pgvector');
    const memory = await open({ ...OPTS, search: 'memory', index: 'exact' });
    assert.equal((await memory.indexInfo()).kind, 'exact');
    const qs = queries(CROWD);
    await compare(pg, sqlite, qs, 'vs SQLite');
    await compare(pg, memory, qs, 'vs memory');
    // Untrusted sub-centres (mislabelled photos) never score, in either path.
    const show = await pg.show(CROWD.find((p) => p.mislabelled.length > 0 && p.templates.length >= 3)?.id ?? '');
    assert.ok(show.subCenters.some((s) => !s.trusted));
    const shown = await sqlite.show(show.id);
    assert.deepEqual([show.subCenters, show.templates.map((t) => t.subCenter)], [shown.subCenters, shown.templates.map((t) => t.subCenter)]);
    for (const p of CROWD.slice(0, 30)) {
      const [a, b] = [await pg.verify(near(rng(5), p.base, 0.7), p.id), await sqlite.verify(near(rng(5), p.base, 0.7), p.id)];
      assert.equal(a.subCenter, b.subCenter);
      assert.ok(Math.abs(a.score - b.score) < 1e-5);
    }
    assert.deepEqual(await pg.identificationThreshold(), await sqlite.identificationThreshold());
    // A tiny search list still returns topK identities: the iterative index scan goes on.
    assert.equal((await pg.identify(qs[0] as Float32Array, { topK: 10, efSearch: 1 })).candidates.length, 10);
    await memory.close();
  });

  it('sees writes of another Gallery object on the same database at once, and stays equal to the exact path', async () => {
    const other = await open();
    const memory = await open({ ...OPTS, search: 'memory', index: 'exact' });
    const qs = queries(CROWD).slice(0, 60);
    const newcomer = syntheticGallery(12, 8, DIM).find((p) => p.templates.length >= 2) as SyntheticIdentity;
    const q = near(rng(3), newcomer.base, 0.7);
    assert.notEqual((await pg.identify(q)).candidates[0]?.id, 'newcomer');
    const n0 = (await pg.identify(q)).thresholdChoice.galleryIdentities ?? 0;
    await other.enroll('newcomer', newcomer.templates);
    const seen = await pg.identify(q);
    assert.equal(seen.candidates[0]?.id, 'newcomer');
    assert.equal(seen.thresholdChoice.galleryIdentities, n0 + 1);
    assert.equal((await pg.verify(q, 'newcomer')).match, true);
    const bad = CROWD.find((p) => p.mislabelled.length > 0) as SyntheticIdentity;
    const tpl = (await other.templates(bad.id))[bad.mislabelled[0] as number];
    await other.removeTemplates([tpl?.templateId as number]);
    await other.merge(CROWD[1]?.id as string, CROWD[3]?.id as string);
    await other.rename(CROWD[5]?.id as string, { newId: 'renamed', name: 'Renamed' });
    await other.enroll(CROWD[7]?.id as string, [near(rng(8), (CROWD[7] as SyntheticIdentity).base, 0.7)], { append: true });
    await other.remove(CROWD[9]?.id as string);
    await compare(pg, memory, [...qs, q], 'after writes');
    const renamed = await pg.identify(near(rng(4), (CROWD[5] as SyntheticIdentity).base, 0.7));
    assert.deepEqual([renamed.candidates[0]?.id, renamed.candidates[0]?.name], ['renamed', 'Renamed']);
    assert.equal((await pg.identify(q)).thresholdChoice.galleryIdentities, n0 - 1);
    await assert.rejects(pg.verify(q, CROWD[9]?.id as string), code('IDENTITY_NOT_FOUND'));
    await assert.rejects(pg.verify(q, 'no-templates-yet'), code('IDENTITY_NOT_FOUND'));
    // Every identity's rows equal a recomputation from scratch (what the migration's backfill writes).
    const before = await subCenterRows(db);
    await (other.store as PostgresGalleryStore).recluster(
      (other.store as PostgresGalleryStore).meta.subCenters as { maxSubCenters: number; joinThreshold: number },
    );
    assert.deepEqual(await subCenterRows(db), before);
    await other.close();
    await memory.close();
  });

  it('opens and identifies without reading a template; show reads one identity', async () => {
    const log: string[] = [];
    const g = await open(OPTS, recording(pgliteClient(db), log));
    const q = near(rng(21), (CROWD[0] as SyntheticIdentity).base, 0.7);
    await g.identify(q, { efSearch: 40 });
    await g.verify(q, CROWD[0]?.id as string);
    await g.identificationThreshold();
    assert.ok(log.length > 0);
    assert.deepEqual(
      log.filter((s) => /arcface_templates/.test(s)),
      [],
      'no statement touches the templates',
    );
    assert.ok(log.some((s) => /set_config\('hnsw\.ef_search'/.test(s)));
    log.length = 0;
    await g.show(CROWD[0]?.id as string);
    assert.ok(log.filter((s) => /arcface_templates/.test(s)).every((s) => /WHERE identity_id = \$1/.test(s)));
  });

  it('backfills sub-centres when it migrates a schema-2 gallery holding data', async () => {
    const other = await PGlite.create({ extensions: { vector } });
    const g = await open(OPTS, pgliteClient(other));
    await enrollAll(g, CROWD.slice(0, 40));
    const expected = await subCenterRows(other);
    const qs = queries(CROWD.slice(0, 40));
    const answers = [];
    for (const q of qs) answers.push(await g.identify(q));
    // Back to schema 2: no sub-centre table, the template HNSW index, no recorded clustering (the
    // people tables are the people room's, made when people discovery opens).
    await other.exec(`DROP TABLE arcface_subcenters; DELETE FROM arcface_migrations WHERE version >= 3;
      DELETE FROM arcface_meta WHERE key IN ('subcenter_max', 'subcenter_join', 'searchable_identities');
      CREATE INDEX arcface_templates_hnsw ON arcface_templates USING hnsw (embedding vector_cosine_ops)`);
    const migrated = await open(OPTS, pgliteClient(other));
    assert.equal(migrated.store.meta.schemaVersion, POSTGRES_SCHEMA_VERSION);
    assert.deepEqual(await subCenterRows(other), expected);
    for (const [i, q] of qs.entries()) assertSame(await migrated.identify(q), answers[i] as IdentifyResult, `migrated query ${i}`);
    assert.equal((await other.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'arcface_templates_hnsw'`)).rows.length, 0);
    await other.close();
  });

  it('keeps its recorded clustering: explicit other parameters are refused, reclustering changes them for all', async () => {
    const other = await PGlite.create({ extensions: { vector } });
    const g = await open(OPTS, pgliteClient(other));
    await enrollAll(g, CROWD.slice(0, 30));
    await assert.rejects(open({ ...OPTS, joinThreshold: 0.45 }, pgliteClient(other)), code('GALLERY_PARAMS_MISMATCH'));
    await assert.rejects(open({ ...OPTS, maxSubCenters: 2 }, pgliteClient(other)), code('GALLERY_PARAMS_MISMATCH'));
    // A different decision threshold alone does not change the clustering.
    assert.equal((await open({ ...OPTS, threshold: 0.45 }, pgliteClient(other))).options.joinThreshold, THRESHOLD);
    const store = g.store as PostgresGalleryStore;
    await assert.rejects(store.recluster({ maxSubCenters: 0, joinThreshold: 0.3 }), code('INVALID_ARGUMENT'));
    await store.recluster({ maxSubCenters: 2, joinThreshold: 0.45 });
    const changed = await open({ ...OPTS, joinThreshold: 0.45, maxSubCenters: 2 }, pgliteClient(other));
    const memory = await open({ ...OPTS, search: 'memory', index: 'exact' }, pgliteClient(other));
    assert.deepEqual([memory.options.maxSubCenters, memory.options.joinThreshold], [2, 0.45]);
    await compare(changed, memory, queries(CROWD.slice(0, 30)), 'reclustered');
    await other.close();
  });

  it('keeps the coded errors of bad inputs', async () => {
    const q = near(rng(1), (CROWD[0] as SyntheticIdentity).base, 0.7);
    await assert.rejects(pg.identify(new Float32Array(DIM - 1)), code('EMBEDDING_SIZE_MISMATCH'));
    await assert.rejects(pg.identify(new Float32Array(DIM).fill(1)), code('INVALID_ARGUMENT'));
    await assert.rejects(pg.identify(q, { efSearch: 0 }), code('INVALID_ARGUMENT'));
    await assert.rejects(pg.identify(q, { efSearch: 1001 }), code('INVALID_ARGUMENT'));
    await assert.rejects(pg.identify(q, { topK: 0 }), code('INVALID_ARGUMENT'));
    await assert.rejects(pg.verify(q, 'nobody'), code('IDENTITY_NOT_FOUND'));
    await assert.rejects(open({ ...OPTS, databaseEfSearch: 2000 }), code('INVALID_ARGUMENT'));
    await assert.rejects(open({ ...OPTS, search: 'nowhere' as 'auto' }), code('INVALID_ARGUMENT'));
    await assert.rejects(openGallery(join(scratch('pg-search-sqlite'), 'g.db'), { ...OPTS, search: 'database' }), code('INVALID_ARGUMENT'));
  });
});

/** Every sub-centre row as text, in a stable order. */
async function subCenterRows(db: PGlite): Promise<string[]> {
  const rows = await db.query<{ r: string }>(
    `SELECT identity_id || ':' || sub_center || ':' || size || ':' || mean::text AS r FROM arcface_subcenters ORDER BY identity_id, sub_center`,
  );
  return rows.rows.map((x) => x.r);
}

describe('identification inside PostgreSQL over the wire (pg → PGLiteSocketServer)', () => {
  let server: PgTestServer;
  let url: string;
  before(async () => {
    // Two galleries, two pools: PGlite serves their statements one at a time (it is one session), so
    // this test runs no two transactions at once.
    server = await startPgServer({ maxConnections: 8 });
    url = server.url;
  });
  after(async () => {
    await server.stop();
  });

  it('answers as the forced in-memory path, and a second process sees writes at once', async () => {
    const a = await openGallery(url, OPTS);
    const crowd = CROWD.slice(0, 50);
    await enrollAll(a, crowd);
    const b = await openGallery(url, { ...OPTS, search: 'memory', index: 'exact' });
    await compare(a, b, queries(crowd), 'wire');
    const p = CROWD[60] as SyntheticIdentity;
    await b.enroll(p.id, p.templates);
    assert.equal((await a.identify(near(rng(6), p.base, 0.7))).candidates[0]?.id, p.id);
    await a.close();
    await b.close();
  });
});

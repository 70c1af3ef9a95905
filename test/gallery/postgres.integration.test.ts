import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { isArcFaceError } from '../../src/core/index.js';
import { Gallery, POSTGRES_SCHEMA_VERSION, PostgresGalleryStore, openGallery, pgliteClient, type Gallery as GalleryT } from '../../src/gallery/index.js';
import { DIM, FP, OTHER_FP, people, probe, scratch } from './fixtures.js';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { startPgServer, type PgTestServer } from '../helpers/pg-server.js';

const THRESHOLD = 0.3;
const code = (c: string) => (e: unknown) => isArcFaceError(e) && e.code === c;

/** The same scenario on any gallery: enrol, identify, verify, edit, export. */
async function scenario(g: GalleryT, tag: string): Promise<Buffer> {
  const crowd = people(50, 12, 3);
  for (const p of crowd) await g.enroll(p.id, p.templates, { name: `N${p.id}`, metadata: { tag } });
  for (const [i, p] of crowd.entries()) {
    const res = await g.identify(probe(500 + i, p.base), { topK: 2 });
    assert.equal(res.decision, 'known');
    assert.equal(res.candidates[0]?.id, p.id);
  }
  assert.equal((await g.verify(probe(1, crowd[0]!.base), crowd[0]!.id)).match, true);
  await assert.rejects(g.enroll(crowd[0]!.id, crowd[0]!.templates), code('IDENTITY_EXISTS'));
  await g.rename(crowd[1]!.id, { newId: 'renamed', name: 'Renamed' });
  assert.equal((await g.identify(probe(2, crowd[1]!.base))).candidates[0]?.id, 'renamed');
  await g.merge(crowd[2]!.id, crowd[3]!.id);
  assert.equal((await g.show(crowd[3]!.id)).templates.length, 6);
  await g.remove(crowd[4]!.id);
  await assert.rejects(g.remove(crowd[4]!.id), code('IDENTITY_NOT_FOUND'));
  const stored = await g.store.templatesOf(crowd[0]!.id);
  assert.deepEqual(
    stored.map((t) => Buffer.from(t.embedding.buffer).toString('hex')),
    crowd[0]!.templates.map((t) => Buffer.from(t.buffer).toString('hex')),
  );
  assert.deepEqual(await g.store.template(stored[1]!.templateId), stored[1]);
  assert.equal(await g.store.template(987_654_321), null);
  if (g.store.kind === 'postgres') {
    const near = await g.store.nearest?.(probe(3, crowd[5]!.base), 3);
    assert.equal(near?.[0]?.identityId, crowd[5]!.id);
    assert.ok(Math.abs((near?.[0]?.score ?? 0) - (await g.verify(probe(3, crowd[5]!.base), crowd[5]!.id)).score) < 0.2);
  } else {
    assert.equal(g.store.nearest, undefined);
  }
  const file = join(scratch(`pg-export-${tag}`), 'g.afg');
  await g.export(file);
  return readFileSync(file);
}

describe('PostgresGalleryStore on PGlite + pgvector, in process', () => {
  let db: PGlite;
  before(async () => {
    db = await PGlite.create({ extensions: { vector } });
  });
  after(async () => {
    await db.close();
  });

  it('runs the gallery scenario, refuses other models and foreign schemas', async () => {
    const store = await PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' });
    const g = Gallery.fromStore(store, { fingerprint: FP, embeddingSize: DIM, threshold: THRESHOLD });
    await scenario(g, 'inproc');
    const idx = (await db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = 'arcface_subcenters_hnsw'`)).rows[0];
    assert.match(idx?.indexdef ?? '', /hnsw \(mean vector_cosine_ops\)/);
    await assert.rejects(
      PostgresGalleryStore.open(pgliteClient(db), { fingerprint: OTHER_FP, embeddingSize: DIM, location: 'pglite' }),
      code('MODEL_MISMATCH'),
    );
    await assert.rejects(
      PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: 128, location: 'pglite' }),
      code('EMBEDDING_SIZE_MISMATCH'),
    );
    const reopened = await PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' });
    assert.equal(reopened.meta.schemaVersion, POSTGRES_SCHEMA_VERSION);
    await db.exec(`INSERT INTO arcface_migrations (version, applied_at) VALUES (99, 0)`);
    await assert.rejects(
      PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' }),
      (e: unknown) => isArcFaceError(e, 'GALLERY_CORRUPT') && /newer/.test(e.message),
    );
  });

  it('refuses a database holding foreign arcface_* tables', async () => {
    const other = await PGlite.create({ extensions: { vector } });
    await other.exec('CREATE TABLE arcface_templates (x int)');
    await assert.rejects(PostgresGalleryStore.open(pgliteClient(other), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' }), code('GALLERY_CORRUPT'));
    await other.close();
  });
});

describe('PostgresGalleryStore over the wire (pg client → PGLiteSocketServer)', () => {
  let server: PgTestServer;
  let url: string;
  before(async () => {
    server = await startPgServer({ password: 'secret' });
    url = server.url;
  });
  after(async () => {
    await server.stop();
  });

  it('opens a postgres:// URL with openGallery and runs the same scenario as the SQLite store', async () => {
    const g = await openGallery(url, { fingerprint: FP, embeddingSize: DIM, threshold: THRESHOLD });
    assert.equal(g.store.kind, 'postgres');
    assert.equal(g.store.location.includes('secret'), false);
    const pgBytes = await scenario(g, 'wire');
    await g.close();
    const s = await openGallery(join(scratch('pg-vs-sqlite'), 'g.db'), { fingerprint: FP, embeddingSize: DIM, threshold: THRESHOLD });
    const sqliteBytes = await scenario(s, 'wire');
    await s.close();
    const strip = (b: Buffer) => b.toString('latin1').replace(/"createdAt":\d+/g, '');
    assert.equal(strip(pgBytes), strip(sqliteBytes));
    await assert.rejects(openGallery(url, { fingerprint: OTHER_FP, embeddingSize: DIM, threshold: THRESHOLD }), code('MODEL_MISMATCH'));
  });

  it('reports an unreachable server as GALLERY_BUSY', async () => {
    await assert.rejects(
      openGallery('postgres://postgres@127.0.0.1:1/postgres', { fingerprint: FP, embeddingSize: DIM, threshold: THRESHOLD }),
      code('GALLERY_BUSY'),
    );
  });
});

import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import Database from 'better-sqlite3';
import { vector } from '@electric-sql/pglite-pgvector';
import { isArcFaceError } from '../../src/core/index.js';
import { Gallery, openGallery, PostgresGalleryStore, pgliteClient, type Gallery as GalleryT } from '../../src/gallery/index.js';
import { PEOPLE_FORGET_STEP, PEOPLE_MIGRATIONS, PeopleStore } from '../../src/people/index.js';
import { DIM, FP, people, probe, scratch } from './fixtures.js';
import { migrateRoom, postgresRoomSql, sqliteRoomSql, type RoomSql } from '../../src/gallery/stores/room-sql.js';

/** A people-room runner with the people tables made (as People.open makes them). */
async function peopleTables(sql: RoomSql): Promise<RoomSql> {
  await migrateRoom(sql, 'people', PEOPLE_MIGRATIONS);
  return sql;
}

const code = (c: string) => (e: unknown) => isArcFaceError(e, c as never);

/** A "JPEG" whose bytes appear nowhere else: random, seeded. */
function fakeJpeg(seed: number): Uint8Array {
  const out = new Uint8Array(600);
  let x = seed * 2654435761;
  for (let i = 0; i < out.length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Bytes of the gallery file and its WAL, as one buffer to search. */
function fileBytes(path: string): Buffer {
  return Buffer.concat([path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)));
}

const bytesOf = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** Enrols two people with thumbnails, and a clustered person named as the first, with faces. */
async function seed(g: GalleryT, sql: RoomSql) {
  const [ada, bob] = people(71, 2, 3) as [ReturnType<typeof people>[number], ReturnType<typeof people>[number]];
  const ids = (await g.enroll('ada', ada.templates, { name: 'Ada' })).templateIds;
  await g.enroll('bob', bob.templates, { name: 'Bob' });
  await g.putThumbnails(ids.map((templateId, i) => ({ templateId, jpeg: fakeJpeg(i + 1) })));
  const store = new PeopleStore(sql);
  const crop = fakeJpeg(99);
  const faceEmbedding = probe(5, ada.base);
  await sql.transaction(async (q) => {
    const person = await store.createPerson(q);
    const faces = await store.insertFaces(q, [{ photo: 'a.jpg', box: [0, 0, 10, 10], detScore: 0.9, embedding: faceEmbedding, thumbnail: crop }]);
    const bobFaces = await store.insertFaces(q, [{ photo: 'b.jpg', box: [0, 0, 10, 10], detScore: 0.9, embedding: probe(6, bob.base) }]);
    await store.assign(q, faces, person);
    await store.setIdentity(q, person, 'ada');
    await store.setTemplate(q, bobFaces[0] as number, null);
  });
  return { ada, bob, crop, faceEmbedding, store };
}

describe('Gallery.forget', () => {
  it('SQLite: removes the identity, templates, thumbnails and person faces in one go, and leaves none of their bytes in the file or the WAL', async () => {
    const path = join(scratch('forget-sqlite'), 'g.db');
    const g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3, snapshotMinRows: 1 });
    g.registerForgetStep(PEOPLE_FORGET_STEP);
    const sql = await peopleTables(sqliteRoomSql(path));
    const { ada, bob, crop, faceEmbedding, store } = await seed(g, sql);
    assert.equal((await g.identify(probe(1, ada.base))).candidates[0]?.id, 'ada');
    await g.close();
    // The snapshot and the bytes are there before (the scan can find what it looks for).
    const g2 = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3, snapshotMinRows: 1 });
    g2.registerForgetStep(PEOPLE_FORGET_STEP);
    assert.equal((await g2.identify(probe(1, ada.base))).candidates[0]?.id, 'ada');
    const before = fileBytes(path);
    for (const t of ada.templates) assert.ok(before.includes(bytesOf(t)), 'template bytes are in the file before');
    assert.ok(before.includes(Buffer.from(fakeJpeg(1))) && before.includes(Buffer.from(crop)) && before.includes(bytesOf(faceEmbedding)));

    const receipt = await g2.forget('ada');
    assert.deepEqual(receipt.deleted, { identities: 1, templates: 3, thumbnails: 3, personFaces: 1, persons: 1 });
    assert.deepEqual(receipt.steps, ['people']);
    assert.equal(receipt.scrub.secureDelete, true);
    assert.equal(receipt.scrub.walTruncated, true);
    assert.ok(receipt.durationMs >= 0 && !Number.isNaN(Date.parse(receipt.forgottenAt)));
    assert.ok(!existsSync(`${path}.matrix`), 'the matrix snapshot (plain embeddings) is removed');

    const after = fileBytes(path);
    assert.equal(existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0, 0, 'the WAL is truncated');
    for (const t of ada.templates) assert.ok(!after.includes(bytesOf(t)), 'no template of the forgotten identity survives');
    for (let i = 1; i <= 3; i++) assert.ok(!after.includes(Buffer.from(fakeJpeg(i))), 'no thumbnail survives');
    assert.ok(!after.includes(Buffer.from(crop)) && !after.includes(bytesOf(faceEmbedding)), 'no person face survives');
    for (const t of bob.templates) assert.ok(after.includes(bytesOf(t)), 'the others stay');

    assert.equal((await g2.identify(probe(2, ada.base))).candidates[0]?.id, 'bob');
    assert.deepEqual(
      (await store.listPersons(true)).map((p) => p.faceCount),
      [],
    );
    assert.equal((await store.loadFaces(DIM)).faces.length, 1);
    await assert.rejects(g2.forget('ada'), code('IDENTITY_NOT_FOUND'));
    await sql.close();
    await g2.close();
  });

  it('SQLite with vacuum: bytes deleted before secure_delete was set (free pages of an older file) go too', async () => {
    const path = join(scratch('forget-vacuum'), 'g.db');
    const g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    const [old, ada, bob] = people(73, 3, 2) as [ReturnType<typeof people>[number], ReturnType<typeof people>[number], ReturnType<typeof people>[number]];
    for (const p of [old, ada, bob]) await g.enroll(p.id, p.templates);
    await g.close();
    const raw = new Database(path);
    raw.pragma('secure_delete = OFF');
    raw.prepare('DELETE FROM identities WHERE id = ?').run(old.id);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    assert.ok(fileBytes(path).includes(bytesOf(old.templates[0] as Float32Array)), 'an old deletion left its bytes in a free page');
    const g2 = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    const receipt = await g2.forget(ada.id, { vacuum: true });
    assert.equal(receipt.scrub.vacuumed, true);
    const after = fileBytes(path);
    for (const t of [...old.templates, ...ada.templates]) assert.ok(!after.includes(bytesOf(t)));
    for (const t of bob.templates) assert.ok(after.includes(bytesOf(t)));
    await g2.close();
  });

  it('rolls back every step when one fails: nothing is forgotten', async () => {
    const path = join(scratch('forget-rollback'), 'g.db');
    const g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    g.registerForgetStep(PEOPLE_FORGET_STEP);
    const sql = await peopleTables(sqliteRoomSql(path));
    await seed(g, sql);
    g.registerForgetStep({ name: 'broken', statements: () => [{ count: 'x', sql: 'DELETE FROM no_such_table WHERE identity_id = @id' }] });
    await assert.rejects(g.forget('ada'), code('GALLERY_CORRUPT'));
    assert.equal((await g.get('ada')).templateCount, 3);
    assert.equal((await new PeopleStore(sql).loadFaces(DIM)).faces.length, 2);
    assert.throws(() => g.registerForgetStep(PEOPLE_FORGET_STEP), code('INVALID_ARGUMENT'));
    assert.throws(() => g.registerForgetStep({ name: 'bad', statements: () => [{ count: 'x', sql: 'DROP TABLE templates' }] }), code('INVALID_ARGUMENT'));
    await sql.close();
    await g.close();
  });

  it('PostgreSQL (PGlite): leaves no row of the identity in any table', async () => {
    const db = await PGlite.create({ extensions: { vector } });
    const store = await PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' });
    const g = Gallery.fromStore(store, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    g.registerForgetStep(PEOPLE_FORGET_STEP);
    const sql = await peopleTables(postgresRoomSql(store.sqlClient()));
    const { ada } = await seed(g, sql);
    const receipt = await g.forget('ada');
    assert.equal(receipt.store, 'postgres');
    assert.deepEqual(receipt.deleted, { identities: 1, templates: 3, thumbnails: 3, subCenters: 1, personFaces: 1, persons: 1 });
    assert.deepEqual(receipt.scrub, { secureDelete: false, walTruncated: null, vacuumed: false, cachesRemoved: [] });
    const left = await db.query<{ n: number }>(`SELECT
      (SELECT COUNT(*) FROM arcface_identities WHERE id = 'ada') + (SELECT COUNT(*) FROM arcface_templates WHERE identity_id = 'ada')
      + (SELECT COUNT(*) FROM arcface_subcenters WHERE identity_id = 'ada') + (SELECT COUNT(*) FROM arcface_persons WHERE identity_id = 'ada')
      + (SELECT COUNT(*) FROM arcface_template_thumbnails) + (SELECT COUNT(*) FROM arcface_person_faces WHERE thumbnail IS NOT NULL) AS n`);
    assert.equal(Number(left.rows[0]?.n), 0);
    assert.equal((await g.identify(probe(3, ada.base))).candidates[0]?.id, 'bob');
    assert.equal((await g.count()).identities, 1);
    assert.equal((await g.forget('bob', { vacuum: true })).scrub.vacuumed, true);
    assert.equal((await g.count()).identities, 0);
    await db.close();
  });
});

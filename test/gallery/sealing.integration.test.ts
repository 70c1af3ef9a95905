import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import Database from 'better-sqlite3';
import { isArcFaceError } from '../../src/core/index.js';
import {
  Gallery,
  localKeyEncryptionKey,
  openGallery,
  parseKeyMaterial,
  PostgresGalleryStore,
  pgliteClient,
  SQLITE_SCHEMA_VERSION,
  SqliteGalleryStore,
  type KeyEncryptionKey,
} from '../../src/gallery/index.js';
import { People, PEOPLE_MIGRATIONS, PeopleStore } from '../../src/people/index.js';
import { DIM, FP, people, probe, scratch } from './fixtures.js';
import { migrateRoom, sqliteRoomSql, type RoomSql } from '../../src/gallery/stores/room-sql.js';

/** A people-room runner with the people tables made (as People.open makes them). */
async function peopleTables(sql: RoomSql): Promise<RoomSql> {
  await migrateRoom(sql, 'people', PEOPLE_MIGRATIONS);
  return sql;
}

const code = (c: string) => (e: unknown) => isArcFaceError(e, c as never);
const bytesOf = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);
const fileBytes = (path: string): Buffer => Buffer.concat([path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)));
const newKek = (): Promise<KeyEncryptionKey> => localKeyEncryptionKey(randomBytes(32));
const model = { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 };
const jpeg = (i: number): Uint8Array => new Uint8Array(randomBytes(400 + i));

/** Ten people of three templates, each with a thumbnail per template. */
async function fill(g: Gallery) {
  const crowd = people(81, 10, 3);
  const thumbs: Uint8Array[] = [];
  for (const p of crowd) {
    const { templateIds } = await g.enroll(p.id, p.templates, { name: `Name of ${p.id}` });
    const items = templateIds.map((templateId, i) => ({ templateId, jpeg: jpeg(i) }));
    thumbs.push(...items.map((t) => t.jpeg));
    await g.putThumbnails(items);
  }
  return { crowd, thumbs };
}

/** Whether any template or thumbnail shows in `bytes`. */
function leaks(bytes: Buffer, crowd: ReturnType<typeof people>, thumbs: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of crowd) for (const t of p.templates) if (bytes.includes(bytesOf(t))) n++;
  for (const j of thumbs) if (bytes.includes(Buffer.from(j))) n++;
  return n;
}

async function assertAllFound(g: Gallery, crowd: ReturnType<typeof people>): Promise<void> {
  for (const [i, p] of crowd.entries()) assert.equal((await g.identify(probe(900 + i, p.base))).candidates[0]?.id, p.id);
}

describe('sealed galleries (AES-256-GCM at rest)', () => {
  it('a gallery created with a KEK holds no embedding or thumbnail in its file; it opens only with its key', async () => {
    const path = join(scratch('seal-new'), 'g.db');
    const kek = await newKek();
    const g = await openGallery(path, { ...model, kek, snapshotMinRows: 1 });
    assert.equal(g.sealed, true);
    const { crowd, thumbs } = await fill(g);
    await assertAllFound(g, crowd);
    const t0 = (await g.templates(crowd[0]!.id))[0]!;
    assert.deepEqual(await g.thumbnail(t0.templateId), thumbs[0]);
    assert.deepEqual(bytesOf(t0.embedding), bytesOf(crowd[0]!.templates[0]!));
    await g.close();
    assert.equal(leaks(fileBytes(path), crowd, thumbs), 0, 'nothing in the clear in the file or its WAL');
    assert.ok(!existsSync(`${path}.matrix`) && !existsSync(`${path}.hnsw`), 'no plain snapshot or graph next to it');

    await assert.rejects(openGallery(path, model), code('GALLERY_SEALED'));
    await assert.rejects(SqliteGalleryStore.open(path, { readonly: true }), code('GALLERY_SEALED'));
    await assert.rejects(openGallery(path, { ...model, kek: await newKek() }), code('GALLERY_KEY_MISMATCH'));

    // Rename and merge move rows to another identity id, which is part of their associated data.
    const again = await openGallery(path, { ...model, kek });
    await again.rename(crowd[1]!.id, { newId: 'renamed' });
    await again.merge(crowd[2]!.id, crowd[3]!.id);
    assert.equal((await again.identify(probe(5, crowd[1]!.base))).candidates[0]?.id, 'renamed');
    assert.equal((await again.templates(crowd[3]!.id)).length, 6);
    const moved = (await again.templates('renamed'))[0]!;
    assert.equal((await again.thumbnail(moved.templateId))?.length, thumbs[3]?.length);
    // People discovery's faces and crops are sealed with the gallery's codec.
    await (await People.open(again)).close();
    const sql = await peopleTables(sqliteRoomSql(path));
    const faces = new PeopleStore(sql, again.store.rowCodec?.());
    const crop = jpeg(7);
    const faceEmbedding = probe(8, crowd[5]!.base);
    const [faceId] = await sql.transaction((q) =>
      faces.insertFaces(q, [{ photo: 'p.jpg', box: [0, 0, 9, 9], detScore: 0.9, embedding: faceEmbedding, thumbnail: crop }]),
    );
    assert.deepEqual(await faces.faceThumbnail(faceId as number), crop);
    assert.deepEqual(bytesOf((await faces.loadFaces(DIM)).matrix), bytesOf(faceEmbedding));
    await sql.close();
    await again.close();
    assert.equal(leaks(fileBytes(path), [{ id: 'f', base: faceEmbedding, templates: [faceEmbedding] }], [crop]), 0, 'no plain face or crop');

    // A row moved to another identity by hand does not open: the associated data binds it.
    const raw = new Database(path);
    raw.prepare('UPDATE templates SET identity_id = ? WHERE template_id = ?').run(crowd[4]!.id, t0.templateId);
    raw.close();
    const tampered = await openGallery(path, { ...model, kek });
    await assert.rejects(tampered.templates(crowd[4]!.id), code('GALLERY_CORRUPT'));
    await tampered.close();
  });

  it('rekey re-wraps the data key only: the old key stops working, every identity stays searchable', async () => {
    const path = join(scratch('seal-rekey'), 'g.db');
    const oldKek = await newKek();
    const g = await openGallery(path, { ...model, kek: oldKek });
    const { crowd } = await fill(g);
    const before = (await new Database(path, { readonly: true }).prepare('SELECT group_concat(hex(embedding)) AS e FROM templates').get()) as { e: string };
    const nextKek = await localKeyEncryptionKey(parseKeyMaterial(randomBytes(32).toString('hex'), 'test key'));
    assert.deepEqual(await g.rekey(nextKek), { kekId: nextKek.id });
    await assertAllFound(g, crowd);
    await g.close();
    const after = (await new Database(path, { readonly: true }).prepare('SELECT group_concat(hex(embedding)) AS e FROM templates').get()) as { e: string };
    assert.equal(after.e, before.e, 'no row was re-encrypted');
    await assert.rejects(openGallery(path, { ...model, kek: oldKek }), code('GALLERY_KEY_MISMATCH'));
    const reopened = await openGallery(path, { ...model, kek: nextKek });
    await assertAllFound(reopened, crowd);
    await reopened.close();
  });

  it('an unsealed gallery stays readable, refuses a key until it is sealed explicitly, and is then scrubbed of plain rows', async () => {
    const path = join(scratch('seal-existing'), 'g.db');
    const g = await openGallery(path, { ...model, snapshotMinRows: 1 });
    const { crowd, thumbs } = await fill(g);
    await assertAllFound(g, crowd);
    await g.close();
    const peopleSql = await peopleTables(sqliteRoomSql(path));
    const face = probe(9, crowd[0]!.base);
    const crop = jpeg(9);
    await peopleSql.transaction((q) =>
      new PeopleStore(peopleSql).insertFaces(q, [{ photo: 'q.jpg', box: [0, 0, 9, 9], detScore: 0.8, embedding: face, thumbnail: crop }]),
    );
    await peopleSql.close();
    crowd.push({ id: 'face', base: face, templates: [face] });
    thumbs.push(crop);
    assert.ok(existsSync(`${path}.matrix`));
    assert.ok(leaks(fileBytes(path), crowd, thumbs) > 0, 'plain before sealing (the scan finds what it looks for)');
    // A schema-4 file (before sealing existed) migrates and stays unsealed.
    const raw = new Database(path);
    raw.exec('DROP TABLE gallery_keys');
    raw.pragma('user_version = 4');
    raw.close();
    const kek = await newKek();
    await assert.rejects(openGallery(path, { ...model, kek }), code('GALLERY_NOT_SEALED'));
    const plain = await openGallery(path, { ...model, snapshotMinRows: 1 });
    assert.equal(plain.store.meta.schemaVersion, SQLITE_SCHEMA_VERSION);
    const other = await openGallery(path, model);
    assert.deepEqual(await plain.seal(kek), { templates: 30, thumbnails: 30, personFaces: 1 });
    await assert.rejects(plain.seal(kek), code('INVALID_ARGUMENT'));
    await assertAllFound(plain, crowd.slice(0, 10));
    const sealedSql = await peopleTables(sqliteRoomSql(path));
    const sealedFaces = new PeopleStore(sealedSql, plain.store.rowCodec?.());
    assert.deepEqual(bytesOf((await sealedFaces.loadFaces(DIM)).matrix), bytesOf(face));
    await assert.rejects(
      sealedSql.transaction((q) => new PeopleStore(sealedSql).insertFaces(q, [{ photo: 'r.jpg', box: [0, 0, 9, 9], detScore: 0.8, embedding: face }])),
      code('GALLERY_SEALED'),
    );
    await sealedSql.close();
    // A replica opened unsealed before may not write plain rows into the sealed file.
    await assert.rejects(other.enroll('late', [probe(1, crowd[0]!.base)]), code('GALLERY_SEALED'));
    await other.close();
    await plain.close();
    assert.equal(leaks(fileBytes(path), crowd, thumbs), 0, 'no plain row survives in the file, its free pages or the WAL');
    assert.ok(!existsSync(`${path}.matrix`), 'the plain matrix snapshot is gone');
    await assert.rejects(openGallery(path, model), code('GALLERY_SEALED'));
  });

  it('exports are sealed too: no name or embedding in the file; import needs the key', async () => {
    const dir = scratch('seal-export');
    const kek = await newKek();
    const g = await openGallery(join(dir, 'a.db'), { ...model, kek });
    const { crowd } = await fill(g);
    const file = join(dir, 'a.afg');
    assert.deepEqual(await g.export(file), { identities: 10, templates: 30, sealed: true });
    await g.close();
    const bytes = readFileSync(file);
    assert.equal(bytes.toString('ascii', 0, 8), 'AFGSEALD');
    assert.equal(leaks(bytes, crowd, []), 0);
    assert.ok(!bytes.includes(Buffer.from('Name of')), 'names are sealed with the payload');

    const sealedCopy = await openGallery(join(dir, 'b.db'), { ...model, kek });
    assert.equal((await sealedCopy.import(file)).templates, 30);
    await assertAllFound(sealedCopy, crowd);
    await sealedCopy.close();
    const plain = await openGallery(join(dir, 'c.db'), model);
    await assert.rejects(plain.import(file), code('GALLERY_SEALED'));
    await assert.rejects(plain.import(file, { kek: await newKek() }), code('GALLERY_KEY_MISMATCH'));
    assert.equal((await plain.import(file, { kek })).identities, 10);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 40]! ^= 1;
    await assert.rejects(plain.importBytes(damaged, { kek }), code('GALLERY_CORRUPT'));
    assert.equal((await plain.exportBytes()).sealed, false);
    await plain.close();
  });

  it('PostgreSQL refuses sealing with a coded error (pgvector needs the vectors in the clear)', async () => {
    const kek = await newKek();
    await assert.rejects(openGallery('postgres://nobody@127.0.0.1:1/none', { ...model, kek }), code('SEALING_UNSUPPORTED'));
    const db = await PGlite.create({ extensions: { vector } });
    const store = await PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' });
    assert.throws(() => Gallery.fromStore(store, { ...model, kek }), code('SEALING_UNSUPPORTED'));
    const g = Gallery.fromStore(store, model);
    await assert.rejects(g.seal(kek), code('SEALING_UNSUPPORTED'));
    await assert.rejects(g.rekey(kek), code('SEALING_UNSUPPORTED'));
    assert.equal(g.sealed, false);
    await db.close();
  });

  it('parses key material strictly and never echoes it', () => {
    const hex = 'ab'.repeat(32);
    assert.equal(parseKeyMaterial(` ${hex}\n`, 'k').length, 32);
    assert.equal(parseKeyMaterial(Buffer.alloc(32, 7).toString('base64'), 'k')[0], 7);
    assert.throws(
      () => parseKeyMaterial('secret-passphrase', 'ARCFACE_GALLERY_KEK'),
      (e: unknown) => isArcFaceError(e, 'INVALID_ARGUMENT') && !e.message.includes('secret'),
    );
  });
});

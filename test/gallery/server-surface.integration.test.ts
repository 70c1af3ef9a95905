/**
 * What the server reaches a gallery through: create/get/templates/template/removeTemplates/count,
 * each validated once in `Gallery`; template ids that are never reused, on SQLite (with the
 * migration of version-1 files) and on PostgreSQL; owner-only files.
 */
import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import Database from 'better-sqlite3';
import { isArcFaceError } from '../../src/core/index.js';
import { Gallery, PostgresGalleryStore, SQLITE_SCHEMA_VERSION, SqliteGalleryStore, openGallery, pgliteClient } from '../../src/gallery/index.js';
import { encodeFloat32LE } from '../../src/gallery/stores/codec.js';
import { DIM, FP, people, scratch } from './fixtures.js';

const code = (c: string) => (e: unknown) => isArcFaceError(e) && e.code === c;
const opts = { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 };

/** Deletes the newest template, enrols another, and checks its id is new. */
async function assertIdsNotReused(g: Gallery): Promise<void> {
  const [a] = people(7, 1, 3);
  const { templateIds } = await g.enroll('reuse', a!.templates);
  const newest = Math.max(...templateIds);
  assert.deepEqual(
    (await g.removeTemplates([newest])).map((t) => t.templateId),
    [newest],
  );
  const again = await g.enroll('reuse', [a!.templates[0]!], { append: true });
  assert.ok((again.templateIds[0] as number) > newest, `id ${again.templateIds[0]} reused after deleting ${newest}`);
  assert.deepEqual(await g.removeTemplates([newest]), [], 'a stale delete removes nothing');
}

describe('Gallery: the server surface', () => {
  it('creates, gets, lists templates, removes templates and counts, validating every write', async () => {
    const dir = scratch('server-surface');
    const g = await openGallery(join(dir, 'g.db'), opts);
    const created = await g.create('ada', { name: 'Ada', metadata: { team: 'blue' } });
    assert.deepEqual([created.id, created.name, created.templateCount, created.metadata], ['ada', 'Ada', 0, { team: 'blue' }]);
    await assert.rejects(g.create('ada'), code('IDENTITY_EXISTS'));
    for (const bad of ['a\u0000b', 'cr\rlf', 'x'.repeat(201), '']) await assert.rejects(g.create(bad), code('INVALID_ARGUMENT'));
    await assert.rejects(g.create('b', { name: 'bad\nname' }), code('INVALID_ARGUMENT'));
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    await assert.rejects(g.create('deep', { metadata: deep }), code('INVALID_ARGUMENT'));
    await assert.rejects(g.create('big', { metadata: { blob: 'x'.repeat(70_000) } }), code('INVALID_ARGUMENT'));
    await assert.rejects(g.rename('ada', { name: 'tab\there' }), code('INVALID_ARGUMENT'));
    assert.equal((await g.list()).length, 1, 'nothing invalid was created');
    await g.store.enroll({ id: 'legacy\r\nid' }, [], 'create');
    assert.deepEqual(await g.templates('legacy\r\nid'), []);
    await g.remove('legacy\r\nid');
    assert.equal((await g.list()).length, 1, 'an id stored before the checks can still be removed');
    const [p] = people(3, 1, 2);
    const { templateIds } = await g.enroll('ada', p!.templates, { append: true });
    assert.equal((await g.get('ada')).templateCount, 2);
    assert.deepEqual(
      (await g.templates('ada')).map((t) => t.templateId),
      templateIds,
    );
    assert.equal((await g.template(templateIds[0] as number))?.identityId, 'ada');
    assert.equal(await g.template(987_654), null);
    await assert.rejects(g.template(0), code('INVALID_ARGUMENT'));
    await assert.rejects(g.removeTemplates([1.5]), code('INVALID_ARGUMENT'));
    await assert.rejects(g.get('nobody'), code('IDENTITY_NOT_FOUND'));
    await assert.rejects(g.templates('nobody'), code('IDENTITY_NOT_FOUND'));
    assert.deepEqual(await g.count(), { identities: 1, templates: 2 });
    await assertIdsNotReused(g);
    for (const f of ['g.db', 'g.db-wal', 'g.db-shm']) assert.equal(statSync(join(dir, f)).mode & 0o777, 0o600, f);
    await g.close();
  });

  it('migrates a version-1 SQLite file to AUTOINCREMENT ids, keeping every template and id', async () => {
    const path = join(scratch('migrate-v1'), 'old.db');
    const db = new Database(path);
    db.pragma('application_id = 1095124785');
    db.exec(`CREATE TABLE gallery_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      CREATE TABLE identities (id TEXT PRIMARY KEY, name TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}', created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
      CREATE TABLE templates (template_id INTEGER PRIMARY KEY, identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE ON UPDATE CASCADE,
        embedding BLOB NOT NULL, source_file TEXT, source_sha256 TEXT, det_score REAL, face_size REAL, created_at INTEGER NOT NULL) STRICT;
      CREATE INDEX templates_by_identity ON templates(identity_id);`);
    const put = db.prepare('INSERT INTO gallery_meta VALUES (?, ?)');
    for (const [k, v] of [
      ['format', 'arcface-gallery'],
      ['fingerprint', FP],
      ['embedding_size', String(DIM)],
      ['generation', '0'],
    ])
      put.run(k, v);
    db.prepare(`INSERT INTO identities VALUES ('old', 'Old', '{}', 0, 0)`).run();
    const [p] = people(11, 1, 3);
    const insert = db.prepare(`INSERT INTO templates (template_id, identity_id, embedding, source_file, created_at) VALUES (?, 'old', ?, ?, 0)`);
    p!.templates.forEach((t, i) => insert.run(i + 1, encodeFloat32LE(t), `f${i}.jpg`));
    db.pragma('user_version = 1');
    db.close();
    const store = await SqliteGalleryStore.open(path, { fingerprint: FP, embeddingSize: DIM });
    assert.equal(store.meta.schemaVersion, SQLITE_SCHEMA_VERSION);
    const g = Gallery.fromStore(store, opts);
    assert.deepEqual(
      (await g.templates('old')).map((t) => [t.templateId, t.sourceFile]),
      [
        [1, 'f0.jpg'],
        [2, 'f1.jpg'],
        [3, 'f2.jpg'],
      ],
    );
    await assertIdsNotReused(g);
    await g.close();
    const raw = new Database(path, { readonly: true });
    assert.match((raw.prepare(`SELECT sql FROM sqlite_schema WHERE name = 'templates'`).get() as { sql: string }).sql, /AUTOINCREMENT/);
    assert.deepEqual(raw.pragma('integrity_check', { simple: true }), 'ok');
    raw.close();
  });

  it('never reuses template ids on PostgreSQL (bigserial sequences only move forward)', async () => {
    const db = await PGlite.create({ extensions: { vector } });
    try {
      const store = await PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' });
      const g = Gallery.fromStore(store, opts);
      await assertIdsNotReused(g);
      await g.close();
    } finally {
      await db.close();
    }
  });
});

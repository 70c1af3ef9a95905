import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import Database from 'better-sqlite3';
import { isArcFaceError } from '../../src/core/index.js';
import { Gallery, openGallery, PostgresGalleryStore, pgliteClient, SQLITE_SCHEMA_VERSION } from '../../src/gallery/index.js';
import { enrollImages } from '../../src/ingest/index.js';
import { People } from '../../src/people/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { DIM, FP } from '../gallery/fixtures.js';
import { near, randomUnit, rng } from '../gallery/synthetic.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';

const isJpeg = (b: Uint8Array | null): boolean => b !== null && b[0] === 0xff && b[1] === 0xd8;

describe('template thumbnails in the gallery store', () => {
  const dir = testOutputDir('thumbnails');
  before(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  });

  it('enrolment from images stores a JPEG per template in the SQLite file, removed with the template', async () => {
    const fr = await FaceRecognizer.create({ locations: { home: join(dir, 'home'), dirs: [sharedPath('models')] } });
    const g = await openGallery(join(dir, 'g.db'), { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: 0.3 });
    try {
      const lfw = sharedPath('data', 'faces', 'lfw', 'Colin_Powell');
      const files = readdirSync(lfw)
        .sort()
        .slice(0, 2)
        .map((f) => join(lfw, f));
      const { templateIds } = await enrollImages(g, fr, 'colin', files);
      for (const t of templateIds) assert.ok(isJpeg(await g.thumbnail(t)));
      await g.store.removeTemplates([templateIds[0] as number]);
      assert.equal(await g.thumbnail(templateIds[0] as number), null);
      await assert.rejects(g.thumbnail(0), (e: unknown) => isArcFaceError(e, 'INVALID_ARGUMENT'));
      await assert.rejects(g.putThumbnails([{ templateId: 1, jpeg: new Uint8Array() }]), (e: unknown) => isArcFaceError(e, 'INVALID_ARGUMENT'));
    } finally {
      await g.close();
      await fr.dispose();
    }
  });

  it('a version-1 SQLite gallery migrates, keeps its identities, and the people room adds its tables when opened', async () => {
    const path = join(dir, 'old.db');
    const r = rng(1);
    let g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    await g.enroll('ada', [near(r, randomUnit(r, DIM), 0.8)]);
    await g.close();
    const raw = new Database(path);
    raw.exec('DROP TABLE gallery_keys; DROP TABLE template_thumbnails;');
    raw.pragma('user_version = 1');
    raw.close();
    g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    assert.equal(g.store.meta.schemaVersion, SQLITE_SCHEMA_VERSION);
    assert.deepEqual(
      (await g.list()).map((i) => i.id),
      ['ada'],
    );
    await g.putThumbnails([{ templateId: 1, jpeg: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]) }]);
    assert.ok(isJpeg(await g.thumbnail(1)));
    const people = await People.open(g);
    assert.deepEqual(await people.photos(), []);
    await people.close();
    const tables = new Database(path, { readonly: true });
    const names = (tables.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table'`).all() as { name: string }[]).map((r) => r.name);
    const version = tables.prepare(`SELECT version FROM room_schema WHERE room = 'people'`).get() as { version: number };
    tables.close();
    for (const t of ['persons', 'person_faces', 'people_photos', 'person_constraints']) assert.ok(names.includes(t), t);
    assert.equal(version.version, 1);
    await g.close();
  });

  it('a gallery whose people tables the gallery schema made (version 3) is adopted by the people room, rows kept', async () => {
    const path = join(dir, 'v3.db');
    let g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    await g.close();
    const raw = new Database(path);
    raw.exec(`DROP TABLE gallery_keys;
      CREATE TABLE persons (person_id INTEGER PRIMARY KEY AUTOINCREMENT, identity_id TEXT REFERENCES identities(id) ON DELETE SET NULL ON UPDATE CASCADE,
        hidden INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
      CREATE TABLE person_faces (face_id INTEGER PRIMARY KEY AUTOINCREMENT, photo TEXT NOT NULL, box TEXT NOT NULL, det_score REAL,
        embedding BLOB NOT NULL, person_id INTEGER REFERENCES persons(person_id) ON DELETE SET NULL,
        locked INTEGER NOT NULL DEFAULT 0, template_id INTEGER, thumbnail BLOB, created_at INTEGER NOT NULL) STRICT;
      INSERT INTO persons (created_at, updated_at) VALUES (1, 1);
      INSERT INTO person_faces (photo, box, embedding, person_id, created_at) VALUES ('old.jpg', '[0,0,10,10]', zeroblob(${DIM * 4}), 1, 1);`);
    raw.pragma('user_version = 3');
    raw.close();
    g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    const people = await People.open(g);
    await people.close();
    await g.close();
    const db = new Database(path, { readonly: true });
    const columns = (db.prepare(`SELECT name FROM pragma_table_info('person_faces')`).all() as { name: string }[]).map((r) => r.name);
    const faces = db.prepare('SELECT photo, person_id FROM person_faces').all();
    db.close();
    assert.ok(columns.includes('photo_sha256'));
    assert.deepEqual(faces, [{ photo: 'old.jpg', person_id: 1 }]);
  });

  describe('PostgreSQL', () => {
    let db: PGlite;
    before(async () => {
      db = await PGlite.create({ extensions: { vector } });
    });
    after(async () => {
      await db.close();
    });
    it('stores, replaces and cascades thumbnails', async () => {
      const g = Gallery.fromStore(await PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' }), {
        fingerprint: FP,
        embeddingSize: DIM,
      });
      const r = rng(2);
      const { templateIds } = await g.enroll('bo', [near(r, randomUnit(r, DIM), 0.8)]);
      const t = templateIds[0] as number;
      await g.putThumbnails([{ templateId: t, jpeg: new Uint8Array([0xff, 0xd8, 1, 0xff, 0xd9]) }]);
      await g.putThumbnails([{ templateId: t, jpeg: new Uint8Array([0xff, 0xd8, 2, 0xff, 0xd9]) }]);
      assert.deepEqual(await g.thumbnail(t), new Uint8Array([0xff, 0xd8, 2, 0xff, 0xd9]));
      assert.deepEqual([...(await g.thumbnailIds([t, t + 1000]))], [t]);
      // A thumbnail for a template that does not exist (removed meanwhile) is skipped, not an error.
      await g.putThumbnails([{ templateId: t + 1000, jpeg: new Uint8Array([0xff, 0xd8, 3, 0xff, 0xd9]) }]);
      assert.equal(await g.thumbnail(t + 1000), null);
      await g.remove('bo');
      assert.equal(await g.thumbnail(t), null);
      assert.equal((await g.thumbnailIds([t])).size, 0);
    });
  });
});

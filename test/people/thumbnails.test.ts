import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import Database from 'better-sqlite3';
import { isArcFaceError } from '../../src/core/index.js';
import { enrollImages, Gallery, openGallery, PostgresGalleryStore, pgliteClient, SQLITE_SCHEMA_VERSION } from '../../src/gallery/index.js';
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
      const files = readdirSync(lfw).sort().slice(0, 2).map((f) => join(lfw, f));
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

  it('a version-1 SQLite gallery migrates to the people tables and keeps its identities', async () => {
    const path = join(dir, 'old.db');
    const r = rng(1);
    let g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    await g.enroll('ada', [near(r, randomUnit(r, DIM), 0.8)]);
    await g.close();
    const raw = new Database(path);
    raw.exec('DROP TABLE gallery_keys; DROP TABLE person_constraints; DROP TABLE people_photos; DROP TABLE template_thumbnails; DROP TABLE person_faces; DROP TABLE persons;');
    raw.pragma('user_version = 1');
    raw.close();
    g = await openGallery(path, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    assert.equal(g.store.meta.schemaVersion, SQLITE_SCHEMA_VERSION);
    assert.deepEqual((await g.list()).map((i) => i.id), ['ada']);
    await g.putThumbnails([{ templateId: 1, jpeg: new Uint8Array([0xff, 0xd8, 0xff, 0xd9]) }]);
    assert.ok(isJpeg(await g.thumbnail(1)));
    await g.close();
  });

  describe('PostgreSQL', () => {
    let db: PGlite;
    before(async () => { db = await PGlite.create({ extensions: { vector } }); });
    after(async () => { await db.close(); });
    it('stores, replaces and cascades thumbnails', async () => {
      const g = Gallery.fromStore(await PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' }), { fingerprint: FP, embeddingSize: DIM });
      const r = rng(2);
      const { templateIds } = await g.enroll('bo', [near(r, randomUnit(r, DIM), 0.8)]);
      const t = templateIds[0] as number;
      await g.putThumbnails([{ templateId: t, jpeg: new Uint8Array([0xff, 0xd8, 1, 0xff, 0xd9]) }]);
      await g.putThumbnails([{ templateId: t, jpeg: new Uint8Array([0xff, 0xd8, 2, 0xff, 0xd9]) }]);
      assert.deepEqual(await g.thumbnail(t), new Uint8Array([0xff, 0xd8, 2, 0xff, 0xd9]));
      await g.remove('bo');
      assert.equal(await g.thumbnail(t), null);
    });
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { Gallery, PostgresGalleryStore, pgliteClient } from '../../src/gallery/index.js';
import { People } from '../../src/people/index.js';
import { DIM, FP } from '../gallery/fixtures.js';
import { near, randomUnit, rng } from '../gallery/synthetic.js';

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]);

describe('People on PostgreSQL (PGlite + pgvector, in process)', () => {
  let db: PGlite;
  let gallery: Gallery;
  let people: People;
  before(async () => {
    db = await PGlite.create({ extensions: { vector } });
    const store = await PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' });
    gallery = Gallery.fromStore(store, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    people = await People.open(gallery);
  });
  after(async () => {
    await people.close();
    await gallery.close();
    await db.close();
  });

  it('clusters, re-clusters with stable ids, names, splits and merges; thumbnails stay in the database', async () => {
    const r = rng(4);
    const bases = [randomUnit(r, DIM), randomUnit(r, DIM), randomUnit(r, DIM)];
    const placed: { person: number; faceId: number; personId: number | null }[] = [];
    for (let i = 0; i < 12; i++) {
      const person = i % 3;
      const [f] = await people.addPhoto(`photo-${i}.jpg`, [
        { box: [0, 0, 50, 50], detScore: 0.9, embedding: near(r, bases[person] as Float32Array, 0.8), thumbnail: JPEG },
      ]);
      placed.push({ person, faceId: (f as { faceId: number }).faceId, personId: null });
    }
    const now = new Map((await people.store.loadFaces(DIM)).faces.map((f) => [f.faceId, f.personId]));
    const pids = [0, 1, 2].map((p) => new Set(placed.filter((x) => x.person === p).map((x) => now.get(x.faceId))));
    assert.ok(pids.every((s) => s.size === 1 && ![...s].includes(null)));
    const ids = pids.map((s) => [...s][0] as number);
    assert.equal(new Set(ids).size, 3);
    const rc = await people.recluster();
    assert.equal(rc.persons, 3);
    assert.equal(rc.kept, 3);
    assert.deepEqual((await people.list()).map((p) => p.personId).sort(), [...ids].sort());
    const { identityId } = await people.name(ids[0] as number, 'Base Zero');
    const hit = await gallery.identify(near(r, bases[0] as Float32Array, 0.8));
    assert.equal(hit.candidates[0]?.id, identityId);
    assert.equal(hit.decision, 'known');
    const shown = await people.show(ids[0] as number);
    assert.deepEqual(await gallery.thumbnail(shown.faces[0]?.templateId as number), JPEG);
    assert.deepEqual(await people.faceThumbnail(shown.faces[0]?.faceId as number), JPEG);
    const { personId } = await people.split([shown.faces[0]?.faceId as number]);
    assert.equal((await gallery.show(identityId)).templates.length, shown.faces.length - 1, 'a face split off leaves the identity');
    await people.merge(personId, ids[0] as number);
    assert.equal((await gallery.show(identityId)).templates.length, shown.faces.length, 'merged back, it is enrolled again');
    await people.hide(ids[1] as number);
    assert.equal((await people.list()).length, 2);
  });
});

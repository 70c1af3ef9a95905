import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GalleryAdapter } from '../../apps/server/services/gallery-adapter.js';
import { localKeyEncryptionKey, openGallery } from '../../src/gallery/index.js';
import { DIM, FP, people, scratch } from '../gallery/fixtures.js';
import { lfw, startTestServer, type TestServer } from './helpers.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => srv.close());

/** A SQLite file and its WAL, as one buffer to search. */
const fileBytes = (path: string): Buffer => Buffer.concat([path, `${path}-wal`].filter(existsSync).map((p) => readFileSync(p)));

describe('DELETE /v1/subjects/:id?forget=true', () => {
  it('forgets a subject end to end: receipt, no faces, no template or thumbnail bytes in the gallery file or its WAL', async () => {
    const port = srv.services.gallery as GalleryAdapter;
    const galleryFile = srv.galleryFile;
    const enrol = await srv.postImages('/v1/subjects/aaron/faces?create=true', { image: [lfw('Aaron_Peirsol', 1), lfw('Aaron_Peirsol', 3)] }, 'write');
    assert.equal(enrol.statusCode, 201, enrol.body);
    assert.equal((await srv.postImages('/v1/subjects/george/faces?create=true', { image: [lfw('George_W_Bush', 7)] }, 'write')).statusCode, 201);
    const faceIds: number[] = enrol.json().faces.map((f: { faceId: number }) => f.faceId);
    const embeddings = await Promise.all(
      faceIds.map(async (id) => {
        const e = (await port.getFace(id)).embedding;
        return Buffer.from(e.buffer, e.byteOffset, e.byteLength);
      }),
    );
    const jpegs = await Promise.all(
      faceIds.map(async (id) => (await srv.app.inject({ url: `/v1/faces/${id}/thumbnail`, headers: srv.key('read') })).rawPayload),
    );
    const before = fileBytes(galleryFile);
    for (const b of [...embeddings, ...jpegs]) assert.ok(before.includes(b), 'the bytes are found before the forget');

    // A face the Identify page sent, named as the subject, is kept as a sighting: it goes too.
    const seen = await srv.postImages('/v1/identify?record=true&source=door', { image: lfw('Aaron_Peirsol', 4) });
    assert.equal(seen.json().faces[0].match?.subjectId, 'aaron', seen.body);

    const res = await srv.app.inject({ method: 'DELETE', url: '/v1/subjects/aaron?forget=true', headers: srv.key('write') });
    assert.equal(res.statusCode, 200, res.body);
    const { deleted, receipt } = res.json();
    assert.equal(deleted, 'aaron');
    assert.equal(receipt.id, 'aaron');
    assert.equal(receipt.store, 'sqlite');
    assert.deepEqual(receipt.steps, ['people', 'sightings']);
    assert.equal(receipt.deleted.sightings, 1);
    assert.ok(receipt.deleted.sightingFaces >= 1);
    assert.equal(receipt.deleted.identities, 1);
    assert.equal(receipt.deleted.templates, 2);
    assert.equal(receipt.deleted.thumbnails, 2);
    assert.deepEqual(receipt.scrub, { secureDelete: true, walTruncated: true, vacuumed: false });
    assert.equal(receipt.scrub.cachesRemoved, undefined, 'no server path leaves the server');

    const after = fileBytes(galleryFile);
    for (const b of [...embeddings, ...jpegs]) assert.ok(!after.includes(b), 'no template or thumbnail byte survives');
    assert.equal((await srv.app.inject({ url: '/v1/subjects/aaron', headers: srv.key('read') })).statusCode, 404);
    assert.equal((await srv.app.inject({ url: `/v1/faces/${faceIds[0]}/thumbnail`, headers: srv.key('read') })).statusCode, 404);
    const who = (await srv.postImages('/v1/identify', { image: lfw('Aaron_Peirsol', 4) })).json();
    assert.notEqual(who.faces[0].match?.subjectId, 'aaron');
    const again = await srv.app.inject({ method: 'DELETE', url: '/v1/subjects/aaron?forget=true', headers: srv.key('write') });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().code, 'IDENTITY_NOT_FOUND');
    assert.equal((await srv.app.inject({ method: 'DELETE', url: '/v1/subjects/george?forget=true', headers: srv.key('read') })).statusCode, 403);
  });
});

describe('a server on a sealed gallery', () => {
  it('keeps thumbnails sealed in the gallery and forgets through it', async () => {
    const dir = scratch('server-sealed');
    const g = await openGallery(join(dir, 'g.db'), { fingerprint: FP, embeddingSize: DIM, threshold: 0.3, kek: await localKeyEncryptionKey(randomBytes(32)) });
    const port = GalleryAdapter.create(g);
    try {
      assert.ok(!existsSync(join(dir, 'g.db.thumbs.db')));
      const [p] = people(3, 1, 2);
      const jpeg = new Uint8Array(randomBytes(300));
      const added = await port.addFaces(
        'ada',
        p!.templates.map((embedding, i) => ({ embedding, ...(i === 0 ? { thumbnail: jpeg } : {}) })),
        { create: true },
      );
      assert.deepEqual(await port.thumbnail(added[0]!.faceId), jpeg);
      assert.ok(!fileBytes(join(dir, 'g.db')).includes(Buffer.from(jpeg)), 'the thumbnail is sealed');
      const receipt = await port.forgetSubject('ada');
      assert.deepEqual(receipt.deleted, { identities: 1, templates: 2, thumbnails: 1 });
    } finally {
      await port.close();
    }
  });
});

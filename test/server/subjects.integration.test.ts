import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { lfw, noFacePng, startTestServer, type TestServer } from './helpers.js';

let srv: TestServer;
let app: FastifyInstance;
const A1 = lfw('Aaron_Peirsol', 1);
const A3 = lfw('Aaron_Peirsol', 3);
const A4 = lfw('Aaron_Peirsol', 4);
const B7 = lfw('George_W_Bush', 7);
const B16 = lfw('George_W_Bush', 16);
const C40 = lfw('Colin_Powell', 40);

before(async () => {
  srv = await startTestServer();
  app = srv.app;
});
after(async () => srv.close());

const key = (scope: 'read' | 'write' | 'admin'): Record<string, string> => srv.key(scope);
const postImages = (url: string, files: Record<string, Buffer | Buffer[]>, scope: 'read' | 'write' = 'read') => srv.postImages(url, files, scope);

describe('subjects, enrolment and identification', () => {
  it('creates, enrols, lists, identifies, audits, renames and deletes', async () => {
    const created = await app.inject({
      method: 'POST',
      url: '/v1/subjects',
      payload: { id: 'aaron', name: 'Aaron Peirsol', metadata: { team: 'swim' } },
      headers: key('write'),
    });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(created.json().faceCount, 0);
    const dup = await app.inject({ method: 'POST', url: '/v1/subjects', payload: { id: 'aaron' }, headers: key('write') });
    assert.equal(dup.statusCode, 409);
    assert.equal(dup.json().code, 'IDENTITY_EXISTS');

    const enrol = await postImages('/v1/subjects/aaron/faces', { image: [A1, A3] }, 'write');
    assert.equal(enrol.statusCode, 201, enrol.body);
    const enrolled = enrol.json();
    assert.equal(enrolled.faces.length, 2);
    assert.equal(enrolled.audit.faceCount, 2);
    const george = await postImages('/v1/subjects/george/faces?create=true', { image: [B7, B16] }, 'write');
    assert.equal(george.statusCode, 201, george.body);

    const list = (await app.inject({ url: '/v1/subjects', headers: key('read') })).json();
    assert.deepEqual(list.subjects.map((s: { id: string }) => s.id).sort(), ['aaron', 'george']);

    const who = (await postImages('/v1/identify', { image: A4 })).json();
    assert.equal(who.faces.length, 1);
    assert.equal(who.faces[0].match?.subjectId, 'aaron', JSON.stringify(who));
    assert.equal(who.faces[0].candidates[0].name, 'Aaron Peirsol');
    const stranger = (await postImages('/v1/identify', { image: C40 })).json();
    assert.equal(stranger.faces[0].match, null, JSON.stringify(stranger));

    const faces = (await app.inject({ url: '/v1/subjects/aaron/faces', headers: key('read') })).json().faces;
    assert.equal(faces.length, 2);
    assert.equal(faces[0].hasThumbnail, true);
    const thumb = await app.inject({ url: `/v1/faces/${faces[0].faceId}/thumbnail`, headers: key('read') });
    assert.equal(thumb.statusCode, 200);
    assert.equal(thumb.headers['content-type'], 'image/jpeg');
    assert.deepEqual([...thumb.rawPayload.subarray(0, 2)], [0xff, 0xd8]);

    const audit = (await app.inject({ url: '/v1/subjects/aaron/audit', headers: key('read') })).json();
    assert.equal(audit.subjectId, 'aaron');
    assert.ok(Array.isArray(audit.flags));

    const mixed = await postImages('/v1/subjects/aaron/faces', { image: C40 }, 'write');
    assert.equal(mixed.statusCode, 201);
    const removedFace = mixed.json().faces[0].faceId;
    const flag = mixed.json().audit.flags.find((f: { faceIds: number[] }) => f.faceIds.includes(removedFace));
    assert.equal(flag?.kind, 'outlier', JSON.stringify(mixed.json().audit));
    const del = await app.inject({ method: 'DELETE', url: `/v1/subjects/aaron/faces/${removedFace}`, headers: key('write') });
    assert.equal(del.statusCode, 200, del.body);
    assert.equal(del.json().faceId, removedFace);
    assert.equal((await app.inject({ method: 'DELETE', url: `/v1/subjects/george/faces/${faces[0].faceId}`, headers: key('write') })).statusCode, 404);

    const renamed = await app.inject({ method: 'PATCH', url: '/v1/subjects/aaron', payload: { name: 'A. Peirsol' }, headers: key('write') });
    assert.equal(renamed.json().name, 'A. Peirsol');
    assert.equal(renamed.json().faceCount, 2);

    assert.equal((await app.inject({ method: 'DELETE', url: '/v1/subjects/george', headers: key('write') })).statusCode, 200);
    assert.equal((await app.inject({ url: '/v1/subjects/george', headers: key('read') })).statusCode, 404);
    const ready = (await app.inject({ url: '/readyz' })).json();
    assert.deepEqual(ready.gallery, { subjects: 1, faces: 2 });
  });

  it('answers an unknown subject with 404 IDENTITY_NOT_FOUND on every subject route', async () => {
    const routes: [string, string][] = [
      ['GET', '/v1/subjects/nobody'],
      ['GET', '/v1/subjects/nobody/faces'],
      ['GET', '/v1/subjects/nobody/audit'],
      ['DELETE', '/v1/subjects/nobody'],
    ];
    for (const [method, url] of routes) {
      const res = await app.inject({ method: method as 'GET', url, headers: key('write') });
      assert.equal(res.statusCode, 404, `${method} ${url}: ${res.body}`);
      assert.equal(res.json().code, 'IDENTITY_NOT_FOUND');
    }
    const enrol = await postImages('/v1/subjects/nobody/faces', { image: A1 }, 'write');
    assert.equal(enrol.statusCode, 404);
    const patch = await app.inject({ method: 'PATCH', url: '/v1/subjects/nobody', payload: { name: 'x' }, headers: key('write') });
    assert.equal(patch.statusCode, 404);
  });

  it('refuses to enrol an image without a face with 422', async () => {
    const res = await postImages('/v1/subjects/blank/faces?create=true', { image: await noFacePng() }, 'write');
    assert.equal(res.statusCode, 422);
    assert.equal(res.json().code, 'NO_FACE');
    assert.equal((await app.inject({ url: '/v1/subjects/blank', headers: key('read') })).statusCode, 404);
  });
});

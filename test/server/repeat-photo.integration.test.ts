import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lfw, multipart, startTestServer, type TestServer } from './helpers.js';

let srv: TestServer;
before(async () => {
  srv = await startTestServer();
});
after(async () => srv.close());

describe('a photo posted twice is one face', () => {
  it('POST /v1/subjects/:id/faces: the second post adds nothing and answers 200 with known', async () => {
    const photo = lfw('Colin_Powell', 40);
    const first = await srv.postImages('/v1/subjects/colin/faces?create=true', { image: photo }, 'write');
    assert.equal(first.statusCode, 201, first.body);
    const id = first.json().faces[0].faceId as number;
    assert.equal(first.json().faces[0].known, false);
    const again = await srv.postImages('/v1/subjects/colin/faces', { image: [photo, photo] }, 'write');
    assert.equal(again.statusCode, 200, again.body);
    assert.deepEqual(
      again.json().faces.map((f: { faceId: number; known: boolean }) => [f.faceId, f.known]),
      [
        [id, true],
        [id, true],
      ],
    );
    assert.equal(again.json().audit.faceCount, 1);
    const faces = await srv.app.inject({ method: 'GET', url: '/v1/subjects/colin/faces', headers: srv.key('read') });
    assert.equal(faces.json().faces.length, 1, faces.body);
  });

  it('POST /v1/people/photos: a photo uploaded again is the same photo, its faces marked known', async () => {
    const photo = lfw('Andre_Agassi', 1);
    const first = await srv.postImages('/v1/people/photos', { image: photo }, 'write');
    assert.equal(first.statusCode, 200, first.body);
    const faces = first.json().photos[0].faces as { faceId: number; known: boolean }[];
    assert.ok(faces.length >= 1 && faces.every((f) => !f.known));
    const again = await srv.postImages('/v1/people/photos', { image: photo }, 'write');
    assert.deepEqual(
      again.json().photos[0].faces.map((f: { faceId: number; known: boolean }) => [f.faceId, f.known]),
      faces.map((f) => [f.faceId, true]),
    );
  });

  it('POST /v1/people/faces/:faceId/reject: the face leaves its person, and GET /v1/people/:id shows the constraint', async () => {
    const up = await srv.postImages('/v1/people/photos', { image: [lfw('George_W_Bush', 16), lfw('George_W_Bush', 65), lfw('George_W_Bush', 7)] }, 'write');
    assert.equal(up.statusCode, 200, up.body);
    const faces = (up.json().photos as { faces: { faceId: number; personId: number | null }[] }[]).flatMap((p) => p.faces).filter((f) => f.personId !== null);
    const person = faces[0]?.personId as number;
    const out = faces.find((f) => f.personId === person && f.faceId !== faces[0]?.faceId)?.faceId as number;
    assert.ok(person !== undefined && out !== undefined, up.body);
    const r = await srv.app.inject({ method: 'POST', url: `/v1/people/faces/${out}/reject`, headers: srv.key('write') });
    assert.equal(r.statusCode, 200, r.body);
    assert.deepEqual(r.json(), { faceId: out, personId: person });
    type Shown = { faces: { faceId: number }[]; constraints: { kind: string; other: number; edit: string }[] };
    const shown = (await srv.app.inject({ url: `/v1/people/${person}`, headers: srv.key('read') })).json() as Shown;
    assert.ok(!shown.faces.some((f) => f.faceId === out));
    assert.ok(
      shown.constraints.some((c) => c.kind === 'cannot' && c.other === out && c.edit === 'not-this-person'),
      JSON.stringify(shown.constraints),
    );
    const again = await srv.app.inject({ method: 'POST', url: '/v1/people/faces/987654/reject', headers: srv.key('write') });
    assert.equal(again.statusCode, 404, again.body);
  });

  it('the CompreFace add-face route gives the held face for a photo posted again', async () => {
    const photo = lfw('George_W_Bush', 7);
    const post = async () => {
      const mp = await multipart({ file: photo });
      return srv.app.inject({
        method: 'POST',
        url: '/api/v1/recognition/faces?subject=george',
        payload: mp.payload,
        headers: { ...mp.headers, ...srv.key('write') },
      });
    };
    const a = await post();
    const b = await post();
    assert.equal(a.statusCode, 201, a.body);
    assert.equal(b.json().image_id, a.json().image_id);
    const listed = await srv.app.inject({ method: 'GET', url: '/api/v1/recognition/faces?subject=george', headers: srv.key('read') });
    assert.equal(listed.json().faces.length, 1, listed.body);
  });
});

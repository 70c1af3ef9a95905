import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { lfw, startTestServer, type TestServer } from './helpers.js';

interface Person {
  personId: number;
  name: string | null;
  faceCount: number;
  coverFaceId: number | null;
}

describe('/v1/people', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s?.close();
  });

  it('clusters uploaded photos into people; names, identifies, splits, merges, hides; serves thumbnails', async () => {
    const { app, key, postImages } = s;
    const up = await postImages(
      '/v1/people/photos',
      {
        image: [
          lfw('Andre_Agassi', 1),
          lfw('Andre_Agassi', 2),
          lfw('Andre_Agassi', 4),
          lfw('George_W_Bush', 7),
          lfw('George_W_Bush', 16),
          lfw('George_W_Bush', 65),
        ],
      },
      'write',
    );
    assert.equal(up.statusCode, 200, up.body);
    assert.equal(up.json().photos.length, 6);
    const list = (await app.inject({ url: '/v1/people', headers: key('read') })).json().people as Person[];
    const big = list.filter((p) => p.faceCount >= 3);
    assert.equal(big.length, 2, JSON.stringify(list));
    const andreFace = up.json().photos[0].faces[0].faceId as number;
    const details = await Promise.all(
      big.map(
        async (p) => (await app.inject({ url: `/v1/people/${p.personId}`, headers: key('read') })).json() as { personId: number; faces: { faceId: number }[] },
      ),
    );
    const andrePerson = details.find((d) => d.faces.some((f) => f.faceId === andreFace))?.personId as number;
    assert.ok(andrePerson !== undefined);
    const named = await app.inject({
      method: 'POST',
      url: `/v1/people/${andrePerson}/name`,
      payload: { name: 'Andre Agassi', id: 'andre' },
      headers: key('write'),
    });
    assert.equal(named.statusCode, 200, named.body);
    assert.equal(named.json().identityId, 'andre');
    const who = (await postImages('/v1/identify', { image: lfw('Andre_Agassi', 5) })).json();
    assert.equal(who.faces[0].match?.subjectId, 'andre', JSON.stringify(who));
    const thumb = await app.inject({ url: `/v1/people/faces/${andreFace}/thumbnail`, headers: key('read') });
    assert.equal(thumb.statusCode, 200);
    assert.equal(thumb.headers['content-type'], 'image/jpeg');
    const enrolled = (await app.inject({ url: '/v1/subjects/andre/faces', headers: key('read') })).json().faces as { faceId: number }[];
    const tthumb = await app.inject({ url: `/v1/faces/${enrolled[0]?.faceId}/thumbnail`, headers: key('read') });
    assert.equal(tthumb.statusCode, 200, "a named person's faces show in the gallery page");

    const split = await app.inject({ method: 'POST', url: '/v1/people/split', payload: { faceIds: [andreFace] }, headers: key('write') });
    assert.equal(split.statusCode, 200, split.body);
    const merged = await app.inject({
      method: 'POST',
      url: `/v1/people/${split.json().personId}/merge`,
      payload: { into: andrePerson },
      headers: key('write'),
    });
    assert.equal(merged.statusCode, 200, merged.body);
    const hide = await app.inject({ method: 'POST', url: `/v1/people/${andrePerson}/hide`, payload: { hidden: true }, headers: key('write') });
    assert.equal(hide.json().hidden, true);
    assert.ok(!((await app.inject({ url: '/v1/people', headers: key('read') })).json().people as Person[]).some((p) => p.personId === andrePerson));
    assert.ok(((await app.inject({ url: '/v1/people?hidden=true', headers: key('read') })).json().people as Person[]).some((p) => p.personId === andrePerson));
    const re = await app.inject({ method: 'POST', url: '/v1/people/recluster', headers: key('write') });
    assert.equal(re.statusCode, 200, re.body);
  });

  it('answers coded errors: unknown person 404, bad ids 400, read keys may not write', async () => {
    const { app, key } = s;
    const missing = await app.inject({ url: '/v1/people/987654', headers: key('read') });
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json().code, 'PERSON_NOT_FOUND');
    assert.equal((await app.inject({ url: '/v1/people/abc', headers: key('read') })).json().code, 'INVALID_ARGUMENT');
    const ro = await app.inject({ method: 'POST', url: '/v1/people/1/name', payload: { name: 'x' }, headers: key('read') });
    assert.equal(ro.statusCode, 403);
    const face = await app.inject({ url: '/v1/people/faces/987654/thumbnail', headers: key('read') });
    assert.equal(face.json().code, 'FACE_NOT_FOUND');
    const none = await app.inject({ method: 'POST', url: '/v1/people/photos', payload: {}, headers: key('write') });
    assert.equal(none.statusCode, 400);
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GalleryAdapter } from '../../apps/server/services/gallery-adapter.js';
import { openGallery } from '../../src/gallery/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { groupPhoto } from '../helpers/photos.js';
import { lfw, multipart, startTestServer, testLocations, type TestServer } from './helpers.js';

/** The registry's SHA-256 of w600k-mbf (float32), a recogniser the test server does not load. */
const W600K_MBF_SHA256 = '9cc6e4a75f0e2bf0b1aed94578f144d15175f357bdc05e815e5c4a02b319eb4f';

let srv: TestServer;
let group: Buffer;
const POWELL = lfw('Colin_Powell', 49);

before(async () => {
  srv = await startTestServer();
  group = await groupPhoto();
});
after(async () => srv.close());

type Verify = { similarity: number; match: boolean; select: string; faces: { box: number[]; facesFound: number; faceIndex: number }[] };

describe('/v1/verify follows the one face-selection rule of the project', () => {
  it('compares the largest face by default and the central one on ?select=central, as FaceRecognizer.compare does, and says which', async () => {
    const fr = await FaceRecognizer.create({ locations: testLocations() });
    try {
      for (const select of [undefined, 'largest', 'central'] as const) {
        const url = select === undefined ? '/v1/verify' : `/v1/verify?select=${select}`;
        const res = await srv.postImages(url, { image1: group, image2: POWELL });
        assert.equal(res.statusCode, 200, res.body);
        const body = res.json() as Verify;
        const lib = await fr.compare(group, POWELL, { ...(select === undefined ? {} : { select }), threshold: 0.3 });
        assert.equal(body.select, select ?? 'largest');
        assert.equal(body.select, lib.select);
        assert.ok(Math.abs(body.similarity - lib.similarity) < 1e-5, `${select}: server ${body.similarity}, library ${lib.similarity}`);
        assert.deepEqual(
          body.faces.map((f) => [f.facesFound, f.faceIndex]),
          lib.faces.map((f) => [f.facesFound, f.faceIndex]),
        );
        assert.equal(body.faces[0]?.facesFound, 2, 'the group photo holds two faces');
        assert.equal(body.faces[1]?.facesFound, 3, 'Colin_Powell_0049 holds three faces (README example)');
      }
      const largest = (await srv.postImages('/v1/verify', { image1: group, image2: POWELL })).json() as Verify;
      const central = (await srv.postImages('/v1/verify?select=central', { image1: group, image2: POWELL })).json() as Verify;
      // The big face at the left is Colin Powell; the small one at the centre is Tony Blair.
      assert.equal(largest.match, true, JSON.stringify(largest));
      assert.equal(central.match, false, JSON.stringify(central));
      assert.notEqual(largest.faces[0]?.faceIndex, central.faces[0]?.faceIndex);
    } finally {
      await fr.dispose();
    }
  });

  it('refuses another select with 400 and documents select, facesFound and faceIndex in the OpenAPI schema', async () => {
    const bad = await srv.postImages('/v1/verify?select=all', { image1: group, image2: POWELL });
    assert.equal(bad.statusCode, 400, bad.body);
    assert.equal(bad.json().code, 'INVALID_ARGUMENT');
    const doc = (await srv.app.inject({ url: '/openapi.json' })).json();
    const op = doc.paths['/v1/verify'].post;
    const param = op.parameters.find((p: { name: string; in: string }) => p.name === 'select' && p.in === 'query');
    assert.deepEqual(param?.schema.enum, ['largest', 'central']);
    assert.equal(param?.schema.default, 'largest');
    const ok = op.responses['200'].content['application/json'].schema;
    assert.deepEqual(ok.properties.select.enum, ['largest', 'central']);
    const side = JSON.stringify(ok.properties.faces.items);
    assert.match(side, /"facesFound"/);
    assert.match(side, /"faceIndex"/);
  });
});

describe('removing one enrolled face goes through the gallery', () => {
  it('DELETE /v1/subjects/:id/faces/:faceId checks the owner and identification no longer finds the face', async () => {
    const enrol = await srv.postImages('/v1/subjects/colin/faces?create=true', { image: lfw('Colin_Powell', 40) }, 'write');
    assert.equal(enrol.statusCode, 201, enrol.body);
    const faceId = enrol.json().faces[0].faceId as number;
    assert.equal((await srv.postImages('/v1/subjects/aaron/faces?create=true', { image: lfw('Aaron_Peirsol', 1) }, 'write')).statusCode, 201);
    const before = (await srv.postImages('/v1/identify?threshold=0.3', { image: POWELL })).json();
    assert.equal(before.faces[0].match?.subjectId, 'colin', JSON.stringify(before));

    const wrongOwner = await srv.app.inject({ method: 'DELETE', url: `/v1/subjects/aaron/faces/${faceId}`, headers: srv.key('write') });
    assert.equal(wrongOwner.statusCode, 404, wrongOwner.body);
    assert.equal(wrongOwner.json().code, 'NOT_FOUND');
    assert.match(wrongOwner.json().message, /belongs to "colin"/);

    const del = await srv.app.inject({ method: 'DELETE', url: `/v1/subjects/colin/faces/${faceId}`, headers: srv.key('write') });
    assert.equal(del.statusCode, 200, del.body);
    assert.equal(del.json().faceId, faceId);
    assert.equal(del.json().subjectId, 'colin');
    const afterwards = (await srv.postImages('/v1/identify?threshold=0.3', { image: POWELL })).json();
    assert.equal(afterwards.faces[0].match, null, JSON.stringify(afterwards));
    assert.ok(!afterwards.faces[0].candidates.some((c: { subjectId: string }) => c.subjectId === 'colin'), JSON.stringify(afterwards));
    const again = await srv.app.inject({ method: 'DELETE', url: `/v1/subjects/colin/faces/${faceId}`, headers: srv.key('write') });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().code, 'NOT_FOUND');
  });

  it('the CompreFace "delete one example" route removes it the same way', async () => {
    const enrol = await srv.postImages('/v1/subjects/colin2/faces?create=true', { image: lfw('Colin_Powell', 40) }, 'write');
    const faceId = enrol.json().faces[0].faceId as number;
    const del = await srv.app.inject({ method: 'DELETE', url: `/api/v1/recognition/faces/${faceId}`, headers: srv.key('write') });
    assert.equal(del.statusCode, 200, del.body);
    assert.deepEqual(del.json(), { image_id: String(faceId), subject: 'colin2' });
    const who = (await srv.postImages('/v1/identify?threshold=0.3', { image: POWELL })).json();
    assert.ok(!who.faces[0].candidates.some((c: { subjectId: string }) => c.subjectId === 'colin2'), JSON.stringify(who));
    const again = await srv.app.inject({ method: 'DELETE', url: `/api/v1/recognition/faces/${faceId}`, headers: srv.key('write') });
    assert.equal(again.statusCode, 404);
    assert.match(again.json().message, /existing image_id/);
  });
});

describe('a gallery built with another recogniser', () => {
  it('is refused with MODEL_MISMATCH naming both models on identify and on enrolment', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-mismatch-'));
    const other = await openGallery(join(dir, 'other.db'), { fingerprint: `sha256:${W600K_MBF_SHA256}|RGB|NCHW`, embeddingSize: 512 });
    const gallery = GalleryAdapter.create(other);
    const app = await srv.variant({ gallery });
    try {
      const post = async (url: string, scope: 'read' | 'write') => {
        const mp = await multipart({ image: POWELL });
        return app.inject({ method: 'POST', url, payload: mp.payload, headers: { ...mp.headers, ...srv.key(scope) } });
      };
      for (const res of [await post('/v1/identify', 'read'), await post('/v1/subjects/x/faces?create=true', 'write')]) {
        assert.equal(res.statusCode, 409, res.body);
        assert.equal(res.json().code, 'MODEL_MISMATCH');
        assert.match(res.json().message, /w600k-mbf \(sha256 9cc6e4a75f0e\)/);
        assert.match(res.json().message, /w600k-mbf-int8 \(sha256 7caa7fb0ad6c\)/);
      }
    } finally {
      await gallery.close();
    }
  });
});

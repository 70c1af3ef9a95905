/**
 * Enrolment never silently picks one of several comparable faces: a photo made of two LFW photos
 * side by side (two faces of about the same size, equally far from the centre) is refused with
 * MULTIPLE_FACES by the library, the CLI and the HTTP routes (ours and CompreFace's add-face),
 * and enrolled when the caller names the face with a box.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { isArcFaceError } from '../../src/core/index.js';
import { identifyImage, openGallery } from '../../src/gallery/index.js';
import { chooseEnrolmentFace, DOMINANCE_RATIO, enrollImages, prominence } from '../../src/ingest/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { runCli } from '../helpers/cli.js';
import { sharedDir, sharedPath, testOutputDir } from '../helpers/shared.js';

const photo = (person: string, n: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', person, `${person}_${String(n).padStart(4, '0')}.jpg`);
const LEFT = photo('Adrian_Nastase', 1);
const RIGHT = photo('Ali_Khamenei', 3);
const RIGHT_PROBE = photo('Ali_Khamenei', 1);
/** Around the right-hand face of the 500×250 composite (the face sits near the middle of its 250×250 photo). */
const RIGHT_BOX = '300,40,450,220';

const dir = testOutputDir('multiple-faces');
const pairPath = join(dir, 'two-faces.jpg');

before(async () => {
  mkdirSync(dir, { recursive: true });
  const pair = await sharp({ create: { width: 500, height: 250, channels: 3, background: '#808080' } })
    .composite([
      { input: LEFT, left: 0, top: 0 },
      { input: RIGHT, left: 250, top: 0 },
    ])
    .jpeg({ quality: 95 })
    .toBuffer();
  writeFileSync(pairPath, pair);
});

describe('enrolment face rule', () => {
  it('takes a clearly dominant face and refuses comparable ones, listing their boxes', () => {
    const big = { box: [100, 60, 200, 190] as const };
    const small = { box: [10, 10, 40, 45] as const };
    assert.equal(chooseEnrolmentFace([small, big], 250, 250), big);
    const twin = { box: [60, 60, 160, 190] as const };
    assert.ok(prominence(twin.box, 250, 250) < DOMINANCE_RATIO * prominence(big.box, 250, 250));
    assert.throws(
      () => chooseEnrolmentFace([big, twin], 250, 250, 'dominant', 'x.jpg'),
      (e) => isArcFaceError(e, 'MULTIPLE_FACES') && /x\.jpg/.test(e.message) && Array.isArray(e.details?.boxes),
    );
    assert.equal(chooseEnrolmentFace([big, twin], 250, 250, 'largest'), big);
    assert.equal(chooseEnrolmentFace([big, twin], 250, 250, [55, 55, 165, 195]), twin);
    assert.throws(
      () => chooseEnrolmentFace([big], 250, 250, [0, 0, 5, 5]),
      (e) => isArcFaceError(e, 'NO_FACE'),
    );
    assert.throws(
      () => chooseEnrolmentFace([], 250, 250),
      (e) => isArcFaceError(e, 'NO_FACE'),
    );
    assert.throws(
      () => chooseEnrolmentFace([big], 250, 250, [5, 5, 1, 1]),
      (e) => isArcFaceError(e, 'INVALID_ARGUMENT'),
    );
  });
});

describe('a photo with two similar faces', () => {
  it('library: enrollImages refuses it with MULTIPLE_FACES and enrols the face a box names', async () => {
    const fr = await FaceRecognizer.create({ locations: { home: mkdtempSync(join(tmpdir(), 'arcface-home-')), dirs: [join(sharedDir(), 'models')] } });
    const g = await openGallery(join(mkdtempSync(join(tmpdir(), 'arcface-mf-')), 'g.db'), {
      fingerprint: fr.fingerprint,
      embeddingSize: fr.embeddingSize,
      ...(fr.threshold === undefined ? {} : { threshold: fr.threshold }),
    });
    try {
      const found = await fr.recognize(await readFile(pairPath));
      assert.equal(found.faces.length, 2, 'the composite holds exactly two detected faces');
      await assert.rejects(enrollImages(g, fr, 'someone', [pairPath]), (e) => isArcFaceError(e, 'MULTIPLE_FACES'));
      const box = RIGHT_BOX.split(',').map(Number) as unknown as [number, number, number, number];
      const r = await enrollImages(g, fr, 'ali', [pairPath], { face: box });
      assert.equal(r.templateIds.length, 1);
      const [probe] = await identifyImage(g, fr, RIGHT_PROBE);
      assert.equal(probe?.decision, 'known');
      assert.equal(probe?.candidates[0]?.id, 'ali');
    } finally {
      await g.close();
      await fr.dispose();
    }
  });

  it('CLI: enroll exits 4 with MULTIPLE_FACES; --box enrols the named face; identify says which threshold and why', async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'arcface-mf-cli-')), 'g.db');
    const refused = await runCli(['enroll', 'someone', pairPath, '--gallery', db, '--json']);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /MULTIPLE_FACES/);
    const named = await runCli(['enroll', 'ali', pairPath, '--box', RIGHT_BOX, '--gallery', db, '--json']);
    assert.equal(named.code, 0, named.stderr);
    assert.equal((JSON.parse(named.stdout) as { templates: number }).templates, 1);
    type Out = { faces: { decision: string; threshold: number; thresholdSource: string; thresholdReason: string; candidates: { id: string }[] }[] }[];
    const identified = await runCli(['identify', RIGHT_PROBE, '--gallery', db, '--json']);
    assert.equal(identified.code, 0, identified.stderr);
    const face = (JSON.parse(identified.stdout) as Out)[0]?.faces[0];
    assert.deepEqual([face?.decision, face?.candidates[0]?.id, face?.threshold, face?.thresholdSource], ['known', 'ali', 0.249, 'floor']);
    assert.match(face?.thresholdReason ?? '', /over 1 identity/);
    const strict = await runCli(['identify', RIGHT_PROBE, '--gallery', db, '--threshold', '0.99', '--json']);
    const sf = (JSON.parse(strict.stdout) as Out)[0]?.faces[0];
    assert.deepEqual([sf?.decision, sf?.thresholdSource], ['unknown', 'given']);
  });

  describe('HTTP', () => {
    let server: RunningServer;
    let key: string;
    before(async () => {
      const d = mkdtempSync(join(tmpdir(), 'arcface-mf-http-'));
      const ks = KeyStore.open(join(d, 'keys.db'));
      key = ks.create({ scope: 'write', name: 'test' }).key;
      ks.close();
      server = await serve({
        host: '127.0.0.1',
        port: 0,
        locations: { home: d, dirs: [join(sharedDir(), 'models')] },
        galleryLocation: join(d, 'gallery.db'),
        keysPath: join(d, 'keys.db'),
        workers: 1,
        handleSignals: false,
        log: () => undefined,
      });
    });
    after(async () => server.close());

    const post = async (url: string, field: string): Promise<Response> => {
      const f = new FormData();
      f.append(field, new Blob([new Uint8Array(await readFile(pairPath))], { type: 'image/jpeg' }), 'two-faces.jpg');
      return fetch(`${server.url}${url}`, { method: 'POST', headers: { 'x-api-key': key }, body: f });
    };

    it('POST /v1/subjects/:id/faces answers 422 MULTIPLE_FACES; ?box= enrols', async () => {
      const refused = await post('/v1/subjects/someone/faces?create=true', 'image');
      assert.equal(refused.status, 422);
      assert.equal(((await refused.json()) as { code: string }).code, 'MULTIPLE_FACES');
      const named = await post(`/v1/subjects/ali/faces?create=true&box=${RIGHT_BOX}`, 'image');
      assert.equal(named.status, 201, await named.clone().text());
    });

    it('CompreFace add-face answers 422 MULTIPLE_FACES; select=largest takes one', async () => {
      const refused = await post('/api/v1/recognition/faces?subject=someone', 'file');
      assert.equal(refused.status, 422);
      assert.equal(((await refused.json()) as { code: string }).code, 'MULTIPLE_FACES');
      const chosen = await post('/api/v1/recognition/faces?subject=someone&select=largest', 'file');
      assert.equal(chosen.status, 201, await chosen.clone().text());
    });

    it('identification answers with the threshold it used and why (the 1:1 floor for a gallery this small)', async () => {
      const f = new FormData();
      f.append('image', new Blob([new Uint8Array(await readFile(RIGHT_PROBE))], { type: 'image/jpeg' }), 'probe.jpg');
      const r = await fetch(`${server.url}/v1/identify`, { method: 'POST', headers: { 'x-api-key': key }, body: f });
      const body = (await r.json()) as {
        threshold: number;
        thresholdSource: string;
        thresholdReason: string;
        faces: { match: { subjectId: string } | null }[];
      };
      assert.equal(r.status, 200);
      assert.deepEqual([body.threshold, body.thresholdSource], [0.249, 'floor']);
      assert.match(body.thresholdReason, /FPIR 1 % over 2 identities/);
      assert.equal(body.faces[0]?.match?.subjectId, 'ali');
      const given = await fetch(`${server.url}/v1/identify?threshold=0.99`, { method: 'POST', headers: { 'x-api-key': key }, body: f });
      const gb = (await given.json()) as { thresholdSource: string; faces: { match: unknown }[] };
      assert.deepEqual([gb.thresholdSource, gb.faces[0]?.match], ['given', null]);
      const cf = new FormData();
      cf.append('file', new Blob([new Uint8Array(await readFile(RIGHT_PROBE))], { type: 'image/jpeg' }), 'probe.jpg');
      const rec = await fetch(`${server.url}/api/v1/recognition/recognize`, { method: 'POST', headers: { 'x-api-key': key }, body: cf });
      const rb = (await rec.json()) as { result: { known: boolean; threshold_source: string; subjects: { subject: string }[] }[] };
      assert.deepEqual([rb.result[0]?.known, rb.result[0]?.threshold_source, rb.result[0]?.subjects[0]?.subject], [true, 'floor', 'ali']);
    });
  });
});

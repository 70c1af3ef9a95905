import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CompreFace } from '@exadel/compreface-js-sdk';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { sharedPath } from '../helpers/shared.js';
import { lfw, noFacePng, testLocations } from './helpers.js';

/** The SDK takes a file path only when it starts with "." (its `isPathRelative`), so paths are made relative to the working folder. */
function sdkPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel.startsWith('.') ? rel : `./${rel}`;
}
const lfwPath = (person: string, n: number): string => sdkPath(sharedPath('data', 'faces', 'lfw', person, `${person}_${String(n).padStart(4, '0')}.jpg`));

interface Box {
  probability: number;
  x_min: number;
  y_min: number;
  x_max: number;
  y_max: number;
}
interface RecognizeResponse {
  result: { box: Box; subjects: { subject: string; similarity: number }[]; landmarks?: number[][] }[];
}

/** `getSubjects` is in the SDK's JavaScript but missing from its type declarations. */
interface SubjectApi {
  list(): Promise<{ subjects: string[] }>;
  add(subject: string): Promise<{ subject: string }>;
  rename(from: string, to: string): Promise<{ updated: boolean }>;
  delete(subject: string): Promise<{ subject: string }>;
  deleteAll<T>(): Promise<T>;
}

function assertBox(b: Box): void {
  assert.ok(b.probability > 0.5 && b.probability <= 1, JSON.stringify(b));
  assert.ok(Number.isInteger(b.x_min) && b.x_max > b.x_min && b.y_max > b.y_min, JSON.stringify(b));
}

describe('CompreFace JS SDK against our server', () => {
  let server: RunningServer;
  let key: string;
  let readKey: string;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-cf-'));
    const ks = KeyStore.open(join(dir, 'keys.db'));
    key = ks.create({ scope: 'write', name: 'compreface' }).key;
    readKey = ks.create({ scope: 'read' }).key;
    ks.close();
    server = await serve({
      host: '127.0.0.1',
      port: 0,
      locations: testLocations(),
      galleryLocation: join(dir, 'g.db'),
      keysPath: join(dir, 'keys.db'),
      handleSignals: false,
      logLevel: 'silent',
      log: () => undefined,
    });
  });
  after(async () => server.close());

  function client(): CompreFace {
    const u = new URL(server.url);
    return new CompreFace(`${u.protocol}//${u.hostname}`, Number(u.port));
  }
  const recognition = () => client().initFaceRecognitionService(key);
  const subjects = () => (recognition() as unknown as { getSubjects(): SubjectApi }).getSubjects();

  it('adds, lists, renames and deletes subjects', async () => {
    assert.deepEqual(await subjects().add('Temp_Person'), { subject: 'Temp_Person' });
    assert.ok((await subjects().list()).subjects.includes('Temp_Person'));
    assert.deepEqual(await subjects().rename('Temp_Person', 'Renamed_Person'), { updated: true });
    assert.deepEqual((await subjects().list()).subjects, ['Renamed_Person']);
    assert.deepEqual(await subjects().delete('Renamed_Person'), { subject: 'Renamed_Person' });
    assert.deepEqual((await subjects().list()).subjects, []);
  });

  it('adds examples from files and base64, recognizes the person and a stranger, verifies against an example', async () => {
    const added = await recognition().getFaceCollection().add<{ image_id: string; subject: string }>(lfwPath('Aaron_Peirsol', 1), 'Aaron_Peirsol');
    assert.equal(added.subject, 'Aaron_Peirsol');
    assert.match(added.image_id, /^\d+$/);
    const b64 = lfw('Aaron_Peirsol', 3).toString('base64');
    const added2 = await recognition().getFaceCollection().add<{ image_id: string }>(b64, 'Aaron_Peirsol');
    await recognition().getFaceCollection().add(lfwPath('George_W_Bush', 7), 'George_W_Bush');
    await recognition().getFaceCollection().add(lfwPath('George_W_Bush', 16), 'George_W_Bush');

    const listed = await recognition().getFaceCollection().list<{ faces: { image_id: string; subject: string }[]; total_elements: number }>();
    assert.equal(listed.total_elements, 4);
    assert.ok(listed.faces.some((f) => f.image_id === added2.image_id && f.subject === 'Aaron_Peirsol'));

    const known = await recognition().recognize<RecognizeResponse>(lfwPath('Aaron_Peirsol', 4), { limit: 0, prediction_count: 2, face_plugins: 'landmarks' });
    assert.equal(known.result.length, 1);
    assertBox(known.result[0]!.box);
    assert.equal(known.result[0]!.landmarks?.length, 5);
    const top = known.result[0]!.subjects;
    assert.equal(top.length, 2);
    assert.equal(top[0]!.subject, 'Aaron_Peirsol');
    assert.ok(top[0]!.similarity > top[1]!.similarity + 0.2, JSON.stringify(top));

    const stranger = await recognition().recognize<RecognizeResponse>(lfwPath('Colin_Powell', 40), { limit: 0, prediction_count: 1 });
    assert.ok(stranger.result[0]!.subjects[0]!.similarity < 0.3, JSON.stringify(stranger.result[0]));

    const ver = await recognition()
      .getFaceCollection()
      .verify<{ result: { box: Box; similarity: number }[] }>(lfwPath('Aaron_Peirsol', 4), added.image_id, { limit: 0 });
    assertBox(ver.result[0]!.box);
    assert.ok(ver.result[0]!.similarity > 0.4, JSON.stringify(ver));
    const verOther = await recognition()
      .getFaceCollection()
      .verify<{ result: { similarity: number }[] }>(lfwPath('Colin_Powell', 40), added.image_id, { limit: 0 });
    assert.ok(verOther.result[0]!.similarity < ver.result[0]!.similarity - 0.2);

    const del = await recognition().getFaceCollection().delete<{ image_id: string; subject: string }>(added2.image_id);
    assert.deepEqual(del, { image_id: added2.image_id, subject: 'Aaron_Peirsol' });
    const delSubject = await recognition().getFaceCollection().delete_all_subject<{ deleted: number }>('George_W_Bush');
    assert.deepEqual(delSubject, { deleted: 2 });
  });

  it('serves an example image, deletes several examples, every example, every subject', async () => {
    const fc = () => recognition().getFaceCollection();
    const a = await fc().add<{ image_id: string }>(lfwPath('Laura_Bush', 1), 'Laura_Bush');
    const b = await fc().add<{ image_id: string }>(lfwPath('Laura_Bush', 11), 'Laura_Bush');
    await fc().add(lfwPath('Laura_Bush', 21), 'Laura_Bush');
    const img = await fetch(`${server.url}/api/v1/recognition/faces/${a.image_id}/img`, { headers: { 'x-api-key': key } });
    assert.equal(img.status, 200);
    assert.equal(img.headers.get('content-type'), 'image/jpeg');
    const removed = await fc().delete_multiple_images<{ image_id: string; subject: string }[]>([a.image_id, b.image_id]);
    assert.deepEqual(removed.map((r) => r.image_id).sort(), [a.image_id, b.image_id].sort());
    const all = await fc().delete_all<{ deleted: number }>();
    assert.ok(all.deleted >= 1);
    assert.equal((await fc().list<{ total_elements: number }>()).total_elements, 0);
    await subjects().add('Someone_Else');
    const gone = await subjects().deleteAll<{ deleted: number }>();
    assert.ok(gone.deleted >= 2, JSON.stringify(gone));
    assert.deepEqual((await subjects().list()).subjects, []);
    const missing = await fetch(`${server.url}/api/v1/recognition/faces/${a.image_id}/img`, { headers: { 'x-api-key': key } });
    assert.equal(missing.status, 404);
  });

  it('detection service: boxes, landmarks and plugin versions', async () => {
    const det = client().initFaceDetectionService(readKey);
    const r = await det.detect<{ result: { box: Box; landmarks: number[][] }[]; plugins_versions: { detector: string } }>(lfwPath('Colin_Powell', 40), {
      limit: 0,
      det_prob_threshold: 0.5,
      face_plugins: 'landmarks',
      status: true,
    });
    assert.equal(r.result.length, 1);
    assertBox(r.result[0]!.box);
    assert.equal(r.result[0]!.landmarks.length, 5);
    assert.ok(r.plugins_versions.detector.length > 0);
  });

  it('verification service: same person high, different person low', async () => {
    const ver = client().initFaceVerificationService(readKey);
    type V = { result: { source_image_face: { box: Box }; face_matches: { box: Box; similarity: number }[] }[] };
    const same = await ver.verify<V>(lfwPath('Colin_Powell', 40), lfwPath('Colin_Powell', 49), { limit: 0 });
    const diff = await ver.verify<V>(lfwPath('Colin_Powell', 40), lfwPath('Tony_Blair', 18), { limit: 0 });
    assertBox(same.result[0]!.source_image_face.box);
    assert.ok(same.result[0]!.face_matches[0]!.similarity > 0.4, JSON.stringify(same));
    assert.ok(diff.result[0]!.face_matches[0]!.similarity < 0.3, JSON.stringify(diff));
  });

  it('errors reach the SDK as HTTP errors with {code, message}: no face, bad key, read key writing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-cf-img-'));
    const blank = join(dir, 'blank.png');
    writeFileSync(blank, await noFacePng());
    const status = async (p: Promise<unknown>): Promise<[number, string]> => {
      try {
        await p;
        return [200, ''];
      } catch (e) {
        const r = (e as { response?: { status: number; data: { code: string } } }).response;
        return [r?.status ?? -1, r?.data.code ?? ''];
      }
    };
    assert.deepEqual(await status(recognition().recognize(sdkPath(blank), { limit: 0 })), [422, 'NO_FACE']);
    assert.deepEqual(await status(client().initFaceRecognitionService('afk_wrong').recognize(lfwPath('Colin_Powell', 40), { limit: 0 })), [
      401,
      'UNAUTHORIZED',
    ]);
    assert.deepEqual(await status(client().initFaceRecognitionService(readKey).getFaceCollection().add(lfwPath('Colin_Powell', 40), 'X')), [403, 'FORBIDDEN']);
  });

  it('recognizes and verifies by embedding (CompreFace /embeddings routes)', async () => {
    const h = { 'x-api-key': key, 'content-type': 'application/json' };
    const add = await recognition().getFaceCollection().add<{ image_id: string }>(lfwPath('Tony_Blair', 18), 'Tony_Blair');
    const form = new FormData();
    form.append('file', new Blob([new Uint8Array(lfw('Tony_Blair', 32))], { type: 'image/jpeg' }), 'tb.jpg');
    const det = (await (
      await fetch(`${server.url}/api/v1/detection/detect?face_plugins=calculator`, { method: 'POST', headers: { 'x-api-key': key }, body: form })
    ).json()) as {
      result: { embedding: number[] }[];
    };
    const emb = det.result[0]!.embedding;
    assert.equal(emb.length, 512);
    const rec = (await (
      await fetch(`${server.url}/api/v1/recognition/embeddings/recognize?prediction_count=1`, {
        method: 'POST',
        headers: h,
        body: JSON.stringify({ embeddings: [emb] }),
      })
    ).json()) as {
      result: { similarities: { subject: string; similarity: number }[] }[];
    };
    assert.equal(rec.result[0]!.similarities[0]!.subject, 'Tony_Blair');
    const ver = (await (
      await fetch(`${server.url}/api/v1/recognition/embeddings/faces/${add.image_id}/verify`, {
        method: 'POST',
        headers: h,
        body: JSON.stringify({ embeddings: [emb] }),
      })
    ).json()) as {
      result: { similarity: number }[];
    };
    assert.ok(ver.result[0]!.similarity > 0.4, JSON.stringify(ver));
    const wrongSize = await fetch(`${server.url}/api/v1/recognition/embeddings/recognize`, {
      method: 'POST',
      headers: h,
      body: JSON.stringify({ embeddings: [[1, 2, 3]] }),
    });
    assert.equal(wrongSize.status, 400);
    assert.equal(((await wrongSize.json()) as { code: string }).code, 'EMBEDDING_SIZE_MISMATCH');
  });
});

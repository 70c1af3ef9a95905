import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { dot } from '../../src/core/index.js';
import { FaceRecognizer, recognizeFiles, selectFaces } from '../../src/pipeline/index.js';
import { sharedDir, sharedPath } from '../helpers/shared.js';

const locations = { home: '/nonexistent-arcface-home', dirs: [sharedPath('models')] };
const lfw = (name: string, i: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', name, `${name}_${String(i).padStart(4, '0')}.jpg`);

describe('FaceRecognizer end to end', () => {
  let fr: FaceRecognizer;
  before(async () => {
    fr = await FaceRecognizer.create({ locations });
  });
  after(async () => fr.dispose());

  it('finds, aligns and embeds the central face of an LFW photo', async () => {
    const r = await fr.recognizeFile(lfw('Colin_Powell', 40), { select: 'central', includeCrops: true });
    assert.equal(r.width, 250);
    assert.equal(r.faces.length, 1);
    const f = r.faces[0]!;
    assert.equal(f.embedding.length, 512);
    assert.ok(Math.abs(dot(f.embedding, f.embedding) - 1) < 1e-5);
    assert.equal(f.crop?.width, 112);
    const cx = (f.box[0] + f.box[2]) / 2;
    assert.ok(Math.abs(cx - 125) < 30, `centre x ${cx}`);
  });

  it('scores the same person above different people', async () => {
    const emb = async (n: string, i: number): Promise<Float32Array> => (await fr.recognizeFile(lfw(n, i), { select: 'central' })).faces[0]!.embedding;
    const a1 = await emb('Colin_Powell', 40);
    const a2 = await emb('Colin_Powell', 49);
    const b = await emb('Tony_Blair', 18);
    assert.ok(dot(a1, a2) > 0.4, `same ${dot(a1, a2)}`);
    assert.ok(dot(a1, b) < 0.25, `different ${dot(a1, b)}`);
    assert.ok(dot(a1, a2) > dot(a1, b) + 0.25);
  });

  it('returns no faces for a blank image, and embeds every face of a two-face image in one call', async () => {
    const blank = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 128, g: 128, b: 128 } } }).png().toBuffer();
    assert.equal((await fr.recognize(blank)).faces.length, 0);
    const a = await readFile(lfw('Colin_Powell', 40));
    const b = await readFile(lfw('Tony_Blair', 18));
    const pair = await sharp({ create: { width: 500, height: 250, channels: 3, background: { r: 0, g: 0, b: 0 } } })
      .composite([
        { input: a, left: 0, top: 0 },
        { input: b, left: 250, top: 0 },
      ])
      .jpeg()
      .toBuffer();
    const r = await fr.recognize(pair);
    assert.equal(r.faces.length, 2);
    const largest = await fr.recognize(pair, { select: 'largest' });
    assert.equal(largest.faces.length, 1);
  });

  it('streams files in order, reporting bad files without stopping', async () => {
    const files = [lfw('Colin_Powell', 40), '/nonexistent.jpg', lfw('Tony_Blair', 18)];
    const out = [];
    for await (const r of recognizeFiles(fr, files, { select: 'central' })) out.push(r);
    assert.deepEqual(
      out.map((r) => r.file),
      files,
    );
    assert.equal(out[1]!.error?.code, 'FILE_NOT_FOUND');
    assert.equal(out[2]!.result?.faces.length, 1);
  });

  it('refuses an unknown model name and a missing model', async () => {
    await assert.rejects(FaceRecognizer.create({ locations, recognizer: 'no-such-model' }), { code: 'MODEL_UNKNOWN_NAME' });
    await assert.rejects(FaceRecognizer.create({ locations: { home: '/nonexistent', dirs: [] } }), { code: 'MODEL_NOT_FOUND' });
    await assert.rejects(FaceRecognizer.create({ locations, recognizer: 'yunet-n' }), { code: 'MODEL_CONTRACT_MISMATCH' });
    assert.ok(sharedDir());
  });
});

describe('selectFaces', () => {
  const faces = [{ box: [0, 0, 10, 10] as const }, { box: [40, 40, 60, 60] as const }, { box: [70, 0, 100, 40] as const }];
  it('picks the largest and the most central', () => {
    assert.deepEqual(selectFaces(faces, 'largest', 100, 100), [faces[2]]);
    assert.deepEqual(selectFaces(faces, 'central', 100, 100), [faces[1]]);
    assert.equal(selectFaces(faces, 'all', 100, 100).length, 3);
    assert.deepEqual(selectFaces([], 'central', 100, 100), []);
  });
});

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { dot } from '../../src/core/index.js';
import { compareImages, FaceRecognizer, recognizeFiles, selectFaceIndices, selectFaces } from '../../src/pipeline/index.js';
import { groupPhoto } from '../helpers/photos.js';
import { REPO_ROOT, sharedPath } from '../helpers/shared.js';

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
    const blank = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 128, g: 128, b: 128 } } })
      .png()
      .toBuffer();
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
    assert.equal(r.facesFound, 2);
    assert.deepEqual(
      r.faces.map((f) => f.faceIndex),
      [0, 1],
    );
  });

  it('largest picks the larger face and central the centred one, on a photo made to tell them apart', async () => {
    const r = await fr.recognize(await groupPhoto(), { select: 'all' });
    assert.equal(r.faces.length, 2);
    const area = (b: readonly number[]): number => (b[2]! - b[0]!) * (b[3]! - b[1]!);
    const big = r.faces.reduce((a, b) => (area(a.box) > area(b.box) ? a : b));
    const small = r.faces.find((f) => f !== big)!;
    assert.ok(area(big.box) > 4 * area(small.box), `areas ${area(big.box)} ${area(small.box)}`);
    const largest = await fr.recognize(await groupPhoto(), { select: 'largest' });
    assert.equal(largest.faces.length, 1);
    assert.equal(largest.facesFound, 2);
    assert.deepEqual(largest.faces[0]!.box, big.box);
    assert.equal(largest.faces[0]!.faceIndex, big.faceIndex);
    const central = await fr.recognize(await groupPhoto(), { select: 'central' });
    assert.deepEqual(central.faces[0]!.box, small.box);
  });

  it('compare(): largest face by default, says how many faces and which; NO_FACE names the photo', async () => {
    const group = await groupPhoto();
    const powell = await readFile(lfw('Colin_Powell', 49));
    const byLargest = await fr.compare(group, powell, { threshold: 0.3 });
    assert.equal(byLargest.select, 'largest');
    assert.equal(byLargest.faces[0].facesFound, 2);
    assert.equal(byLargest.faces[1].facesFound, (await fr.recognize(powell)).faces.length);
    assert.equal(byLargest.same, true, `similarity ${byLargest.similarity}`);
    const byCentre = await fr.compare(group, powell, { threshold: 0.3, select: 'central' });
    assert.equal(byCentre.same, false, `similarity ${byCentre.similarity}`);
    assert.notEqual(byCentre.faces[0].faceIndex, byLargest.faces[0].faceIndex);
    const fromFiles = await fr.compare(lfw('Colin_Powell', 40), lfw('Colin_Powell', 49));
    assert.equal(fromFiles.threshold, fr.threshold);
    assert.equal(fromFiles.same, true);
    const blank = await sharp({ create: { width: 120, height: 120, channels: 3, background: { r: 9, g: 9, b: 9 } } })
      .png()
      .toBuffer();
    await assert.rejects(fr.compare(powell, blank), (e: Error & { code?: string }) => e.code === 'NO_FACE' && e.message.includes('the second image'));
    // An unreadable photo is named too: which of the two, and its file name when it has one.
    const notImage = new TextEncoder().encode('# README\nnot an image');
    await assert.rejects(
      fr.compare(powell, notImage),
      (e: Error & { code?: string }) => e.code === 'IMAGE_UNSUPPORTED_FORMAT' && e.message.startsWith('the second image: Expected an image'),
    );
    const readme = join(REPO_ROOT, 'README.md');
    await assert.rejects(
      fr.compare(readme, lfw('Colin_Powell', 49)),
      (e: Error & { code?: string }) => e.code === 'IMAGE_UNSUPPORTED_FORMAT' && e.message.startsWith(`the first image (${readme}): `),
    );
    await assert.rejects(
      compareImages(fr, { image: powell, name: 'powell.jpg' }, { image: notImage.subarray(0, 0), name: 'empty.jpg' }, { threshold: 0.3 }),
      (e: Error & { code?: string }) => e.code === 'IMAGE_EMPTY' && e.message.startsWith('the second image (empty.jpg): Expected image bytes'),
    );
    await assert.rejects(fr.compare(powell, powell, { select: 'all' as 'largest' }), TypeError);
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
  });

  it('finds models as the CLI does: ARCFACE_MODELS when given no locations, and { dirs } without a home', async () => {
    const saved = { models: process.env.ARCFACE_MODELS, home: process.env.ARCFACE_HOME };
    try {
      process.env.ARCFACE_MODELS = sharedPath('models');
      process.env.ARCFACE_HOME = '/nonexistent-arcface-home';
      const fromEnv = await FaceRecognizer.create();
      assert.equal(fromEnv.fingerprint, fr.fingerprint);
      await fromEnv.dispose();
      process.env.ARCFACE_MODELS = '/nonexistent-models';
      await assert.rejects(FaceRecognizer.create(), { code: 'MODEL_NOT_FOUND' });
    } finally {
      for (const [k, v] of [
        ['ARCFACE_MODELS', saved.models],
        ['ARCFACE_HOME', saved.home],
      ] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    const dirsOnly = await FaceRecognizer.create({ locations: { dirs: [sharedPath('models')] } });
    assert.equal(dirsOnly.fingerprint, fr.fingerprint);
    await dirsOnly.dispose();
  });
});

describe('selectFaces', () => {
  const faces = [{ box: [0, 0, 10, 10] as const }, { box: [40, 40, 60, 60] as const }, { box: [70, 0, 100, 40] as const }];
  it('picks the largest and the most central', () => {
    assert.deepEqual(selectFaces(faces, 'largest', 100, 100), [faces[2]]);
    assert.deepEqual(selectFaces(faces, 'central', 100, 100), [faces[1]]);
    assert.equal(selectFaces(faces, 'all', 100, 100).length, 3);
    assert.deepEqual(selectFaces([], 'central', 100, 100), []);
    assert.deepEqual(selectFaceIndices(faces, 'largest', 100, 100), [2]);
    assert.deepEqual(selectFaceIndices(faces, 'central', 100, 100), [1]);
    assert.deepEqual(selectFaceIndices(faces, 'all', 100, 100), [0, 1, 2]);
  });
});

import assert from 'node:assert/strict';
import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { dot, isArcFaceError, sha256Digest } from '../../src/core/index.js';
import {
  centralFallbackLandmarks,
  embedCentralFace,
  EmbeddingCache,
  evaluateVerification,
  FALLBACK_METHOD,
  histogramSvg,
  rocSvg,
  squaredL2,
  svgToPng,
} from '../../src/eval/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';

const dir = testOutputDir('eval-cache');
const key = { fingerprint: 'sha256:abc|RGB', detector: 'yunet-n', flip: false, fallback: FALLBACK_METHOD };
const sha = (s: string): string => sha256Digest(new TextEncoder().encode(s));

describe('EmbeddingCache', () => {
  before(async () => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  });

  it('stores embeddings bit-exactly and finds them again after reopening', async () => {
    const c = await EmbeddingCache.open(dir, key);
    const e = new Float32Array([0.6, -0.8, 1e-7]);
    await c.put(sha('a'), { embedding: e, fallback: true, recognizerMs: 12.5 });
    const again = await EmbeddingCache.open(dir, key);
    assert.equal(again.size, 1);
    assert.deepEqual(again.get(sha('a')), { embedding: e, fallback: true, recognizerMs: 12.5 });
    assert.equal(again.get(sha('b')), undefined);
  });

  it('keeps configurations apart: another flip, detector or model is another file', async () => {
    const flipped = await EmbeddingCache.open(dir, { ...key, flip: true });
    const other = await EmbeddingCache.open(dir, { ...key, detector: 'scrfd-500m' });
    assert.equal(flipped.size, 0);
    assert.equal(other.size, 0);
    assert.notEqual(flipped.path, other.path);
  });

  it('ignores a torn last line and rejects a corrupt one in the middle', async () => {
    const c = await EmbeddingCache.open(dir, { ...key, fingerprint: 'torn' });
    await c.put(sha('x'), { embedding: new Float32Array([1, 0]), fallback: false, recognizerMs: 1 });
    await appendFile(c.path, '{"sha256":"ab');
    const reopened = await EmbeddingCache.open(dir, { ...key, fingerprint: 'torn' });
    assert.equal(reopened.size, 1);
    await reopened.put(sha('y'), { embedding: new Float32Array([0, 1]), fallback: false, recognizerMs: 1 });
    assert.equal((await EmbeddingCache.open(dir, { ...key, fingerprint: 'torn' })).size, 2);
    await appendFile(c.path, '{"sha256":"cd"}\n');
    await assert.rejects(EmbeddingCache.open(dir, { ...key, fingerprint: 'torn' }), (e) => isArcFaceError(e, 'PROTOCOL_INVALID') && /:3:/.test(e.message));
  });

  it('rejects bad keys, a bad SHA-256 and an embedding of another size', async () => {
    await assert.rejects(EmbeddingCache.open(dir, { ...key, fingerprint: '' }), TypeError);
    await assert.rejects(EmbeddingCache.open('', key), TypeError);
    const c = await EmbeddingCache.open(dir, { ...key, fingerprint: 'sizes' });
    await assert.rejects(c.put('not-a-sha', { embedding: new Float32Array(2), fallback: false, recognizerMs: 0 }), TypeError);
    await c.put(sha('1'), { embedding: new Float32Array(2), fallback: false, recognizerMs: 0 });
    await assert.rejects(c.put(sha('2'), { embedding: new Float32Array(3), fallback: false, recognizerMs: 0 }), (e) =>
      isArcFaceError(e, 'EMBEDDING_SIZE_MISMATCH'),
    );
    const lines = (await readFile(c.path, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 1);
    await writeFile(
      c.path,
      `${lines[0]}\n${JSON.stringify({ sha256: sha('3'), fallback: false, ms: 0, e: Buffer.from(new Float32Array(3).buffer).toString('base64') })}\n`,
    );
    await assert.rejects(
      EmbeddingCache.open(dir, { ...key, fingerprint: 'sizes' }),
      (e) => isArcFaceError(e, 'PROTOCOL_INVALID') && /2 floats/.test(e.message),
    );
  });
});

describe('central fallback for images without a face', () => {
  let fr: FaceRecognizer;
  before(async () => {
    fr = await FaceRecognizer.create({ locations: { home: '/nonexistent-arcface-home', dirs: [sharedPath('models')] } });
  });
  after(async () => fr.dispose());

  it('places the template on a centred square of 0.52 × the shorter side', () => {
    const lm = centralFallbackLandmarks(250, 250);
    const eyes = (lm[1][0] - lm[0][0]) / 250;
    // Template eye distance 35.24 of 112, scaled to 0.52 × 250 px.
    assert.ok(Math.abs(eyes - (35.2372 / 112) * 0.52) < 1e-4, `eye distance ${eyes}`);
    assert.ok(Math.abs((lm[0][0] + lm[1][0]) / 2 - 125) < 1);
    assert.ok(Math.abs(lm[2][1] - (250 * 0.47 - 65 + (71.7366 / 112) * 130)) < 1e-6);
  });

  it('embeds the fixed central face when no face is found (a blank image), and the detected face otherwise', async () => {
    const blank = { width: 250, height: 250, data: new Uint8Array(250 * 250 * 3).fill(128) };
    const none = await embedCentralFace(fr, blank);
    assert.equal(none.fallback, true);
    assert.equal(none.embedding.length, 512);
    assert.ok(Math.abs(dot(none.embedding, none.embedding) - 1) < 1e-5);
    const photo = new Uint8Array(await readFile(sharedPath('data', 'faces', 'lfw-deepfunneled', 'Colin_Powell', 'Colin_Powell_0040.jpg')));
    const found = await embedCentralFace(fr, photo);
    assert.equal(found.fallback, false);
    assert.ok(found.recognizerMs > 0);
  });
});

describe('small helpers', () => {
  it('computes squared L2 and rejects vectors of different length', () => {
    assert.equal(squaredL2([1, 0], [0, 1]), 2);
    assert.throws(() => squaredL2([1], [1, 0]), RangeError);
  });

  it('draws plots even when no FAR is measurable, and refuses to render non-SVG text', async () => {
    const m = evaluateVerification([0.3, 1.7, 0.5, 1.2], [true, false, true, false], { folds: 2 });
    const roc = rocSvg(m, 'tiny & <odd>');
    assert.match(roc, /tiny &amp; &lt;odd&gt;/);
    assert.match(histogramSvg(m), /genuine \(same person\), 2 pairs/);
    assert.ok((await svgToPng(roc)).length > 1000);
    await assert.rejects(svgToPng('hello'), TypeError);
  });
});

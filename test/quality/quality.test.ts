import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { normCrop } from '../../src/align/index.js';
import { isArcFaceError, l2norm } from '../../src/core/index.js';
import type { DetectedFace, RgbImage } from '../../src/core/types.js';
import { Embedder } from '../../src/embed/index.js';
import { FaceRecognizer, type RecognizedFace } from '../../src/pipeline/index.js';
import { DEFAULT_QUALITY_LIMITS, faceQuality, qualityRejection, resolveQualityLimits, withEmbeddingNorm, type FaceQuality } from '../../src/quality/index.js';
import { sharedPath } from '../helpers/shared.js';

const locations = { home: '/nonexistent-arcface-home', dirs: [sharedPath('models')] };
const PHOTOS = [
  ['Colin_Powell', 40],
  ['Tony_Blair', 18],
  ['George_W_Bush', 7],
  ['Serena_Williams', 1],
  ['Gerhard_Schroeder', 5],
  ['Hugo_Chavez', 2],
] as const;
const lfw = (name: string, i: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', name, `${name}_${String(i).padStart(4, '0')}.jpg`);

describe('face quality on real LFW photos', () => {
  let fr: FaceRecognizer;
  const originals: RecognizedFace[] = [];
  before(async () => {
    fr = await FaceRecognizer.create({ locations });
    for (const [n, i] of PHOTOS) originals.push((await fr.recognizeFile(lfw(n, i), { select: 'central' })).faces[0]!);
  });
  after(async () => fr.dispose());

  const central = async (bytes: Buffer): Promise<RecognizedFace> => {
    const f = (await fr.recognize(new Uint8Array(bytes), { select: 'central' })).faces[0];
    assert.ok(f !== undefined, 'a face is still found');
    return f;
  };

  it('ordinary LFW faces pass the default limits, with every signal measured', () => {
    for (const f of originals) {
      const q = f.quality!;
      assert.ok(q.size > 60 && q.sharpness! > 0 && q.embeddingNorm! > 0, JSON.stringify(q));
      assert.ok(q.overall > 0.5 && q.overall <= 1);
      assert.equal(qualityRejection(q), undefined, JSON.stringify(q));
    }
  });

  it('blurred copies are rejected as BLURRY and rank below the originals', async () => {
    for (const [k, [n, i]] of PHOTOS.entries()) {
      const f = await central(await sharp(lfw(n, i)).blur(4).png().toBuffer());
      const q = f.quality!;
      assert.equal(qualityRejection(q)?.reason, 'BLURRY', JSON.stringify(q));
      assert.match(qualityRejection(q)!.message, /^Expected a sharpness of at least 10 but the face measures [\d.]+ \(too blurry\)$/);
      assert.ok(q.sharpness! < originals[k]!.quality!.sharpness! / 5);
      assert.ok(q.overall < originals[k]!.quality!.overall);
    }
  });

  it('downscaled copies are rejected as FACE_TOO_SMALL and rank below the originals', async () => {
    for (const [k, [n, i]] of PHOTOS.entries()) {
      const f = await central(await sharp(lfw(n, i)).resize(40, 40).png().toBuffer());
      assert.equal(qualityRejection(f.quality!)?.reason, 'FACE_TOO_SMALL', JSON.stringify(f.quality));
      assert.ok(f.quality!.overall < originals[k]!.quality!.overall);
    }
  });

  it('a mirrored photo of a turned face has the opposite yaw', async () => {
    // Faces turned by 15–30°. The detector's landmarks are not exactly mirror-equivariant: on frontal
    // LFW faces the two yaws differ by up to 10° (detector noise), so only clearly turned faces are used.
    for (const [n, i] of [
      ['Hugo_Chavez', 2],
      ['Colin_Powell', 49],
      ['George_W_Bush', 16],
    ] as const) {
      const a = (await fr.recognizeFile(lfw(n, i), { select: 'central' })).faces[0]!.quality!.yaw;
      const b = (await central(await sharp(lfw(n, i)).flop().png().toBuffer())).quality!.yaw;
      assert.ok(Math.abs(a) > 15 && Math.sign(a) === -Math.sign(b), `${n}: ${a} vs ${b}`);
      assert.ok(Math.abs(a + b) < 8, `${n}: ${a} vs ${b}`);
    }
  });

  it('a non-face crop has a raw embedding norm below the limit, real faces above it', async () => {
    const { data } = await sharp(lfw('Tony_Blair', 18))
      .extract({ left: 138, top: 138, width: 112, height: 112 })
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const background: RgbImage = { width: 112, height: 112, data: new Uint8Array(data) };
    const { norms } = await fr.embedder.embedWithNorms([background]);
    assert.ok(norms[0]! < DEFAULT_QUALITY_LIMITS.minEmbeddingNorm, `background norm ${norms[0]}`);
    for (const f of originals) assert.ok(f.quality!.embeddingNorm! > DEFAULT_QUALITY_LIMITS.minEmbeddingNorm);
  });

  it('every rejection reason is reachable and reports what failed', () => {
    const q = originals[0]!.quality!;
    assert.equal(qualityRejection(q, { minScore: 0.999 })?.reason, 'LOW_DETECTION_SCORE');
    assert.equal(qualityRejection({ ...q, yaw: 60 })?.reason, 'POSE_TOO_FAR');
    assert.match(qualityRejection({ ...q, pitch: -40 })!.message, /at most ±30° but its pitch is -40.0°/);
    assert.equal(qualityRejection(q, { minEmbeddingNorm: 1000 })?.reason, 'LOW_EMBEDDING_NORM');
    assert.equal(qualityRejection(q, { minSize: 1000 })?.reason, 'FACE_TOO_SMALL');
    // Unmeasured signals are not held against a face.
    const bare = faceQuality(originals[0]! as DetectedFace);
    assert.equal(bare.sharpness, undefined);
    assert.equal(bare.embeddingNorm, undefined);
    assert.equal(qualityRejection(bare, { minSharpness: 1e6, minEmbeddingNorm: 1e6 }), undefined);
  });

  it('withEmbeddingNorm equals measuring again with the norm, without a second pass over the crop', () => {
    const face = originals[0]! as DetectedFace;
    const crop: RgbImage = { width: 8, height: 8, data: Uint8Array.from({ length: 192 }, (_, i) => (i * 37) % 256) };
    const q = faceQuality(face, crop);
    assert.deepEqual(withEmbeddingNorm(q, 21.5), faceQuality(face, crop, 21.5));
    assert.deepEqual(withEmbeddingNorm(faceQuality(face), 3), faceQuality(face, undefined, 3));
    assert.throws(() => withEmbeddingNorm(q, -1), RangeError);
  });

  it("embedWithNorms returns embed()’s embeddings and the raw norms; with flip, half the norm of the sum (one output's scale)", async () => {
    const face = originals[0]!;
    const image = await fr.decode(new Uint8Array(await readFile(lfw('Colin_Powell', 40))));
    const crop = normCrop(image, face.landmarks, 112).crop;
    const plain = await fr.embedder.embed([crop]);
    const { embeddings, norms } = await fr.embedder.embedWithNorms([crop]);
    assert.deepEqual(embeddings, plain);
    const raw = await fr.embedder.embedRaw([crop]);
    assert.ok(Math.abs(norms[0]! - l2norm(raw[0]!)) < 1e-9);
    assert.ok(Math.abs(face.quality!.embeddingNorm! - norms[0]!) < 1e-9);
    const flip = await Embedder.create(sharedPath('models', 'w600k_mbf_int8.onnx'), { flip: true });
    try {
      const f = await flip.embedWithNorms([crop]);
      assert.deepEqual(f.embeddings, await flip.embed([crop]));
      const ratio = f.norms[0]! / norms[0]!;
      assert.ok(ratio > 0.75 && ratio <= 1.1, `flip norm ratio ${ratio}`);
      const summed = await flip.embedRaw([crop], true);
      assert.ok(Math.abs(f.norms[0]! - l2norm(summed[0]!) / 2) < 1e-9);
    } finally {
      await flip.dispose();
    }
    await assert.rejects(
      fr.embedder.embedWithNorms([{ width: 2, height: 2, data: new Uint8Array(12) }]),
      (e: unknown) => isArcFaceError(e) && e.code === 'INVALID_ARGUMENT',
    );
  });
});

describe('face quality invalid parameters', () => {
  const face: DetectedFace = {
    box: [10, 10, 110, 130],
    score: 0.9,
    landmarks: [
      [40, 60],
      [80, 60],
      [60, 80],
      [45, 100],
      [75, 100],
    ],
  };
  it('rejects malformed faces, crops, norms and limits', () => {
    assert.throws(() => faceQuality(null as unknown as DetectedFace), TypeError);
    assert.throws(() => faceQuality({ ...face, box: [0, 0, 1] as unknown as DetectedFace['box'] }), /Expected face.box to be four finite numbers/);
    assert.throws(() => faceQuality({ ...face, score: 1.5 }), RangeError);
    assert.throws(() => faceQuality({ ...face, landmarks: [] as unknown as DetectedFace['landmarks'] }), /Expected face.landmarks to be five finite/);
    assert.throws(() => faceQuality(face, { width: 4, height: 4, data: new Uint8Array(3) } as RgbImage), TypeError);
    assert.throws(() => faceQuality(face, undefined, -1), RangeError);
    assert.throws(() => resolveQualityLimits({ maxYaw: 120 }), /Expected a number between 0 and 90 for maxYaw but received 120/);
    assert.throws(() => resolveQualityLimits(null as unknown as object), TypeError);
    assert.throws(() => qualityRejection(null as unknown as FaceQuality), TypeError);
    assert.throws(() => qualityRejection(faceQuality(face), { minScore: '0.5' as unknown as number }), TypeError);
    assert.ok(Object.isFrozen(DEFAULT_QUALITY_LIMITS));
    assert.equal(faceQuality(face).size, 100);
  });
});

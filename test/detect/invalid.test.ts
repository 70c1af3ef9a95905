import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isArcFaceError } from '../../src/core/index.js';
import { createFaceDetector, DETECTOR_DEFAULTS, resolveDetectorConfig, type FaceDetector } from '../../src/detect/index.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';
import { detectorPath, openDetector } from './fixtures.js';

function code(c: string) {
  return (e: unknown): boolean => {
    assert.ok(isArcFaceError(e), `expected an ArcFaceError, got ${String(e)}`);
    assert.equal(e.code, c, e.message);
    assert.match(e.message, /Expected/);
    return true;
  };
}

describe('resolveDetectorConfig', () => {
  it('returns frozen defaults from the references and never mutates its input', () => {
    const c = resolveDetectorConfig('scrfd');
    assert.ok(Object.isFrozen(c));
    assert.equal(c.scoreThreshold, 0.5);
    assert.equal(c.nmsIou, 0.4);
    assert.equal(c.inputSize, 640);
    assert.equal(DETECTOR_DEFAULTS.yunet.scoreThreshold, 0.8);
    assert.equal(DETECTOR_DEFAULTS.yunet.nmsIou, 0.3);
    const partial = { scoreThreshold: 0.7 };
    assert.equal(resolveDetectorConfig('yunet', partial).scoreThreshold, 0.7);
    assert.deepEqual(partial, { scoreThreshold: 0.7 });
  });
  it('rejects bad values with TypeError or RangeError naming the parameter', () => {
    assert.throws(() => resolveDetectorConfig('mtcnn' as 'yunet'), { name: 'TypeError', message: /kind/ });
    assert.throws(() => resolveDetectorConfig('yunet', { scoreThreshold: 1.5 }), { name: 'RangeError', message: /scoreThreshold.*1\.5/ });
    assert.throws(() => resolveDetectorConfig('yunet', { nmsIou: Number.NaN }), { name: 'TypeError', message: /nmsIou/ });
    assert.throws(() => resolveDetectorConfig('yunet', { inputSize: 100 }), { name: 'RangeError', message: /multiple of 32.*100/ });
    assert.throws(() => resolveDetectorConfig('yunet', { inputSize: 8192 }), { name: 'RangeError', message: /inputSize/ });
    assert.throws(() => resolveDetectorConfig('yunet', { maxFaces: 0 }), { name: 'RangeError', message: /maxFaces/ });
    assert.throws(() => resolveDetectorConfig('yunet', { minFaceSize: -1 }), { name: 'RangeError', message: /minFaceSize/ });
    assert.throws(() => resolveDetectorConfig('yunet', { maxTiles: 1.5 }), { name: 'TypeError', message: /maxTiles/ });
    assert.throws(() => resolveDetectorConfig('yunet', { secondPass: 'yes' as unknown as boolean }), { name: 'TypeError', message: /secondPass/ });
    assert.throws(() => resolveDetectorConfig('yunet', { voting: 'no' as unknown as boolean }), { name: 'TypeError', message: /voting/ });
    assert.throws(() => resolveDetectorConfig('yunet', { enlargeSmall: 1 as unknown as boolean }), { name: 'TypeError', message: /enlargeSmall/ });
    assert.throws(() => resolveDetectorConfig('yunet', { secondPassScoreThreshold: 2 }), { name: 'RangeError', message: /secondPassScoreThreshold/ });
  });
});

describe('createFaceDetector errors', () => {
  const dir = testOutputDir('detect-invalid');
  before(async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'not-a-model.onnx'), 'this is not an onnx graph');
  });

  it('unknown name → MODEL_UNKNOWN_NAME', async () => {
    await assert.rejects(createFaceDetector('mtcnn', { modelDir: sharedPath('models') }), code('MODEL_UNKNOWN_NAME'));
  });
  it('a name without modelDir → INVALID_ARGUMENT', async () => {
    await assert.rejects(createFaceDetector('yunet-n'), code('INVALID_ARGUMENT'));
  });
  it('missing file → MODEL_NOT_FOUND', async () => {
    await assert.rejects(createFaceDetector({ kind: 'yunet', modelPath: join(dir, 'absent.onnx') }), code('MODEL_NOT_FOUND'));
  });
  it('a file that is not ONNX → MODEL_INVALID', async () => {
    await assert.rejects(createFaceDetector({ kind: 'scrfd', modelPath: join(dir, 'not-a-model.onnx') }), code('MODEL_INVALID'));
  });
  it('a model of another family → MODEL_CONTRACT_MISMATCH', async () => {
    await assert.rejects(createFaceDetector({ kind: 'yunet', modelPath: detectorPath('scrfd-500m') }, { intraOpThreads: 1 }), code('MODEL_CONTRACT_MISMATCH'));
    await assert.rejects(
      createFaceDetector({ kind: 'scrfd', modelPath: detectorPath('retinaface-mnet025') }, { intraOpThreads: 1 }),
      code('MODEL_CONTRACT_MISMATCH'),
    );
    await assert.rejects(
      createFaceDetector({ kind: 'retinaface', modelPath: detectorPath('yunet-n') }, { intraOpThreads: 1 }),
      code('MODEL_CONTRACT_MISMATCH'),
    );
  });
  it('bad spec values → TypeError/RangeError', async () => {
    await assert.rejects(createFaceDetector({ kind: 'ssd' as 'yunet', modelPath: 'x.onnx' }), { name: 'TypeError', message: /kind/ });
    await assert.rejects(createFaceDetector({ kind: 'yunet', modelPath: '' }), { name: 'TypeError', message: /modelPath/ });
    await assert.rejects(createFaceDetector({ kind: 'yunet', modelPath: detectorPath('yunet-n'), nmsIou: 3 }), { name: 'RangeError', message: /nmsIou/ });
    await assert.rejects(createFaceDetector(42 as unknown as string), { name: 'TypeError' });
    await assert.rejects(createFaceDetector('yunet', { modelDir: '' }), { name: 'TypeError', message: /modelDir/ });
    await assert.rejects(createFaceDetector('yunet', { modelDir: sharedPath('models'), intraOpThreads: 0 }), { name: 'RangeError', message: /intraOpThreads/ });
  });
  it('loads by kind or preset name from modelDir', async () => {
    const d = await createFaceDetector('scrfd', { modelDir: sharedPath('models'), intraOpThreads: 1 });
    assert.equal(d.name, 'scrfd-500m');
    await d.dispose();
  });
});

describe('detect() arguments', () => {
  let det: FaceDetector;
  before(async () => {
    det = await openDetector('yunet-n');
  });
  after(async () => {
    await det.dispose();
  });
  it('rejects images that are not RgbImage', async () => {
    await assert.rejects(det.detect(null as never), { name: 'TypeError', message: /RgbImage/ });
    await assert.rejects(det.detect({ width: 2, height: 2, data: new Uint8Array(5) }), { name: 'TypeError', message: /12 bytes/ });
    await assert.rejects(det.detect({ width: 0, height: 2, data: new Uint8Array(0) }), { name: 'TypeError', message: /width and height/ });
  });
  it('rejects bad options', async () => {
    const img = { width: 32, height: 32, data: new Uint8Array(32 * 32 * 3) };
    await assert.rejects(det.detect(img, { scoreThreshold: -0.1 }), { name: 'RangeError', message: /scoreThreshold/ });
    await assert.rejects(det.detect(img, { maxFaces: 0 }), { name: 'RangeError', message: /maxFaces/ });
    await assert.rejects(det.detect(img, { nmsIou: '0.3' as unknown as number }), { name: 'TypeError', message: /nmsIou/ });
    await assert.rejects(det.detect(img, { secondPass: 1 as unknown as boolean }), { name: 'TypeError', message: /secondPass/ });
    await assert.rejects(det.detect(img, null as never), { name: 'TypeError', message: /options/ });
  });
  it('a disposed detector refuses to run (INVALID_ARGUMENT) and dispose is idempotent', async () => {
    const d = await openDetector('yunet-s');
    await d.dispose();
    await d.dispose();
    await assert.rejects(d.detect({ width: 32, height: 32, data: new Uint8Array(32 * 32 * 3) }), code('INVALID_ARGUMENT'));
  });
});

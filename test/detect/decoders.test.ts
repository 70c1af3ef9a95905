import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isArcFaceError } from '../../src/core/index.js';
import { decodeRetinaface } from '../../src/detect/decode-retinaface.js';
import { decodeScrfd } from '../../src/detect/decode-scrfd.js';
import { decodeYunet } from '../../src/detect/decode-yunet.js';
import type { FloatTensor } from '../../src/runtime/index.js';

/** Hand-made outputs for a 32×32 input: grids 4×4 (stride 8), 2×2 (16) and 1×1 (32). */
const W = 32;
const H = 32;
const cells = { 8: 16, 16: 4, 32: 1 } as const;

function t(n: number, per: number, fill = 0): FloatTensor {
  return { data: new Float32Array(n * per).fill(fill), dims: [1, n, per] };
}

describe('decodeYunet (golden)', () => {
  it('decodes one anchor exactly as OpenCV FaceDetectorYN does', () => {
    const outputs: Record<string, FloatTensor> = {};
    for (const s of [8, 16, 32] as const) {
      outputs[`cls_${s}`] = t(cells[s], 1);
      outputs[`obj_${s}`] = t(cells[s], 1);
      outputs[`bbox_${s}`] = t(cells[s], 4);
      outputs[`kps_${s}`] = t(cells[s], 10);
    }
    // Stride 8, cell index 6 → col 2, row 1. cls 0.81, obj 1 → score 0.9.
    (outputs.cls_8 as FloatTensor).data[6] = 0.81;
    (outputs.obj_8 as FloatTensor).data[6] = 1.7; // clamped to 1
    (outputs.bbox_8 as FloatTensor).data.set([0.5, 0.25, Math.log(2), 0], 6 * 4);
    (outputs.kps_8 as FloatTensor).data.set([0, 0, 1, 0, 0.5, 0.5, 0, 1, 1, 1], 6 * 10);
    const out = decodeYunet({ outputs, outputNames: Object.keys(outputs), inputWidth: W, inputHeight: H, scoreThreshold: 0.5 });
    assert.equal(out.length, 1);
    const f = out[0];
    assert.ok(f !== undefined);
    assert.ok(Math.abs(f.score - 0.9) < 1e-6);
    // cx = (2 + 0.5)·8 = 20, cy = (1 + 0.25)·8 = 10, w = 2·8 = 16, h = 8.
    assert.deepEqual(
      f.box.map((v) => Math.round(v * 1e4) / 1e4),
      [12, 6, 28, 14],
    );
    assert.deepEqual(f.landmarks, [
      [16, 8],
      [24, 8],
      [20, 12],
      [16, 16],
      [24, 16],
    ]);
  });
  it('raises MODEL_CONTRACT_MISMATCH on a missing or mis-sized output', () => {
    const outputs: Record<string, FloatTensor> = { cls_8: t(15, 1) };
    assert.throws(
      () => decodeYunet({ outputs, outputNames: ['cls_8'], inputWidth: W, inputHeight: H, scoreThreshold: 0.5 }),
      (e: unknown) => isArcFaceError(e, 'MODEL_CONTRACT_MISMATCH') && /16×1/.test(e.message),
    );
    assert.throws(
      () => decodeYunet({ outputs: {}, outputNames: [], inputWidth: W, inputHeight: H, scoreThreshold: 0.5 }),
      (e: unknown) => isArcFaceError(e, 'MODEL_CONTRACT_MISMATCH'),
    );
  });
});

describe('decodeScrfd (golden)', () => {
  it('decodes distances from the anchor centre, two anchors per cell (InsightFace distance2bbox)', () => {
    const names = ['s8', 's16', 's32', 'b8', 'b16', 'b32', 'k8', 'k16', 'k32'];
    const per = [1, 1, 1, 4, 4, 4, 10, 10, 10];
    const n = [32, 8, 2, 32, 8, 2, 32, 8, 2];
    const outputs: Record<string, FloatTensor> = {};
    names.forEach((nm, i) => {
      outputs[nm] = t(n[i] as number, per[i] as number);
    });
    // Stride 16, row 3 → cell 1 (col 1, row 0), second anchor; centre (16, 0).
    (outputs.s16 as FloatTensor).data[3] = 0.7;
    (outputs.b16 as FloatTensor).data.set([0.5, 0.25, 1, 2], 3 * 4);
    (outputs.k16 as FloatTensor).data.set([-0.25, 0.5, 0.25, 0.5, 0, 1, -0.25, 1.5, 0.25, 1.5], 3 * 10);
    const out = decodeScrfd({ outputs, outputNames: names, inputWidth: W, inputHeight: H, scoreThreshold: 0.5 });
    assert.equal(out.length, 1);
    const f = out[0];
    assert.ok(f !== undefined);
    assert.ok(Math.abs(f.score - 0.7) < 1e-6);
    assert.deepEqual(f.box, [8, -4, 32, 32]);
    assert.deepEqual(f.landmarks, [
      [12, 8],
      [20, 8],
      [16, 16],
      [12, 24],
      [20, 24],
    ]);
  });
});

describe('decodeRetinaface (golden)', () => {
  it('decodes against the priors with variances 0.1 and 0.2 (biubug6 decode/decode_landm)', () => {
    const p = 42;
    const outputs = { loc: t(p, 4), conf: t(p, 2), iou: t(p, 10) };
    // Prior 3: stride 8, row 0, col 1, size 32 → centre (12, 4).
    outputs.conf.data.set([0.05, 0.95], 3 * 2);
    outputs.loc.data.set([1, -1, 0, Math.log(2) / 0.2], 3 * 4);
    outputs.iou.data.set([0, 0, 1, 0, 0, 1, -1, 2, 1, 2], 3 * 10);
    const out = decodeRetinaface({ outputs, outputNames: ['loc', 'conf', 'iou'], inputWidth: W, inputHeight: H, scoreThreshold: 0.6 });
    assert.equal(out.length, 1);
    const f = out[0];
    assert.ok(f !== undefined);
    // cx = 12 + 1·0.1·32 = 15.2, cy = 4 − 3.2 = 0.8, w = 32, h = 64.
    assert.deepEqual(
      f.box.map((v) => Math.round(v * 1e4) / 1e4),
      [-0.8, -31.2, 31.2, 32.8],
    );
    assert.deepEqual(
      f.landmarks.map(([x, y]) => [Math.round(x * 1e4) / 1e4, Math.round(y * 1e4) / 1e4]),
      [
        [12, 4],
        [15.2, 4],
        [12, 7.2],
        [8.8, 10.4],
        [15.2, 10.4],
      ],
    );
  });
});

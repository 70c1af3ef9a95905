import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { retinafacePriors } from '../../src/detect/anchors.js';
import type { Candidate, DecodeInput } from '../../src/detect/candidate.js';
import { decodeRetinaface } from '../../src/detect/decode-retinaface.js';
import { decodeScrfd } from '../../src/detect/decode-scrfd.js';
import { decodeYunet } from '../../src/detect/decode-yunet.js';
import type { FloatTensor } from '../../src/runtime/index.js';
import { REPO_ROOT } from '../helpers/shared.js';

/** Written by scripts/reference-decoders.py (numpy re-implementations of the upstream decoders). */
interface Family {
  readonly names: string[];
  readonly outputs: Record<string, number[]>;
  readonly faces: { box: number[]; score: number; landmarks: number[][] }[];
}
interface Reference {
  readonly width: number;
  readonly height: number;
  readonly threshold: number;
  readonly yunet: Family;
  readonly scrfd: Family;
  readonly retinaface: Family & { priors: { cx: number; cy: number; size: number }[] };
}

const ref = JSON.parse(readFileSync(join(REPO_ROOT, 'test', 'detect', 'fixtures', 'decoder-reference.json'), 'utf8')) as Reference;
/** float32 arithmetic in the reference against float64 here, on coordinates up to ~200 px. */
const EPS = 1e-3;

function input(f: Family): DecodeInput {
  const outputs: Record<string, FloatTensor> = {};
  for (const name of f.names) {
    const data = Float32Array.from(f.outputs[name] ?? []);
    outputs[name] = { data, dims: [1, data.length] };
  }
  return { outputs, outputNames: f.names, inputWidth: ref.width, inputHeight: ref.height, scoreThreshold: ref.threshold };
}

function assertSame(got: Candidate[], want: Family['faces'], family: string): void {
  assert.ok(want.length > 10, `${family}: the reference keeps ${want.length} candidates`);
  assert.equal(got.length, want.length, `${family}: candidate count`);
  got.forEach((g, i) => {
    const w = want[i]!;
    assert.ok(Math.abs(g.score - w.score) < 1e-6, `${family} #${i} score ${g.score} vs ${w.score}`);
    g.box.forEach((v, k) => assert.ok(Math.abs(v - w.box[k]!) < EPS, `${family} #${i} box[${k}] ${v} vs ${w.box[k]}`));
    g.landmarks.forEach((p, k) =>
      p.forEach((v, c) => assert.ok(Math.abs(v - w.landmarks[k]![c]!) < EPS, `${family} #${i} landmark ${k} ${v} vs ${w.landmarks[k]![c]}`)),
    );
  });
}

describe(`decoders against reference decodings (${ref.width}×${ref.height}, random outputs)`, () => {
  it('YuNet matches OpenCV FaceDetectorYN postProcess', () => assertSame(decodeYunet(input(ref.yunet)), ref.yunet.faces, 'yunet'));
  it('SCRFD matches InsightFace scrfd.py distance2bbox / distance2kps', () => assertSame(decodeScrfd(input(ref.scrfd)), ref.scrfd.faces, 'scrfd'));
  it('RetinaFace matches biubug6 decode / decode_landm', () => assertSame(decodeRetinaface(input(ref.retinaface)), ref.retinaface.faces, 'retinaface'));
  it('RetinaFace priors match biubug6 PriorBox (in pixels), in order', () => {
    const priors = retinafacePriors(ref.width, ref.height);
    assert.equal(priors.length, ref.retinaface.priors.length);
    priors.forEach((p, i) => {
      const w = ref.retinaface.priors[i]!;
      assert.ok(
        Math.abs(p.cx - w.cx) < 1e-4 && Math.abs(p.cy - w.cy) < 1e-4 && Math.abs(p.size - w.size) < 1e-4,
        `prior ${i}: ${JSON.stringify(p)} vs ${JSON.stringify(w)}`,
      );
    });
  });
});

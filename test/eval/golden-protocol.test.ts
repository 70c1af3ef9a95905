import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { evaluateVerification, kFoldVerification, rocCurve, tarAtFar, trapezoidAuc } from '../../src/eval/index.js';
import { sharedPath } from '../helpers/shared.js';

interface Golden {
  input: { dist: number[]; same: boolean[] };
  expected: {
    folds: Array<{ best_threshold: number; accuracy: number }>;
    accuracy_mean: number;
    accuracy_std: number;
    'tar_at_far_0.1': number;
    'tar_at_far_0.01': number;
    'tar_at_far_0.001': number;
    auc: number;
  };
}

const golden = JSON.parse(readFileSync(sharedPath('golden', 'lfw-protocol.json'), 'utf8')) as Golden;
const { dist, same } = golden.input;
const exp = golden.expected;

describe('LFW protocol golden (InsightFace verification.py)', () => {
  it('has the golden input shape: 6000 pairs, 300 same then 300 different per fold', () => {
    assert.equal(dist.length, 6000);
    assert.equal(same.length, 6000);
    for (let f = 0; f < 10; f++) {
      assert.equal(
        same.slice(f * 600, f * 600 + 300).every((s) => s),
        true,
      );
      assert.equal(
        same.slice(f * 600 + 300, f * 600 + 600).every((s) => !s),
        true,
      );
    }
  });

  it('chooses the same per-fold thresholds and reaches the same accuracies to 1e-12', () => {
    const r = kFoldVerification(dist, same);
    assert.equal(r.folds.length, 10);
    r.folds.forEach((f, i) => {
      const e = exp.folds[i];
      assert.ok(e !== undefined);
      assert.equal(f.bestThreshold, e.best_threshold, `fold ${i} threshold`);
      assert.ok(Math.abs(f.accuracy - e.accuracy) <= 1e-12, `fold ${i} accuracy ${f.accuracy} vs ${e.accuracy}`);
    });
    assert.ok(Math.abs(r.accuracyMean - exp.accuracy_mean) <= 1e-12, `mean ${r.accuracyMean}`);
    // numpy's pairwise summation is reproduced, so the mean is even bit-identical.
    assert.equal(r.accuracyMean, exp.accuracy_mean);
    assert.ok(Math.abs(r.accuracyStd - exp.accuracy_std) <= 1e-12, `std ${r.accuracyStd}`);
  });

  it('reproduces TAR@FAR and AUC to 1e-9 from the drop_intermediate ROC', () => {
    const roc = rocCurve(
      dist.map((d) => -d),
      same,
    );
    const cases: Array<[number, number]> = [
      [0.1, exp['tar_at_far_0.1']],
      [0.01, exp['tar_at_far_0.01']],
      [0.001, exp['tar_at_far_0.001']],
    ];
    for (const [far, want] of cases) {
      const got = tarAtFar(roc, far);
      assert.equal(got.measurable, true);
      assert.ok(got.tar !== null && Math.abs(got.tar - want) <= 1e-9, `TAR@FAR=${far}: ${got.tar} vs ${want}`);
    }
    assert.ok(Math.abs(trapezoidAuc(roc.far, roc.tar) - exp.auc) <= 1e-9);
  });

  it('gives the same figures through evaluateVerification, and calls 1e-4 not measurable with 3000 impostors', () => {
    const m = evaluateVerification(dist, same);
    assert.equal(m.genuine, 3000);
    assert.equal(m.impostor, 3000);
    assert.ok(Math.abs(m.kfold.accuracyMean - exp.accuracy_mean) <= 1e-12);
    assert.ok(Math.abs(m.auc - exp.auc) <= 1e-9);
    assert.deepEqual(
      m.tarAtFar.map((t) => t.far),
      [1e-1, 1e-2, 1e-3, 1e-4],
    );
    assert.ok(Math.abs((m.tarAtFar[2]?.tar ?? Number.NaN) - exp['tar_at_far_0.001']) <= 1e-9);
    assert.deepEqual(m.tarAtFar[3], { far: 1e-4, measurable: false, tar: null, achievedFar: null });
    assert.equal(m.thresholds[3]?.measurable, false);
    const t3 = m.thresholds[2];
    assert.ok(t3 !== undefined && t3.achievedFar !== null && t3.achievedFar <= 1e-3);
    assert.ok(t3.distance !== null && t3.cosine !== null && Math.abs(t3.cosine - (1 - t3.distance / 2)) < 1e-15);
    assert.ok(m.eer.eer > 0 && m.eer.eer < 0.1, `EER ${m.eer.eer}`);
  });
});

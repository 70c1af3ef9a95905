import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isArcFaceError } from '../../src/core/index.js';
import {
  equalErrorRate,
  evaluateVerification,
  farMeasurable,
  foldRanges,
  kFoldVerification,
  numpySum,
  rocCurve,
  scoreHistogram,
  tarAtFar,
  thresholdAtFar,
  trapezoidAuc,
} from '../../src/eval/index.js';

describe('rocCurve', () => {
  // sklearn.metrics.roc_curve([0,0,1,1], [0.1,0.4,0.35,0.8]) → fpr [0,0,.5,.5,1], tpr [0,.5,.5,1,1],
  // thresholds [inf,.8,.4,.35,.1] (the scikit-learn documentation example).
  it('matches the scikit-learn documentation example', () => {
    const roc = rocCurve([0.1, 0.4, 0.35, 0.8], [false, false, true, true]);
    assert.deepEqual(Array.from(roc.far), [0, 0, 0.5, 0.5, 1]);
    assert.deepEqual(Array.from(roc.tar), [0, 0.5, 0.5, 1, 1]);
    assert.deepEqual(Array.from(roc.thresholds), [Number.POSITIVE_INFINITY, 0.8, 0.4, 0.35, 0.1]);
    assert.equal(trapezoidAuc(roc.far, roc.tar), 0.75);
  });

  it('collapses tied scores into one point and drops collinear points only when asked', () => {
    const scores = [5, 4, 3, 2, 1, 1];
    const same = [true, true, true, false, false, true];
    const full = rocCurve(scores, same, { dropIntermediate: false });
    assert.deepEqual(Array.from(full.thresholds), [Number.POSITIVE_INFINITY, 5, 4, 3, 2, 1]);
    const dropped = rocCurve(scores, same);
    assert.deepEqual(Array.from(dropped.thresholds), [Number.POSITIVE_INFINITY, 5, 3, 2, 1]);
    assert.equal(full.genuine, 4);
    assert.equal(full.impostor, 2);
  });

  it('rejects mismatched, empty or non-finite input with PROTOCOL_INVALID', () => {
    assert.throws(
      () => rocCurve([1, 2], [true]),
      (e) => isArcFaceError(e, 'PROTOCOL_INVALID') && /equal length/.test(e.message),
    );
    assert.throws(
      () => rocCurve([], []),
      (e) => isArcFaceError(e, 'PROTOCOL_INVALID'),
    );
    assert.throws(
      () => rocCurve([1, Number.NaN], [true, false]),
      (e) => isArcFaceError(e, 'PROTOCOL_INVALID') && /scores\[1\]/.test(e.message),
    );
    assert.throws(
      () => rocCurve([1, 2], [true, 1 as unknown as boolean]),
      (e) => isArcFaceError(e, 'PROTOCOL_INVALID') && /same\[1\]/.test(e.message),
    );
    assert.throws(
      () => rocCurve(null as unknown as number[], []),
      (e) => isArcFaceError(e, 'PROTOCOL_INVALID'),
    );
  });

  it('trapezoidAuc rejects arrays of different length', () => {
    assert.throws(() => trapezoidAuc([0, 1], [0]), RangeError);
  });
});

describe('operating points', () => {
  const dist = [0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0];
  const same = [true, true, true, false, true, false, false, false, false, false];
  const negDist = dist.map((d) => -d);

  it('knows which FARs a pair count can measure', () => {
    assert.equal(farMeasurable(1e-3, 3000), true);
    assert.equal(farMeasurable(1e-4, 3000), false);
    assert.equal(farMeasurable(1e-3, 999), false);
    assert.equal(tarAtFar(rocCurve(negDist, same), 0.01).measurable, false);
  });

  it('reads TAR at the nearest FAR and the most lenient threshold under a FAR', () => {
    const roc = rocCurve(negDist, same, { dropIntermediate: false });
    const t = tarAtFar(roc, 0.2);
    // Two points share FAR 1/6 (TAR 3/4 then 1): the first one is read, as np.argmin does.
    assert.equal(t.achievedFar, 1 / 6);
    assert.equal(t.tar, 0.75);
    const th = thresholdAtFar(roc, 0.2);
    assert.equal(th.distance, 1.0);
    assert.equal(th.cosine, 0.5);
    assert.equal(th.tar, 1);
    assert.equal(th.achievedFar, 1 / 6);
  });

  it('rejects a FAR outside (0, 1]', () => {
    const roc = rocCurve(negDist, same);
    assert.throws(() => tarAtFar(roc, 0), RangeError);
    assert.throws(() => thresholdAtFar(roc, 2), RangeError);
    assert.throws(() => tarAtFar(roc, Number.NaN), TypeError);
  });

  it('finds the equal error rate where FAR meets FRR', () => {
    const e = equalErrorRate(rocCurve(negDist, same, { dropIntermediate: false }));
    assert.ok(Math.abs(e.eer - 1 / 6) < 0.09, `EER ${e.eer}`);
    assert.ok(e.distance >= 0.6 && e.distance <= 1.0);
    const perfect = equalErrorRate(rocCurve([-0.1, -0.2, -1.5, -1.9], [true, true, false, false], { dropIntermediate: false }));
    assert.equal(perfect.eer, 0);
  });
});

describe('kFoldVerification', () => {
  it('splits folds like KFold(shuffle=False): the first n % k folds hold one more', () => {
    assert.deepEqual(foldRanges(10, 3), [
      [0, 4],
      [4, 7],
      [7, 10],
    ]);
    assert.throws(() => foldRanges(10, 0), RangeError);
  });

  it('uses all pairs for training and testing with one fold, and strict "<" decisions', () => {
    const r = kFoldVerification([0.5, 1.0, 1.5], [true, false, false], { folds: 1, thresholds: [0.5, 0.51, 2] });
    assert.equal(r.folds[0]?.bestThreshold, 0.51);
    assert.equal(r.folds[0]?.accuracy, 1);
    assert.equal(r.accuracyStd, 0);
  });

  it('rejects a fold count above the pair count and an empty grid', () => {
    assert.throws(() => kFoldVerification([0.1, 2], [true, false], { folds: 3 }), RangeError);
    assert.throws(() => kFoldVerification([0.1, 2], [true, false], { thresholds: [] }), RangeError);
  });
});

describe('numpySum', () => {
  it('sums in numpy pairwise order, bit for bit', () => {
    // np.array([0.1*i + 0.013 for i in range(300)]).sum() == 4488.900000000001 (numpy 2.4)
    assert.equal(numpySum(Array.from({ length: 300 }, (_, i) => 0.1 * i + 0.013)), 4488.900000000001);
    assert.equal(numpySum([0.1, 0.2, 0.3]), 0.1 + 0.2 + 0.3);
    assert.equal(numpySum([]), 0);
  });
});

describe('scoreHistogram and evaluateVerification', () => {
  it('bins cosines into [-1, 1] with the last bin closed', () => {
    const h = scoreHistogram([1, -1, 0.99, 0], [true, false, true, false], 4);
    assert.deepEqual(h.edges, [-1, -0.5, 0, 0.5, 1]);
    assert.deepEqual(h.genuine, [0, 0, 0, 2]);
    assert.deepEqual(h.impostor, [1, 0, 1, 0]);
    assert.throws(() => scoreHistogram([0], [true], 0), RangeError);
  });

  it('reports every figure for a small perfect set', () => {
    const m = evaluateVerification([0.1, 1.8, 0.2, 1.9], [true, false, true, false], { folds: 2, fars: [0.5] });
    // Fold 1 trains on fold 0 alone, whose first best threshold is 0.11: its genuine 0.2 is rejected.
    assert.deepEqual(
      m.kfold.folds.map((f) => f.bestThreshold),
      [0.21, 0.11],
    );
    assert.deepEqual(
      m.kfold.folds.map((f) => f.accuracy),
      [1, 0.5],
    );
    assert.equal(m.kfold.folds.length, 2);
    assert.equal(m.auc, 1);
    // The dropped ROC is (0,0) (0,.5) (0,1) (1,1): FAR 0 and 1 are equally near 0.5 and the first
    // point wins, as np.argmin does.
    assert.equal(m.tarAtFar[0]?.tar, 0);
    assert.equal(m.thresholds[0]?.tar, 1);
    assert.equal(m.roc.distance[0], null);
  });
});

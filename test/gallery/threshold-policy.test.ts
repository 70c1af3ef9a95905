/**
 * The open-set identification threshold: impostor tables from scored pairs, the FPIR formula over
 * the gallery's size, and Gallery.identify using it by default (an explicit threshold wins).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isArcFaceError } from '../../src/core/index.js';
import { scoreCalibration, scoreHistograms } from '../../src/eval/index.js';
import { calibrationForFingerprint, cosineAtFar, farAtCosine, identificationThreshold, openGallery } from '../../src/gallery/index.js';
import { findKnownModel, type ScoreCalibration } from '../../src/models/index.js';

/** A table with FAR 10^-k at cosine 0.1·k (k = 1..5). */
const TABLE: ScoreCalibration = {
  impostor: [
    [1e-1, 0.1],
    [1e-2, 0.2],
    [1e-3, 0.3],
    [1e-4, 0.4],
    [1e-5, 0.5],
  ],
  genuine: [
    [0.01, 0.3],
    [0.5, 0.6],
  ],
  impostorPairs: 1_000_000,
  genuinePairs: 1000,
  source: 'test',
};

function unit(v: number[]): Float32Array {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
}

describe('impostor table lookups', () => {
  it('interpolates in log FAR both ways and clamps past the ends', () => {
    assert.ok(Math.abs(cosineAtFar(TABLE, 10 ** -2.5).cosine - 0.25) < 1e-9);
    assert.ok(Math.abs(farAtCosine(TABLE, 0.25) - 10 ** -2.5) < 1e-12);
    assert.deepEqual(cosineAtFar(TABLE, 1e-9), { cosine: 0.5, clamped: true });
    assert.equal(farAtCosine(TABLE, 0.9), 1e-5);
    assert.throws(() => cosineAtFar(TABLE, 0), RangeError);
    assert.throws(
      () => cosineAtFar({ ...TABLE, impostor: [] }, 0.1),
      (e) => isArcFaceError(e, 'INVALID_ARGUMENT'),
    );
  });

  it('derives FAR = 1 − (1 − FPIR)^(1/N): the threshold rises with the gallery, never below the floor', () => {
    const t10 = identificationThreshold(TABLE, 10, { fpir: 0.01 });
    const t1000 = identificationThreshold(TABLE, 1000, { fpir: 0.01 });
    assert.equal(t10.source, 'fpir');
    assert.ok(Math.abs((t10.pairFar as number) - (1 - 0.99 ** 0.1)) < 1e-12);
    assert.ok(t1000.threshold > t10.threshold);
    assert.match(t1000.reason, /1000 identities/);
    const floored = identificationThreshold(TABLE, 1, { fpir: 0.01, floor: 0.25 });
    assert.deepEqual([floored.threshold, floored.source], [0.25, 'floor']);
    assert.match(identificationThreshold(TABLE, 10_000_000).reason, /deeper than the impostor table/);
    assert.throws(() => identificationThreshold(TABLE, -1), RangeError);
    assert.throws(() => identificationThreshold(TABLE, 5, { fpir: 1 }), RangeError);
  });

  it('builds the table from every pair of labelled embeddings', () => {
    // Person a: 3 photos near e0; b, c: 1 photo each, far apart.
    const e = [unit([1, 0.05, 0]), unit([1, -0.05, 0]), unit([1, 0, 0.05]), unit([0, 1, 0]), unit([0.3, 0, 1])];
    const h = scoreHistograms(e, ['a', 'a', 'a', 'b', 'c']);
    assert.equal(h.genuinePairs, 3);
    assert.equal(h.impostorPairs, 7);
    assert.throws(() => scoreCalibration(h, { source: 'x' }), RangeError, 'fewer than 10 impostor pairs');
    const many = Array.from({ length: 60 }, (_, i) => unit([Math.cos(i), Math.sin(i), (i % 7) / 7]));
    const cal = scoreCalibration(
      scoreHistograms(
        many,
        many.map((_, i) => `p${i % 30}`),
      ),
      { source: 'synthetic' },
    );
    assert.equal(cal.impostorPairs, 1770 - 30);
    assert.ok(cal.impostor.length > 2);
    for (let i = 1; i < cal.impostor.length; i++) {
      assert.ok((cal.impostor[i] as [number, number])[0] < (cal.impostor[i - 1] as [number, number])[0]);
      assert.ok((cal.impostor[i] as [number, number])[1] >= (cal.impostor[i - 1] as [number, number])[1]);
    }
    assert.ok((cal.impostor.at(-1) as [number, number])[0] * cal.impostorPairs >= 1, 'no point deeper than one pair');
    assert.throws(() => scoreHistograms([e[0] as Float32Array], []), RangeError);
  });
});

describe('the registry and Gallery.identify', () => {
  it('records an impostor table for the staged recogniser, found from a gallery fingerprint', () => {
    const m = findKnownModel('w600k-mbf-int8');
    const cal = m?.calibration;
    assert.ok(cal !== undefined && cal.impostorPairs > 20_000_000, 'calibrated on every cross-person pair of the shared LFW photos');
    assert.ok((cal.impostor.at(-1) as [number, number])[0] <= 1.01e-7, 'down to FAR 1e-7');
    assert.ok(cal.impostor.length <= 80, 'compact');
    assert.equal(calibrationForFingerprint(`sha256:${m?.sha256}|RGB|NCHW|127.5|127.5|112|512`), cal);
    assert.equal(calibrationForFingerprint('sha256:00|x'), undefined);
  });

  it('uses the FPIR threshold at its current size by default; an explicit threshold wins; null calibration keeps the 1:1 threshold', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-policy-'));
    const g = await openGallery(join(dir, 'g.db'), { fingerprint: 'test-model', embeddingSize: 3, threshold: 0.15, calibration: TABLE });
    try {
      for (let i = 0; i < 20; i++) await g.enroll(`p${i}`, [unit([Math.cos(i), Math.sin(i), 0.1 * i])]);
      const q = unit([1, 0.2, 0]);
      const auto = await g.identify(q);
      const expected = identificationThreshold(TABLE, 20, { fpir: 0.01, floor: 0.15 });
      assert.deepEqual(auto.thresholdChoice, expected);
      assert.equal(auto.threshold, expected.threshold);
      assert.equal(auto.decision, (auto.candidates[0]?.score ?? -1) >= expected.threshold ? 'known' : 'unknown');
      assert.ok((await g.identify(q, { fpir: 0.1 })).threshold < auto.threshold);
      const given = await g.identify(q, { threshold: 0.99 });
      assert.deepEqual([given.threshold, given.thresholdChoice.source, given.decision], [0.99, 'given', 'unknown']);
      await g.enroll('extra', [unit([0, 0, 1])]);
      assert.equal((await g.identificationThreshold()).galleryIdentities, 21, 'follows the gallery as it grows');
    } finally {
      await g.close();
    }
    const plain = await openGallery(join(dir, 'g.db'), { threshold: 0.15, calibration: null });
    try {
      const r = await plain.identify(unit([1, 0, 0]));
      assert.deepEqual([r.threshold, r.thresholdChoice.source], [0.15, 'fixed']);
    } finally {
      await plain.close();
    }
  });
});

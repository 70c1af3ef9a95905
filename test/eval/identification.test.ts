/**
 * Open-set identification metrics, and the acceptance protocol: `arcface eval identify` on a subset
 * of the shared LFW photos (people with ≥ 2 photos enrol one and probe with the others, people with
 * one photo are strangers) measures an FPIR at the default threshold no higher than the target and
 * reports DIR. The full protocol's figures come from `scripts/openset-study.ts` (minutes).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { detCurve, dirAtFpir, pointAtThreshold, rankK, scoreIdentification, type IdentificationScores } from '../../src/eval/index.js';
import { runCli } from '../helpers/cli.js';
import { sharedPath } from '../helpers/shared.js';

const f = (v: number[]): Float32Array => {
  const n = Math.hypot(...v);
  return Float32Array.from(v, (x) => x / n);
};

describe('identification metrics', () => {
  const scores: IdentificationScores = {
    mated: [
      { rank: 1, topScore: 0.9, topIsMate: true },
      { rank: 1, topScore: 0.4, topIsMate: true },
      { rank: 2, topScore: 0.5, topIsMate: false },
      { rank: 7, topScore: 0.3, topIsMate: false },
    ],
    nonMatedTop: Float64Array.from([0.1, 0.2, 0.3, 0.45, 0.05, 0.15, 0.25, 0.35, 0.0, 0.02]),
    galleryIdentities: 5,
  };

  it('rank-k, FPIR and DIR at a threshold, DIR at an FPIR target', () => {
    assert.deepEqual([rankK(scores, 1), rankK(scores, 5)], [0.5, 0.75]);
    assert.deepEqual(pointAtThreshold(scores, 0.35), { threshold: 0.35, fpir: 0.2, dir: 0.5 });
    const at10 = dirAtFpir(scores, 0.1);
    assert.ok(at10 !== null && at10.fpir <= 0.1 && at10.threshold > 0.35 && at10.threshold < 0.36);
    assert.equal(at10?.dir, 0.5);
    assert.equal(dirAtFpir(scores, 0.01), null, '10 strangers cannot measure FPIR 1 %');
    const det = detCurve(scores);
    assert.equal(det.length, 10);
    assert.ok(det.every((p, i) => i === 0 || (p.fpir >= (det[i - 1] as typeof p).fpir && p.dir >= (det[i - 1] as typeof p).dir)));
  });

  it('scores probes against a gallery of templates (an identity scores its best template)', () => {
    const gallery = new Map([
      ['a', [f([1, 0, 0]), f([0.9, 0.4, 0])]],
      ['b', [f([0, 1, 0])]],
    ]);
    const s = scoreIdentification(
      gallery,
      [
        { label: 'a', embedding: f([0.95, 0.35, 0]) },
        { label: 'b', embedding: f([1, 0.1, 0]) },
      ],
      [f([0, 0, 1])],
    );
    assert.deepEqual(
      s.mated.map((m) => [m.rank, m.topIsMate]),
      [
        [1, true],
        [2, false],
      ],
    );
    assert.ok(Math.abs((s.nonMatedTop[0] as number) - 0) < 1e-6);
    assert.throws(() => scoreIdentification(new Map(), [], []), RangeError);
  });
});

describe('arcface eval identify on shared LFW photos', () => {
  it('keeps the measured FPIR at the default threshold within the 1 % target and reports DIR, rank-1/5 and a DET plot', async () => {
    const out = mkdtempSync(join(tmpdir(), 'arcface-evalid-'));
    // 120 people evenly spread over the sorted names: about 28 enrolled (their ~47 other photos are probes) and ~92 strangers.
    const r = await runCli(['eval', 'identify', '--data', sharedPath('data', 'faces', 'lfw-deepfunneled'), '--max-people', '120', '--out', out, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as {
      counts: { galleryIdentities: number; matedProbes: number; nonMatedProbes: number };
      threshold: { threshold: number; source: string; targetFpir: number; galleryIdentities: number };
      metrics: {
        rank1: number;
        rank5: number;
        atDefaultThreshold: { fpir: number; dir: number };
        atOneToOneThreshold: { fpir: number; dir: number };
        dirAtFpir: { targetFpir: number; dir?: number }[];
      };
      files: Record<string, string>;
    };
    assert.ok(report.counts.galleryIdentities >= 20 && report.counts.nonMatedProbes >= 60 && report.counts.matedProbes >= 30, JSON.stringify(report.counts));
    assert.equal(report.threshold.source, 'fpir');
    assert.equal(report.threshold.targetFpir, 0.01);
    assert.equal(report.threshold.galleryIdentities, report.counts.galleryIdentities);
    assert.ok(
      report.metrics.atDefaultThreshold.fpir <= report.threshold.targetFpir,
      `FPIR ${report.metrics.atDefaultThreshold.fpir} at cosine ${report.threshold.threshold}`,
    );
    assert.ok(report.metrics.atDefaultThreshold.dir > 0.8 && report.metrics.atDefaultThreshold.dir <= 1, `DIR ${report.metrics.atDefaultThreshold.dir}`);
    assert.ok(report.metrics.atOneToOneThreshold.fpir >= report.metrics.atDefaultThreshold.fpir, 'the 1:1 threshold is the more lenient');
    assert.ok(report.metrics.rank1 > 0.8 && report.metrics.rank5 >= report.metrics.rank1);
    assert.equal(typeof report.metrics.dirAtFpir.find((d) => d.targetFpir === 0.1)?.dir, 'number');
    for (const file of ['report.json', 'report.md', 'det.svg', 'det.png']) assert.ok(existsSync(join(out, file)), file);
  });

  it('refuses a run without a protocol', async () => {
    const r = await runCli(['eval', 'identify', '--json']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /INVALID_ARGUMENT/);
  });
});

describe('arcface calibrate --faces', () => {
  it('scores every pair of a labelled folder into impostor and genuine tables', async () => {
    const root = mkdtempSync(join(tmpdir(), 'arcface-calfaces-'));
    const people: [string, number[]][] = [
      ['Adrian_Nastase', [1, 2]],
      ['Ali_Khamenei', [1, 3]],
      ['Andy_Roddick', [8, 10]],
      ['AJ_Lamas', [1]],
      ['Albert_Brooks', [1]],
      ['Alexander_Lukashenko', [1]],
      ['Almeida_Baptista', [1]],
    ];
    for (const [name, ns] of people) {
      mkdirSync(join(root, 'faces', name), { recursive: true });
      for (const n of ns)
        copyFileSync(sharedPath('data', 'faces', 'lfw-deepfunneled', name, `${name}_${String(n).padStart(4, '0')}.jpg`), join(root, 'faces', name, `${n}.jpg`));
    }
    const out = join(root, 'calibration.json');
    const r = await runCli(['calibrate', '--faces', join(root, 'faces'), '--out', out, '--cache', join(root, 'cache'), '--json']);
    assert.equal(r.code, 0, r.stderr);
    const cal = JSON.parse(r.stdout) as {
      impostor: [number, number][];
      genuine: [number, number][];
      impostorPairs: number;
      genuinePairs: number;
      source: string;
    };
    assert.deepEqual([cal.impostorPairs, cal.genuinePairs], [42, 3], '10 photos: 45 pairs, 3 of them same-person');
    assert.ok(cal.impostor.length >= 5 && (cal.impostor.at(-1) as [number, number])[0] * 42 >= 1);
    const genuineMedian = cal.genuine.find(([frr]) => frr === 0.5)?.[1] ?? Number.NaN;
    const impostorAt10 = cal.impostor.find(([far]) => far === 0.1)?.[1] ?? Number.NaN;
    assert.ok(genuineMedian > impostorAt10 + 0.2, `same-person median ${genuineMedian} vs impostor cosine at FAR 0.1 ${impostorAt10}`);
    assert.match(cal.source, /10 photos of 7 people/);
    assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), cal);
    const neither = await runCli(['calibrate', '--json']);
    assert.equal(neither.code, 1);
    assert.match(neither.stderr, /--report FILE and --faces DIR/);
  });
});

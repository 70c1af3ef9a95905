import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { testOutputDir } from '../helpers/shared.js';
import { goldenScoresFile } from './helpers.js';

const golden = await goldenScoresFile();
const dir = testOutputDir('eval-report-wording');

describe('eval report wording (real binary, golden scores)', () => {
  it('with one fold, says the threshold was chosen on the test fold; with ten, on the other nine', async () => {
    await rm(dir, { recursive: true, force: true });
    const one = await runCli(['eval', 'pairs', '--scores', golden, '--folds', '1', '--out', join(dir, 'one')]);
    assert.equal(one.code, 0, one.stderr);
    assert.match(one.stdout, /accuracy .*threshold chosen on the test fold itself/);
    assert.match(await readFile(join(dir, 'one', 'report.md'), 'utf8'), /\| threshold chosen on \| the test fold itself/);
    const ten = await runCli(['eval', 'pairs', '--scores', golden, '--out', join(dir, 'ten')]);
    assert.doesNotMatch(ten.stdout, /test fold itself/);
    assert.match(await readFile(join(dir, 'ten', 'report.md'), 'utf8'), /\| threshold chosen on \| the other 9 folds/);
  });

  it('names both TAR@FAR 1e-3 readings so the two figures are not contradictory', async () => {
    const r = await runCli(['eval', 'pairs', '--scores', golden]);
    assert.match(r.stdout, /TAR @ FAR 1e-3\s+85\.67%/);
    assert.match(r.stdout, /threshold FAR≤1e-3 .*TAR 87\.60% \(most lenient threshold with FAR ≤ target\)/);
    const md = await readFile(join(dir, 'ten', 'report.md'), 'utf8');
    assert.match(md, /TAR @ FAR 1e-3, ROC point nearest the target \(InsightFace's reading\) \| 85\.67 %/);
    assert.match(md, /\| 1e-3 \| 0\.3639 \| 1\.2723 \| 87\.60 % \|/);
  });

  it('calibrate --far outside (0, 1] says "between 0 and 1"', async () => {
    const r = await runCli(['calibrate', '--report', golden, '--far', '2']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Expected a number between 0 and 1 \(above 0\) for --far but received "2"/);
    assert.doesNotMatch(r.stderr, /e-324/);
    assert.equal((await runCli(['calibrate', '--report', golden, '--far', '0'])).code, 1);
  });
});

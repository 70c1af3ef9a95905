import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { Command } from 'commander';
import { calibrate, registerCalibrateCommand } from '../../apps/cli/commands/calibrate.js';
import { registerEvalCommands } from '../../apps/cli/commands/eval.js';
import { isArcFaceError } from '../../src/core/index.js';
import { runCli } from '../helpers/cli.js';
import { testOutputDir } from '../helpers/shared.js';
import { captureContext, goldenScoresFile } from './helpers.js';

const golden = await goldenScoresFile();
const dir = testOutputDir('eval-cli');

async function run(args: string[]): Promise<{ out: string; err: string }> {
  const { ctx, out, err } = captureContext();
  const program = new Command()
    .name('arcface')
    .exitOverride()
    .configureOutput({ writeErr: (s) => err.write(s), writeOut: (s) => out.write(s) });
  registerEvalCommands(program, ctx);
  registerCalibrateCommand(program, ctx);
  await program.parseAsync(args, { from: 'user' });
  return { out: out.text, err: err.text };
}

describe('arcface eval pairs', () => {
  before(async () => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  });

  it('scores the shared golden from the command line with the golden figures', async () => {
    const { out } = await run(['eval', 'pairs', '--scores', golden]);
    assert.match(out, /accuracy\s+96\.53% ± 0\.87%/);
    assert.match(out, /fold thresholds\s+1\.53 1\.53 1\.45 1\.52 1\.53 1\.53 1\.47 1\.51 1\.52 1\.52/);
    assert.match(out, /AUC\s+0\.995178/);
    assert.match(out, /TAR @ FAR 1e-3\s+85\.67%/);
    assert.match(out, /TAR @ FAR 1e-4\s+not measurable with 3000 impostor pairs/);
  });

  it('prints JSON with --json and writes the report and plots with --out', async () => {
    const { out } = await run(['eval', 'pairs', '--scores', golden, '--json', '--out', join(dir, 'golden')]);
    const json = JSON.parse(out) as { accuracy: { mean: number }; auc: number; files: { rocPng: string } };
    assert.equal(json.accuracy.mean, 0.9653333333333334);
    assert.ok(Math.abs(json.auc - 0.9951778888888889) <= 1e-9);
    for (const f of ['report.json', 'report.md', 'roc.svg', 'roc.png', 'scores.svg', 'scores.png']) assert.ok(existsSync(join(dir, 'golden', f)), f);
  });

  it('--help names only the files it accepts: a {dist, same} file and a report.json from --out, both scored alike', async () => {
    const help = await runCli(['eval', 'pairs', '--help']);
    assert.equal(help.code, 0, help.stderr);
    const text = help.stdout.replace(/\s+/g, ' ');
    assert.doesNotMatch(text, /golden/);
    assert.match(text, /\{"dist": \[\.\.\.\], "same": \[\.\.\.\]\}, or a report\.json that eval lfw\|videos\|pairs --out wrote/);
    await run(['eval', 'pairs', '--scores', golden, '--out', join(dir, 'help-report')]);
    const fromScores = await runCli(['eval', 'pairs', '--scores', golden, '--json']);
    const fromReport = await runCli(['eval', 'pairs', '--scores', join(dir, 'help-report', 'report.json'), '--json']);
    assert.equal(fromScores.code, 0, fromScores.stderr);
    assert.equal(fromReport.code, 0, fromReport.stderr);
    const accuracy = (out: string): number => (JSON.parse(out) as { accuracy: { mean: number } }).accuracy.mean;
    assert.equal(accuracy(fromReport.stdout), accuracy(fromScores.stdout));
  });

  it('rejects a malformed scores file and bad options', async () => {
    const bad = join(dir, 'bad.json');
    await writeFile(bad, '{"dist": [0.1], "same": []}');
    await assert.rejects(run(['eval', 'pairs', '--scores', bad]), (e) => isArcFaceError(e, 'PROTOCOL_INVALID'));
    await assert.rejects(run(['eval', 'pairs', '--scores', join(dir, 'none.json')]), (e) => isArcFaceError(e, 'FILE_NOT_FOUND'));
    await assert.rejects(run(['eval', 'pairs', '--scores', golden, '--folds', '0']), /Expected an integer between 1 and 1000 for --folds/);
    await assert.rejects(run(['eval', 'lfw', '--data', dir, '--limit-folds', '11']), /Expected an integer between 1 and 10 for --limit-folds/);
  });
});

describe('arcface calibrate', () => {
  it('prints the cosine and distance threshold for a target FAR from a report', async () => {
    await run(['eval', 'pairs', '--scores', golden, '--out', join(dir, 'cal')]);
    const { out } = await run(['calibrate', '--report', join(dir, 'cal', 'report.json'), '--far', '1e-3']);
    assert.match(out, /accept when cosine ≥ 0\.363865 \(squared L2 distance ≤ 1\.272269\)/);
    const c = await calibrate(join(dir, 'cal', 'report.json'), 1e-2);
    assert.ok(c.achievedFar <= 1e-2);
    assert.ok(Math.abs(c.cosine - (1 - c.distance / 2)) < 1e-12);
    const json = JSON.parse((await run(['calibrate', '--report', golden, '--far', '0.1', '--json'])).out) as { far: number; tar: number };
    assert.equal(json.far, 0.1);
    assert.ok(json.tar > 0.98);
  });

  it('refuses a FAR the pair count cannot measure, and bad input', async () => {
    await assert.rejects(calibrate(golden, 1e-4), (e) => isArcFaceError(e, 'INVALID_ARGUMENT') && /3000 impostor pairs/.test(e.message));
    await assert.rejects(run(['calibrate', '--report', golden, '--far', '2']), /Expected a number between/);
    await assert.rejects(calibrate(join(dir, 'missing.json'), 1e-3), (e) => isArcFaceError(e, 'FILE_NOT_FOUND'));
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { findKnownModel } from '../../src/models/index.js';
import { runCli } from '../helpers/cli.js';
import { REPO_ROOT } from '../helpers/shared.js';

describe('models: README, registry and inspect agree', () => {
  it('the licence the README gives each default model is the registry licence', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const defaults = /Defaults: detector `([\w-]+)` \(YuNet, ([\w.-]+)/.exec(readme);
    assert.ok(defaults !== null, 'README names the default detector and its licence');
    assert.equal(findKnownModel(defaults[1]!)?.licence.name, defaults[2]);
    assert.match(findKnownModel('yunet-n')!.licence.url, /libfacedetection\.train/);
  });

  it('models inspect works on a detector: family, defaults, contract and licence', async () => {
    const r = await runCli(['models', 'inspect', 'yunet-n', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      task: string;
      kind: string;
      sha256: string;
      config: { scoreThreshold: number };
      licence: { name: string };
      fixedInput: unknown;
    };
    assert.equal(out.task, 'detector');
    assert.equal(out.kind, 'yunet');
    assert.equal(out.sha256, findKnownModel('yunet-n')!.sha256);
    assert.equal(out.licence.name, 'Apache-2.0');
    assert.equal(out.fixedInput, null);
    assert.ok(out.config.scoreThreshold > 0 && out.config.scoreThreshold < 1);
    const fixed = JSON.parse((await runCli(['models', 'inspect', 'yunet-2023mar', '--json'])).stdout) as { fixedInput: number[] };
    assert.deepEqual(fixed.fixedInput, [640, 640]);
  });
});

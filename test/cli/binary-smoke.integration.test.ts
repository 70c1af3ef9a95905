import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { freshHome, runCliBinary } from '../helpers/cli.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';

const lfw = (name: string, i: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', name, `${name}_${String(i).padStart(4, '0')}.jpg`);
const dir = testOutputDir('cli-binary');

// The other CLI tests run the program in process; these few run the built binary, so the shebang,
// process exit codes, the environment and stdout/stderr of a real process stay covered.
describe('arcface binary (built dist/, a real process)', () => {
  it('compare prints JSON on stdout, the licence notice on stderr, and exits 0', async () => {
    const r = await runCliBinary(['compare', lfw('Colin_Powell', 40), lfw('Colin_Powell', 49), '--threshold', '0.3', '--json'], { ARCFACE_HOME: freshHome() });
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { same: boolean }).same, true);
    assert.match(r.stderr, /non-commercial/);
  });

  it('exit codes reach the shell: 2 bad input, 3 missing model, 1 usage, 0 for --version', async () => {
    await mkdir(dir, { recursive: true });
    await writeFile(`${dir}/corrupt.jpg`, 'not an image at all');
    const corrupt = await runCliBinary(['compare', `${dir}/corrupt.jpg`, lfw('Colin_Powell', 40), '--threshold', '0.3', '--json']);
    assert.equal(corrupt.code, 2);
    assert.equal((JSON.parse(corrupt.stderr.trim().split('\n').pop()!) as { code: string }).code, 'IMAGE_UNSUPPORTED_FORMAT');
    const missing = await runCliBinary(['compare', lfw('Colin_Powell', 40), lfw('Colin_Powell', 49), '--recognizer', 'glintr100']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /MODEL_NOT_FOUND/);
    assert.equal((await runCliBinary(['compare', lfw('Colin_Powell', 40)])).code, 1);
    const version = await runCliBinary(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });
});

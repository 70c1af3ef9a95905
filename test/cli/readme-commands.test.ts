import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { freshHome, runCli } from '../helpers/cli.js';
import { lfwPhoto } from '../helpers/photos.js';
import { REPO_ROOT, testOutputDir } from '../helpers/shared.js';

const dir = testOutputDir('cli-readme');

/** The row of the README's command table whose command starts with `arcface <name>`. */
function readmeRow(name: string): string {
  const row = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`| \`arcface ${name} `));
  assert.ok(row !== undefined, `README command table has a row for arcface ${name}`);
  return row;
}

describe('the README command table says what the commands do (in process)', () => {
  before(async () => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
  });

  it('enroll --append: listed, and an enrolled id is IDENTITY_EXISTS without it, as the row says', async () => {
    const row = readmeRow('enroll');
    assert.match(row, /\[--append\]/);
    assert.match(row, /`IDENTITY_EXISTS` unless `--append`/);
    const env = { ARCFACE_HOME: freshHome() };
    const gallery = join(dir, 'append.db');
    const enroll = (photo: number, ...extra: string[]) =>
      runCli(['enroll', 'colin', lfwPhoto('Colin_Powell', photo), '--gallery', gallery, '--json', ...extra], env);
    const first = await enroll(40);
    assert.equal(first.code, 0, first.stderr);
    const again = await enroll(49);
    assert.equal(again.code, 2, again.stderr);
    assert.match(again.stderr, /IDENTITY_EXISTS/);
    const appended = await enroll(49, '--append');
    assert.equal(appended.code, 0, appended.stderr);
    assert.equal((JSON.parse(appended.stdout) as { templates: number }).templates, 1);
    const known = await enroll(40, '--append');
    assert.equal(known.code, 0, known.stderr);
    const k = JSON.parse(known.stdout) as { templates: number; known: unknown[] };
    assert.equal(k.templates, 0, 'a photo the identity holds adds nothing');
    assert.equal(k.known.length, 1);
  });
});

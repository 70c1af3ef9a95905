import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { freshHome, runCli } from '../helpers/cli.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';

const LFW = sharedPath('data', 'faces', 'lfw');
const PEOPLE = readdirSync(LFW, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()
  .filter((d) => readdirSync(join(LFW, d)).length >= 5)
  .slice(5, 8);
const photos = (name: string): string[] =>
  readdirSync(join(LFW, name))
    .sort()
    .map((f) => join(LFW, name, f));

interface Listed {
  person: number;
  name: string | null;
  identity: string | null;
  faces: number;
  hidden?: boolean;
}

describe('arcface cluster and arcface people', () => {
  const dir = testOutputDir('people-cli');
  const home = freshHome();
  const gallery = join(dir, 'g.db');
  const run = (args: string[]) => runCli([...args, '--gallery', gallery, '--json'], { ARCFACE_HOME: home });
  before(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  });

  it('clusters photos into people, writes a contact sheet, then names, identifies, splits, merges and hides', async () => {
    // Four photos each: the quality gate may refuse one (a turned head, a small face in the background).
    const files = PEOPLE.flatMap((p) => photos(p).slice(0, 4));
    const sheet = join(dir, 'sheet.html');
    const c = await run(['cluster', ...files, '--full', '--sheet', sheet]);
    assert.equal(c.code, 0, c.stderr);
    const out = JSON.parse(c.stdout) as { images: number; faces: number; people: Listed[]; skipped: { file: string; reason: string }[] };
    const refused = new Set(out.skipped.map((s) => s.file));
    assert.ok(out.images >= files.length - refused.size && out.images <= files.length, c.stdout);
    for (const s of out.skipped) assert.match(s.reason, /^[A-Z_]+$/);
    assert.ok(out.people.filter((p) => p.faces >= 3).length >= PEOPLE.length, c.stdout);
    const html = readFileSync(sheet, 'utf8');
    assert.match(html, /data:image\/jpeg;base64,/);
    assert.equal(html.match(/<section>/g)?.length, out.people.length);

    const list = JSON.parse((await run(['people', 'list'])).stdout) as Listed[];
    const top = list[0] as Listed;
    const shown = JSON.parse((await run(['people', 'show', String(top.person)])).stdout) as { faces: { faceId: number; photo: string }[] };
    const who = PEOPLE.find((p) => shown.faces[0]?.photo.includes(`/${p}/`)) as string;
    const named = await run(['people', 'name', String(top.person), 'Someone', '--id', 'someone']);
    assert.equal(named.code, 0, named.stderr);
    const id = await runCli(['identify', photos(who)[4] as string, '--gallery', gallery, '--json'], { ARCFACE_HOME: home });
    assert.equal((JSON.parse(id.stdout) as { faces: { candidates: { id: string }[] }[] }[])[0]?.faces[0]?.candidates[0]?.id, 'someone', id.stdout);

    const split = JSON.parse((await run(['people', 'split', String(shown.faces[0]?.faceId)])).stdout) as { personId: number };
    assert.notEqual(split.personId, top.person);
    assert.equal((JSON.parse((await run(['people', 'merge', String(split.personId), String(top.person)])).stdout) as { into: number }).into, top.person);
    assert.equal((JSON.parse((await run(['people', 'hide', String(top.person)])).stdout) as { hidden: boolean }).hidden, true);
    assert.ok(!(JSON.parse((await run(['people', 'list'])).stdout) as Listed[]).some((p) => p.person === top.person));
    const png = join(dir, 'sheet.png');
    assert.equal((await run(['people', 'sheet', png])).code, 0);
    assert.deepEqual([...readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  });

  it('fails with coded errors and exit codes', async () => {
    const missing = await run(['people', 'show', '987654']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /PERSON_NOT_FOUND/);
    const sheet = await run(['people', 'sheet', join(dir, 'sheet.txt')]);
    assert.equal(sheet.code, 1);
    assert.match(sheet.stderr, /INVALID_ARGUMENT/);
    assert.equal((await run(['people', 'show', 'abc'])).code, 1);
  });
});

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { freshHome, runCli } from '../helpers/cli.js';
import { groupPhoto, lfwPhoto } from '../helpers/photos.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';

const lfw = lfwPhoto;
const dir = testOutputDir('cli-consistency');
const lastJson = <T>(text: string): T => JSON.parse(text.trim().split('\n').pop() as string) as T;

describe('one product: CLI behaviour shared with the library and the server (in process)', () => {
  before(async () => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'group.jpg'), await groupPhoto());
  });

  it('compare: the largest face by default, --select central on request, and the output says how many faces and which', async () => {
    const group = join(dir, 'group.jpg');
    const byDefault = await runCli(['compare', group, lfw('Colin_Powell', 49), '--json']);
    assert.equal(byDefault.code, 0, byDefault.stderr);
    type Out = { same: boolean; select: string; faces: { facesFound: number; faceIndex: number }[] };
    const d = JSON.parse(byDefault.stdout) as Out;
    assert.equal(d.select, 'largest');
    assert.equal(d.same, true);
    assert.equal(d.faces[0]!.facesFound, 2);
    const central = await runCli(['compare', group, lfw('Colin_Powell', 49), '--select', 'central', '--json']);
    const c = JSON.parse(central.stdout) as Out;
    assert.equal(c.select, 'central');
    assert.equal(c.same, false);
    assert.notEqual(c.faces[0]!.faceIndex, d.faces[0]!.faceIndex);
    const bad = await runCli(['compare', group, group, '--select', 'first']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Expected one of largest, central for --select but received "first"/);
  });

  it('a mistyped --gallery is FILE_NOT_FOUND for identify and verify and creates nothing; enroll creates it and says so', async () => {
    const home = freshHome();
    const typo = join(dir, 'peple.db');
    const identify = await runCli(['identify', lfw('Colin_Powell', 40), '--gallery', typo, '--json'], { ARCFACE_HOME: home });
    assert.equal(identify.code, 2);
    assert.equal(lastJson<{ code: string }>(identify.stderr).code, 'FILE_NOT_FOUND');
    assert.match(identify.stderr, /only `arcface enroll` and `arcface gallery import` create one/);
    const verify = await runCli(['verify', lfw('Colin_Powell', 40), 'colin', '--gallery', typo], { ARCFACE_HOME: home });
    assert.equal(verify.code, 2);
    assert.equal(existsSync(typo), false);
    const people = join(dir, 'people.db');
    const enroll = await runCli(['enroll', 'colin', lfw('Colin_Powell', 40), lfw('Colin_Powell', 49), '--gallery', people], { ARCFACE_HOME: home });
    assert.equal(enroll.code, 0, enroll.stderr);
    assert.match(enroll.stderr, new RegExp(`created gallery ${people.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    const again = await runCli(['enroll', 'tony', lfw('Tony_Blair', 18), '--gallery', people], { ARCFACE_HOME: home });
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /created gallery/);
    // verify uses the same rule as compare (largest face) and says which face of how many.
    const group = join(dir, 'group.jpg');
    const verify2 = await runCli(['verify', group, 'colin', '--gallery', people, '--json'], { ARCFACE_HOME: home });
    assert.equal(verify2.code, 0, verify2.stderr);
    const v = JSON.parse(verify2.stdout) as { match: boolean; facesFound: number; faceIndex: number };
    assert.equal(v.match, true);
    assert.equal(v.facesFound, 2);
  });

  it('gallery remove --template drops one photo; import --append of the same export adds nothing', async () => {
    const people = join(dir, 'people.db');
    const show = await runCli(['gallery', 'show', 'colin', '--gallery', people, '--json']);
    assert.equal(show.code, 0, show.stderr);
    const templates = (JSON.parse(show.stdout) as { templates: { templateId: number }[] }).templates;
    assert.equal(templates.length, 2);
    const exported = join(dir, 'people.afg');
    assert.equal((await runCli(['gallery', 'export', exported, '--gallery', people])).code, 0);
    const twice = await runCli(['gallery', 'import', exported, '--append', '--gallery', people, '--json']);
    assert.equal(twice.code, 0, twice.stderr);
    assert.deepEqual(JSON.parse(twice.stdout), { file: exported, identities: 2, templates: 0, duplicates: 3 });
    const removed = await runCli(['gallery', 'remove', 'colin', '--template', String(templates[0]!.templateId), '--gallery', people, '--json']);
    assert.equal(removed.code, 0, removed.stderr);
    const after = JSON.parse((await runCli(['gallery', 'show', 'colin', '--gallery', people, '--json'])).stdout) as { templates: { templateId: number }[] };
    assert.deepEqual(
      after.templates.map((t) => t.templateId),
      [templates[1]!.templateId],
    );
    const audit = await runCli(['gallery', 'audit', '--gallery', people, '--json']);
    assert.equal(audit.code, 0, `audit takes the threshold of the gallery's recorded model: ${audit.stderr}`);
    assert.ok(Array.isArray(JSON.parse(audit.stdout)));
    const wrongOwner = await runCli(['gallery', 'remove', 'tony', '--template', String(templates[1]!.templateId), '--gallery', people, '--json']);
    assert.equal(wrongOwner.code, 1);
    assert.equal(lastJson<{ code: string }>(wrongOwner.stderr).code, 'NOT_FOUND');
    assert.match(wrongOwner.stderr, /belongs to \\"colin\\"/);
  });

  it('a gallery built with another recogniser: used by default, and MODEL_MISMATCH names both models when another is forced', async () => {
    const home = freshHome();
    const lux = join(dir, 'luxonis.db');
    const archive = sharedPath('models', 'arcface-mbf-luxonis.tar.xz');
    const enroll = await runCli(['enroll', 'colin', lfw('Colin_Powell', 40), '--gallery', lux, '--recognizer', archive], { ARCFACE_HOME: home });
    assert.equal(enroll.code, 0, enroll.stderr);
    const byRecord = await runCli(['identify', lfw('Colin_Powell', 49), '--gallery', lux, '--threshold', '0.3', '--json'], { ARCFACE_HOME: home });
    assert.equal(byRecord.code, 0, byRecord.stderr);
    const faces = (JSON.parse(byRecord.stdout) as { faces: { decision: string; candidates: { id: string }[] }[] }[])[0]!.faces;
    assert.ok(faces.some((f) => f.candidates[0]?.id === 'colin'));
    const forced = await runCli(['identify', lfw('Colin_Powell', 49), '--gallery', lux, '--recognizer', 'w600k-mbf-int8', '--json'], { ARCFACE_HOME: home });
    assert.equal(forced.code, 3);
    const err = lastJson<{ code: string; message: string }>(forced.stderr);
    assert.equal(err.code, 'MODEL_MISMATCH');
    assert.match(err.message, /arcface-mbf-luxonis \(sha256 [0-9a-f]{12}\)/);
    assert.match(err.message, /w600k-mbf-int8 \(sha256 7caa7fb0ad6c\)/);
  });

  it('many-file commands go on past a bad file and name it in the JSON, with one exit-code rule; an empty folder is a warning', async () => {
    const mixed = join(dir, 'mixed');
    await mkdir(join(mixed, 'empty'), { recursive: true });
    await writeFile(join(mixed, 'a-broken.jpg'), 'not a jpeg');
    await copyFile(lfw('Colin_Powell', 40), join(mixed, 'b-colin.jpg'));
    await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: 90, g: 120, b: 200 } } })
      .png()
      .toFile(join(mixed, 'c-sky.png'));
    type Entry = { file: string; error?: { code: string }; faces?: unknown[] };
    for (const command of ['detect', 'embed']) {
      const r = await runCli([command, mixed, '--json']);
      assert.equal(r.code, 2, `${command}: ${r.stderr}`);
      const out = JSON.parse(r.stdout) as Entry[];
      assert.deepEqual(
        out.map((e) => [e.file, e.error?.code ?? e.faces?.length]),
        [
          [join(mixed, 'a-broken.jpg'), 'IMAGE_UNSUPPORTED_FORMAT'],
          [join(mixed, 'b-colin.jpg'), 1],
          [join(mixed, 'c-sky.png'), 0],
        ],
        command,
      );
      assert.match(r.stderr, /a-broken\.jpg.*IMAGE_UNSUPPORTED_FORMAT/);
      const noFace = await runCli([command, join(mixed, 'b-colin.jpg'), join(mixed, 'c-sky.png')]);
      assert.equal(noFace.code, 4, `${command} with a face-less image: ${noFace.stderr}`);
    }
    const enrol = await runCli(['enroll', 'colin', mixed, '--gallery', join(dir, 'mixed.db'), '--json']);
    assert.equal(enrol.code, 2, enrol.stderr);
    const e = JSON.parse(enrol.stdout) as { templates: number; skipped: { file: string; code: string }[] };
    assert.equal(e.templates, 1);
    assert.deepEqual(e.skipped, [
      { file: 'a-broken.jpg', code: 'IMAGE_UNSUPPORTED_FORMAT' },
      { file: 'c-sky.png', code: 'NO_FACE' },
    ]);
    const empty = await runCli(['detect', join(mixed, 'empty')]);
    assert.equal(empty.code, 0);
    assert.deepEqual(JSON.parse(empty.stdout), []);
    assert.match(empty.stderr, /arcface: warning: .*empty holds no image files/);
    const emptyJson = await runCli(['embed', join(mixed, 'empty'), '--json']);
    assert.equal(emptyJson.code, 0);
    assert.match(emptyJson.stderr, /^\{"warning":"NO_IMAGES","message":".*empty holds no image files/m);
  });

  it('embed --aligned goes on past a crop of the wrong size and names its file', async () => {
    const crop = sharedPath('golden', 'align', 'case-00.png');
    const photo = lfw('Colin_Powell', 40);
    const r = await runCli(['embed', '--aligned', photo, crop, '--json']);
    assert.equal(r.code, 1, r.stderr);
    type Entry = { file: string; embedding?: number[]; error?: { code: string; message: string } };
    const [bad, good] = JSON.parse(r.stdout) as [Entry, Entry];
    assert.equal(bad.file, photo);
    assert.equal(bad.error?.code, 'INVALID_ARGUMENT');
    assert.equal(bad.error?.message, `Expected ${photo} (an --aligned crop) to be 112×112 (the model's input) but received 250×250`);
    assert.doesNotMatch(r.stderr, /crops\[/);
    assert.equal(good.file, crop);
    assert.equal(good.embedding?.length, 512);
    const alone = await runCli(['embed', '--aligned', crop, '--json']);
    assert.equal(alone.code, 0, alone.stderr);
    assert.deepEqual((JSON.parse(alone.stdout) as Entry[])[0]!.embedding, good.embedding, 'the good crop embeds as it does alone');
  });
});

import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import { freshHome, runCli } from '../helpers/cli.js';
import { lfwPeople, makePeopleTree, writeCorrupt } from './people-tree.js';

interface Summary {
  identities: number;
  newIdentities: number;
  images: number;
  enrolled: number;
  duplicates: number;
  skipped: { file: string; identity: string; code: string }[];
  refused: { folder: string; code: string }[];
}
interface Listed {
  id: string;
  name: string;
  templates: number;
}

describe('arcface enroll --people (local, real models, SQLite gallery)', () => {
  it('enrols one identity per folder, skips bad photos with their codes, and adds nothing when run again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'arcface-people-'));
    const people = join(dir, 'people');
    const names = lfwPeople(4, 3);
    const tree = makePeopleTree(people, names, 3);
    const [p0, p1, p2, p3] = names as [string, string, string, string];
    // The same photo twice in one folder is one template; a corrupt photo and a photo without a face are skipped.
    copyFileSync(tree.get(p0)![0]!, join(people, p0, 'copy-of-first.jpg'));
    writeCorrupt(people, p1);
    writeFileSync(
      join(people, p2, 'blank.jpg'),
      await sharp({ create: { width: 200, height: 200, channels: 3, background: { r: 120, g: 120, b: 120 } } })
        .jpeg()
        .toBuffer(),
    );
    mkdirSync(join(people, 'bad\u0001name'));
    copyFileSync(tree.get(p3)![0]!, join(people, 'bad\u0001name', 'x.jpg'));
    mkdirSync(join(people, 'Empty_Folder'));
    mkdirSync(join(people, '.hidden'));
    copyFileSync(tree.get(p3)![0]!, join(people, '.hidden', 'x.jpg'));
    copyFileSync(tree.get(p3)![1]!, join(people, 'stray.jpg'));
    const gallery = join(dir, 'g.db');
    const home = freshHome();

    const first = await runCli(['enroll', '--people', people, '-g', gallery, '--json'], { ARCFACE_HOME: home });
    assert.equal(first.code, 2, first.stderr);
    const s1 = JSON.parse(first.stdout) as Summary;
    assert.deepEqual(
      { identities: s1.identities, newIdentities: s1.newIdentities, images: s1.images, enrolled: s1.enrolled, duplicates: s1.duplicates },
      { identities: 4, newIdentities: 4, images: 15, enrolled: 12, duplicates: 1 },
    );
    assert.deepEqual(
      s1.skipped.map((k) => [k.identity, basename(k.file), k.code]).sort(),
      [
        [p1, 'corrupt.jpg', 'IMAGE_TRUNCATED'],
        [p2, 'blank.jpg', 'NO_FACE'],
      ].sort(),
    );
    assert.deepEqual(s1.refused.map((r) => [basename(r.folder), r.code]).sort(), [
      ['Empty_Folder', 'FILE_NOT_FOUND'],
      ['bad\u0001name', 'INVALID_ARGUMENT'],
    ]);
    assert.match(first.stderr, /STRAY_FILE/);
    const list = async (): Promise<Listed[]> => {
      const r = await runCli(['gallery', 'list', '-g', gallery, '--json'], { ARCFACE_HOME: home });
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Listed[];
    };
    const afterFirst = await list();
    assert.deepEqual(
      afterFirst.map((i) => [i.id, i.name, i.templates]),
      names.map((n) => [n, n.replace(/_/g, ' '), 3]),
    );

    const second = await runCli(['enroll', '--people', people, '-g', gallery, '--json'], { ARCFACE_HOME: home });
    const s2 = JSON.parse(second.stdout) as Summary;
    assert.deepEqual(
      { newIdentities: s2.newIdentities, enrolled: s2.enrolled, duplicates: s2.duplicates, skipped: s2.skipped.length },
      { newIdentities: 0, enrolled: 0, duplicates: 13, skipped: 2 },
    );
    assert.deepEqual(await list(), afterFirst);

    // A new photo in a folder is all a later run adds; a display name changed since is kept.
    const rename = await runCli(['gallery', 'rename', p0, '--name', 'Chosen Name', '-g', gallery, '--json'], { ARCFACE_HOME: home });
    assert.equal(rename.code, 0, rename.stderr);
    copyFileSync(tree.get(p1)![0]!, join(people, p0, 'new-photo.jpg'));
    const third = await runCli(['enroll', '--people', people, '-g', gallery, '--json'], { ARCFACE_HOME: home });
    assert.equal((JSON.parse(third.stdout) as Summary).enrolled, 1);
    const afterThird = await list();
    assert.deepEqual(
      afterThird.find((i) => i.id === p0),
      { id: p0, name: 'Chosen Name', templates: 4, metadata: {} },
    );
    assert.equal(
      afterThird.reduce((n, i) => n + i.templates, 0),
      13,
    );
  });

  it('refuses --people with an id, --queue without --people, and a missing folder', async () => {
    const home = freshHome();
    const withId = await runCli(['enroll', 'ada', '--people', tmpdir(), '--json'], { ARCFACE_HOME: home });
    assert.equal(withId.code, 1);
    assert.equal((JSON.parse(withId.stderr.trim().split('\n').at(-1)!) as { code: string }).code, 'INVALID_ARGUMENT');
    const queueAlone = await runCli(['enroll', 'ada', 'x.jpg', '--queue', 'redis://127.0.0.1:1', '--json'], { ARCFACE_HOME: home });
    assert.equal(queueAlone.code, 1);
    assert.match(queueAlone.stderr, /--queue with --people/);
    const none = await runCli(['enroll', '--json'], { ARCFACE_HOME: home });
    assert.equal(none.code, 1);
    assert.match(none.stderr, /identity id and image files/);
    const missing = await runCli(['enroll', '--people', join(tmpdir(), 'no-such-people-folder'), '--json'], { ARCFACE_HOME: home });
    assert.equal(missing.code, 2);
    assert.equal((JSON.parse(missing.stderr.trim().split('\n').at(-1)!) as { code: string }).code, 'FILE_NOT_FOUND');
  });
});

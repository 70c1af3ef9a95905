import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, renameSync, rmSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { spawn } from 'node:child_process';
import { CLI, freshHome, runCli } from '../helpers/cli.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';
import { killOnExit } from '../helpers/children.js';

const LFW = sharedPath('data', 'faces', 'lfw');
/** Three people with ≥ 5 photos (after those the other people tests use), 4 photos each. */
const PEOPLE = readdirSync(LFW, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort()
  .filter((d) => readdirSync(join(LFW, d)).length >= 5)
  .slice(8, 11);
const photos = (name: string): string[] =>
  readdirSync(join(LFW, name))
    .sort()
    .map((f) => join(LFW, name, f));

interface Listed {
  person: number;
  faces: number;
}
interface Shown {
  faces: { faceId: number; photo: string }[];
}
interface Scan {
  dryRun: boolean;
  files: number;
  unchanged: number;
  added: number;
  faces: number;
  moved: { from: string; to: string }[];
  copies: { file: string; of: string }[];
  removed: { file: string; faces: number }[];
  removedFaces: number;
}

const shape = (list: Listed[]): string => JSON.stringify(list.map((p) => [p.person, p.faces]));

describe('re-runs, folder sync and repeated enrolment through the CLI', () => {
  const dir = testOutputDir('people-rerun');
  const home = freshHome();
  const folder = join(dir, 'Photos');
  const cli = (gallery: string, args: string[]) => runCli([...args, '--gallery', gallery, '--json'], { ARCFACE_HOME: home });
  before(() => {
    rmSync(dir, { recursive: true, force: true });
    for (const p of PEOPLE) {
      mkdirSync(join(folder, p), { recursive: true });
      for (const f of photos(p).slice(0, 4)) copyFileSync(f, join(folder, p, f.split('/').pop() as string));
    }
  });

  it('cluster twice on one folder: identical persons and face counts, every photo reported known', async () => {
    const g = join(dir, 'cluster.db');
    const first = await cli(g, ['cluster', folder, '--full']);
    assert.equal(first.code, 0, first.stderr);
    const a = JSON.parse(first.stdout) as {
      images: number;
      faces: number;
      known: unknown[];
      people: Listed[];
      skipped: { box?: number[]; mainFaceKept?: boolean }[];
    };
    assert.ok(a.faces >= PEOPLE.length * 3, first.stdout);
    assert.equal(a.known.length, 0);
    for (const s of a.skipped.filter((x) => x.box !== undefined)) assert.equal(typeof s.mainFaceKept, 'boolean');
    const second = await cli(g, ['cluster', folder, '--full']);
    assert.equal(second.code, 0, second.stderr);
    const b = JSON.parse(second.stdout) as typeof a;
    assert.deepEqual([b.images, b.faces, b.known.length], [0, 0, PEOPLE.length * 4]);
    assert.equal(shape(b.people), shape(a.people));
  });

  it('people scan: a re-scan changes nothing, a renamed file keeps its faces, a deleted one loses them (dry run first)', async () => {
    const g = join(dir, 'scan.db');
    const run = async (args: string[]): Promise<Scan> => {
      const r = await cli(g, ['people', 'scan', folder, ...args]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout) as Scan;
    };
    const first = await run([]);
    assert.equal(first.files, PEOPLE.length * 4);
    assert.ok(first.faces >= PEOPLE.length * 3);
    const before = JSON.parse((await cli(g, ['people', 'list'])).stdout) as Listed[];
    const again = await run([]);
    assert.deepEqual([again.unchanged, again.added, again.faces, again.moved.length, again.removed.length], [PEOPLE.length * 4, 0, 0, 0, 0]);
    assert.equal(shape(JSON.parse((await cli(g, ['people', 'list'])).stdout) as Listed[]), shape(before));

    const top = before[0] as Listed;
    const shown = JSON.parse((await cli(g, ['people', 'show', String(top.person)])).stdout) as Shown;
    const file = (shown.faces[0] as { photo: string }).photo;
    const renamed = join(folder, 'renamed.jpg');
    renameSync(file, renamed);
    const moved = await run([]);
    assert.deepEqual(moved.moved, [{ from: file, to: renamed }]);
    assert.deepEqual([moved.added, moved.removed.length], [0, 0]);
    const after = JSON.parse((await cli(g, ['people', 'show', String(top.person)])).stdout) as Shown;
    assert.equal(after.faces.find((f) => f.faceId === shown.faces[0]?.faceId)?.photo, renamed);
    assert.equal(shape(JSON.parse((await cli(g, ['people', 'list'])).stdout) as Listed[]), shape(before));

    unlinkSync(renamed);
    const dry = await run(['--dry-run']);
    assert.equal(dry.dryRun, true);
    assert.deepEqual(
      dry.removed.map((x) => x.file),
      [renamed],
    );
    assert.ok(dry.removedFaces >= 1);
    assert.equal(shape(JSON.parse((await cli(g, ['people', 'list'])).stdout) as Listed[]), shape(before), 'a dry run changes nothing');
    const gone = await run([]);
    assert.deepEqual(gone.removed, dry.removed);
    const left = JSON.parse((await cli(g, ['people', 'list'])).stdout) as Listed[];
    assert.equal(
      left.reduce((n, p) => n + p.faces, 0),
      before.reduce((n, p) => n + p.faces, 0) - gone.removedFaces,
    );
    assert.ok(!(JSON.parse((await cli(g, ['people', 'show', String(top.person)])).stdout) as Shown).faces.some((f) => f.photo === renamed));

    const missing = await cli(g, ['people', 'scan', join(dir, 'nowhere')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /FILE_NOT_FOUND/);
  });

  it('cluster --sync is people scan: twice on one folder, the second run reads nothing and changes nothing', async () => {
    const g = join(dir, 'sync.db');
    const first = await cli(g, ['cluster', '--sync', folder]);
    assert.equal(first.code, 0, first.stderr);
    const a = JSON.parse(first.stdout) as Scan & { people: Listed[] };
    assert.ok(a.added >= 1 && a.faces >= a.added, first.stdout);
    const second = await cli(g, ['cluster', '--sync', folder]);
    const b = JSON.parse(second.stdout) as Scan & { people: Listed[] };
    assert.deepEqual([b.unchanged, b.added, b.faces, b.removed.length], [a.files, 0, 0, 0]);
    assert.equal(shape(b.people), shape(a.people));
  });

  it('people scan --watch adds a photo copied in after the changes settle, and exits 0 on SIGTERM', async () => {
    const g = join(dir, 'watch.db');
    const child = killOnExit(
      spawn(process.execPath, [CLI, 'people', 'scan', folder, '--watch', '--debounce', '300', '--gallery', g, '--json'], {
        env: { ...process.env, ARCFACE_MODELS: sharedPath('models'), ARCFACE_HOME: home },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const scans: Scan[] = [];
    let buffer = '';
    const waiters: (() => void)[] = [];
    child.stdout.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let i = buffer.indexOf('\n'); i >= 0; i = buffer.indexOf('\n')) {
        scans.push(JSON.parse(buffer.slice(0, i)) as Scan);
        buffer = buffer.slice(i + 1);
        waiters.splice(0).forEach((w) => w());
      }
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const scanned = async (n: number): Promise<void> => {
      const deadline = Date.now() + 120_000;
      while (scans.length < n) {
        if (Date.now() > deadline) throw new Error(`no scan ${n} within 120 s: ${stderr}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 1000);
        });
      }
    };
    try {
      await scanned(1);
      const extra = photos(PEOPLE[1] as string)[4] as string;
      copyFileSync(extra, join(folder, 'late.jpg'));
      await scanned(2);
      assert.deepEqual([scans[1]?.added, scans[1]?.removed.length], [1, 0], JSON.stringify(scans[1]));
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    unlinkSync(join(folder, 'late.jpg'));
  });

  it('enroll of one photo twice, with and without --append, holds one template', async () => {
    const g = join(dir, 'enrol.db');
    const photo = photos(PEOPLE[0] as string)[0] as string;
    const first = await cli(g, ['enroll', 'colin', photo]);
    assert.equal(first.code, 0, first.stderr);
    assert.equal((JSON.parse(first.stdout) as { templates: number }).templates, 1);
    for (const extra of [[], ['--append']]) {
      const again = await cli(g, ['enroll', 'colin', photo, ...extra]);
      assert.equal(again.code, 0, again.stderr);
      const out = JSON.parse(again.stdout) as { templates: number; known: { file: string; templateId: number }[] };
      assert.equal(out.templates, 0);
      assert.deepEqual(
        out.known.map((k) => k.templateId),
        [(JSON.parse(first.stdout) as { templateIds: number[] }).templateIds[0]],
      );
    }
    const list = JSON.parse((await cli(g, ['gallery', 'list'])).stdout) as { id: string; templates?: number; templateCount?: number }[];
    const colin = list.find((x) => x.id === 'colin');
    assert.equal(colin?.templates ?? colin?.templateCount, 1, JSON.stringify(list));
  });
});

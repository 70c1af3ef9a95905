import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { SyntheticVideo } from '../../bench/video-synth.js';
import { freshHome, runCli } from '../helpers/cli.js';
import { clipDir, enrolClipPeople, stampedClip } from '../helpers/video-clips.js';

interface Listed {
  sighting: number;
  source: string;
  identity: string | null;
  visitor: string | null;
  quality: number;
  learnable: number;
}

/** `arcface watch` with a gallery records sightings; `arcface sightings …` lists them and closes the loop. */
describe('arcface sightings (the CLI, in process)', () => {
  let clip: SyntheticVideo;
  let gallery: string;
  const home = freshHome();
  const cli = async (args: string[]): Promise<unknown> => {
    const r = await runCli([...args, '--gallery', gallery, '--json'], { ARCFACE_HOME: home });
    assert.equal(r.code, 0, `arcface ${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as unknown;
  };
  before(async () => {
    const dir = await clipDir('cli-sightings');
    clip = await stampedClip(dir, { width: 480, height: 270, seconds: 3, people: 2, seed: 5 });
    gallery = join(dir, 'people.db');
    // Only the first person is enrolled: the second is a stranger.
    await enrolClipPeople({ ...clip, truth: { ...clip.truth, people: clip.truth.people.slice(0, 1) } }, gallery, { ARCFACE_HOME: home });
  });

  it('watch records sightings and prints their events; list, teach, reject, remove and prune work on them', async () => {
    const known = clip.truth.people[0]?.personId as string;
    const w = await runCli(['watch', clip.videoPath, '--gallery', gallery, '--json'], { ARCFACE_HOME: home });
    assert.equal(w.code, 0, w.stderr);
    const types = w.stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { type: string }).type);
    assert.ok(types.includes('sighting.recorded') && types.includes('visitor.seen'), types.join(','));
    const list = (await cli(['sightings', 'list'])) as Listed[];
    assert.ok(list.every((s) => s.source === 'clip.mp4'));
    assert.ok(list.some((s) => s.identity === known));
    const unknown = (await cli(['sightings', 'list', '--unknown', '--since', '1h'])) as Listed[];
    assert.ok(unknown.length >= 1 && unknown.every((s) => s.identity === null && s.visitor !== null));
    const visitors = (await cli(['sightings', 'visitors'])) as { visitor: string; sightings: number }[];
    assert.equal(visitors.length, new Set(unknown.map((s) => s.visitor)).size);
    const best = [...unknown].sort((a, b) => b.quality - a.quality)[0] as Listed;
    const taught = (await cli(['sightings', 'teach', best.visitor as string, 'stranger', '--name', 'The stranger'])) as {
      identity: string;
      templateIds: number[];
    };
    assert.equal(taught.identity, 'stranger');
    assert.ok(taught.templateIds.length >= 1);
    const named = list.find((s) => s.identity === known) as Listed;
    const rejected = (await cli(['sightings', 'reject', String(named.sighting)])) as {
      identity: string;
      culprits: unknown[];
      sighting: { identity: string | null };
    };
    assert.equal(rejected.identity, known);
    assert.equal(rejected.culprits.length, 1);
    assert.equal(rejected.sighting.identity, null);
    const removed = (await cli(['gallery', 'remove', 'stranger'])) as { removed: string; sightings?: number };
    assert.ok((removed.sightings ?? 0) >= 1);
    assert.ok(((await cli(['sightings', 'list'])) as Listed[]).every((s) => s.identity !== 'stranger'));
    const pruned = (await cli(['sightings', 'prune', '--max-per-source', '1'])) as { deleted: number };
    assert.ok(pruned.deleted >= 1);
    assert.equal(((await cli(['sightings', 'list'])) as Listed[]).length, 1);
    const missing = await runCli(['sightings', 'show', '999999', '--gallery', gallery, '--json'], { ARCFACE_HOME: home });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /SIGHTING_NOT_FOUND/);
  });
});

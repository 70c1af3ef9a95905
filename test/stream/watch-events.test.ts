import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { lfwPhoto } from '../helpers/photos.js';
import { testOutputDir } from '../helpers/shared.js';

const dir = testOutputDir('watch-events');
const jsonLines = (s: string): Record<string, unknown>[] =>
  s
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('arcface watch --events (in process, a folder of frames: no ffmpeg)', () => {
  const frames = join(dir, 'frames');
  before(async () => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(frames, { recursive: true });
    for (let i = 0; i < 4; i++) await copyFile(lfwPhoto('Colin_Powell', 40), join(frames, `frame-${i}.jpg`));
  });

  it('the events file ends with the same summary line as stdout', async () => {
    const events = join(dir, 'events.jsonl');
    const r = await runCli(['watch', frames, '--events', events, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const printed = jsonLines(r.stdout);
    assert.equal(printed.length, 1, 'stdout holds the summary alone');
    const written = jsonLines(await readFile(events, 'utf8'));
    const summary = written.at(-1) as { type: string; frames: number };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.frames, 4);
    assert.deepEqual(summary, printed[0]);
    assert.deepEqual(
      written.slice(0, -1).map((e) => e.type),
      ['track.started', 'track.ended'],
      'the one face is one track, its events before the summary',
    );
  });
});

import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import type { SyntheticVideo } from '../../bench/video-synth.js';
import { openVideoSource } from '../../src/video/index.js';
import { spawn } from 'node:child_process';
import { CLI, runCli, freshHome } from '../helpers/cli.js';
import { killOnExit } from '../helpers/children.js';
import { sharedPath } from '../helpers/shared.js';
import { clipDir, enrolClipPeople, serveLoopback, stampedClip, within } from '../helpers/video-clips.js';

const lines = (s: string): Record<string, unknown>[] =>
  s
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('arcface watch (the real binary)', () => {
  let dir: string;
  let clip: SyntheticVideo;
  let home: string;
  let gallery: string;
  before(async () => {
    dir = await clipDir('watch-cli');
    home = freshHome();
    clip = await stampedClip(dir, { width: 480, height: 270, seconds: 3, people: 2, seed: 5 });
    gallery = join(dir, 'people.db');
    await enrolClipPeople(clip, gallery, { ARCFACE_HOME: home });
  });

  it('writes events, timeline, captions, thumbnails and an annotated video; names both people', async () => {
    const out = (f: string): string => join(dir, f);
    const r = await runCli(
      [
        'watch',
        clip.videoPath,
        '--gallery',
        gallery,
        '--events',
        out('events.jsonl'),
        '--timeline',
        out('timeline.json'),
        '--vtt',
        out('names.vtt'),
        '--annotate',
        out('named.mp4'),
        '--thumbnails',
        out('thumbs'),
        '--json',
      ],
      { ARCFACE_HOME: home },
    );
    assert.equal(r.code, 0, r.stderr);
    const summary = lines(r.stdout).at(-1) as {
      type: string;
      frames: number;
      dropped: number;
      recognitions: number;
      timeline: { entries: { identity: string }[] };
    };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.frames, clip.truth.frameCount);
    assert.equal(summary.dropped, 0);
    assert.ok(summary.recognitions >= 2 && summary.recognitions < summary.frames, `recogniser calls ${summary.recognitions}`);
    const named = new Set(summary.timeline.entries.map((e) => e.identity));
    for (const p of clip.truth.people) assert.ok(named.has(p.personId), `${p.personId} in the timeline`);
    const written = lines(readFileSync(out('events.jsonl'), 'utf8'));
    assert.deepEqual(written.at(-1), summary, 'the events file ends with the summary');
    const events = written.slice(0, -1);
    // The stream's own events, and with a gallery the sightings kept of each ended track.
    const types = new Set(events.map((e) => e.type));
    for (const t of ['track.started', 'track.identified', 'track.ended', 'sighting.recorded']) assert.ok(types.has(t), t);
    for (const t of types)
      assert.ok(['track.started', 'track.identified', 'track.ended', 'sighting.recorded', 'visitor.seen', 'visitor.recurring'].includes(String(t)), String(t));
    for (const e of events.filter((x) => String(x.type).startsWith('track.'))) {
      assert.ok(typeof e.frame === 'number' && typeof e.pts === 'number' && typeof e.trackId === 'number', JSON.stringify(e));
    }
    for (const e of events.filter((x) => x.type === 'sighting.recorded'))
      assert.ok(typeof e.sightingId === 'number' && typeof e.source === 'string', JSON.stringify(e));
    // The gallery's identification threshold (its size and target FPIR), not a fixed 1:1 threshold.
    for (const e of events.filter((x) => x.type === 'track.identified')) assert.match(String(e.thresholdSource), /^(fpir|floor)$/);
    const ended = events.filter((e) => e.type === 'track.ended');
    for (const e of ended) assert.ok(existsSync(String(e.thumbnail)), `thumbnail ${String(e.thumbnail)}`);
    assert.deepEqual(JSON.parse(readFileSync(out('timeline.json'), 'utf8')), summary.timeline);
    const vtt = readFileSync(out('names.vtt'), 'utf8');
    assert.match(vtt, /^WEBVTT\n/);
    assert.match(vtt, /\d\d:\d\d:\d\d\.\d{3} --> \d\d:\d\d:\d\d\.\d{3}\n#\d+ /);
    const annotated = openVideoSource(out('named.mp4'));
    let frames = 0;
    for await (const f of annotated) {
      frames++;
      assert.equal(f.image.width, 480);
    }
    assert.equal(frames, clip.truth.frameCount);
  });

  it('stops on SIGTERM (systemd, docker stop) as on Ctrl-C: exit 0, the summary, the timeline and a playable annotated video', async () => {
    const out = (f: string): string => join(dir, f);
    const child = killOnExit(
      spawn(
        process.execPath,
        [CLI, 'watch', clip.videoPath, '--loop', '--realtime', '--gallery', gallery, '--timeline', out('term.json'), '--annotate', out('term.mp4'), '--json'],
        { env: { ...process.env, ARCFACE_MODELS: sharedPath('models'), ARCFACE_HOME: home }, stdio: ['ignore', 'pipe', 'pipe'] },
      ),
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const closed = new Promise<number | null>((res) => child.once('close', (code) => res(code)));
    // Running for real: past the first loop of the file, someone named.
    await within(
      90_000,
      (async () => {
        while (!lines(stdout).some((e) => e.type === 'track.identified' && Number(e.pts) > clip.truth.frameCount / clip.truth.fps)) {
          if (child.exitCode !== null) throw new Error(`arcface watch exited (${child.exitCode}) before a name: ${stderr}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      })(),
      'a name in the second loop',
    );
    child.kill('SIGTERM');
    const code = await within(30_000, closed, 'watch to stop on SIGTERM');
    assert.equal(code, 0, stderr);
    const summary = lines(stdout).at(-1) as { type: string; frames: number; interrupted: boolean; error?: unknown; timeline: unknown };
    assert.equal(summary.type, 'summary');
    assert.equal(summary.interrupted, true);
    assert.equal(summary.error, undefined);
    assert.ok(summary.frames > clip.truth.frameCount, `${summary.frames} frames, more than one loop`);
    assert.deepEqual(JSON.parse(readFileSync(out('term.json'), 'utf8')), summary.timeline);
    let frames = 0;
    for await (const f of openVideoSource(out('term.mp4'))) {
      frames++;
      assert.equal(f.image.width, 480);
    }
    // The writer was closed, not killed: every frame the summary counts is in the file.
    assert.equal(frames, summary.frames);
  });

  it('follows a live HTTP stream on loopback and prints events as JSON Lines on stdout', async () => {
    const stream = await serveLoopback(clip.videoPath, 'mpegts');
    try {
      const r = await within(
        60_000,
        runCli(['watch', stream.url, '--gallery', gallery, '--timeout', '10', '--json'], { ARCFACE_HOME: home }),
        'arcface watch on a stream',
      );
      // The server's clip ends after 3 s: for a live stream that is VIDEO_STREAM_ENDED, after everything seen was written.
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /"code":"VIDEO_STREAM_ENDED"/);
      const out = lines(r.stdout);
      assert.ok(
        out.some((e) => e.type === 'track.identified'),
        r.stdout,
      );
      assert.equal(out.filter((e) => e.type === 'track.ended').length, out.filter((e) => e.type === 'track.started').length);
      const summary = out.at(-1) as { type: string; frames: number; error?: { code: string } };
      assert.equal(summary.type, 'summary');
      assert.equal(summary.error?.code, 'VIDEO_STREAM_ENDED');
      assert.ok(summary.frames > 10);
    } finally {
      await stream.close();
    }
  });

  it('fails clearly: a missing gallery, a file that is not a video, a missing source, bad options', async () => {
    const missing = await runCli(['watch', clip.videoPath, '--gallery', join(dir, 'typo.db')], { ARCFACE_HOME: home });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /FILE_NOT_FOUND: .*typo\.db/);
    assert.equal(existsSync(join(dir, 'typo.db')), false, 'no empty gallery is created');
    const junk = join(dir, 'junk.mp4');
    writeFileSync(junk, Buffer.from('this is not a video at all, only text'.repeat(50)));
    const bad = await runCli(['watch', junk, '--json'], { ARCFACE_HOME: home });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /"code":"VIDEO_(DECODE_FAILED|UNSUPPORTED)"/);
    const none = await runCli(['watch', join(dir, 'absent.mp4')], { ARCFACE_HOME: home });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /FILE_NOT_FOUND/);
    const size = await runCli(['watch', clip.videoPath, '--max-size', '10x'], { ARCFACE_HOME: home });
    assert.equal(size.code, 1);
    assert.match(size.stderr, /--max-size/);
  });
});

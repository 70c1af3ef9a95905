import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyntheticVideo } from '../../bench/video-synth.js';
import { CLI, freshHome } from '../helpers/cli.js';
import { startRtspServer, type RtspServer } from '../helpers/rtsp-server.js';
import { sharedPath } from '../helpers/shared.js';
import { clipDir, enrolClipPeople, stampedClip, within } from '../helpers/video-clips.js';
import { killOnExit } from '../helpers/children.js';

type Line = Record<string, unknown>;
const lines = (s: string): Line[] =>
  s
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Line);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `arcface watch` as a child process whose JSON lines can be awaited while it runs. */
interface LiveWatch {
  readonly lines: Line[];
  until(test: (l: Line[]) => boolean, ms: number, what: string): Promise<void>;
  interrupt(): void;
  readonly done: Promise<{ code: number; stderr: string }>;
}

function watchLive(args: readonly string[], home: string): LiveWatch {
  const child = killOnExit(
    spawn(process.execPath, [CLI, 'watch', ...args], {
      env: { ...process.env, ARCFACE_MODELS: sharedPath('models'), ARCFACE_HOME: home },
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
  const out: Line[] = [];
  let pending = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    const parts = (pending + d.toString()).split('\n');
    pending = parts.pop() ?? '';
    out.push(...lines(parts.join('\n')));
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<{ code: number; stderr: string }>((resolve) => {
    child.on('close', (code) => {
      out.push(...lines(pending));
      resolve({ code: code ?? -1, stderr });
    });
  });
  return {
    lines: out,
    async until(test, ms, what) {
      await within(
        ms,
        (async () => {
          while (!test(out)) {
            if (child.exitCode !== null) throw new Error(`arcface watch exited (${child.exitCode}) before ${what}: ${stderr}`);
            await sleep(100);
          }
        })(),
        what,
      );
    },
    interrupt: () => child.kill('SIGINT'),
    done,
  };
}

describe('arcface watch rtsp:// (a real RTSP server on loopback, fed by ffmpeg)', () => {
  let dir: string;
  let clip: SyntheticVideo;
  let home: string;
  let gallery: string;
  let rtsp: RtspServer;
  before(async () => {
    dir = await clipDir('watch-rtsp');
    home = freshHome();
    clip = await stampedClip(dir, { width: 480, height: 270, seconds: 4, people: 2, seed: 5 });
    gallery = join(dir, 'people.db');
    await enrolClipPeople(clip, gallery, { ARCFACE_HOME: home });
    rtsp = await startRtspServer();
  });
  after(async () => {
    await rtsp?.close();
  });

  it('follows an RTSP stream and names both people; a stream that stops is reported after what was seen', async () => {
    const publisher = rtsp.publish(clip.videoPath, 'cam', { loop: true });
    await sleep(800);
    const w = watchLive([rtsp.url('cam'), '--rtsp-transport', 'udp', '--gallery', gallery, '--timeout', '3', '--json'], home);
    const people = clip.truth.people.map((p) => p.personId);
    await w.until((l) => people.every((id) => l.some((e) => e.type === 'track.identified' && e.identity === id)), 90_000, 'both people named');
    // The publisher stops; the stream goes quiet: a live stream that stops is an error (exit 2), after everything seen was written.
    publisher.kill('SIGKILL');
    const r = await within(30_000, w.done, 'watch to end with the stream');
    assert.equal(r.code, 2, r.stderr);
    const out = w.lines;
    const summary = out.at(-1) as { type: string; frames: number; reconnects: number; error?: { code: string }; timeline: { entries: { identity: string }[] } };
    assert.equal(summary.type, 'summary');
    assert.match(String(summary.error?.code), /^VIDEO_(TIMEOUT|STREAM_ENDED)$/);
    assert.ok(summary.frames >= 5, `${summary.frames} frames`);
    assert.equal(summary.reconnects, 0);
    const named = new Set(summary.timeline.entries.map((e) => e.identity));
    for (const p of clip.truth.people) assert.ok(named.has(p.personId), `${p.personId} named: ${JSON.stringify([...named])}`);
    assert.equal(out.filter((e) => e.type === 'track.ended').length, out.filter((e) => e.type === 'track.started').length);
  });

  it('a stream that stalls fails with VIDEO_TIMEOUT after the bounded reconnect tries, keeping what was seen', async () => {
    const publisher = rtsp.publish(clip.videoPath, 'stall', { loop: true });
    await sleep(800);
    const w = watchLive([rtsp.url('stall'), '--rtsp-transport', 'udp', '--timeout', '2', '--reconnect', '2', '--json'], home);
    try {
      await w.until((l) => l.some((e) => e.type === 'track.started'), 60_000, 'a first track');
      publisher.kill('SIGSTOP');
      const stalled = performance.now();
      const r = await within(30_000, w.done, 'the stalled watch to give up');
      const seconds = (performance.now() - stalled) / 1000;
      // 2 s without data, then two tries (waits 0.5 s and 1 s) that each get no frame in 2 s: about 7.5 s.
      assert.ok(seconds > 5 && seconds < 20, `gave up ${seconds.toFixed(1)} s after the stall`);
      assert.equal(r.code, 2, r.stderr);
      const summary = w.lines.at(-1) as { type: string; frames: number; reconnects: number; error?: { code: string; message: string } };
      assert.equal(summary.type, 'summary');
      assert.equal(summary.error?.code, 'VIDEO_TIMEOUT');
      assert.match(String(summary.error?.message), /opened again 2 times in a row without a frame/);
      assert.equal(summary.reconnects, 0);
      assert.ok(summary.frames > 0);
    } finally {
      publisher.kill('SIGKILL');
    }
  });

  it('a stream that drops and comes back is opened again (back-off, counted); frames and times go on', async () => {
    let publisher = rtsp.publish(clip.videoPath, 'drop', { loop: true });
    await sleep(800);
    const w = watchLive([rtsp.url('drop'), '--rtsp-transport', 'udp', '--gallery', gallery, '--timeout', '2', '--reconnect', '4', '--json'], home);
    try {
      await w.until((l) => l.some((e) => e.type === 'track.identified'), 60_000, 'a first name');
      // The server goes away (its clients with it) and comes back 1 s later, its publisher with it.
      await rtsp.stop();
      publisher.kill('SIGKILL');
      const dropped = w.lines.length;
      const lastPts = Math.max(...w.lines.map((e) => Number(e.pts ?? 0)));
      await sleep(1000);
      await rtsp.restart();
      publisher = rtsp.publish(clip.videoPath, 'drop', { loop: true });
      // Back on the stream: the faces are found again as new tracks.
      await w.until((l) => l.slice(dropped).some((e) => e.type === 'track.started'), 40_000, 'tracks after the reconnection');
      w.interrupt();
      const r = await within(30_000, w.done, 'watch to stop on Ctrl-C');
      assert.equal(r.code, 0, r.stderr);
      const summary = w.lines.at(-1) as { type: string; reconnects: number; interrupted: boolean; error?: unknown };
      assert.equal(summary.type, 'summary');
      assert.equal(summary.reconnects, 1);
      assert.equal(summary.interrupted, true);
      assert.equal(summary.error, undefined);
      const after = w.lines.slice(dropped).filter((e) => e.type === 'track.started');
      // Time goes on across the gap (about 1 s of downtime, 2 s to notice, and the back-off).
      for (const e of after) assert.ok(Number(e.pts) > lastPts + 1, `pts ${String(e.pts)} after the gap, last before it ${lastPts}`);
      const frames = w.lines.filter((e) => typeof e.frame === 'number').map((e) => Number(e.frame));
      for (let i = 1; i < frames.length; i++) assert.ok((frames[i] as number) >= (frames[i - 1] as number), `frame indices keep increasing at event ${i}`);
    } finally {
      publisher.kill('SIGKILL');
    }
  });
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyntheticVideo } from '../../bench/video-synth.js';
import { freshHome } from '../helpers/cli.js';
import { startRtspServer, type RtspServer } from '../helpers/rtsp-server.js';
import { clipDir, enrolClipPeople, stampedClip, within } from '../helpers/video-clips.js';
import { spawnServe, type ServeProcess } from './serve-process.js';
import { readSse, type SseEvent } from './sse.js';

interface StreamView {
  name: string;
  status: string;
  frames: number;
  reconnects: number;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('arcface serve --stream door=rtsp://… (a real RTSP server on loopback)', () => {
  let clip: SyntheticVideo;
  let rtsp: RtspServer;
  let srv: ServeProcess;
  before(async () => {
    const dir = await clipDir('serve-rtsp');
    const home = freshHome();
    clip = await stampedClip(dir, { width: 480, height: 270, seconds: 3, people: 2, seed: 5 });
    const gallery = join(dir, 'people.db');
    await enrolClipPeople(clip, gallery, { ARCFACE_HOME: home });
    rtsp = await startRtspServer();
    srv = await spawnServe(
      ['--gallery', gallery, '--no-auth', '--stream', `door=${rtsp.url('door')}`, '--stream-rtsp-transport', 'udp', '--stream-reconnect', '4'],
      home,
    );
  });
  after(async () => {
    await srv?.stop();
    await rtsp?.close();
  });

  it('names the people of the allow-listed RTSP stream over SSE, rides out a server restart and counts it', async () => {
    let publisher = rtsp.publish(clip.videoPath, 'door', { loop: true });
    await sleep(800);
    const status = async (): Promise<StreamView | undefined> => {
      const body = (await (await fetch(`${srv.url}/v1/streams`)).json()) as { streams: string[]; running: StreamView[] };
      assert.deepEqual(body.streams, ['door']);
      return body.running.find((s) => s.name === 'door');
    };
    const seen: SseEvent[] = [];
    let stop = false;
    const following = readSse(`${srv.url}/v1/streams/door/events`, {}, () => stop, seen);
    try {
      await within(
        90_000,
        (async () => {
          while (!seen.some((e) => e.event === 'track.identified')) await sleep(200);
        })(),
        'a name from the stream',
      );
      const identified = seen.find((e) => e.event === 'track.identified');
      assert.ok(
        clip.truth.people.some((p) => p.personId === identified?.data.identity),
        JSON.stringify(identified),
      );
      const before = await status();
      assert.equal(before?.status, 'running');
      assert.equal(before?.reconnects, 0);
      // The RTSP server restarts (1 s down) while a client listens: the stream is opened again.
      await rtsp.stop();
      publisher.kill('SIGKILL');
      const cut = seen.length;
      await sleep(1000);
      await rtsp.restart();
      publisher = rtsp.publish(clip.videoPath, 'door', { loop: true });
      const again = await within(
        60_000,
        (async () => {
          for (;;) {
            const s = await status();
            if (s !== undefined && s.reconnects >= 1 && seen.slice(cut).some((e) => e.event === 'track.started')) return s;
            await sleep(250);
          }
        })(),
        'the stream back after the restart',
      );
      assert.equal(again.status, 'running');
      assert.equal(again.reconnects, 1);
      assert.ok(again.frames > (before?.frames ?? 0), `${again.frames} frames after, ${before?.frames} before`);
      assert.ok(!seen.some((e) => e.event === 'end'), 'the stream did not end');
    } finally {
      stop = true;
      assert.equal((await following).status, 200);
      publisher.kill('SIGKILL');
    }
  });
});

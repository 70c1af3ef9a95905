import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyntheticVideo } from '../../bench/video-synth.js';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { clipDir, enrolClipPeople, serveLoopback, stampedClip, within, type LoopbackStream } from '../helpers/video-clips.js';
import { testLocations } from './helpers.js';
import { readSse } from './sse.js';

describe('video jobs and live streams over HTTP (a real server on loopback)', () => {
  let server: RunningServer;
  let clip: SyntheticVideo;
  let stream: LoopbackStream;
  let key: Record<string, string>;
  before(async () => {
    const dir = await clipDir('server-videos');
    clip = await stampedClip(dir, { width: 480, height: 270, seconds: 3, people: 2, seed: 5 });
    const gallery = join(dir, 'people.db');
    await enrolClipPeople(clip, gallery);
    stream = await serveLoopback(clip.videoPath, 'mpegts');
    const home = mkdtempSync(join(tmpdir(), 'arcface-videos-'));
    const keys = KeyStore.open(join(home, 'keys.db'));
    key = { 'x-api-key': keys.create({ scope: 'read', name: 'viewer' }).key };
    keys.close();
    server = await serve({
      host: '127.0.0.1',
      port: 0,
      locations: testLocations(),
      workers: 1,
      galleryLocation: gallery,
      keysPath: join(home, 'keys.db'),
      handleSignals: false,
      log: () => undefined,
      videos: { dir: join(home, 'uploads'), maxBytes: 1 << 20, streams: { cam: stream.url } },
    });
  });
  after(async () => {
    await server?.close();
    await stream?.close();
  });

  it('an uploaded video becomes a job whose events and timeline name both people', async () => {
    const post = await fetch(`${server.url}/v1/videos`, {
      method: 'POST',
      headers: { ...key, 'content-type': 'video/mp4' },
      body: readFileSync(clip.videoPath),
    });
    assert.equal(post.status, 202);
    const job = (await post.json()) as { id: string; status: string };
    assert.equal(post.headers.get('location'), `/v1/videos/${job.id}`);
    const done = await within(
      90_000,
      (async () => {
        for (;;) {
          const v = (await (await fetch(`${server.url}/v1/videos/${job.id}`, { headers: key })).json()) as {
            status: string;
            frames: number;
            timeline?: { entries: { identity: string | null }[] };
          };
          if (v.status !== 'queued' && v.status !== 'running') return v;
          await new Promise((r) => setTimeout(r, 250));
        }
      })(),
      'the video job',
    );
    assert.equal(done.status, 'done');
    assert.equal(done.frames, clip.truth.frameCount);
    const named = new Set(done.timeline?.entries.map((e) => e.identity));
    for (const p of clip.truth.people) assert.ok(named.has(p.personId), `${p.personId} named in the timeline`);
    const events = (await (await fetch(`${server.url}/v1/videos/${job.id}/events`, { headers: key })).json()) as { events: { type: string }[] };
    assert.ok(events.events.some((e) => e.type === 'track.identified'));
    const sse = await within(
      10_000,
      readSse(`${server.url}/v1/videos/${job.id}/events`, key, (es) => es.some((e) => e.event === 'end')),
      'SSE replay',
    );
    assert.equal(sse.status, 200);
    assert.equal(sse.events.filter((e) => e.event !== 'end').length, events.events.length);
    assert.deepEqual(sse.events.at(-1)?.data, { status: 'done' });
  });

  it('refuses what it must: no key, not a video, too large, unknown job', async () => {
    const noKey = await fetch(`${server.url}/v1/videos`, { method: 'POST', headers: { 'content-type': 'video/mp4' }, body: readFileSync(clip.videoPath) });
    assert.equal(noKey.status, 401);
    // Not a video container: refused from its first bytes, before any decoder sees it.
    const junk = await fetch(`${server.url}/v1/videos`, {
      method: 'POST',
      headers: { ...key, 'content-type': 'video/mp4' },
      body: Buffer.from('not a video '.repeat(100)),
    });
    assert.equal(junk.status, 415);
    assert.equal(((await junk.json()) as { code: string }).code, 'VIDEO_UNSUPPORTED');
    const big = await fetch(`${server.url}/v1/videos`, { method: 'POST', headers: { ...key, 'content-type': 'video/mp4' }, body: Buffer.alloc(2 << 20, 1) });
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { code: string }).code, 'PAYLOAD_TOO_LARGE');
    const unknown = await fetch(`${server.url}/v1/videos/00000000-0000-0000-0000-000000000000`, { headers: key });
    assert.equal(unknown.status, 404);
    assert.deepEqual(Object.keys((await unknown.json()) as object).sort(), ['code', 'message']);
  });

  it('live streams are followed by the name the administrator gave, never by a client URL', async () => {
    const list = (await (await fetch(`${server.url}/v1/streams`, { headers: key })).json()) as { streams: string[] };
    assert.deepEqual(list.streams, ['cam']);
    const byUrl = await fetch(`${server.url}/v1/streams/${encodeURIComponent('http://127.0.0.1:1/x')}/events`, {
      headers: { ...key, accept: 'text/event-stream' },
    });
    assert.equal(byUrl.status, 404);
    const unknown = await fetch(`${server.url}/v1/streams/door/events`, { headers: { ...key, accept: 'text/event-stream' } });
    assert.equal(unknown.status, 404);
    assert.equal(((await unknown.json()) as { code: string }).code, 'NOT_FOUND');
    const live = await within(
      60_000,
      readSse(`${server.url}/v1/streams/cam/events`, key, (es) => es.some((e) => e.event === 'track.identified')),
      'live identification',
    );
    assert.equal(live.status, 200);
    const identified = live.events.find((e) => e.event === 'track.identified');
    assert.ok(
      clip.truth.people.some((p) => p.personId === identified?.data.identity),
      JSON.stringify(identified),
    );
  });
});

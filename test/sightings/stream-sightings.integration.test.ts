import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyntheticVideo } from '../../bench/video-synth.js';
import { KeyStore } from '../../apps/server/services/key-store.js';
import { serve, type RunningServer } from '../../apps/server/server.js';
import { l2normalize } from '../../src/core/index.js';
import { openGallery } from '../../src/gallery/index.js';
import { enrollImages } from '../../src/ingest/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { Sightings } from '../../src/sightings/index.js';
import { sharedPath } from '../helpers/shared.js';
import { clipDir, serveLoopback, stampedClip, within, type LoopbackStream } from '../helpers/video-clips.js';
import { readSse, type SseEvent } from '../server/sse.js';
import { testLocations } from '../server/helpers.js';

/**
 * The camera user's loop over a configured stream (a real server on loopback, a real-time MPEG-TS of a
 * synthetic clip of two LFW people): one is enrolled, the other is a stranger.
 */
describe('sightings from a configured stream, across server restarts', () => {
  const lfw = sharedPath('data', 'faces', 'lfw-deepfunneled');
  let dir: string;
  let clip: SyntheticVideo;
  let stream: LoopbackStream;
  let gallery: string;
  let home: string;
  let key: Record<string, string>;
  let server: RunningServer | undefined;
  let known: string;
  let stranger: string;
  let strangerVisitor = '';

  const start = async (): Promise<RunningServer> =>
    serve({
      host: '127.0.0.1',
      port: 0,
      locations: testLocations(),
      workers: 1,
      galleryLocation: gallery,
      keysPath: join(home, 'keys.db'),
      handleSignals: false,
      log: () => undefined,
      videos: { dir: mkdtempSync(join(home, 'videos-')), streams: { cam: stream.url }, streamSource: { reconnectAttempts: 0 } },
    });
  /** Plays the clip once through the stream; returns its events (stream and sightings) in order. */
  const play = async (): Promise<SseEvent[]> => {
    const s = server as RunningServer;
    return (
      await within(
        120_000,
        readSse(`${s.url}/v1/streams/cam/events`, key, (es) => es.some((e) => e.event === 'end')),
        'one playback',
      )
    ).events;
  };
  const api = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const res = await fetch(`${(server as RunningServer).url}${path}`, {
      method: init.method ?? 'GET',
      headers: { ...key, ...(init.body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
    assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
    return (await res.json()) as T;
  };
  const namesOf = (events: SseEvent[]): Set<unknown> => new Set(events.filter((e) => e.event === 'track.identified').map((e) => e.data.identity));

  before(async () => {
    dir = await clipDir('stream-sightings');
    clip = await stampedClip(dir, { width: 480, height: 270, seconds: 3, people: 2, seed: 5 });
    [known, stranger] = clip.truth.people.map((p) => p.personId) as [string, string];
    gallery = join(dir, 'gallery.db');
    const fr = await FaceRecognizer.create({ locations: testLocations() });
    const g = await openGallery(gallery, { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.25 });
    const person = clip.truth.people[0] as SyntheticVideo['truth']['people'][number];
    const held = readdirSync(join(lfw, known))
      .sort()
      .find((f) => !person.photos.includes(f)) as string;
    await enrollImages(g, fr, known, [join(lfw, known, held)]);
    await g.close();
    await fr.dispose();
    stream = await serveLoopback(clip.videoPath, 'mpegts');
    home = mkdtempSync(join(tmpdir(), 'arcface-sightings-'));
    const keys = KeyStore.open(join(home, 'keys.db'));
    key = { 'x-api-key': keys.create({ scope: 'write', name: 'camera user' }).key };
    keys.close();
    server = await start();
  });
  after(async () => {
    await server?.close();
    await stream?.close();
  });

  it('each unknown face played twice, with a restart between, is one visitor seen again; the known person is named', async () => {
    const first = await play();
    assert.ok(namesOf(first).has(known), JSON.stringify([...namesOf(first)]));
    const seen1 = first.filter((e) => e.event === 'visitor.seen');
    // The stranger, and a small face turned away in the background of one LFW photo.
    const visitors1 = new Set(seen1.map((e) => e.data.visitor));
    assert.ok(visitors1.size >= 1 && seen1.every((e) => e.data.first === true), JSON.stringify(seen1.map((e) => e.data)));
    assert.ok(first.some((e) => e.event === 'sighting.recorded' && e.data.identity === known));
    await (server as RunningServer).close();
    server = await start();
    const second = await play();
    const seen2 = second.filter((e) => e.event === 'visitor.seen');
    assert.deepEqual(new Set(seen2.map((e) => e.data.visitor)), visitors1, JSON.stringify(seen2.map((e) => e.data)));
    assert.ok(seen2.every((e) => e.data.first === false && (e.data.sightings as number) >= 2));
    const { visitors } = await api<{ visitors: { label: string; sightings: number }[] }>('/v1/visitors');
    assert.deepEqual(new Set(visitors.map((v) => v.label)), visitors1);
    // The stranger is the visitor of the best unknown face; its sightings can teach, the background face's cannot.
    const { sightings } = await api<{ sightings: { thumbnail: string; quality: number; visitor: string; learnableCount: number }[] }>(
      '/v1/sightings?unknown=true',
    );
    const best = [...sightings].sort((a, b) => b.quality - a.quality)[0];
    assert.ok((best?.learnableCount ?? 0) > 0);
    strangerVisitor = best?.visitor as string;
    const thumb = await fetch(`${(server as RunningServer).url}${best?.thumbnail}`, { headers: key });
    assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
    for (const other of visitors.filter((v) => v.label !== strangerVisitor)) {
      const refused: Response = await fetch(`${(server as RunningServer).url}/v1/visitors/${other.label}/teach`, {
        method: 'POST',
        headers: { ...key, 'content-type': 'application/json' },
        body: JSON.stringify({ identity: 'nobody' }),
      });
      assert.equal(refused.status, 400, 'a tiny, turned-away face is not offered for learning');
    }
  });

  it('"not X" on a planted false match stops that match and leaves the other identity named', async () => {
    // Planted: an identity "mallory" whose template sits at cosine 0.7 to the stranger's face.
    const fr = await FaceRecognizer.create({ locations: testLocations() });
    const g = await openGallery(gallery, { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.25 });
    const s = await Sightings.open(g);
    const [one] = (await s.list({ unknownOnly: true })).sort((a, b) => b.quality - a.quality);
    const face = await s.store.embedding(one?.sightingId as number, g.embeddingSize);
    const noise = l2normalize(Float32Array.from(face, (_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1));
    await g.enroll('mallory', [l2normalize(Float32Array.from(face, (v, i) => 0.7 * v + 0.71 * (noise[i] as number)))], { name: 'Mallory' });
    await s.close();
    await g.close();
    await fr.dispose();
    const fooled = await play();
    assert.ok(namesOf(fooled).has('mallory'), 'the plant works');
    const wrong = fooled.find((e) => e.event === 'sighting.recorded' && e.data.identity === 'mallory');
    const rejected = await api<{ culprits: { templateId: number; score: number }[]; sighting: { identity: string | null } }>(
      `/v1/sightings/${wrong?.data.sightingId}/reject`,
      { method: 'POST', body: {} },
    );
    assert.equal(rejected.culprits.length, 1);
    assert.equal(rejected.sighting.identity, null);
    const after = await play();
    assert.ok(!namesOf(after).has('mallory'), JSON.stringify([...namesOf(after)]));
    assert.ok(namesOf(after).has(known));
  });

  it('"this is X" on the visitor names the stranger on the next playback', async () => {
    const taught = await api<{ identity: string; templateIds: number[] }>(`/v1/visitors/${strangerVisitor}/teach`, {
      method: 'POST',
      body: { identity: stranger, name: 'The stranger' },
    });
    assert.ok(taught.templateIds.length >= 1);
    const next = await play();
    assert.ok(namesOf(next).has(stranger), JSON.stringify([...namesOf(next)]));
    assert.ok(namesOf(next).has(known));
    const { sightings } = await api<{ sightings: { identity: string | null; decidedBy: string }[] }>(`/v1/sightings?limit=1000`);
    assert.ok(sightings.some((x) => x.identity === stranger && x.decidedBy === 'taught'));
  });
});

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { SyntheticVideo } from '../../bench/video-synth.js';
import { isArcFaceError, type RgbImage } from '../../src/core/index.js';
import { iou as boxIou, type DetectOptions } from '../../src/detect/index.js';
import { motMetrics, type MotFrame } from '../../src/eval/index.js';
import { openGallery, type Gallery } from '../../src/gallery/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { cropBox, watchFaces, type FrameResult, type StreamEvent, type TrackEndedEvent } from '../../src/stream/index.js';
import { createPushSource, openVideoSource, resizeRgb } from '../../src/video/index.js';
import { sharedPath } from '../helpers/shared.js';
import { clipDir, stampedClip, truncatedCopy, within } from '../helpers/video-clips.js';

const LFW = (): string => sharedPath('data', 'faces', 'lfw-deepfunneled');

/** Enrols, for each clip person, a photo the clip never shows, plus two strangers. */
async function galleryFor(fr: FaceRecognizer, clip: SyntheticVideo, path: string): Promise<Gallery> {
  const g = await openGallery(path, { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.3 });
  for (const p of clip.truth.people) {
    const held = readdirSync(join(LFW(), p.personId))
      .sort()
      .find((f) => !p.photos.includes(f));
    assert.ok(held !== undefined, `a held-out photo of ${p.personId}`);
    const face = (await fr.recognizeFile(join(LFW(), p.personId, held), { select: 'central' })).faces[0];
    assert.ok(face !== undefined);
    await g.enroll(p.personId, [face.embedding], { name: p.personId.replace(/_/g, ' ') });
  }
  for (const stranger of ['Aaron_Peirsol', 'Zico']) {
    const dir = join(sharedPath('data', 'faces', 'lfw'), stranger);
    const face = (await fr.recognizeFile(join(dir, readdirSync(dir).sort()[0] as string), { select: 'central' })).faces[0];
    if (face !== undefined) await g.enroll(stranger, [face.embedding]);
  }
  return g;
}

async function collect(
  it: AsyncIterable<FrameResult>,
  onResult?: (r: FrameResult) => Promise<void>,
): Promise<{ results: FrameResult[]; events: StreamEvent[] }> {
  const results: FrameResult[] = [];
  const events: StreamEvent[] = [];
  for await (const r of it) {
    results.push(r);
    events.push(...r.events);
    if (onResult !== undefined) await onResult(r);
  }
  return { results, events };
}

describe('watchFaces on a synthetic clip of two LFW people (real detector, tracker and recogniser)', () => {
  let fr: FaceRecognizer;
  let clip: SyntheticVideo;
  let gallery: Gallery;
  let dir: string;
  before(async () => {
    dir = await clipDir('watch-faces');
    fr = await FaceRecognizer.create({ locations: { home: join(dir, 'home'), dirs: [sharedPath('models')] } });
    clip = await stampedClip(dir, { width: 480, height: 270, seconds: 4, people: 2, seed: 11 });
    gallery = await galleryFor(fr, clip, join(dir, 'gallery.db'));
  });
  after(async () => {
    await gallery?.close();
    await fr?.dispose();
  });

  it("asks the decoder for each frame shrunk to the detector's fit size and hands the copy to the detector", async () => {
    const seen: string[] = [];
    const detector = {
      fitSize: 240,
      detect: (image: RgbImage, o?: DetectOptions) => {
        seen.push(`${image.width}x${image.height}:${o?.downscaled?.width}x${o?.downscaled?.height}`);
        return fr.detector.detect(image, o);
      },
    };
    const { results } = await collect(watchFaces(clip.videoPath, { recognizer: { detector, embedder: fr.embedder }, gallery }));
    assert.equal(seen.length, results.filter((r) => r.image !== undefined).length);
    assert.deepEqual(new Set(seen), new Set(['480x270:240x135']));
    // A caller's own `downscale` wins.
    seen.length = 0;
    await collect(watchFaces(clip.videoPath, { recognizer: { detector, embedder: fr.embedder }, source: { fps: 5, downscale: [120, 120] } }));
    assert.deepEqual(new Set(seen), new Set(['480x270:120x68']));
  });

  it('follows each person with one track, names it right once, and tags every result with its own frame', async () => {
    const { results, events } = await collect(watchFaces(clip.videoPath, { recognizer: fr, gallery }));
    const frames = results.filter((r) => r.image !== undefined);
    assert.equal(frames.length, clip.truth.frameCount);
    frames.forEach((r, i) => {
      assert.equal(r.frame, i);
      assert.ok(Math.abs(r.pts - (clip.truth.frames[i]?.pts ?? Number.NaN)) < 1e-3, `pts of frame ${i}`);
    });
    const mot: MotFrame[] = frames.map((r) => ({
      truth: (clip.truth.frames[r.frame]?.objects ?? []).filter((o) => o.visible >= 0.5).map((o) => ({ id: o.personId, box: o.faceBox })),
      tracks: r.tracks.filter((t) => t.detected).map((t) => ({ id: t.trackId, box: t.box })),
    }));
    const m = motMetrics(mot);
    assert.equal(m.idSwitches, 0, 'no identity switch');
    assert.ok(m.idf1 > 0.9, `IDF1 ${m.idf1}`);
    const started = events.filter((e) => e.type === 'track.started');
    const ended = events.filter((e) => e.type === 'track.ended');
    assert.equal(started.length, ended.length, 'every started track ends');
    const persons = new Set(clip.truth.people.map((p) => p.personId));
    for (const e of ended) {
      const truth = m.trackToTruth.get(e.trackId);
      if (truth === undefined || e.hits < 10) continue;
      assert.equal(e.identity, truth, `track ${e.trackId} named ${String(e.identity)}, truth ${String(truth)}`);
      assert.ok(persons.has(String(e.identity)));
      assert.ok(e.embeddings >= 1 && e.embeddings <= 6, `recogniser calls per 4-s track: ${e.embeddings}`);
      assert.ok(e.lastPts > e.firstPts);
    }
    const flips = events.filter((e) => e.type === 'track.identified' && e.previous !== null && e.identity !== e.previous);
    assert.equal(flips.length, 0, 'a stable track never changes its name');
    const calls = results.reduce((s, r) => s + r.embedded, 0);
    assert.ok(calls < frames.length / 4, `recogniser calls ${calls} ≪ naive ${frames.length * 2}`);
  });

  it('detects every third frame and predicts the boxes between', async () => {
    const { results } = await collect(watchFaces(clip.videoPath, { recognizer: fr, gallery, detectEvery: 3 }));
    const frames = results.filter((r) => r.image !== undefined);
    assert.deepEqual(
      frames.slice(0, 6).map((r) => r.detected),
      [true, false, false, true, false, false],
    );
    const predicted = frames.flatMap((r) => r.tracks.filter((t) => !t.detected));
    assert.ok(predicted.length > 0, 'tracks live on frames without detection');
    for (const r of frames.slice(10)) {
      for (const t of r.tracks) {
        const best = Math.max(0, ...(clip.truth.frames[r.frame]?.objects ?? []).map((o) => boxIou(o.faceBox, t.box)));
        assert.ok(best > 0.2, `frame ${r.frame} track ${t.trackId} near a real face (IoU ${best.toFixed(2)})`);
      }
    }
  });

  it('live mode with a slow consumer drops frames and every result stays in sync with its frame', async () => {
    const source = openVideoSource(clip.videoPath, { live: true, realtime: true });
    const { results } = await within(
      30_000,
      collect(watchFaces(source, { recognizer: fr, gallery }), () => new Promise((r) => setTimeout(r, 120))),
      'the live run',
    );
    const frames = results.filter((r) => r.image !== undefined);
    const last = results[results.length - 1];
    assert.ok((last?.dropped ?? 0) > 0, 'frames were dropped');
    assert.ok(frames.length < clip.truth.frameCount);
    for (let i = 1; i < frames.length; i++) assert.ok((frames[i]?.frame ?? 0) > (frames[i - 1]?.frame ?? 0));
    for (const r of frames) {
      assert.ok(Math.abs(r.pts - (clip.truth.frames[r.frame]?.pts ?? Number.NaN)) < 1e-3, `pts of frame ${r.frame}`);
      for (const t of r.tracks.filter((x) => x.detected)) {
        const best = Math.max(0, ...(clip.truth.frames[r.frame]?.objects ?? []).map((o) => boxIou(o.faceBox, t.box)));
        assert.ok(best > 0.3, `result of frame ${r.frame} shows a box of that frame (IoU ${best.toFixed(2)})`);
      }
    }
  });

  it('without a gallery gives unknown faces stable unknown-N labels', async () => {
    const { events } = await collect(watchFaces(clip.videoPath, { recognizer: fr, labelUnknowns: true }));
    const ended = events.filter((e) => e.type === 'track.ended' && e.hits >= 10);
    const labels = new Set(ended.map((e) => (e.type === 'track.ended' ? e.label : '')));
    assert.ok(
      [...labels].every((l) => /^unknown-\d+$/.test(l)),
      [...labels].join(','),
    );
    assert.equal(labels.size, 2, 'two people, two labels');
  });

  it('a truncated file yields the frames it has, then a coded error; events so far are kept', async () => {
    const cut = await truncatedCopy(clip.videoPath, join(dir, 'cut.mp4'), 0.8);
    const events: StreamEvent[] = [];
    let error: unknown;
    try {
      for await (const r of watchFaces(cut, { recognizer: fr, gallery })) events.push(...r.events);
    } catch (e) {
      error = e;
    }
    assert.ok(
      events.some((e) => e.type === 'track.started'),
      'events before the damage',
    );
    assert.ok(isArcFaceError(error, 'VIDEO_DECODE_FAILED'), `VIDEO_DECODE_FAILED, got ${String(error)}`);
  });

  it('a face that turns into another person under the same box splits the track, each part named right', async () => {
    const lfw = sharedPath('data', 'faces', 'lfw');
    const photo = async (person: string, n: number) =>
      fr.decode(new Uint8Array(readFileSync(join(lfw, person, readdirSync(join(lfw, person)).sort()[n] as string))));
    const g = await openGallery(join(dir, 'swap.db'), { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.3 });
    try {
      for (const person of ['Colin_Powell', 'Tony_Blair']) {
        const face = (await fr.recognize(await photo(person, 1), { select: 'central' })).faces[0];
        assert.ok(face !== undefined);
        await g.enroll(person, [face.embedding]);
      }
      const a = await photo('Colin_Powell', 0);
      const b = await photo('Tony_Blair', 0);
      const push = createPushSource({ live: false, capacity: 100 });
      // 10 frames a second: Colin Powell for 3 s, then Tony Blair in the same place for 3 s.
      for (let i = 0; i < 60; i++) push.push(i < 30 ? a : b, i / 10);
      push.end();
      const { events } = await collect(watchFaces(push.source, { recognizer: fr, gallery: g }));
      const ended = events.filter((e): e is TrackEndedEvent => e.type === 'track.ended');
      assert.deepEqual(
        ended.map((e) => e.identity),
        ['Colin_Powell', 'Tony_Blair'],
        JSON.stringify(ended),
      );
      assert.ok(
        (ended[0]?.lastPts ?? 0) < (ended[1]?.firstPts ?? 0) && (ended[1]?.firstPts ?? 0) >= 3,
        `the split follows the change of person: ${JSON.stringify(ended)}`,
      );
      assert.ok((ended[1]?.firstPts ?? 9) <= 5.1, 'found within the re-decision interval');
    } finally {
      await g.close();
    }
  });

  it('two faces that meet and bounce back keep their own ids and names', async () => {
    const lfw = sharedPath('data', 'faces', 'lfw-deepfunneled');
    const face = async (person: string, n: number): Promise<RgbImage> => {
      const img = await fr.decode(new Uint8Array(readFileSync(join(lfw, person, readdirSync(join(lfw, person)).sort()[n] as string))));
      const crop = cropBox(img, [50, 40, 200, 210], 0);
      return resizeRgb(crop, 110, 124);
    };
    const a = await face('Colin_Powell', 0);
    const b = await face('Tony_Blair', 0);
    const g = await openGallery(join(dir, 'bounce.db'), { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.3 });
    try {
      for (const person of ['Colin_Powell', 'Tony_Blair']) {
        const f = (await fr.recognizeFile(join(lfw, person, readdirSync(join(lfw, person)).sort()[1] as string), { select: 'central' })).faces[0];
        assert.ok(f !== undefined);
        await g.enroll(person, [f.embedding]);
      }
      // A (left) and B (right) walk towards each other, overlap, and walk back the way they came: a
      // tracker that trusts velocity swaps them at the turn; the embeddings after they part tell.
      const W = 420;
      const H = 200;
      const xA = (i: number): number => (i < 12 ? 20 : i < 22 ? 20 + (i - 12) * 13 : i < 32 ? 150 - (i - 22) * 13 : 20);
      const xB = (i: number): number => W - 130 - (xA(i) - 20);
      const push = createPushSource({ live: false, capacity: 100 });
      for (let i = 0; i < 50; i++) {
        const data = new Uint8Array(W * H * 3).fill(110);
        const paste = (img: RgbImage, x: number): void => {
          for (let y = 0; y < img.height; y++) data.set(img.data.subarray(y * img.width * 3, (y + 1) * img.width * 3), ((y + 40) * W + x) * 3);
        };
        paste(a, xA(i));
        paste(b, xB(i));
        push.push({ width: W, height: H, data }, i / 10);
      }
      push.end();
      const { events, results } = await collect(watchFaces(push.source, { recognizer: fr, gallery: g }));
      const last = results.filter((r) => r.image !== undefined).at(-1);
      const left = last?.tracks.find((t) => t.box[0] < W / 2);
      const right = last?.tracks.find((t) => t.box[0] >= W / 2);
      assert.equal(left?.identity, 'Colin_Powell', JSON.stringify(last?.tracks));
      assert.equal(right?.identity, 'Tony_Blair', JSON.stringify(last?.tracks));
      const ended = events.filter((e): e is TrackEndedEvent => e.type === 'track.ended');
      assert.equal(ended.length, 2, `one track per person through the meeting: ${JSON.stringify(ended)}`);
      for (const e of ended) assert.ok(e.identity === 'Colin_Powell' || e.identity === 'Tony_Blair' || e.hits < 10, JSON.stringify(e));
      const flips = events.filter((e) => e.type === 'track.identified' && e.previous !== null && e.identity !== e.previous);
      assert.equal(flips.length, 0, 'no track changed its name');
    } finally {
      await g.close();
    }
  });

  it('rejects invalid options', async () => {
    await assert.rejects(collect(watchFaces(clip.videoPath, { recognizer: fr, detectEvery: 0 })), RangeError);
    await assert.rejects(collect(watchFaces(clip.videoPath, { recognizer: fr, threshold: 2 })), RangeError);
    await assert.rejects(collect(watchFaces(clip.videoPath, { recognizer: fr, splitBelow: 1.5 })), RangeError);
  });
});

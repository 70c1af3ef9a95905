/**
 * Names over time on real faces: a real montage cut (two real people at the same place in the frame), a
 * track re-attached onto another face, and off-frontal faces of an enrolled person and of strangers.
 * Real detector and recogniser, real galleries; frames from real footage or composed from LFW photos.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { enrolRealPeople, readMontage, type MontageSegment } from '../../bench/video-real.js';
import type { RgbImage } from '../../src/core/index.js';
import { openGallery, type Gallery } from '../../src/gallery/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { FaceStream, type FaceStreamOptions, type FrameResult, type StreamEvent } from '../../src/stream/index.js';
import { openVideoSource } from '../../src/video/index.js';
import { sharedPath } from '../helpers/shared.js';
import { clipDir } from '../helpers/video-clips.js';

const lfw = (name: string, i: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', name, `${name}_${String(i).padStart(4, '0')}.jpg`);
const W = 640;
const H = 360;

/** A 640×360 grey frame with an LFW photo (resized to `size`) at (left, top), optionally blurred. */
async function composed(photo: string, left: number, top: number, size = 200, blur = 0): Promise<RgbImage> {
  let tile = sharp(photo).resize(size, size);
  if (blur > 0) tile = tile.blur(blur);
  const { data, info } = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 90, g: 100, b: 110 } } })
    .composite([{ input: await tile.png().toBuffer(), left, top }])
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** An empty frame of the same background. */
async function empty(): Promise<RgbImage> {
  const { data, info } = await sharp({ create: { width: W, height: H, channels: 3, background: { r: 90, g: 100, b: 110 } } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** Names shown on matched boxes of each result (what a viewer sees), by frame. */
function shown(results: readonly FrameResult[]): Map<number, (string | null)[]> {
  return new Map(results.map((r) => [r.frame, r.tracks.filter((t) => t.detected).map((t) => t.identity)]));
}

async function runFrames(stream: FaceStream, frames: readonly RgbImage[]): Promise<{ results: FrameResult[]; events: StreamEvent[] }> {
  const results: FrameResult[] = [];
  for (const [index, image] of frames.entries()) results.push(await stream.process({ index, pts: index / 25, image }));
  const closing = await stream.finish();
  return { results, events: [...results.flatMap((r) => r.events), ...(closing?.events ?? [])] };
}

describe('names over time on real faces', () => {
  let fr: FaceRecognizer;
  let dir: string;
  before(async () => {
    dir = await clipDir('names-over-time');
    fr = await FaceRecognizer.create({ locations: { home: join(dir, 'home'), dirs: [sharedPath('models')] } });
  });
  after(async () => fr?.dispose());

  it('rejects invalid naming options', () => {
    assert.throws(() => new FaceStream({ recognizer: fr, splitBelow: 1.5 }), RangeError);
    assert.throws(() => new FaceStream({ recognizer: fr, splitBelow: 0.5, resumeAbove: 0.4 }), RangeError);
    assert.throws(() => new FaceStream({ recognizer: fr, shotChange: { threshold: -1 } }), RangeError);
    assert.throws(() => new FaceStream({ recognizer: fr, identity: { offFrontalAgreement: 0 } }), RangeError);
    assert.doesNotThrow(() => new FaceStream({ recognizer: fr, shotChange: false, splitBelow: -1 }));
  });

  describe('a real montage cut with both faces at the same place', () => {
    let gallery: Gallery;
    let segments: MontageSegment[];
    before(async () => {
      gallery = await openGallery(join(dir, 'real.db'), {
        fingerprint: fr.fingerprint,
        embeddingSize: fr.embeddingSize,
        ...(fr.threshold === undefined ? {} : { threshold: fr.threshold }),
      });
      await enrolRealPeople(fr, gallery, sharedPath('data', 'video-real', 'enrol'));
      segments = await readMontage(sharedPath('data', 'video-real', 'montage-A-1.json'));
    });
    after(async () => gallery?.close());

    async function firstTwoSegments(options: Partial<FaceStreamOptions>): Promise<{ results: FrameResult[]; events: StreamEvent[] }> {
      const end = (segments[1] as MontageSegment).end_frame;
      const stream = new FaceStream({ recognizer: fr, gallery, ...options });
      const results: FrameResult[] = [];
      const source = openVideoSource(sharedPath('data', 'video-real', 'montage-A-1.mp4'));
      try {
        for await (const f of source) {
          if (f.index >= end) break;
          results.push(await stream.process(f));
        }
      } finally {
        await source.close();
      }
      return { results, events: results.flatMap((r) => r.events) };
    }

    for (const [label, options] of [
      ['with shot-change detection', {}],
      ['by the face check alone (shot-change detection off)', { shotChange: false }],
    ] as const) {
      it(`never carries a name across the cut, ${label}`, async () => {
        const [a, b] = segments as [MontageSegment, MontageSegment];
        assert.ok(a.person !== null && b.person !== null && a.person !== b.person, 'the first two segments are two enrolled people');
        const { results, events } = await firstTwoSegments(options);
        const names = shown(results);
        const before = [...names].filter(([f]) => f < a.end_frame).flatMap(([, n]) => n);
        const afterCut = [...names].filter(([f]) => f >= b.start_frame).flatMap(([, n]) => n);
        assert.ok(before.includes(a.person), `${a.person} named before the cut`);
        assert.ok(!before.some((n) => n !== null && n !== a.person), `only ${a.person} before the cut: ${[...new Set(before)]}`);
        assert.ok(!afterCut.includes(a.person), `${a.person} never shown after the cut`);
        assert.ok(afterCut.includes(b.person), `${b.person} named after the cut`);
        // The new person is named within a few frames of the cut.
        const firstNamed = results.find((r) => r.frame >= b.start_frame && r.tracks.some((t) => t.identity === b.person))?.frame ?? Number.POSITIVE_INFINITY;
        assert.ok(firstNamed - b.start_frame <= 5, `named ${firstNamed - b.start_frame} frames after the cut`);
        const cuts = events.filter((e) => e.type === 'shot.changed');
        if ('shotChange' in options) assert.equal(cuts.length, 0);
        else
          assert.deepEqual(
            cuts.map((e) => e.frame),
            [b.start_frame],
            'one shot change, at the first frame of the new segment',
          );
      });
    }

    it('without a gallery (nothing recognised), ends the track at the cut and starts a new one for the next face', async () => {
      const [a, b] = segments as [MontageSegment, MontageSegment];
      const stream = new FaceStream({ recognizer: fr });
      const results: FrameResult[] = [];
      const source = openVideoSource(sharedPath('data', 'video-real', 'montage-A-1.mp4'));
      try {
        for await (const f of source) {
          if (f.index >= b.end_frame) break;
          results.push(await stream.process(f));
        }
      } finally {
        await source.close();
      }
      const ids = (from: number, to: number): Set<number> =>
        new Set(results.filter((r) => r.frame >= from && r.frame < to).flatMap((r) => r.tracks.filter((t) => t.detected).map((t) => t.trackId)));
      const beforeCut = ids(a.end_frame - 1, a.end_frame);
      const afterCut = ids(b.start_frame, b.end_frame);
      assert.ok(beforeCut.size > 0 && afterCut.size > 0, `faces on both sides: ${[...beforeCut]} | ${[...afterCut]}`);
      assert.deepEqual(
        [...beforeCut].filter((id) => afterCut.has(id)),
        [],
        'no track on both sides of the cut',
      );
      const atCut = results.find((r) => r.frame === b.start_frame)?.events ?? [];
      const ended = atCut.filter((e) => e.type === 'track.ended').map((e) => e.trackId);
      assert.ok(
        [...beforeCut].every((id) => ended.includes(id)),
        `tracks ${[...beforeCut]} end at the cut: ${JSON.stringify(atCut)}`,
      );
      assert.ok(
        atCut.some((e) => e.type === 'track.started' && afterCut.has(e.trackId)),
        'a new track starts at the cut',
      );
      // Within the new shot the face keeps its one new track.
      assert.equal(afterCut.size, 1, `one track after the cut: ${[...afterCut]}`);
    });
  });

  describe('composed frames of LFW people', () => {
    let gallery: Gallery;
    before(async () => {
      gallery = await openGallery(join(dir, 'lfw.db'), {
        fingerprint: fr.fingerprint,
        embeddingSize: fr.embeddingSize,
        ...(fr.threshold === undefined ? {} : { threshold: fr.threshold }),
      });
      const enrol: [string, number[]][] = [
        ['Colin_Powell', [40, 49]],
        ['Tony_Blair', [32]],
        ['George_W_Bush', [7]],
        ['Gerhard_Schroeder', [5]],
        ['Donald_Rumsfeld', [39]],
        ['Jacques_Chirac', [2]],
      ];
      for (const [id, photos] of enrol) {
        const embeddings: Float32Array[] = [];
        for (const i of photos) embeddings.push((await fr.recognizeFile(lfw(id, i), { select: 'central' })).faces[0]!.embedding);
        await gallery.enroll(id, embeddings, { name: id });
      }
    });
    after(async () => gallery?.close());

    it('a track re-attached onto another face withholds its name until the new face is matched', async () => {
      // Colin Powell for 20 frames, nobody for 4, then Tony Blair at the same place: blurred for 4 frames
      // (too blurry to embed), then sharp.
      const frames: RgbImage[] = [];
      for (let f = 0; f < 20; f++) frames.push(await composed(lfw('Colin_Powell', 40), 220 + f, 80));
      for (let f = 0; f < 4; f++) frames.push(await empty());
      for (let f = 0; f < 4; f++) frames.push(await composed(lfw('Tony_Blair', 18), 240, 80, 200, 5));
      for (let f = 0; f < 12; f++) frames.push(await composed(lfw('Tony_Blair', 18), 240 + f, 80));
      const { results, events } = await runFrames(new FaceStream({ recognizer: fr, gallery, shotChange: false }), frames);
      const names = shown(results);
      assert.ok(names.get(10)?.includes('Colin_Powell'), 'Colin Powell named while in view');
      for (let f = 24; f < 40; f++) assert.ok(!names.get(f)?.includes('Colin_Powell'), `Colin Powell's name is not on Tony Blair at frame ${f}`);
      const suspended = events.filter((e) => e.type === 'track.suspended');
      const blurred = results.slice(24, 28).flatMap((r) => r.tracks.filter((t) => t.detected));
      // The blurred face is re-attached to Colin Powell's track: it shows '?', not a name.
      assert.equal(blurred.length, 4, 'the blurred face is tracked');
      assert.ok(
        blurred.every((t) => t.suspended && t.label === '?' && t.identity === null && t.name === null),
        JSON.stringify(blurred),
      );
      assert.equal(suspended[0]?.reason, 'reattached');
      assert.ok(
        results.slice(28).some((r) => r.tracks.some((t) => t.identity === 'Tony_Blair')),
        'Tony Blair named once his face is sharp',
      );
    });

    it('an off-frontal face of an enrolled person is named within a few frames; strangers in profile are not', async () => {
      // Colin_Powell_0071: three-quarter profile (yaw about -59° by the landmarks), beyond the frontal gate (45°).
      const profile = async (photo: string, options: Partial<FaceStreamOptions> = {}): Promise<FrameResult[]> => {
        const frames: RgbImage[] = [];
        for (let f = 0; f < 25; f++) frames.push(await composed(photo, 200 + 2 * f, 60, 240));
        return (await runFrames(new FaceStream({ recognizer: fr, gallery, shotChange: false, ...options }), frames)).results;
      };
      const colin = await profile(lfw('Colin_Powell', 71));
      const firstNamed = colin.find((r) => r.tracks.some((t) => t.identity === 'Colin_Powell'))?.frame;
      assert.ok(firstNamed !== undefined && firstNamed <= 15, `named at frame ${firstNamed}`);
      assert.ok(!colin.some((r) => r.tracks.some((t) => t.identity !== null && t.identity !== 'Colin_Powell')), 'no other name');
      // The frontal gate alone (the behaviour before off-frontal faces were used) never names him.
      const gated = await profile(lfw('Colin_Powell', 71), { identity: { offFrontalMaxYaw: 0 } });
      assert.ok(!gated.some((r) => r.tracks.some((t) => t.identity !== null)), 'not named through the frontal gate');
      // Strangers in three-quarter profile (Hugo Chavez beside Lula, and David Beckham): no name at all.
      for (const [name, i] of [
        ['Hugo_Chavez', 33],
        ['David_Beckham', 24],
      ] as const) {
        const stranger = await profile(lfw(name, i));
        assert.ok(
          stranger.some((r) => r.tracks.some((t) => t.detected)),
          `${name} is tracked`,
        );
        assert.ok(!stranger.some((r) => r.tracks.some((t) => t.identity !== null)), `${name} is not named`);
      }
    });
  });
});

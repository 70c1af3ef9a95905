import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { syntheticBareShares } from '../../bench/anonymize-coverage.js';
import { makeSyntheticVideo, type SyntheticVideo, type TruthFrame } from '../../bench/video-synth.js';
import type { DetectedFace, RgbImage } from '../../src/core/index.js';
import { iou } from '../../src/detect/index.js';
import { openGallery, type Gallery } from '../../src/gallery/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { anonymizeVideo, VideoAnonymizer, type AnonymizedFrame, type VideoAnonymizerOptions } from '../../src/privacy/index.js';
import type { StreamRecognizer } from '../../src/stream/index.js';
import { openVideoSource, type VideoFrame } from '../../src/video/index.js';
import { sharedPath } from '../helpers/shared.js';
import { clipDir } from '../helpers/video-clips.js';

const LFW = (): string => sharedPath('data', 'faces', 'lfw-deepfunneled');
const W = 480;
const H = 270;

async function framesOf(path: string): Promise<VideoFrame[]> {
  const out: VideoFrame[] = [];
  for await (const f of openVideoSource(path)) out.push(f);
  return out;
}

/** The recogniser with the detector blind, in the frames `blind` says, to the faces whose box overlaps `hide(frame)`. */
function blinded(fr: FaceRecognizer, blind: (frame: number) => readonly number[][] | 'all' | undefined): StreamRecognizer {
  let frame = -1;
  return {
    detector: {
      detect: async (image: RgbImage, o) => {
        frame++;
        const faces = await fr.detector.detect(image, o);
        const hide = blind(frame);
        if (hide === undefined) return faces;
        return hide === 'all' ? [] : faces.filter((f: DetectedFace) => !hide.some((b) => iou(f.box, b as [number, number, number, number]) > 0.3));
      },
    },
    embedder: fr.embedder,
  };
}

async function run(frames: readonly VideoFrame[], options: VideoAnonymizerOptions): Promise<AnonymizedFrame[]> {
  const anon = new VideoAnonymizer(options);
  const out: AnonymizedFrame[] = [];
  for (const [i, f] of frames.entries()) out.push(...(await anon.push({ index: i, pts: i / 25, image: f.image })));
  out.push(...(await anon.finish()));
  assert.deepEqual(
    out.map((f) => f.index),
    frames.map((_, i) => i),
  );
  return out;
}

/** Bare share per person of one frame. */
function bare(truth: TruthFrame, f: AnonymizedFrame): Map<string, number> {
  return new Map(syntheticBareShares(truth, f.covered, W, H).map((s) => [s.personId, s.share]));
}

describe('anonymising video (real detector, tracker, recogniser, ffmpeg)', () => {
  let fr: FaceRecognizer;
  let a: SyntheticVideo;
  let b: SyntheticVideo;
  let framesA: VideoFrame[];
  let framesB: VideoFrame[];
  let gallery: Gallery;
  let dir: string;
  before(async () => {
    dir = await clipDir('anonymize');
    fr = await FaceRecognizer.create({ locations: { home: join(dir, 'home'), dirs: [sharedPath('models')] } });
    const lfwDir = LFW();
    a = await makeSyntheticVideo({ out: join(dir, 'a'), width: W, height: H, seconds: 4, fps: 25, people: 2, seed: 11, lfwDir });
    b = await makeSyntheticVideo({ out: join(dir, 'b'), width: W, height: H, seconds: 2, fps: 25, people: 2, seed: 3, lfwDir });
    framesA = await framesOf(a.videoPath);
    framesB = await framesOf(b.videoPath);
    gallery = await openGallery(join(dir, 'gallery.db'), { fingerprint: fr.fingerprint, embeddingSize: fr.embeddingSize, threshold: fr.threshold ?? 0.3 });
    for (const p of [...a.truth.people, ...b.truth.people]) {
      const held = readdirSync(join(lfwDir, p.personId))
        .sort()
        .find((f) => !p.photos.includes(f));
      assert.ok(held !== undefined, `a held-out photo of ${p.personId}`);
      const face = (await fr.recognizeFile(join(lfwDir, p.personId, held), { select: 'central' })).faces[0];
      assert.ok(face !== undefined);
      await gallery.enroll(p.personId, [face.embedding]);
    }
  });
  after(async () => {
    await gallery?.close();
    await fr?.dispose();
  });

  it('every face, into a video file: no frame leaves a true face bare, and the report counts what was covered', async () => {
    const covers: AnonymizedFrame['covered'][] = [];
    const out = join(dir, 'a.anon.mp4');
    const report = await anonymizeVideo(a.videoPath, { recognizer: fr, output: out, style: 'pixelate', onFrame: (f) => void covers.push(f.covered) });
    assert.equal(report.frames, a.truth.frameCount);
    assert.equal(report.mode, 'all');
    assert.ok(report.facesCovered >= 1.9 * a.truth.frameCount, `${report.facesCovered} faces covered`);
    assert.equal(report.facesKept, 0);
    const bareFrames = a.truth.frames.filter((t, i) => syntheticBareShares(t, covers[i] ?? [], W, H).some((s) => s.share > 0.1));
    assert.deepEqual(
      bareFrames.map((t) => t.frame),
      [],
    );
    const written = await framesOf(out);
    assert.equal(written.length, a.truth.frameCount);
  });

  it('a face the detector misses for 3 frames stays covered (predicted box), and a face missed in its first frames is covered by the look-ahead', async () => {
    const person = a.truth.people[0]?.personId as string;
    const boxOf = (i: number): number[][] => (a.truth.frames[i]?.objects ?? []).filter((o) => o.personId === person).map((o) => [...o.faceBox]);
    const blind = (i: number): readonly number[][] | 'all' | undefined => (i < 3 ? 'all' : i >= 40 && i <= 42 ? boxOf(i) : undefined);
    const out = await run(framesA, { recognizer: blinded(fr, blind) });
    for (const i of [0, 1, 2, 40, 41, 42]) {
      const f = out[i] as AnonymizedFrame;
      for (const [who, share] of bare(a.truth.frames[i] as TruthFrame, f)) assert.ok(share <= 0.1, `frame ${i}: ${who} ${share} bare`);
      assert.ok(f.undetected >= 1, `frame ${i} covers a face the detector missed`);
    }
    // Without the look-ahead, the first frames show the faces: the look-ahead is what covers them.
    const early = await run(framesA.slice(0, 10), { recognizer: blinded(fr, blind), lookAhead: 0 });
    assert.ok([...bare(a.truth.frames[0] as TruthFrame, early[0] as AnonymizedFrame).values()].some((s) => s > 0.5));
  });

  it('a cut: the faces of the new shot are covered from its first frame although the detector misses them there, and no cover crosses the cut', async () => {
    const frames = [...framesA.slice(0, 50), ...framesB.slice(0, 40)];
    const truth = (i: number): TruthFrame => (i < 50 ? a.truth.frames[i] : b.truth.frames[i - 50]) as TruthFrame;
    const out = await run(frames, { recognizer: blinded(fr, (i) => (i === 50 || i === 51 ? 'all' : undefined)), style: 'fill' });
    assert.ok(
      out[50]?.result.events.some((e) => e.type === 'shot.changed'),
      'the cut is seen',
    );
    for (const [i, f] of out.entries()) {
      for (const [who, share] of bare(truth(i), f)) assert.ok(share <= 0.1, `frame ${i}: ${who} ${share} bare`);
    }
    // The frame before the cut is covered only where its own faces are.
    for (const c of out[49]?.covered ?? []) {
      assert.ok(
        truth(49).objects.some((o) => iou(o.faceBox, [c[0], c[1], c[2], c[3]]) > 0.1),
        `cover ${c} of frame 49 is over a face of that frame`,
      );
    }
  });

  it('keep: a consenting person is visible only while named, everyone else always covered, and no one is kept across a cut', async () => {
    const consenting = a.truth.people[0]?.personId as string;
    const frames = [...framesA, ...framesB];
    const truth = (i: number): TruthFrame => (i < framesA.length ? a.truth.frames[i] : b.truth.frames[i - framesA.length]) as TruthFrame;
    const out = await run(frames, { recognizer: fr, gallery, mode: 'keep', ids: [consenting] });
    let visible = 0;
    for (const [i, f] of out.entries()) {
      for (const k of f.kept) assert.deepEqual([k.identity, k.reason], [consenting, 'consented'], `frame ${i}`);
      const shares = bare(truth(i), f);
      for (const [who, share] of shares) if (who !== consenting) assert.ok(share <= 0.1, `frame ${i}: ${who} ${share} bare`);
      if (i >= framesA.length) assert.deepEqual(f.kept, [], `frame ${i} after the cut keeps nobody`);
      if ((shares.get(consenting) ?? 0) > 0.5) {
        visible++;
        const named = f.result.tracks.some((t) => t.identity === consenting && t.detected && !t.suspended);
        assert.ok(named, `frame ${i}: ${consenting} visible only while the track is named`);
      }
    }
    assert.ok(visible >= 0.5 * framesA.length, `${consenting} visible in ${visible} of ${framesA.length} frames`);
    assert.ok((bare(truth(0), out[0] as AnonymizedFrame).get(consenting) ?? 1) <= 0.1, 'covered before the track is named');
  });

  it('only: the listed person is covered once named (and in the look-ahead before), the others stay visible', async () => {
    const [unlisted, listed] = a.truth.people.map((p) => p.personId) as [string, string];
    const out = await run(framesA, { recognizer: fr, gallery, mode: 'only', ids: [listed] });
    const named = out.findIndex((f) => f.result.tracks.some((t) => t.identity === listed));
    assert.ok(named >= 0 && named < 25, `${listed} named at frame ${named}`);
    let shown = 0;
    for (const [i, f] of out.entries()) {
      const shares = bare(a.truth.frames[i] as TruthFrame, f);
      if (i >= Math.max(0, named - 5)) assert.ok((shares.get(listed) ?? 0) <= 0.1, `frame ${i}: ${listed} bare`);
      if ((shares.get(unlisted) ?? 0) > 0.5) shown++;
    }
    assert.ok(shown >= 0.8 * out.length, `${unlisted} visible in ${shown} of ${out.length} frames`);
  });
});

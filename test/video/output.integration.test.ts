import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { makeSyntheticVideo, readFrameStamp, type SyntheticVideo } from '../../bench/video-synth.js';
import { drawOverlays, isArcFaceError, openVideoSource, toWebVtt, VideoWriter, type RgbImage, type VideoFrame } from '../../src/index.js';
import { resizeRgb } from '../../src/video/index.js';
import { sharedPath } from '../helpers/shared.js';
import { clipDir, stampedClip, within } from '../helpers/video-clips.js';

const px = (img: RgbImage, x: number, y: number): number[] => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];
const grey = (w: number, h: number, v = 90): RgbImage => ({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(v) });

async function readAll(path: string): Promise<VideoFrame[]> {
  const frames: VideoFrame[] = [];
  for await (const f of openVideoSource(path)) frames.push(f);
  return frames;
}

function meanAbsDiff(a: RgbImage, b: RgbImage, box?: readonly [number, number, number, number]): number {
  const [x1, y1, x2, y2] = box ?? [0, 0, a.width, a.height];
  let sum = 0;
  let n = 0;
  for (let y = y1; y < y2; y++) {
    for (let x = x1; x < x2; x++) {
      for (let c = 0; c < 3; c++) sum += Math.abs((a.data[(y * a.width + x) * 3 + c] as number) - (b.data[(y * b.width + x) * 3 + c] as number));
      n += 3;
    }
  }
  return sum / n;
}

describe('drawOverlays', () => {
  it('outlines the box in its colour on a copy, 2 px wide at 640×360, leaving the inside and the input untouched', () => {
    const img = grey(640, 360);
    const out = drawOverlays(img, [{ box: [100, 80, 200, 220], color: [255, 0, 0] }]);
    assert.deepEqual(px(img, 100, 80), [90, 90, 90], 'input not mutated');
    for (const [x, y] of [
      [100, 80],
      [150, 81],
      [199, 150],
      [101, 219],
      [100, 150],
    ] as const)
      assert.deepEqual(px(out, x, y), [255, 0, 0], `edge ${x},${y}`);
    for (const [x, y] of [
      [102, 82],
      [150, 150],
      [197, 217],
      [99, 150],
      [201, 150],
    ] as const)
      assert.deepEqual(px(out, x, y), [90, 90, 90], `not edge ${x},${y}`);
    assert.deepEqual(px(drawOverlays(grey(1280, 720), [{ box: [100, 100, 300, 300] }]), 102, 200), [0, 255, 0], '3 px at 720p, green by default');
  });

  it('draws a legible label on a tab above the box, or inside it at the top edge, always within the image', () => {
    const img = grey(640, 360);
    const out = drawOverlays(img, [{ box: [100, 80, 200, 220], label: 'Alice #3', color: [0, 255, 0] }]);
    // The tab: 2-px padding, 7 rows × 2 px = 18 px tall, directly above the box; dark text on green.
    let green = 0;
    let text = 0;
    for (let y = 62; y < 80; y++) {
      for (let x = 100; x < 100 + 8 * 12; x++) {
        const p = px(out, x, y);
        if (p[1] === 255 && p[0] === 0) green++;
        if (p[0] === 0 && p[1] === 0 && p[2] === 0) text++;
      }
    }
    assert.ok(green > 500 && text > 100, `tab ${green} green / ${text} text pixels`);
    assert.deepEqual(px(out, 100, 61), [90, 90, 90], 'nothing above the tab');
    const other = drawOverlays(img, [{ box: [100, 80, 200, 220], label: 'Alice #8', color: [0, 255, 0] }]);
    assert.ok(meanAbsDiff(out, other, [100, 62, 200, 80]) > 0, 'different characters draw differently');
    // At the top edge the tab goes inside the box; at the right edge it shifts left to stay inside.
    const edge = drawOverlays(img, [{ box: [560, 0, 639, 100], label: 'Very_Long_Name_Here', color: [0, 0, 255] }]);
    let leftmost = 640;
    for (let x = 0; x < 640; x++) if (px(edge, x, 5)[2] === 255 && px(edge, x, 5)[0] === 0) leftmost = Math.min(leftmost, x);
    assert.ok(leftmost < 560 && leftmost >= 640 - (19 * 6 - 1) * 2 - 4 - 1, `tab starts at ${leftmost}`);
    assert.ok(
      [...edge.data.subarray(0, 640 * 3 * 18)].some((v, i) => i % 3 === 0 && v === 255),
      'white text on blue in the first rows',
    );
  });

  it('clips boxes that leave the image and rejects malformed overlays', () => {
    const out = drawOverlays(grey(64, 48), [{ box: [-20, -10, 30, 100], label: 'x' }, { box: [60, 40, 200, 200] }]);
    assert.deepEqual(px(out, 29, 20), [0, 255, 0]);
    assert.deepEqual(px(out, 62, 47), [90, 90, 90]);
    assert.deepEqual(px(out, 60, 47), [0, 255, 0]);
    assert.throws(() => drawOverlays(grey(8, 8), [{ box: [0, 0, 1] as unknown as [number, number, number, number] }]), TypeError);
    assert.throws(() => drawOverlays(grey(8, 8), [{ box: [0, 0, 4, Number.NaN] }]), TypeError);
    assert.throws(() => drawOverlays(grey(8, 8), [{ box: [0, 0, 4, 4], color: [0, 0, 256] }]), TypeError);
    assert.throws(() => drawOverlays({ width: 2, height: 2, data: new Uint8Array(3) }, []), TypeError);
    assert.deepEqual(drawOverlays(grey(4, 4), [{ box: [0, 0, 3, 3], label: 'Zoë №1' }]).width, 4, 'accents stripped, unknown characters drawn as ?');
  });
});

describe('VideoWriter', () => {
  let dir = '';
  let clip: SyntheticVideo;
  let frames: VideoFrame[] = [];

  before(async () => {
    dir = await clipDir('output');
    clip = await stampedClip(dir, { seconds: 1 });
    frames = await readAll(clip.videoPath);
  });

  for (const ext of ['mp4', 'webm', 'mkv', 'avi'] as const) {
    it(`round-trips frames through .${ext}: same count, size, order and similar pixels`, async () => {
      const path = join(dir, `round.${ext}`);
      const writer = await VideoWriter.open(path, { width: 320, height: 180, fps: 25 });
      for (const f of frames) await writer.write(drawOverlays(f.image, [{ box: [40, 40, 120, 140], label: `#${f.index}` }]));
      await within(30_000, writer.close(), 'encoding');
      assert.equal(writer.frames, frames.length);
      const back = await within(30_000, readAll(path), 'decoding');
      assert.equal(back.length, frames.length);
      back.forEach((f, i) => {
        assert.deepEqual([f.image.width, f.image.height], [320, 180]);
        assert.equal(readFrameStamp(f.image), i);
        assert.ok(Math.abs(f.pts - i / 25) < 1e-3);
      });
      const original = drawOverlays((frames[10] as VideoFrame).image, [{ box: [40, 40, 120, 140], label: '#10' }]);
      assert.ok(meanAbsDiff(original, (back[10] as VideoFrame).image) < 8, `mean abs diff ${meanAbsDiff(original, (back[10] as VideoFrame).image)}`);
    });
  }

  it('pads odd sizes to even, and raises coded errors for bad outputs', async () => {
    const odd = join(dir, 'odd.mp4');
    const w = await VideoWriter.open(odd, { width: 33, height: 21, fps: 5 });
    for (let i = 0; i < 3; i++) await w.write(grey(33, 21, 40 * i));
    await assert.rejects(w.write(grey(32, 21)), RangeError);
    await w.close();
    const back = await readAll(odd);
    assert.deepEqual([back.length, back[0]?.image.width, back[0]?.image.height], [3, 34, 22]);
    const empty = await VideoWriter.open(join(dir, 'empty.mp4'), { width: 8, height: 8, fps: 5 });
    await within(5000, empty.close(), 'closing an empty writer');
    await assert.rejects(readFile(join(dir, 'empty.mp4')), /ENOENT/, 'no file for no frames');
    await assert.rejects(VideoWriter.open(join(dir, 'x.gif'), { width: 8, height: 8, fps: 5 }), (e) => isArcFaceError(e, 'VIDEO_UNSUPPORTED'));
    const nowhere = await VideoWriter.open(join(dir, 'missing-dir', 'x.mp4'), { width: 8, height: 8, fps: 5 });
    await nowhere.write(grey(8, 8)).catch(() => undefined);
    await assert.rejects(nowhere.close(), (e) => isArcFaceError(e, 'VIDEO_ENCODE_FAILED') && /^Expected ffmpeg to encode/.test(e.message));
    await assert.rejects(VideoWriter.open(join(dir, 'y.mp4'), { width: 8, height: 8, fps: 5, ffmpegPath: join(dir, 'no-ffmpeg') }), (e) =>
      isArcFaceError(e, 'VIDEO_ENCODE_FAILED'),
    );
    await assert.rejects(VideoWriter.open(join(dir, 'y.mp4'), { width: 0, height: 8, fps: 5 }), RangeError);
    await assert.rejects(VideoWriter.open(join(dir, 'y.mp4'), { width: 8, height: 8, fps: 0 }), RangeError);
  });
});

describe('toWebVtt', () => {
  it('writes a valid WebVTT file: header, HH:MM:SS.mmm times, cues sorted, text escaped', () => {
    const vtt = toWebVtt([
      { start: 3725.5, end: 3730, text: 'Bob <unknown> & co' },
      { start: 1.2, end: 4, text: 'Alice' },
      { start: 1.2, end: 2, text: 'Carol\n\n--> not a timing line' },
    ]);
    assert.equal(
      vtt,
      'WEBVTT\n\n00:00:01.200 --> 00:00:02.000\nCarol\n--&gt; not a timing line\n\n00:00:01.200 --> 00:00:04.000\nAlice\n\n01:02:05.500 --> 01:02:10.000\nBob &lt;unknown&gt; &amp; co\n',
    );
    assert.equal(toWebVtt([]), 'WEBVTT\n');
    assert.throws(() => toWebVtt([{ start: 2, end: 2, text: 'x' }]), RangeError);
    assert.throws(() => toWebVtt([{ start: -1, end: 2, text: 'x' }]), RangeError);
    assert.throws(() => toWebVtt([{ start: 0, end: Number.POSITIVE_INFINITY, text: 'x' }]), TypeError);
  });
});

describe('synthetic video generator', () => {
  it('writes per-frame truth whose boxes hold the pasted LFW face regions, deterministically', async () => {
    const dir = await clipDir('synth');
    const opts = { width: 320, height: 180, seconds: 1.2, fps: 10, people: 3, seed: 5, lfwDir: sharedPath('data', 'faces', 'lfw-deepfunneled') } as const;
    const a = await makeSyntheticVideo({ ...opts, out: join(dir, 'a') });
    const b = await makeSyntheticVideo({ ...opts, out: join(dir, 'b') });
    assert.deepEqual(a.truth, b.truth, 'same seed, same truth');
    assert.deepEqual(JSON.parse(await readFile(a.truthPath, 'utf8')), a.truth);
    assert.equal(a.truth.frameCount, 12);
    assert.equal(a.truth.people.length, 3);
    const decoded = await readAll(a.videoPath);
    assert.equal(decoded.length, 12);
    let checked = 0;
    for (const tf of a.truth.frames) {
      assert.equal(tf.pts, tf.frame / 10);
      assert.equal(tf.objects.length, 3);
      for (const o of tf.objects) {
        const [x1, y1, x2, y2] = o.box;
        assert.ok(x1 >= 0 && y1 >= 0 && x2 <= 320 && y2 <= 180 && x2 > x1 && y2 > y1, `box ${o.box}`);
        assert.ok(o.visible >= 0 && o.visible <= 1);
        assert.ok(o.faceBox[0] > x1 && o.faceBox[2] < x2);
        if (o.visible < 1) continue;
        // The decoded pixels inside a fully visible box are the LFW region scaled to the box.
        const photo = sharedPath('data', 'faces', 'lfw-deepfunneled', o.personId, o.photo);
        const { data } = await sharp(photo).extract({ left: 60, top: 48, width: 130, height: 158 }).removeAlpha().raw().toBuffer({ resolveWithObject: true });
        const region = resizeRgb({ width: 130, height: 158, data: new Uint8Array(data) }, x2 - x1, y2 - y1);
        const frame = (decoded[tf.frame] as VideoFrame).image;
        let sum = 0;
        for (let y = 0; y < region.height; y++) {
          for (let x = 0; x < region.width; x++) {
            for (let c = 0; c < 3; c++)
              sum += Math.abs((region.data[(y * region.width + x) * 3 + c] as number) - (frame.data[((y + y1) * 320 + x + x1) * 3 + c] as number));
          }
        }
        assert.ok(sum / (region.width * region.height * 3) < 10, `${o.personId} in frame ${tf.frame}`);
        checked++;
      }
    }
    assert.ok(checked > 10);
    await assert.rejects(makeSyntheticVideo({ ...opts, out: join(dir, 'c'), people: 5 }), RangeError);
  });
});

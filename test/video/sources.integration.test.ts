import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, it } from 'node:test';
import { readFrameStamp, type SyntheticVideo } from '../../bench/video-synth.js';
import { createPushSource, isArcFaceError, openVideoSource, type FrameSource, type RgbImage, type VideoFrame } from '../../src/index.js';
import { resizeRgb } from '../../src/video/resize.js';
import { clipDir, ffmpeg, serveFolder, serveLoopback, stampedClip, within, type LoopbackStream } from '../helpers/video-clips.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

async function collect(source: FrameSource, limit = Number.POSITIVE_INFINITY): Promise<VideoFrame[]> {
  const frames: VideoFrame[] = [];
  for await (const f of source) {
    frames.push(f);
    if (frames.length >= limit) break;
  }
  return frames;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('video sources', () => {
  let dir = '';
  let clip: SyntheticVideo;
  const streams: LoopbackStream[] = [];

  before(async () => {
    dir = await clipDir('sources');
    clip = await stampedClip(dir);
  });
  after(async () => {
    for (const s of streams) await s.close();
  });

  it('reads every frame of an mp4 with its index, exact pts and the header', async () => {
    const source = openVideoSource(clip.videoPath);
    const info = await within(15_000, source.info(), 'the header');
    assert.deepEqual(info, { width: 320, height: 180, fps: 25, durationSeconds: 2, live: false, codec: 'h264', source: clip.videoPath });
    const frames = await within(30_000, collect(source), 'the frames');
    assert.equal(frames.length, clip.truth.frameCount);
    frames.forEach((f, i) => {
      assert.equal(f.index, i);
      assert.equal(readFrameStamp(f.image), i, `content of frame ${i}`);
      assert.ok(Math.abs(f.pts - (clip.truth.frames[i]?.pts ?? -1)) < 1e-6, `pts ${f.pts} of frame ${i}`);
    });
    assert.equal(source.delivered, frames.length);
    assert.equal(source.dropped, 0);
    for (let i = 1; i < frames.length; i++)
      assert.ok((frames[i]?.receivedAt ?? 0) >= (frames[i - 1]?.receivedAt ?? Number.POSITIVE_INFINITY), 'receivedAt stamps in order');
  });

  it('delivers each frame with a copy shrunk by ffmpeg to fit `downscale`, paired in order', async () => {
    const plain = await within(30_000, collect(openVideoSource(clip.videoPath)), 'the frames');
    const frames = await within(30_000, collect(openVideoSource(clip.videoPath, { downscale: [160, 160] })), 'the frames with copies');
    assert.equal(frames.length, plain.length);
    frames.forEach((f, i) => {
      const copy = f.downscaled;
      assert.ok(copy !== undefined, `frame ${i} has a copy`);
      assert.deepEqual([copy.width, copy.height, copy.data.length], [160, 90, 160 * 90 * 3]);
      assert.equal(f.pts, plain[i]?.pts);
      assert.equal(readFrameStamp(f.image), i, `full frame ${i} unchanged`);
      // The copy is this frame (not a neighbour): close to a 2× shrink of it done here.
      const mine = resizeRgb(f.image, 160, 90);
      let diff = 0;
      for (let j = 0; j < copy.data.length; j++) diff += Math.abs((copy.data[j] as number) - (mine.data[j] as number));
      assert.ok(diff / copy.data.length < 6, `frame ${i}: mean difference ${diff / copy.data.length} to its own shrink`);
    });
    // With sampling and maxSize, the copy is made from the frame as delivered.
    const sampled = await within(30_000, collect(openVideoSource(clip.videoPath, { fps: 10, maxSize: [240, 240], downscale: [100, 100] })), 'sampled');
    assert.equal(sampled.length, 20);
    for (const f of sampled) assert.deepEqual([f.image.width, f.image.height, f.downscaled?.width, f.downscaled?.height], [240, 135, 100, 56]);
  });

  it('reads the same frames from a WebM (VP8) and a Matroska copy', async () => {
    const webm = join(dir, 'clip.webm');
    const mkv = join(dir, 'clip.mkv');
    ffmpeg(['-i', clip.videoPath, '-c:v', 'libvpx', '-b:v', '2M', '-deadline', 'realtime', '-cpu-used', '8', webm]);
    ffmpeg(['-i', clip.videoPath, '-c', 'copy', mkv]);
    for (const [path, codec] of [
      [webm, 'vp8'],
      [mkv, 'h264'],
    ] as const) {
      const source = openVideoSource(path);
      const frames = await within(30_000, collect(source), path);
      assert.equal((await source.info()).codec, codec);
      assert.deepEqual(
        frames.map((f) => readFrameStamp(f.image)),
        frames.map((_, i) => i),
        path,
      );
      assert.equal(frames.length, clip.truth.frameCount, path);
    }
  });

  it('samples at a chosen fps with pts exactly n / fps, and scales down to maxSize keeping the aspect', async () => {
    const frames = await within(30_000, collect(openVideoSource(clip.videoPath, { fps: 10, maxSize: [200, 200] })), 'sampled frames');
    assert.equal(frames.length, 20);
    frames.forEach((f, i) => {
      assert.equal(f.pts, i / 10);
      assert.equal(f.index, i);
      assert.deepEqual([f.image.width, f.image.height], [200, 113]);
      // The fps filter takes the source frame nearest to each tick: frame ~ pts × 25.
      assert.ok(Math.abs(readFrameStamp(f.image) - i * 2.5) <= 1.5, `stamp ${readFrameStamp(f.image)} at pts ${f.pts}`);
    });
    const small = await collect(openVideoSource(clip.videoPath, { maxSize: [4000, 90] }), 1);
    assert.deepEqual([small[0]?.image.width, small[0]?.image.height], [160, 90]);
    const never = await collect(openVideoSource(clip.videoPath, { maxSize: [4000, 4000] }), 1);
    assert.deepEqual([never[0]?.image.width, never[0]?.image.height], [320, 180], 'never scales up');
  });

  it('reads a folder of frames in natural order with pts from the fps (25 by default)', async () => {
    const frames = join(dir, 'frames');
    await mkdir(frames);
    ffmpeg(['-i', clip.videoPath, '-start_number', '0', join(frames, '%d.png')]);
    const source = openVideoSource(frames);
    const got = await within(30_000, collect(source), 'folder frames');
    assert.equal(got.length, clip.truth.frameCount);
    got.forEach((f, i) => {
      assert.equal(readFrameStamp(f.image), i, `natural order at ${i}`);
      assert.equal(f.pts, i / 25);
    });
    const info = await source.info();
    assert.deepEqual({ ...info, source: '' }, { width: 320, height: 180, fps: 25, durationSeconds: 2, live: false, codec: undefined, source: '' });
    const live = openVideoSource(frames, { live: true });
    const sampled: VideoFrame[] = [];
    for await (const f of live) {
      sampled.push(f);
      await sleep(100);
    }
    assert.ok(live.dropped > 0, 'a live folder drops frames for a slow consumer');
    assert.equal(live.dropped + live.delivered, clip.truth.frameCount);
    assert.equal(sampled[sampled.length - 1]?.index, clip.truth.frameCount - 1, 'the newest frame is kept');
    for (const f of sampled) assert.equal(readFrameStamp(f.image), f.index);
    const scaled = await collect(openVideoSource(frames, { fps: 10, maxSize: [160, 160] }), 3);
    assert.deepEqual(
      scaled.map((f) => [f.pts, f.image.width, f.image.height]),
      [
        [0, 160, 90],
        [0.1, 160, 90],
        [0.2, 160, 90],
      ],
    );
  });

  it('loops a file with increasing pts, and paces it at its native rate when realtime', async () => {
    const frames = await within(30_000, collect(openVideoSource(clip.videoPath, { loop: true }), 70), 'looped frames');
    frames.forEach((f, i) => {
      assert.equal(f.index, i);
      assert.equal(readFrameStamp(f.image), i % 50);
      assert.ok(Math.abs(f.pts - i / 25) < 1e-6, `pts ${f.pts} at ${i}`);
    });
    const started = performance.now();
    await within(30_000, collect(openVideoSource(clip.videoPath, { realtime: true }), 26), 'realtime frames');
    // 26 frames at 25 fps span 1 s of video: a real-time reader cannot deliver them much sooner.
    assert.ok(performance.now() - started >= 900, `realtime read took ${performance.now() - started} ms`);
  });

  it('keeps memory flat in file mode with a slow consumer: ffmpeg is paused, not buffered', async () => {
    const big = await stampedClip(join(dir, 'big'), { width: 640, height: 360, seconds: 4, people: 1 });
    const source = openVideoSource(big.videoPath);
    const it = source[Symbol.asyncIterator]();
    await within(15_000, it.next(), 'first frame');
    gc();
    const before = process.memoryUsage().arrayBuffers;
    await sleep(1500);
    gc();
    const grown = process.memoryUsage().arrayBuffers - before;
    // Unpaused, ffmpeg would have decoded all 100 frames (100 × 691 kB ≈ 69 MB) into memory by now.
    assert.ok(grown < 15e6, `buffers grew by ${(grown / 1e6).toFixed(1)} MB while the consumer slept`);
    let n = 1;
    for (let r = await it.next(); r.done !== true; r = await it.next()) {
      assert.equal(readFrameStamp(r.value.image), n++);
    }
    assert.equal(n, 100);
  });

  it('drops frames in live mode when the consumer is slow, and each delivered frame keeps its index, pts and content', async () => {
    const stream = await serveLoopback(clip.videoPath, 'mjpeg');
    streams.push(stream);
    const source = openVideoSource(stream.url, { openTimeoutMs: 15_000 });
    const info = await within(20_000, source.info(), 'stream header');
    assert.equal(info.live, true);
    assert.equal(info.codec, 'mjpeg');
    const got: VideoFrame[] = [];
    await within(
      30_000,
      (async () => {
        for await (const f of source) {
          got.push(f);
          if (got.length === 8) break;
          await sleep(150);
        }
      })(),
      'live frames',
    );
    const last = got[got.length - 1] as VideoFrame;
    assert.ok(source.dropped > 0, 'frames were dropped');
    assert.ok(last.index >= got.length + source.dropped - 1, `indices count dropped frames: last ${last.index}, ${source.dropped} dropped`);
    for (let i = 1; i < got.length; i++) assert.ok((got[i] as VideoFrame).index > (got[i - 1] as VideoFrame).index);
    for (const f of got) {
      assert.equal(readFrameStamp(f.image), f.index, 'content matches the index');
      assert.ok(Math.abs(f.pts - f.index / 25) < 1e-3, `pts ${f.pts} at index ${f.index}`);
    }
  });

  it('reads an HLS playlist over HTTP to its end, as a stream with a known duration', async () => {
    const hls = join(dir, 'hls');
    await mkdir(hls);
    ffmpeg(['-i', clip.videoPath, '-c', 'copy', '-f', 'hls', '-hls_time', '1', '-hls_playlist_type', 'vod', join(hls, 'clip.m3u8')]);
    const server = await serveFolder(hls);
    streams.push({ url: server.base, servers: [], close: server.close });
    const source = openVideoSource(`${server.base}clip.m3u8`, { live: false });
    const frames = await within(30_000, collect(source), 'HLS frames');
    assert.equal((await source.info()).live, false);
    assert.equal(frames.length, clip.truth.frameCount);
    frames.forEach((f, i) => assert.equal(readFrameStamp(f.image), i));
    // A playlist naming a local file as a segment must not make a stream read this machine's files.
    const segment = (await readdir(hls)).find((f) => f.endsWith('.ts')) as string;
    await writeFile(join(hls, 'evil.m3u8'), `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\nfile://${join(hls, segment)}\n#EXT-X-ENDLIST\n`);
    const evil = await within(
      15_000,
      collect(openVideoSource(`${server.base}evil.m3u8`, { live: false })).then(
        (f) => f.length,
        (e: unknown) => e,
      ),
      'evil playlist',
    );
    assert.ok(isArcFaceError(evil), `a local segment was read: ${String(evil)}`);
  });

  it('takes frames from a host program through a push source, validating each one', async () => {
    const img = (v: number, w = 4, h = 2): RgbImage => ({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(v) });
    const live = createPushSource({ width: 4, height: 2 });
    assert.deepEqual(await live.source.info(), {
      width: 4,
      height: 2,
      fps: undefined,
      durationSeconds: undefined,
      live: true,
      codec: undefined,
      source: 'push',
    });
    assert.equal(live.push(img(1), 0.0), true);
    assert.equal(live.push(img(2), 0.04), false, 'an older unread frame was dropped');
    assert.equal(live.push(img(3), 0.08), false);
    assert.throws(() => live.push(img(4), 0.08), RangeError);
    assert.throws(() => live.push(img(4, 2, 2), 0.2), RangeError);
    assert.throws(() => live.push({ width: 4, height: 2, data: new Uint8Array(5) }, 0.3), TypeError);
    assert.throws(() => live.push(img(4), Number.NaN), TypeError);
    live.end();
    const got = await collect(live.source);
    assert.deepEqual(
      got.map((f) => [f.index, f.pts, f.image.data[0]]),
      [[2, 0.08, 3]],
    );
    assert.equal(typeof got[0]?.receivedAt, 'number');
    assert.equal(live.source.dropped, 2);
    assert.equal(live.push(img(5), 1), false, 'ended');

    const queued = createPushSource({ live: false, capacity: 2 });
    const header = queued.source.info();
    assert.equal(queued.push(img(1, 6, 4), 10), true);
    assert.equal(queued.push(img(2, 6, 4), 11), false, 'capacity reached: slow down');
    assert.equal(queued.push(img(3, 6, 4), 12), false);
    assert.equal((await header).width, 6);
    const failure = new Error('camera unplugged');
    queued.fail(failure);
    const seen: number[] = [];
    await assert.rejects(async () => {
      for await (const f of queued.source) seen.push(f.index);
    }, failure);
    assert.deepEqual(seen, [0, 1, 2], 'buffered frames come before the failure');
    assert.equal(queued.source.dropped, 0);
    assert.throws(() => createPushSource({ width: 0, height: 2 }), RangeError);
  });

  it('stops ffmpeg when the consumer leaves a for-await loop or calls close()', async () => {
    const source = openVideoSource(clip.videoPath);
    for await (const f of source) if (f.index === 3) break;
    assert.equal(source.delivered, 4);
    await within(5000, source.close(), 'close after break');
    const other = openVideoSource(clip.videoPath);
    await other.info();
    await within(5000, Promise.all([other.close(), other.close()]), 'idempotent close');
    assert.deepEqual(await other[Symbol.asyncIterator]().next(), { value: undefined, done: true });
  });
});

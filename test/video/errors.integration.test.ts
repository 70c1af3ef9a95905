import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readFrameStamp, type SyntheticVideo } from '../../bench/video-synth.js';
import { isArcFaceError, openVideoSource, type ErrorCode, type FrameSource, type VideoFrame } from '../../src/index.js';
import {
  clipDir,
  closedPort,
  ffmpeg,
  serveLoopback,
  silentPort,
  stampedClip,
  truncatedCopy,
  unsupportedCodecAvi,
  within,
  type LoopbackStream,
} from '../helpers/video-clips.js';

/** Reads until the source fails; returns the frames delivered before the error and the error. */
async function readUntilError(source: FrameSource, onFrame?: (f: VideoFrame) => void): Promise<{ frames: VideoFrame[]; error: unknown }> {
  const frames: VideoFrame[] = [];
  try {
    for await (const f of source) {
      frames.push(f);
      onFrame?.(f);
    }
  } catch (error) {
    return { frames, error };
  }
  return { frames, error: undefined };
}

function assertCode(error: unknown, code: ErrorCode, message?: RegExp): void {
  assert.ok(isArcFaceError(error, code), `expected ${code} but got ${String(error)}`);
  assert.doesNotMatch(error.message, /0x[0-9a-f]{6,}|Parsed_|@ 0x/, 'no raw ffmpeg log in the message');
  assert.match(error.message, /^Expected /);
  if (message !== undefined) assert.match(error.message, message);
}

describe('video source errors', () => {
  let dir = '';
  let clip: SyntheticVideo;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    dir = await clipDir('errors');
    clip = await stampedClip(dir, { seconds: 3 });
  });
  after(async () => {
    for (const c of cleanups) await c();
  });

  it('missing file → FILE_NOT_FOUND, missing device → VIDEO_DEVICE_NOT_FOUND (from info() and from reading)', async () => {
    const missing = openVideoSource(join(dir, 'nope.mp4'));
    await assert.rejects(missing.info(), (e) => isArcFaceError(e, 'FILE_NOT_FOUND'));
    assertCode((await readUntilError(missing)).error, 'FILE_NOT_FOUND');
    const device = openVideoSource('/dev/video99');
    await assert.rejects(device.info(), (e) => isArcFaceError(e, 'VIDEO_DEVICE_NOT_FOUND') && e.httpStatus === 404);
    assertCode((await readUntilError(device)).error, 'VIDEO_DEVICE_NOT_FOUND');
    const notCamera = await within(15_000, readUntilError(openVideoSource('/dev/null')), '/dev/null');
    assertCode(notCamera.error, 'VIDEO_DEVICE_NOT_FOUND', /a video capture device at \/dev\/null/);
  });

  it('corrupt or not-a-video files → VIDEO_DECODE_FAILED with a short reason', async () => {
    const junk = join(dir, 'junk.mp4');
    await writeFile(junk, Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251)));
    const text = join(dir, 'notes.mkv');
    await writeFile(text, 'these are meeting notes, not a video');
    for (const path of [junk, text]) {
      const { frames, error } = await within(15_000, readUntilError(openVideoSource(path)), path);
      assert.equal(frames.length, 0);
      assertCode(error, 'VIDEO_DECODE_FAILED', /corrupt or not a video/);
    }
  });

  it('truncated files deliver the frames that decode, then raise VIDEO_DECODE_FAILED', async () => {
    const mp4 = await truncatedCopy(clip.videoPath, join(dir, 'cut.mp4'), 0.5);
    const mkv = join(dir, 'whole.mkv');
    ffmpeg(['-i', clip.videoPath, '-c', 'copy', mkv]);
    const cutMkv = await truncatedCopy(mkv, join(dir, 'cut.mkv'), 0.5);
    for (const path of [mp4, cutMkv]) {
      const { frames, error } = await within(15_000, readUntilError(openVideoSource(path)), path);
      assert.ok(frames.length > 5 && frames.length < clip.truth.frameCount, `${path}: ${frames.length} frames before the error`);
      // Near the cut the decoder may lose a damaged frame, so stamps may skip there; each frame's pts
      // still names its own picture, and frames never go backwards.
      frames.forEach((f, i) => {
        const stamp = readFrameStamp(f.image);
        assert.equal(stamp, Math.round(f.pts * clip.truth.fps), `frame ${i}: stamp ${stamp} at pts ${f.pts}`);
        if (i > 0) assert.ok(stamp > readFrameStamp((frames[i - 1] as VideoFrame).image));
      });
      assertCode(error, 'VIDEO_DECODE_FAILED', /truncated or damaged after \d+ frames/);
      assert.equal((error as { details?: { frames?: number } }).details?.frames, frames.length);
    }
  });

  it('an unknown codec or a file without video → VIDEO_UNSUPPORTED (415)', async () => {
    const avi = await unsupportedCodecAvi(join(dir, 'zzzz.avi'));
    const avi1 = openVideoSource(avi);
    await assert.rejects(avi1.info(), (e) => isArcFaceError(e, 'VIDEO_UNSUPPORTED') && e.httpStatus === 415);
    const wav = join(dir, 'tone.wav');
    ffmpeg(['-f', 'lavfi', '-i', 'sine=d=1', wav]);
    assertCode((await within(15_000, readUntilError(openVideoSource(wav)), 'audio only')).error, 'VIDEO_UNSUPPORTED', /video stream/);
  });

  it('a stream that accepts but never answers → VIDEO_TIMEOUT; a refused connection → VIDEO_STREAM_UNAVAILABLE', async () => {
    const silent = await silentPort();
    cleanups.push(silent.close);
    const started = performance.now();
    const { error } = await within(15_000, readUntilError(openVideoSource(silent.url, { openTimeoutMs: 1500 })), 'timeout');
    assertCode(error, 'VIDEO_TIMEOUT', /within 1500 ms/);
    assert.ok(performance.now() - started < 10_000);
    const port = await closedPort();
    const refused = await within(15_000, readUntilError(openVideoSource(`rtsp://user:secret@127.0.0.1:${port}/cam`)), 'refused');
    assertCode(refused.error, 'VIDEO_STREAM_UNAVAILABLE');
    assert.doesNotMatch((refused.error as Error).message, /secret/, 'credentials are redacted');
  });

  it('a live stream killed mid-way → frames so far, then VIDEO_STREAM_ENDED; one that stalls → VIDEO_TIMEOUT', async () => {
    const stream: LoopbackStream = await serveLoopback(clip.videoPath, 'mpegts');
    cleanups.push(stream.close);
    const killed = await within(
      20_000,
      readUntilError(openVideoSource(stream.url, { live: false }), (f) => {
        if (f.index === 10) stream.servers[0]?.kill('SIGKILL');
      }),
      'killed stream',
    );
    assert.ok(killed.frames.length >= 11 && killed.frames.length < clip.truth.frameCount, `${killed.frames.length} frames`);
    // The decoder may lose frames in the cut tail: each frame's pts still names its content.
    killed.frames.forEach((f) => assert.equal(readFrameStamp(f.image), Math.round(f.pts * 25), `frame ${f.index} at ${f.pts} s`));
    killed.frames.slice(0, 11).forEach((f, i) => assert.equal(readFrameStamp(f.image), i));
    assertCode(killed.error, 'VIDEO_STREAM_ENDED', /keep streaming/);

    const stalled = await within(
      20_000,
      readUntilError(openVideoSource(stream.url, { live: false, readTimeoutMs: 1500 }), (f) => {
        if (f.index === 5) stream.servers[1]?.kill('SIGSTOP');
      }),
      'stalled stream',
    );
    stream.servers[1]?.kill('SIGKILL');
    assert.ok(stalled.frames.length >= 6);
    assertCode(stalled.error, 'VIDEO_TIMEOUT', /stalled for 1500 ms/);
  });

  it('a missing ffmpeg binary → VIDEO_DECODE_FAILED; invalid options throw at once', async () => {
    const source = openVideoSource(clip.videoPath, { ffmpegPath: join(dir, 'no-ffmpeg') });
    await assert.rejects(source.info(), (e) => isArcFaceError(e, 'VIDEO_DECODE_FAILED') && /failed to start/.test(e.message));
    await within(5000, source.close(), 'close after a failed start');
    assert.throws(() => openVideoSource(''), TypeError);
    assert.throws(() => openVideoSource(clip.videoPath, { fps: 0 }), RangeError);
    assert.throws(() => openVideoSource(clip.videoPath, { fps: Number.NaN }), TypeError);
    assert.throws(() => openVideoSource(clip.videoPath, { maxSize: [640, 0] }), RangeError);
    assert.throws(() => openVideoSource(clip.videoPath, { maxSize: [640] as unknown as [number, number] }), TypeError);
    assert.throws(() => openVideoSource(clip.videoPath, { capacity: 1.5 }), RangeError);
    assert.throws(() => openVideoSource(clip.videoPath, { live: 'yes' as unknown as boolean }), TypeError);
    assert.throws(() => openVideoSource(clip.videoPath, { openTimeoutMs: -1 }), RangeError);
  });
});

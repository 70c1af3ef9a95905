import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FrameChannel } from '../../src/video/frame-channel.js';
import { classifyFailure, inputKind, parseStreamHeader, redactSource, shortReason } from '../../src/video/ffmpeg.js';
import { parseShowinfoLine, RawFrameAssembler, type FrameMeta } from '../../src/video/raw-frames.js';
import type { VideoFrame } from '../../src/video/types.js';

/** stderr of the bundled ffmpeg reading an MPEG-TS stream over HTTP (`-loglevel level+info`). */
const HEADER = `[info] Input #0, mpegts, from 'http://127.0.0.1:18555/live.ts':
[info]   Duration: N/A, start: 1.480000, bitrate: N/A
[info]     Stream #0:0[0x100]: Video: h264 (High) ([27][0][0][0] / 0x001B), yuv420p(progressive), 320x240 [SAR 1:1 DAR 4:3], 25 fps, 25 tbr, 90k tbn, 50 tbc
[info] Stream mapping:
[info]   Stream #0:0 -> #0:0 (h264 (native) -> rawvideo (native))
`;
const MP4 = `[info] Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'a.mp4':
[info]   Duration: 00:01:02.50, start: 0.000000, bitrate: 50 kb/s
[info]     Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 1280x720 [SAR 1:1 DAR 16:9], 45 kb/s, 29.97 fps, 29.97 tbr, 30k tbn, 59.94 tbc (default)
[info] Output #0, rawvideo, to 'pipe:1':
[info]     Stream #0:0(und): Video: rawvideo (RGB[24] / 0x18424752), rgb24, 640x360, q=2-31, 4608 kb/s, 10 fps
`;

const frame = (index: number): VideoFrame => ({ index, pts: index / 25, image: { width: 1, height: 1, data: new Uint8Array(3) } });

describe('ffmpeg stderr parsing', () => {
  it('reads showinfo frame lines, snapping pts to the 1/fps grid when sampling', () => {
    const line =
      '[Parsed_showinfo_2 @ 0x28672d80] [info] n:  39 pts:     39 pts_time:3.9     pos:    11288 fmt:rgb24 sar:1/1 s:160x120 i:P iskey:0 type:B checksum:BC623911';
    assert.deepEqual(parseShowinfoLine(line), { pts: 3.9, width: 160, height: 120 });
    assert.deepEqual(parseShowinfoLine(line.replace('3.9 ', '3.9000001 '), 10), { pts: 39 / 10, width: 160, height: 120 });
    assert.equal(parseShowinfoLine('[Parsed_showinfo_2 @ 0x1] [info] color_range:tv color_space:unknown'), undefined);
    assert.equal(parseShowinfoLine('[info] frame=   23 fps=0.0 q=-0.0 size=N/A time=00:00:00.92'), undefined);
  });

  it('reads the input stream header, not the output one', () => {
    assert.deepEqual(parseStreamHeader(HEADER), { codec: 'h264', width: 320, height: 240, fps: 25, durationSeconds: undefined });
    assert.deepEqual(parseStreamHeader(MP4), { codec: 'h264', width: 1280, height: 720, fps: 29.97, durationSeconds: 62.5 });
    assert.equal(parseStreamHeader('[info]     Stream #0:0: Video: none (ZZZZ / 0x5A5A5A5A), none, 64x48, 5 fps').codec, undefined);
  });

  it('turns failures into coded errors with a short cleaned reason, and redacts credentials', () => {
    const log = '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x2435bbc0] [error] moov atom not found\n[error] /data/x.mp4: Invalid data found when processing input\n';
    assert.equal(shortReason(log, '/data/x.mp4'), 'moov atom not found; input: Invalid data found when processing input');
    const e = classifyFailure(log, '/data/x.mp4', '/data/x.mp4', 0);
    assert.equal(e.code, 'VIDEO_DECODE_FAILED');
    assert.match(e.message, /^Expected a decodable video at \/data\/x.mp4 but it is corrupt or not a video \(moov atom not found/);
    assert.equal(classifyFailure('[error] rtsp://***@cam: Server returned 404 Not Found', 'x', 'x', 0).code, 'VIDEO_STREAM_UNAVAILABLE');
    assert.equal(redactSource('rtsp://admin:s3cret@10.0.0.2:554/live'), 'rtsp://***@10.0.0.2:554/live');
    assert.equal(redactSource('/videos/a@b.mp4'), '/videos/a@b.mp4');
    assert.deepEqual(['rtsp://h/x', 'https://h/x.m3u8', '/dev/video0', 'clip.mp4', 'file:///tmp/a.mp4'].map(inputKind), [
      'network',
      'network',
      'device',
      'path',
      'path',
    ]);
  });
});

describe('RawFrameAssembler', () => {
  it('cuts frames across chunk boundaries and holds bytes until their description arrives', () => {
    const a = new RawFrameAssembler();
    const got: [FrameMeta, number[]][] = [];
    const drain = (): void => a.drain((m, d) => got.push([m, [...d]]));
    a.addChunk(Buffer.from([1, 2, 3, 4]));
    drain();
    assert.equal(got.length, 0, 'no description yet');
    a.addMeta({ pts: 0, width: 2, height: 1 });
    a.addMeta({ pts: 0.04, width: 1, height: 1 });
    drain();
    assert.deepEqual(a.partial, { expected: 6, received: 4 });
    a.addChunk(Buffer.from([5, 6, 7, 8, 9, 10]));
    drain();
    assert.deepEqual(got, [
      [{ pts: 0, width: 2, height: 1 }, [1, 2, 3, 4, 5, 6]],
      [{ pts: 0.04, width: 1, height: 1 }, [7, 8, 9]],
    ]);
    assert.equal(a.partial, undefined, 'byte 10 waits for its description');
  });
});

describe('FrameChannel', () => {
  it('live: keeps the newest frames and counts the dropped ones', async () => {
    const ch = new FrameChannel(true, 2);
    assert.equal(ch.push(frame(0)), true);
    assert.equal(ch.push(frame(1)), true);
    assert.equal(ch.push(frame(2)), false);
    assert.equal(ch.push(frame(3)), false);
    ch.end();
    assert.equal(ch.push(frame(4)), false);
    assert.deepEqual([(await ch.next()).value?.index, (await ch.next()).value?.index, (await ch.next()).done], [2, 3, true]);
    assert.deepEqual([ch.dropped, ch.delivered], [2, 2]);
  });

  it('file mode: asks the producer to pause at capacity and to resume when read; errors come after buffered frames', async () => {
    let space = 0;
    const ch = new FrameChannel(false, 2, () => space++);
    assert.equal(ch.push(frame(0)), true);
    assert.equal(ch.push(frame(1)), false, 'pause');
    assert.equal(ch.push(frame(2)), false, 'kept anyway');
    ch.fail(new Error('boom'));
    assert.equal((await ch.next()).value?.index, 0);
    assert.equal(space, 0, 'still 2 waiting');
    assert.equal((await ch.next()).value?.index, 1);
    assert.equal(space, 1, 'resume');
    assert.equal((await ch.next()).value?.index, 2);
    await assert.rejects(ch.next(), /boom/);
    assert.equal(ch.dropped, 0);
    const waiting = new FrameChannel(false, 1);
    const pending = waiting.next();
    await assert.rejects(waiting.next(), /one reader/);
    waiting.close();
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.throws(() => new FrameChannel(true, 0), RangeError);
  });
});

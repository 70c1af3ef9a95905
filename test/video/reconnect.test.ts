import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isArcFaceError } from '../../src/core/index.js';
import { createPushSource, openVideoSource, ReconnectingFrameSource, reconnectDelay, validateVideoSourceOptions } from '../../src/video/index.js';
import { startRtspServer, type RtspServer } from '../helpers/rtsp-server.js';
import { clipDir, stampedClip, within } from '../helpers/video-clips.js';

describe('network streams: RTSP transport and reconnection', () => {
  let rtsp: RtspServer;
  let clip: string;
  before(async () => {
    clip = (await stampedClip(await clipDir('reconnect'), { seconds: 2 })).videoPath;
    rtsp = await startRtspServer();
    rtsp.publish(clip, 'cam', { loop: true });
    await new Promise((r) => setTimeout(r, 800));
  });
  after(async () => {
    await rtsp?.close();
  });

  it('backs off 0.5 s, 1 s, 2 s, 4 s, 8 s, 8 s …', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 6, 9].map((n) => reconnectDelay(n, 500)), [500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('rejects bad reconnect and transport options, saying what was expected', () => {
    assert.throws(() => validateVideoSourceOptions({ reconnectAttempts: -1 }), (e: unknown) => e instanceof RangeError && /reconnectAttempts/.test((e as Error).message));
    assert.throws(() => validateVideoSourceOptions({ reconnectAttempts: 1.5 }), RangeError);
    assert.throws(() => validateVideoSourceOptions({ reconnectAttempts: 101 }), RangeError);
    assert.throws(() => validateVideoSourceOptions({ reconnectDelayMs: 0 }), RangeError);
    assert.throws(() => validateVideoSourceOptions({ rtspTransport: 'http' as 'tcp' }), (e: unknown) => e instanceof TypeError && /rtspTransport/.test((e as Error).message));
    assert.throws(() => new ReconnectingFrameSource(() => createPushSource().source, { attempts: 0, delayMs: 500 }), RangeError);
    assert.throws(() => new ReconnectingFrameSource(() => createPushSource().source, { attempts: 1, delayMs: Number.NaN }), RangeError);
  });

  it('reads an RTSP server over UDP; asking it for TCP, which it does not offer, is VIDEO_STREAM_UNAVAILABLE at once', async () => {
    const src = openVideoSource(rtsp.url('cam'), { rtspTransport: 'udp', reconnectAttempts: 2 });
    const info = await within(15_000, src.info(), 'the RTSP header');
    assert.deepEqual([info.width, info.height, info.codec, info.live], [320, 180, 'h264', true]);
    let n = 0;
    for await (const f of src) {
      assert.equal(f.index, n);
      if (++n === 10) break;
    }
    assert.equal(src.reconnects, 0);
    // The default transport is TCP; this server answers 400. An opening failure is never retried.
    const tcp = openVideoSource(rtsp.url('cam'), { reconnectAttempts: 3 });
    const started = performance.now();
    await assert.rejects(within(15_000, tcp.info(), 'the refusal'), (e: unknown) => isArcFaceError(e, 'VIDEO_STREAM_UNAVAILABLE') && /400/.test((e as Error).message));
    assert.ok(performance.now() - started < 5000, 'no back-off before a first frame');
    await tcp.close();
  });
});

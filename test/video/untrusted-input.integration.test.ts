import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { isArcFaceError } from '../../src/core/index.js';
import { bundledFfmpegPath, chooseFfmpeg, ffmpegVersion, openVideoSource, runFfmpeg, sniffVideoContainer, type VideoContainer } from '../../src/video/index.js';
import { canary, dashManifest, hlsPlaylist } from '../helpers/probe-media.js';
import { clipDir, ffmpeg } from '../helpers/video-clips.js';

describe('untrusted video files: decoded as media, never as playlists', () => {
  let dir: string;
  const clips: Partial<Record<VideoContainer, string>> = {};
  before(async () => {
    dir = await clipDir('untrusted-input');
    const src = ['-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-t', '1', '-pix_fmt', 'yuv420p'];
    ffmpeg([...src, '-c:v', 'libx264', join(dir, 'a.mp4')]);
    ffmpeg([...src, '-c:v', 'libvpx', join(dir, 'a.webm')]);
    ffmpeg([...src, '-c:v', 'mpeg4', join(dir, 'a.avi')]);
    ffmpeg([...src, '-c:v', 'mpeg2video', '-f', 'mpegts', join(dir, 'a.ts')]);
    ffmpeg([...src, '-c:v', 'mpeg2video', '-f', 'vob', join(dir, 'a.mpg')]);
    ffmpeg([...src, '-c:v', 'flv', join(dir, 'a.flv')]);
    Object.assign(clips, {
      mov: join(dir, 'a.mp4'),
      matroska: join(dir, 'a.webm'),
      avi: join(dir, 'a.avi'),
      mpegts: join(dir, 'a.ts'),
      mpeg: join(dir, 'a.mpg'),
      flv: join(dir, 'a.flv'),
    });
  });

  it('recognises each accepted container from its first bytes, and nothing else', () => {
    for (const [container, file] of Object.entries(clips)) assert.equal(sniffVideoContainer(readFileSync(file).subarray(0, 1024)), container, file);
    for (const text of [dashManifest(1), hlsPlaylist('/etc/passwd'), "ffconcat version 1.0\nfile 'a.mp4'\n", '<svg xmlns="http://www.w3.org/2000/svg"/>', '']) {
      assert.equal(sniffVideoContainer(Buffer.from(text)), undefined, text.slice(0, 20));
    }
    assert.equal(sniffVideoContainer(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46])), undefined, 'a JPEG is not a video');
    assert.throws(() => sniffVideoContainer('ftyp' as unknown as Uint8Array), TypeError);
  });

  it('a DASH manifest opened as an upload reaches no listener, though the bundled ffmpeg left to itself does', async () => {
    const listener = await canary();
    try {
      const mpd = join(dir, 'probe.mpd');
      writeFileSync(mpd, dashManifest(listener.port));
      // The probe is live: the bundled 2018 build, picking the demuxer itself, connects despite the whitelist.
      await runFfmpeg(bundledFfmpegPath(), [
        '-hide_banner',
        '-nostdin',
        '-v',
        'error',
        '-rw_timeout',
        '2000000',
        '-protocol_whitelist',
        'file',
        '-i',
        `file:${mpd}`,
        '-f',
        'null',
        '-',
      ]);
      assert.ok(listener.connections() >= 1, 'the bundled ffmpeg opened the manifest URL');
      const before = listener.connections();
      for (const bin of [bundledFfmpegPath(), chooseFfmpeg().path]) {
        const src = openVideoSource(mpd, { container: 'mov', ffmpegPath: bin });
        await assert.rejects(src.info(), (e: unknown) => isArcFaceError(e, 'VIDEO_DECODE_FAILED'));
        await src.close();
      }
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(listener.connections(), before, 'no connection while the file is read as MP4');
    } finally {
      await listener.close();
    }
  });

  it('forced containers decode real files, and refuse frames over maxPixels before decoding them', async () => {
    const ok = openVideoSource(clips.mov as string, { container: 'mov' });
    let frames = 0;
    for await (const f of ok) frames += f.image.width === 160 ? 1 : 0;
    assert.equal(frames, 10);
    const big = openVideoSource(clips.matroska as string, { container: 'matroska', maxPixels: 160 * 120 - 1 });
    await assert.rejects(big.info(), (e: unknown) => isArcFaceError(e, 'VIDEO_TOO_LARGE') && /160×120/.test((e as Error).message));
    assert.equal(big.delivered, 0);
    assert.throws(() => openVideoSource(clips.mov as string, { container: 'hls' as VideoContainer }), TypeError);
    assert.throws(() => openVideoSource('http://127.0.0.1:1/x', { container: 'mov' }), TypeError);
    assert.throws(() => openVideoSource(clips.mov as string, { maxPixels: 0 }), RangeError);
  });

  it('chooses ffmpeg in the documented order and reports its version', () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, 'ffmpeg'), '#!/bin/sh\necho "ffmpeg version 9.9-test Copyright"\n');
    chmodSync(join(bin, 'ffmpeg'), 0o755);
    assert.deepEqual(chooseFfmpeg('/opt/ff', { PATH: bin, ARCFACE_FFMPEG: 'bundled' }), { path: '/opt/ff', origin: 'option', bundled: false });
    assert.equal(chooseFfmpeg(undefined, { PATH: bin, ARCFACE_FFMPEG: 'bundled' }).path, bundledFfmpegPath());
    assert.equal(chooseFfmpeg(undefined, { PATH: bin, ARCFACE_FFMPEG: '/usr/local/bin/ffmpeg' }).origin, 'env');
    assert.deepEqual(chooseFfmpeg(undefined, { PATH: bin }), { path: join(bin, 'ffmpeg'), origin: 'system', bundled: false });
    assert.deepEqual(chooseFfmpeg(undefined, { PATH: join(dir, 'none') }), { path: bundledFfmpegPath(), origin: 'bundled', bundled: true });
    assert.throws(
      () => chooseFfmpeg(undefined, { PATH: join(dir, 'none'), ARCFACE_FFMPEG: 'system' }),
      (e: unknown) => isArcFaceError(e, 'FILE_NOT_FOUND'),
    );
    assert.equal(ffmpegVersion(join(bin, 'ffmpeg')), '9.9-test');
    assert.match(ffmpegVersion(bundledFfmpegPath()) ?? '', /^N-47683/);
    assert.equal(ffmpegVersion(join(dir, 'none', 'ffmpeg')), undefined);
  });
});

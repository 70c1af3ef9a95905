import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { publicRunError } from '../../apps/server/services/video-run.js';
import { classifyFailure } from '../../src/video/ffmpeg.js';

const path = '/var/lib/arcface/videos/5f1c.video';
const upload = { id: '5f1c', upload: 'holiday.mp4' };

describe('what a client reads of a failed video job (publicRunError)', () => {
  it('a decode failure: our words and the upload’s own name, never the stored path or ffmpeg’s text', () => {
    const raw = classifyFailure('[error] file:/var/lib/arcface/videos/5f1c.video: Invalid data found when processing input\n', `file:${path}`, path, 0);
    assert.match(raw.message, /\/var\/lib\/arcface/, 'the raw error names the path (it goes to the log)');
    const shown = publicRunError(upload, { code: raw.code, message: raw.message });
    assert.deepEqual(shown, {
      code: 'VIDEO_DECODE_FAILED',
      message: 'Upload "holiday.mp4": Expected a decodable video but it is corrupt, truncated or not a video',
    });
    assert.equal(
      publicRunError({ id: '5f1c' }, raw).message,
      'Expected a decodable video but it is corrupt, truncated or not a video',
      'a raw body has no name',
    );
  });

  it('a limit refusal keeps its figures; the path in any form and ffmpeg’s reason are gone', () => {
    const pixels = { code: 'VIDEO_TOO_LARGE', message: `Expected frames of at most 30000 pixels in ${path} but they are 320×240 = 76800` };
    assert.equal(
      publicRunError(upload, pixels).message,
      'Upload "holiday.mp4": Expected frames of at most 30000 pixels in the upload but they are 320×240 = 76800',
    );
    // The same file reached through a link or as ffmpeg's file: name is still a path.
    const linked = { code: 'VIDEO_TOO_LARGE', message: 'Expected frames of at most 30000 pixels in /srv/link/5f1c.video but they are 320×240 = 76800' };
    assert.doesNotMatch(publicRunError(upload, linked).message, /\/srv|5f1c\.video/);
    const spaced = { id: '5f1c', file: '/home/me/My Videos/5f1c.video' };
    const inSpaced = { code: 'VIDEO_TOO_LARGE', message: `Expected frames of at most 30000 pixels in ${spaced.file} but they are 320×240 = 76800` };
    assert.equal(publicRunError(spaced, inSpaced).message, 'Expected frames of at most 30000 pixels in the upload but they are 320×240 = 76800');
    const ffmpegLog = `[error] [h264 @ 0x55d0] Picture size 8000x8000 exceeds specified max pixel count in file:${path}\n`;
    const fromFfmpeg = classifyFailure(ffmpegLog, `file:${path}`, `file:${path}`, 0);
    const shown = publicRunError({ id: '5f1c' }, fromFfmpeg).message;
    assert.equal(fromFfmpeg.code, 'VIDEO_TOO_LARGE');
    assert.equal(shown, 'Expected frames within the pixel limit (maxPixels) at the upload but they are larger');
    const fromCamera = { code: 'VIDEO_TOO_LARGE', message: 'Expected frames of at most 100 pixels in rtsp://***@10.0.0.5/live but they are 640×480 = 307200' };
    const stream = publicRunError({ id: 'stream:door', stream: 'door' }, fromCamera);
    assert.equal(stream.message, 'Stream "door": Expected frames of at most 100 pixels in the stream but they are 640×480 = 307200');
  });

  it('an upload name is quoted as given, without control characters and at most 100 characters', () => {
    const shown = publicRunError({ id: '1', upload: `a\u0000b\n${'x'.repeat(200)}.mp4` }, { code: 'VIDEO_UNSUPPORTED', message: 'x' }).message;
    assert.ok(shown.startsWith(`Upload "ab${'x'.repeat(98)}": Expected a video stream`), shown);
  });
});

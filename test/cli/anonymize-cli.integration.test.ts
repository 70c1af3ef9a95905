import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decodeImageFile } from '../../src/image/index.js';
import { openVideoSource } from '../../src/video/index.js';
import { runCli } from '../helpers/cli.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';
import { serveLoopback, stampedClip, within } from '../helpers/video-clips.js';

const lfw = (name: string, i: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', name, `${name}_${String(i).padStart(4, '0')}.jpg`);

interface Report {
  kind: string;
  mode: string;
  frames: number;
  facesCovered: number;
  facesKept: number;
  kept: { identity: string | null; frames: number; reason: string }[];
  files?: { file: string; covered: number }[];
}

describe('arcface anonymize (real binary)', () => {
  const dir = testOutputDir('cli-anonymize');

  it('a photo, a folder of photos and a video, with a JSON report of what was covered', async () => {
    await rm(dir, { recursive: true, force: true });
    await mkdir(join(dir, 'photos'), { recursive: true });
    const photo = await runCli(['anonymize', lfw('Colin_Powell', 40), '--out', join(dir, 'powell.png'), '--style', 'fill', '--json']);
    assert.equal(photo.code, 0, photo.stderr);
    const pr = JSON.parse(photo.stdout) as Report;
    assert.deepEqual([pr.kind, pr.mode, pr.frames, pr.facesCovered, pr.facesKept], ['photo', 'all', 1, 1, 0]);
    const covered = await decodeImageFile(join(dir, 'powell.png'));
    assert.deepEqual([covered.width, covered.height], [250, 250]);
    // The face in the middle of a deep-funneled photo is black.
    assert.deepEqual([...covered.data.subarray((125 * 250 + 125) * 3, (125 * 250 + 125) * 3 + 3)], [0, 0, 0]);

    await copyFile(lfw('Colin_Powell', 40), join(dir, 'photos', 'a.jpg'));
    await copyFile(lfw('Tony_Blair', 18), join(dir, 'photos', 'b.jpg'));
    const folder = await runCli(['anonymize', join(dir, 'photos'), '--out', join(dir, 'covered'), '--style', 'pixelate', '--json']);
    assert.equal(folder.code, 0, folder.stderr);
    const fr = JSON.parse(folder.stdout) as Report;
    assert.equal(fr.kind, 'folder');
    assert.equal(fr.frames, 2);
    assert.deepEqual(
      fr.files?.map((f) => f.file),
      ['a.jpg', 'b.jpg'],
    );
    assert.deepEqual((await readdir(join(dir, 'covered'))).sort(), ['a.jpg', 'b.jpg']);

    const clip = await stampedClip(dir, { width: 320, height: 180, seconds: 1, people: 2, seed: 7 });
    const video = await runCli(['anonymize', clip.videoPath, '--out', join(dir, 'clip.anon.mp4'), '--pad', '0.3', '--json']);
    assert.equal(video.code, 0, video.stderr);
    const vr = JSON.parse(video.stdout) as Report;
    assert.deepEqual([vr.kind, vr.mode, vr.frames], ['video', 'all', clip.truth.frameCount]);
    assert.ok(vr.facesCovered >= clip.truth.frameCount, `${vr.facesCovered} faces covered`);
    let frames = 0;
    for await (const _ of openVideoSource(join(dir, 'clip.anon.mp4'))) frames++;
    assert.equal(frames, clip.truth.frameCount);
  });

  it('a network stream: covered until it ends, then the report names VIDEO_STREAM_ENDED and the video holds the frames seen', async () => {
    const clip = await stampedClip(join(dir, 'stream'), { width: 320, height: 180, seconds: 2, people: 2, seed: 7 });
    const stream = await serveLoopback(clip.videoPath, 'mpegts');
    try {
      const out = join(dir, 'stream.anon.mp4');
      const r = await within(60_000, runCli(['anonymize', stream.url, '--out', out, '--timeout', '10', '--json']), 'arcface anonymize on a stream');
      assert.equal(r.code, 2, r.stderr);
      const report = JSON.parse(r.stdout) as Report & { error?: { code: string }; input: string };
      assert.equal(report.error?.code, 'VIDEO_STREAM_ENDED');
      assert.equal(report.kind, 'video');
      assert.equal(report.input, stream.url);
      // A live source drops the frames the anonymiser cannot keep up with (a busy machine keeps only a few).
      assert.ok(report.frames >= 1 && report.frames <= clip.truth.frameCount && report.facesCovered >= report.frames, JSON.stringify(report));
      let frames = 0;
      for await (const _ of openVideoSource(out)) frames++;
      assert.ok(frames >= report.frames, `${frames} frames written for ${report.frames} processed`);
    } finally {
      await stream.close();
    }
  });

  it('refuses a consent list without a gallery, two modes at once, and an unknown style', async () => {
    const out = join(dir, 'x.png');
    const noGallery = await runCli(['anonymize', lfw('Colin_Powell', 40), '--out', out, '--keep', 'Colin_Powell', '--json']);
    assert.equal(noGallery.code, 1);
    assert.equal((JSON.parse(noGallery.stderr) as { code: string }).code, 'INVALID_ARGUMENT');
    const both = await runCli(['anonymize', lfw('Colin_Powell', 40), '--out', out, '--keep', 'a', '--only', 'b', '--gallery', join(dir, 'none.db'), '--json']);
    assert.equal(both.code, 1);
    assert.match(both.stderr, /at most one of --keep, --keep-tag and --only/);
    const style = await runCli(['anonymize', lfw('Colin_Powell', 40), '--out', out, '--style', 'smudge']);
    assert.equal(style.code, 1);
  });
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFile, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { evalVideos } from '../../apps/cli/commands/eval.js';
import { dot, isArcFaceError } from '../../src/core/index.js';
import {
  decodeVideoFrames,
  defaultFfmpegPath,
  embedVideo,
  probeVideo,
  resolveVideo,
  splitRanges,
  uniformSample,
  type EvalReport,
} from '../../src/eval/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { sharedPath, testOutputDir } from '../helpers/shared.js';
import { captureContext } from './helpers.js';

/**
 * A tiny video-pairs set built from real LFW people with many images: each "video" is a folder of
 * three stills of one person, and one more video is an H.264 file encoded here from four stills.
 */
const dir = testOutputDir('eval-videos');
const frames = join(dir, 'frame_images_DB');
const lfw = sharedPath('data', 'faces', 'lfw-deepfunneled');
const PEOPLE = ['Tony_Blair', 'Silvio_Berlusconi', 'Jean_Chretien', 'Hans_Blix', 'David_Beckham', 'Arnold_Schwarzenegger'];
const VIDEO_FILE_STILLS = 4;

async function stills(person: string): Promise<string[]> {
  return (await readdir(join(lfw, person))).filter((f) => f.endsWith('.jpg')).sort();
}

async function buildSet(): Promise<string> {
  await rm(dir, { recursive: true, force: true });
  for (const person of PEOPLE) {
    const files = await stills(person);
    for (const v of [0, 1]) {
      await mkdir(join(frames, person, String(v)), { recursive: true });
      for (const f of files.slice(3 * v, 3 * v + 3)) await copyFile(join(lfw, person, f), join(frames, person, String(v), f));
    }
  }
  // Tony_Blair/2.mp4: four further stills, one frame each, H.264.
  const tmp = join(dir, 'encode');
  await mkdir(tmp, { recursive: true });
  const files = (await stills('Tony_Blair')).slice(6, 6 + VIDEO_FILE_STILLS);
  for (const [i, f] of files.entries()) await copyFile(join(lfw, 'Tony_Blair', f), join(tmp, `${String(i).padStart(3, '0')}.jpg`));
  const encode = ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '18'];
  const enc = spawnSync(defaultFfmpegPath(), [
    '-hide_banner',
    '-v',
    'error',
    '-y',
    '-framerate',
    '4',
    '-i',
    join(tmp, '%03d.jpg'),
    ...encode,
    join(frames, 'Tony_Blair', '2.mp4'),
  ]);
  assert.equal(enc.status, 0, enc.stderr.toString());
  const lines = ['split number, first name, second name, ground truth, is same'];
  for (const [split, group] of [PEOPLE.slice(0, 3), PEOPLE.slice(3)].entries()) {
    group.forEach((p) => lines.push(`${split + 1}, ${p}/0, ${p}/1, 1, 1`));
    group.forEach((p, i) => lines.push(`${split + 1}, ${p}/0, ${group[(i + 1) % 3]}/1, 0, 0`));
  }
  lines.push('3, Tony_Blair/2, Tony_Blair/0, 1, 1', '3, Tony_Blair/2, Hans_Blix/0, 0, 0');
  const splits = join(dir, 'splits.txt');
  await writeFile(splits, `${lines.join('\n')}\n`);
  return splits;
}

describe('video pairs (YTF protocol) on a set built from LFW stills', () => {
  let splits: string;
  let report: EvalReport;
  let fr: FaceRecognizer;

  before(async () => {
    splits = await buildSet();
    const { ctx } = captureContext();
    ctx.json = true;
    report = await evalVideos(ctx, { splits, data: frames, frames: 2, detector: 'yunet-n', recognizer: 'w600k-mbf-int8', out: join(dir, 'out') });
    fr = await FaceRecognizer.create({ locations: ctx.locations });
  });
  after(async () => fr.dispose());

  it('embeds each video from sampled frames and runs one fold per split', () => {
    assert.equal(report.counts.pairs, 14);
    assert.equal(report.counts.folds, 3);
    assert.deepEqual(
      report.accuracy.folds.map((f) => f.pairs),
      [6, 6, 2],
    );
    assert.equal(report.counts.items, 13);
    assert.equal(report.config.framesPerVideo, 2);
    assert.match(report.config.aggregation ?? '', /mean of unit frame embeddings, L2-normalised/);
    assert.ok(report.auc >= 0.95, `AUC ${report.auc}`);
    const genuine = report.scores.dist.filter((_, i) => report.scores.same[i]);
    const impostor = report.scores.dist.filter((_, i) => !report.scores.same[i]);
    assert.ok(Math.max(...genuine) < Math.min(...impostor) + 0.3, `genuine ${genuine} impostor ${impostor}`);
  });

  it('decodes a generated H.264 file through ffmpeg, sampling frames uniformly', async () => {
    const src = await resolveVideo(frames, 'Tony_Blair/2');
    assert.equal(src.kind, 'file');
    const path = join(frames, 'Tony_Blair', '2.mp4');
    const info = await probeVideo(path);
    assert.deepEqual(info, { frames: VIDEO_FILE_STILLS, width: 250, height: 250 });
    const got = await decodeVideoFrames(path, info, [1, 3]);
    assert.equal(got.length, 2);
    assert.equal(got[0]?.data.length, 250 * 250 * 3);
  });

  it('gives the video file the same template as a folder of the same stills, within compression loss', async () => {
    const folder = join(dir, 'same-stills');
    const stillsDir = join(folder, 'Tony_Blair', 'v');
    await mkdir(stillsDir, { recursive: true });
    for (const f of (await stills('Tony_Blair')).slice(6, 6 + VIDEO_FILE_STILLS)) await copyFile(join(lfw, 'Tony_Blair', f), join(stillsDir, f));
    const fromFile = await embedVideo(fr, frames, 'Tony_Blair/2', 100);
    const fromFolder = await embedVideo(fr, folder, 'Tony_Blair/v', 100);
    assert.equal(fromFile.frames, VIDEO_FILE_STILLS);
    assert.equal(fromFolder.frames, VIDEO_FILE_STILLS);
    assert.ok(Math.abs(dot(fromFile.embedding, fromFile.embedding) - 1) < 1e-5);
    const cos = dot(fromFile.embedding, fromFolder.embedding);
    assert.ok(cos > 0.9, `cosine ${cos}`);
  });

  it('raises coded errors for missing videos, empty folders, undecodable files and a missing ffmpeg', async () => {
    await assert.rejects(resolveVideo(frames, 'Nobody/0'), (e) => isArcFaceError(e, 'FILE_NOT_FOUND'));
    await mkdir(join(dir, 'bad', 'Empty', '0'), { recursive: true });
    await assert.rejects(resolveVideo(join(dir, 'bad'), 'Empty/0'), (e) => isArcFaceError(e, 'VIDEO_DECODE_FAILED'));
    await mkdir(join(dir, 'bad', 'Broken'), { recursive: true });
    await writeFile(join(dir, 'bad', 'Broken', '0.mp4'), 'not a video at all');
    await assert.rejects(embedVideo(fr, join(dir, 'bad'), 'Broken/0'), (e) => isArcFaceError(e, 'VIDEO_DECODE_FAILED'));
    await assert.rejects(
      probeVideo(join(frames, 'Tony_Blair', '2.mp4'), '/nonexistent/ffmpeg'),
      (e) => isArcFaceError(e, 'VIDEO_DECODE_FAILED') && /failed to start/.test(e.message),
    );
    await assert.rejects(embedVideo(fr, frames, 'Tony_Blair/0', 0), RangeError);
    await assert.rejects(decodeVideoFrames(join(frames, 'Tony_Blair', '2.mp4'), { frames: 4, width: 0, height: 250 }, [0]), RangeError);
  });
});

describe('video protocol helpers', () => {
  it('samples frames at the centres of equal segments', () => {
    assert.deepEqual(uniformSample(10, 3), [1, 5, 8]);
    assert.deepEqual(uniformSample(3, 100), [0, 1, 2]);
    assert.deepEqual(uniformSample(200, 4), [25, 75, 125, 175]);
    assert.throws(() => uniformSample(10, 0), RangeError);
    assert.throws(() => uniformSample(-1, 3), RangeError);
  });

  it('turns sorted split numbers into contiguous fold ranges', () => {
    assert.deepEqual(splitRanges([1, 1, 2, 3, 3, 3]), [
      [0, 2],
      [2, 3],
      [3, 6],
    ]);
  });
});

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Box, RgbImage } from '../../src/core/index.js';
import { FaceRecognizer } from '../../src/pipeline/index.js';
import { annotateFrame, ANNOTATION_COLORS, maxPredictedFrames, trackLabel, trackOverlays, watchFaces, type TrackView } from '../../src/stream/index.js';
import { sharedPath } from '../helpers/shared.js';
import { clipDir, ffmpeg } from '../helpers/video-clips.js';

const grey = (w: number, h: number, v = 90): RgbImage => ({ width: w, height: h, data: new Uint8Array(w * h * 3).fill(v) });
const px = (img: RgbImage, x: number, y: number): number[] => [...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3)];

function view(trackId: number, box: TrackView['box'], over: Partial<TrackView> = {}): TrackView {
  return { trackId, box, detected: true, missedFrames: 0, identity: 'kate', name: 'Kate Hudson', label: 'Kate Hudson', score: 0.56, suspended: false, ...over };
}

describe('renderers draw live truth only (trackOverlays, annotateFrame)', () => {
  it('draws a solid box for a matched track, a dashed grey one for at most 2 predicted frames, nothing after', () => {
    const tracks = [
      view(1, [10, 10, 60, 60]),
      view(2, [100, 10, 150, 60], { detected: false, missedFrames: 1 }),
      view(3, [200, 10, 250, 60], { detected: false, missedFrames: 2 }),
      view(11, [300, 10, 350, 60], { detected: false, missedFrames: 3 }),
      view(12, [400, 10, 450, 60], { detected: false, missedFrames: 25 }),
    ];
    const o = trackOverlays(tracks);
    assert.deepEqual(
      o.map((x) => x.label),
      ['#1 Kate Hudson 0.56', '#2 Kate Hudson', '#3 Kate Hudson'],
    );
    assert.deepEqual(
      o.map((x) => x.dashed),
      [false, true, true],
    );
    assert.deepEqual(o[1]?.color, ANNOTATION_COLORS.predicted);
    assert.deepEqual(o[0]?.color, ANNOTATION_COLORS.known);
    // Between detector runs every track is predicted: the limit is 2 runs, in frames.
    assert.equal(maxPredictedFrames(3), 6);
    assert.deepEqual(
      trackOverlays(tracks, { detectEvery: 3 }).map((x) => String(x.label).split(' ')[0]),
      ['#1', '#2', '#3', '#11'],
    );
    assert.throws(() => maxPredictedFrames(0), RangeError);
    assert.throws(
      () => trackOverlays('tracks' as unknown as TrackView[]),
      (e: unknown) => e instanceof TypeError && /array of track views/.test((e as Error).message),
    );
  });

  it('never shows a name for a suspended track: "?" instead, in its own colour; matched tracks get the labels first', () => {
    // Even when a stale name is still in the view, a suspended track is drawn as "?".
    const suspended = view(11, [10, 10, 60, 60], { suspended: true });
    assert.equal(trackLabel(suspended), '#11 ?');
    const o = trackOverlays([view(5, [100, 100, 150, 150], { detected: false, missedFrames: 1 }), suspended]);
    assert.deepEqual(
      o.map((x) => x.label),
      ['#11 ?', '#5 Kate Hudson'],
    );
    assert.deepEqual(o[0]?.color, ANNOTATION_COLORS.suspended);
    assert.equal(trackLabel(view(6, [0, 0, 1, 1], { identity: null, name: null, label: 'unknown' })), '#6 unknown');
  });

  it('annotateFrame: the lost track leaves no pixel, the predicted box is dashed, the matched one solid; labels stay in the frame', () => {
    const img = grey(640, 360);
    const out = annotateFrame(img, [
      view(1, [100, 100, 200, 200]),
      view(2, [300, 100, 400, 200], { detected: false, missedFrames: 1 }),
      view(3, [450, 250, 550, 340], { detected: false, missedFrames: 5 }),
      view(4, [560, 150, 639, 230], { label: 'A rather long name for the right edge' }),
    ]);
    const row = (x1: number, x2: number, y: number): number[][] => Array.from({ length: x2 - x1 }, (_, i) => px(out, x1 + i, y));
    const isGrey = (p: number[]): boolean => p.every((v) => v === 90);
    assert.ok(
      row(100, 200, 199).every((p) => p[1] === ANNOTATION_COLORS.known[1]),
      'solid bottom edge of the matched box',
    );
    const predicted = row(300, 400, 199);
    const drawn = predicted.filter((p) => p[0] === 160 && p[1] === 160 && p[2] === 160).length;
    assert.ok(drawn > 30 && drawn < 70, `dashed bottom edge of the predicted box: ${drawn} of 100 px drawn`);
    for (let y = 232; y <= 340; y++) assert.ok(row(450, 551, y).every(isGrey), `nothing of the lost track at row ${y}`);
    // The long label of the box at the right edge is shifted left to stay inside: its tab reaches x = 639.
    const tabRow = 150 - 18 + 5;
    assert.ok(!isGrey(px(out, 639, tabRow)) && !isGrey(px(out, 470, tabRow)), 'label tab drawn up to the right edge, shifted left');
  });

  it('on a real clip with a hard cut: once the face has gone, nothing is drawn where it was (detector, tracker, renderer)', async () => {
    // Colin Powell's face slides right for 2 s, then the shot cuts to Tony Blair's face at the top right.
    const dir = await clipDir('annotate-cut');
    const lfw = (p: string, n: number): string => sharedPath('data', 'faces', 'lfw-deepfunneled', p, `${p}_${String(n).padStart(4, '0')}.jpg`);
    const clip = join(dir, 'cut.mp4');
    ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'color=c=0x303030:s=640x360:r=10:d=4',
      '-loop',
      '1',
      '-framerate',
      '10',
      '-i',
      lfw('Colin_Powell', 40),
      '-loop',
      '1',
      '-framerate',
      '10',
      '-i',
      lfw('Tony_Blair', 18),
      '-filter_complex',
      "[1:v]scale=160:160[a];[2:v]scale=160:160[b];[0:v][a]overlay=x='20+t*100':y=120:enable='lt(t,2)'[x];[x][b]overlay=x=470:y=10:enable='gte(t,2)'[out]",
      '-map',
      '[out]',
      '-t',
      '4',
      '-r',
      '10',
      '-c:v',
      'libx264',
      '-qp',
      '0',
      '-pix_fmt',
      'yuv444p',
      clip,
    ]);
    const fr = await FaceRecognizer.create({ locations: { home: join(dir, 'home'), dirs: [sharedPath('models')] } });
    try {
      let lastColin: Box | undefined;
      let checked = 0;
      for await (const r of watchFaces(clip, { recognizer: fr })) {
        if (r.image === undefined) continue;
        const cut = 20;
        if (r.frame < cut) {
          const seen = r.tracks.filter((t) => t.detected);
          assert.ok(seen.length <= 1, `frame ${r.frame}: one face`);
          if (seen[0] !== undefined) lastColin = seen[0].box;
          continue;
        }
        // The tracker may still hold Colin's track (to re-attach it), but from 3 frames after the cut
        // the renderer must leave the place he was in exactly as the frame shows it.
        if (r.frame < cut + maxPredictedFrames() + 1 || lastColin === undefined) continue;
        const out = annotateFrame(r.image, r.tracks);
        const [x1, y1, x2, y2] = lastColin.map((v) => Math.round(v)) as [number, number, number, number];
        let diff = 0;
        for (let y = Math.max(0, y1); y < Math.min(360, y2); y++) {
          for (let x = Math.max(0, x1); x < Math.min(470, x2); x++)
            diff += Math.abs((out.data[(y * 640 + x) * 3] as number) - (r.image.data[(y * 640 + x) * 3] as number));
        }
        assert.equal(diff, 0, `frame ${r.frame}: something drawn where Colin was (${lastColin.join(', ')}); tracks ${JSON.stringify(r.tracks)}`);
        checked++;
      }
      assert.ok(lastColin !== undefined, 'Colin was seen before the cut');
      assert.ok(checked >= 15, `${checked} frames after the cut checked`);
    } finally {
      await fr.dispose();
    }
  });
});

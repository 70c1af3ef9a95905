import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RgbImage } from '../../src/core/index.js';
import { annotateFrame, ANNOTATION_COLORS, maxPredictedFrames, trackLabel, trackOverlays, type TrackView } from '../../src/stream/index.js';

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
    assert.deepEqual(o.map((x) => x.label), ['#1 Kate Hudson 0.56', '#2 Kate Hudson', '#3 Kate Hudson']);
    assert.deepEqual(o.map((x) => x.dashed), [false, true, true]);
    assert.deepEqual(o[1]?.color, ANNOTATION_COLORS.predicted);
    assert.deepEqual(o[0]?.color, ANNOTATION_COLORS.known);
    // Between detector runs every track is predicted: the limit is 2 runs, in frames.
    assert.equal(maxPredictedFrames(3), 6);
    assert.deepEqual(trackOverlays(tracks, { detectEvery: 3 }).map((x) => String(x.label).split(' ')[0]), ['#1', '#2', '#3', '#11']);
    assert.throws(() => maxPredictedFrames(0), RangeError);
  });

  it('never shows a name for a suspended track: "?" instead, in its own colour; matched tracks get the labels first', () => {
    // Even when a stale name is still in the view, a suspended track is drawn as "?".
    const suspended = view(11, [10, 10, 60, 60], { suspended: true });
    assert.equal(trackLabel(suspended), '#11 ?');
    const o = trackOverlays([view(5, [100, 100, 150, 150], { detected: false, missedFrames: 1 }), suspended]);
    assert.deepEqual(o.map((x) => x.label), ['#11 ?', '#5 Kate Hudson']);
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
    assert.ok(row(100, 200, 199).every((p) => p[1] === ANNOTATION_COLORS.known[1]), 'solid bottom edge of the matched box');
    const predicted = row(300, 400, 199);
    const drawn = predicted.filter((p) => p[0] === 160 && p[1] === 160 && p[2] === 160).length;
    assert.ok(drawn > 30 && drawn < 70, `dashed bottom edge of the predicted box: ${drawn} of 100 px drawn`);
    for (let y = 232; y <= 340; y++) assert.ok(row(450, 551, y).every(isGrey), `nothing of the lost track at row ${y}`);
    // The long label of the box at the right edge is shifted left to stay inside: its tab reaches x = 639.
    const tabRow = 150 - 18 + 5;
    assert.ok(!isGrey(px(out, 639, tabRow)) && !isGrey(px(out, 470, tabRow)), 'label tab drawn up to the right edge, shifted left');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { iou } from '../../src/detect/nms.js';
import { KalmanBoxFilter, TRACKER_DEFAULTS, Tracker, type TrackerOptions, type TrackerUpdate } from '../../src/track/index.js';
import { MotCounter, centred, detect, rng, type GtDetection, type Path } from './sequences.js';

interface Run {
  counter: MotCounter;
  updates: TrackerUpdate<GtDetection>[];
  started: number[];
  ended: number[];
  tracker: Tracker<GtDetection>;
}

/** Runs a tracker over `frames` frames, detecting on frames where `detectOn(frame)` holds. */
function run(
  paths: readonly Path[],
  frames: number,
  opts: {
    seed?: number;
    sigma?: number;
    score?: (gt: number, frame: number) => number;
    extra?: (frame: number) => GtDetection[];
    detectOn?: (frame: number) => boolean;
    tracker?: Partial<TrackerOptions>;
  } = {},
): Run {
  const r = rng(opts.seed ?? 1);
  const tracker = new Tracker<GtDetection>(opts.tracker);
  const counter = new MotCounter(paths);
  const updates: TrackerUpdate<GtDetection>[] = [];
  const started: number[] = [];
  const ended: number[] = [];
  for (let f = 0; f < frames; f++) {
    const detected = opts.detectOn === undefined || opts.detectOn(f);
    const u = detected ? tracker.update(f, [...detect(paths, f, r, opts.sigma ?? 2, opts.score), ...(opts.extra?.(f) ?? [])]) : tracker.predict(f);
    updates.push(u);
    started.push(...u.started.map((t) => t.id));
    ended.push(...u.ended.map((t) => t.id));
    counter.add(f, u);
  }
  ended.push(...tracker.finish().map((t) => t.id));
  return { counter, updates, started, ended, tracker };
}

const straight =
  (x0: number, y0: number, vx: number, vy: number, size = 80): Path =>
  (f) =>
    centred(x0 + vx * f, y0 + vy * f, size, size * 1.2);

describe('Kalman box filter', () => {
  it('learns a constant velocity and predicts the next box to within half a pixel', () => {
    const kf = new KalmanBoxFilter(centred(100, 100, 60, 72));
    for (let f = 1; f <= 30; f++) {
      kf.predict();
      kf.update(centred(100 + 5 * f, 100 - 2 * f, 60, 72));
    }
    kf.predict();
    const want = centred(100 + 5 * 31, 100 - 2 * 31, 60, 72);
    kf.box.forEach((v, i) => assert.ok(Math.abs(v - want[i]!) < 0.5, `edge ${i}: ${v} vs ${want[i]}`));
    const s = kf.state;
    assert.ok(Math.abs(s[4]! - 5) < 0.1 && Math.abs(s[5]! + 2) < 0.1, `velocity ${s[4]}, ${s[5]}`);
  });
});

describe('Tracker on ground-truth sequences', () => {
  it('straight motion with jitter: one id per face, born after minHits, no switches or fragments', () => {
    const paths = [straight(100, 200, 4, 0), straight(500, 150, -3, 1.5, 60)];
    const { counter, updates, started, ended } = run(paths, 100);
    assert.equal(counter.counts.idSwitches, 0);
    assert.equal(counter.counts.fragmentations, 0);
    assert.equal(counter.counts.misses, 0);
    assert.deepEqual(started, [1, 2]);
    assert.deepEqual(ended, [1, 2]);
    assert.equal(updates[1]!.tracks.length, 0, 'still tentative at the second hit');
    assert.equal(updates[2]!.started.length, 2, `born at hit ${TRACKER_DEFAULTS.minHits}`);
    assert.equal(updates[2]!.started[0]!.firstFrame, 0);
  });

  it('accelerating and growing face: the filter follows it', () => {
    // From rest to 16 px/frame over 80 frames while the face grows from 50 to 130 px wide.
    const path: Path = (f) => centred(60 + 0.1 * f * f, 300, 50 + f, (50 + f) * 1.2);
    const { counter, started, updates } = run([path], 80, { seed: 3, sigma: 3 });
    assert.equal(counter.counts.idSwitches, 0);
    assert.equal(counter.counts.fragmentations, 0);
    assert.deepEqual(started, [1]);
    for (let f = 2; f < 80; f++) assert.equal(updates[f]!.tracks[0]!.framesSinceUpdate, 0, `matched at frame ${f}`);
  });

  it('two faces crossing with overlapping boxes for several frames keep their ids', () => {
    // They meet at frame 40; boxes overlap (IoU > 0) from frame 32 to 48; the rear face is hidden
    // for 4 frames at the crossing.
    const a: Path = (f) => centred(100 + 5 * f, 200, 90, 108);
    const b: Path = (f) => (f >= 38 && f < 42 ? undefined : centred(500 - 5 * f, 225, 80, 96));
    const { counter, started } = run([a, b], 80, { seed: 5, sigma: 2 });
    let overlapping = 0;
    for (let f = 0; f < 80; f++) if (a(f) !== undefined && b(f) !== undefined && iou(a(f)!, b(f)!) > 0) overlapping++;
    assert.ok(overlapping >= 12, `overlapping frames ${overlapping}`);
    assert.equal(counter.counts.idSwitches, 0);
    assert.equal(counter.counts.fragmentations, 0);
    assert.deepEqual(started, [1, 2]);
    assert.deepEqual(
      counter.counts.idsPerGt.map((s) => [...s]),
      [[1], [2]],
    );
  });

  it('occlusion: 10 missing frames keep the id; longer than maxAge ends the track and starts a new one', () => {
    const short: Path = (f) => (f >= 30 && f < 40 ? undefined : centred(100 + 3 * f, 200, 80, 96));
    const r1 = run([short], 80, { seed: 9 });
    assert.equal(r1.counter.counts.idSwitches, 0);
    assert.deepEqual(r1.started, [1]);
    assert.equal(r1.updates[35]!.tracks[0]!.status, 'lost');
    assert.equal(r1.updates[35]!.tracks[0]!.framesSinceUpdate, 6);
    assert.equal(r1.updates[40]!.tracks[0]!.status, 'confirmed');

    const long: Path = (f) => (f >= 30 && f < 70 ? undefined : centred(100 + 3 * f, 200, 80, 96));
    const r2 = run([long], 100, { seed: 9 });
    const diedAt = r2.updates.findIndex((u) => u.ended.length > 0);
    assert.equal(diedAt, 29 + TRACKER_DEFAULTS.maxAge + 1, 'dies when unmatched for more than maxAge frames');
    assert.deepEqual(r2.started, [1, 2]);
    assert.equal(r2.counter.counts.idSwitches, 1, 'the expected new identity after a long occlusion');
  });

  it('a face hidden by another re-finds its lost track by buffered IoU although its prediction lags', () => {
    // A moves right at 6 px/frame; an occluder sweeping left clips A's box from the right for 5 frames
    // (the detector sees less and less of it, which slows the filter), hides it for 11, then A reappears.
    const a: Path = (f) => {
      if (f >= 33 && f < 44) return undefined;
      const box = centred(100 + 6 * f, 200, 60, 72);
      const edge = f >= 28 && f < 33 ? box[2] - 8 * (f - 27) : box[2];
      return [box[0], box[1], edge, box[3]];
    };
    const buffered = run([a], 70, { seed: 17, sigma: 1 });
    assert.deepEqual(buffered.started, [1]);
    assert.equal(buffered.updates[44]!.tracks[0]!.status, 'confirmed', 're-found at the first frame back');
    const plain = run([a], 70, { seed: 17, sigma: 1, tracker: { lostBuffer: 0 } });
    assert.deepEqual(plain.started, [1, 2], 'plain IoU starts a new track for the same face');
  });

  it('a one-frame false positive is never confirmed and never consumes an id', () => {
    const fp = (f: number): GtDetection[] => (f === 20 ? [{ box: [600, 50, 680, 146], score: 0.95, gt: -1 }] : []);
    const { started, updates } = run([straight(100, 200, 2, 0)], 50, { extra: fp });
    assert.deepEqual(started, [1]);
    for (const u of updates) assert.ok(u.tracks.every((t) => t.id === 1));
  });

  it('low-score detections bridge a gap in the second pass and keep the id', () => {
    // Frames 20–59 the face is detected with score 0.3 only (blur, turning): longer than maxAge.
    const path = straight(100, 200, 3, 0);
    const score = (_: number, f: number): number => (f >= 20 && f < 60 ? 0.3 : 0.9);
    const withLow = run([path], 90, { score });
    assert.deepEqual(withLow.started, [1]);
    assert.equal(withLow.counter.counts.idSwitches, 0);
    for (let f = 20; f < 60; f++) assert.equal(withLow.updates[f]!.tracks[0]!.framesSinceUpdate, 0);
    // Without the second pass (lowScore above 0.3) the same sequence loses the face and renames it.
    const without = run([path], 90, { score, tracker: { lowScore: 0.4 } });
    assert.deepEqual(without.started, [1, 2]);
    // Low-score detections alone never start a track.
    const onlyLow = run([path], 30, { score: () => 0.3 });
    assert.deepEqual(onlyLow.started, []);
  });

  it('detection every 3rd frame with predict() between keeps ids and boxes on the faces', () => {
    const paths = [straight(100, 200, 5, 0), straight(700, 260, -5, 0, 70)];
    const { counter, updates, started } = run(paths, 120, { seed: 13, detectOn: (f) => f % 3 === 0 });
    assert.equal(counter.counts.idSwitches, 0);
    assert.equal(counter.counts.fragmentations, 0);
    assert.deepEqual(started, [1, 2]);
    // Born after three detections (frame 6), and drawn on the predicted frames between them.
    assert.equal(
      updates.findIndex((u) => u.started.length > 0),
      6,
    );
    for (let f = 7; f < 120; f++) {
      const u = updates[f]!;
      assert.equal(u.tracks.length, 2, `frame ${f}`);
      for (const t of u.tracks) {
        const gt = paths[t.id - 1]!(f)!;
        assert.ok(iou(t.box, gt) > 0.7, `frame ${f} track ${t.id} IoU ${iou(t.box, gt)}`);
      }
    }
  });

  it('gaps between update() calls are predicted frame by frame, and maxAge counts frames', () => {
    const tracker = new Tracker({ minHits: 1, maxAge: 10 });
    const d = (x: number): { box: [number, number, number, number]; score: number } => ({ box: [x, 0, x + 50, 60], score: 0.9 });
    tracker.update(0, [d(0)]);
    tracker.update(3, [d(15)]);
    const u = tracker.update(6, [d(30)]);
    assert.equal(u.tracks[0]!.id, 1);
    assert.equal(tracker.predict(16).ended.length, 0, 'within maxAge');
    assert.equal(tracker.predict(17).ended.length, 1, 'unmatched for 11 frames');
    assert.deepEqual(tracker.finish(), []);
  });
});

describe('Tracker invalid parameters', () => {
  it('rejects bad options with TypeError/RangeError naming what was expected', () => {
    assert.throws(() => new Tracker({ highScore: '0.5' as unknown as number }), /Expected a finite number between 0 and 1 for highScore/);
    assert.throws(() => new Tracker({ matchIou: 1.5 }), RangeError);
    assert.throws(() => new Tracker({ minHits: 0 }), RangeError);
    assert.throws(() => new Tracker({ maxAge: 2.5 }), TypeError);
    assert.throws(() => new Tracker({ lowScore: 0.7, highScore: 0.5 }), /Expected lowScore ≤ highScore/);
    assert.throws(() => new Tracker({ newTrackScore: 0.3 }), /Expected newTrackScore ≥ highScore/);
    assert.throws(() => new Tracker({ lostBuffer: -0.1 }), /Expected a number between 0 and 10 for lostBuffer/);
    assert.throws(() => new Tracker(null as unknown as Partial<TrackerOptions>), TypeError);
  });

  it('rejects frames that do not increase and malformed detections', () => {
    const t = new Tracker();
    t.update(5, []);
    assert.throws(() => t.update(5, []), /Expected a frame index ≥ 0 and greater than the previous one \(5\) but received 5/);
    assert.throws(() => t.predict(4), RangeError);
    assert.throws(() => t.update(6.5, []), TypeError);
    assert.throws(() => t.update(7, 'x' as unknown as []), TypeError);
    assert.throws(() => t.update(7, [{ box: [0, 0, 10], score: 0.9 } as never]), /Expected detections\[0\].box to be four finite numbers/);
    assert.throws(() => t.update(7, [{ box: [10, 0, 5, 10], score: 0.9 }]), /x2 > x1/);
    assert.throws(() => t.update(7, [{ box: [0, 0, 5, 10], score: 2 }]), RangeError);
    assert.deepEqual(t.update(7, []).tracks, [], 'a rejected call leaves the tracker usable');
  });
});

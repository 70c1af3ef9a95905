import { type Box, assertInteger, assertNumber } from '../core/index.js';

/** A detection as the tracker sees it; callers pass richer objects (a `DetectedFace`) and get them back. */
export interface TrackerDetection {
  readonly box: Box;
  readonly score: number;
}

/** Tracker options; see {@link TRACKER_DEFAULTS} for the values and where they come from. */
export interface TrackerOptions {
  /** Detections with score ≥ this take part in the first association (ByteTrack `track_thresh`). */
  readonly highScore: number;
  /** Detections with score in [lowScore, highScore) take part only in the second association. */
  readonly lowScore: number;
  /** An unmatched high detection starts a tentative track only when its score is ≥ this (ByteTrack `det_thresh`). */
  readonly newTrackScore: number;
  /** Minimum IoU of a pair in the first association. */
  readonly matchIou: number;
  /** Minimum IoU of a pair in the second (low-score) association. */
  readonly secondMatchIou: number;
  /** A tentative track is confirmed (born) after this many matched frames. */
  readonly minHits: number;
  /** A track not matched for more than this many frames ends. Counts frames, not updates. */
  readonly maxAge: number;
  /**
   * Buffer of the third pass, which re-finds lost tracks: both boxes grow by this fraction of their
   * width and height on each side before the IoU (≥ `matchIou`) is taken. 0 turns the pass off.
   */
  readonly lostBuffer: number;
}

/**
 * Default tracker options.
 *
 * ByteTrack (Zhang et al., "ByteTrack: Multi-Object Tracking by Associating Every Detection Box", ECCV
 * 2022; `yolox/tracker/byte_tracker.py` and `tools/demo_track.py` defaults) gives the score split and the
 * gates; SORT (Bewley et al. 2016, `sort.py`) gives the birth rule.
 *
 * @example
 * new Tracker({ ...TRACKER_DEFAULTS, maxAge: 60 })
 */
export const TRACKER_DEFAULTS: Readonly<TrackerOptions> = Object.freeze({
  /** ByteTrack `--track_thresh 0.5`. */
  highScore: 0.5,
  /** ByteTrack `BYTETracker.update`: `inds_low = scores > 0.1`. */
  lowScore: 0.1,
  /** ByteTrack `self.det_thresh = args.track_thresh + 0.1`. */
  newTrackScore: 0.6,
  /** ByteTrack `--match_thresh 0.8` on the cost 1 − IoU, i.e. IoU ≥ 0.2. */
  matchIou: 0.2,
  /** ByteTrack second association `linear_assignment(dists, thresh=0.5)`: IoU ≥ 0.5. */
  secondMatchIou: 0.5,
  /** SORT `--min_hits 3`. */
  minHits: 3,
  /** ByteTrack `--track_buffer 30` (frames at 30 fps: one second), SORT `max_age` in the same role. */
  maxAge: 30,
  /**
   * 0.3, by measurement. C-BIoU (Yang et al., WACV 2023) names the failure: a hidden track keeps
   * moving on a biased motion estimate and misses its detection when it reappears; it cascades a small
   * and a large buffer, one buffer for lost tracks is enough here. Measured need: two real
   * faces crossing (`test/track/real-faces.test.ts`, yunet-n at score threshold 0.3), the rear one
   * hidden 11 frames reappears 44 px (0.75 face widths) ahead of its prediction, because the boxes of
   * the half-hidden face slowed the filter: plain IoU 0.12 < 0.2 would start a new track, BIoU at 0.3
   * gives 0.32 and keeps the id.
   */
  lostBuffer: 0.3,
});

/**
 * Validates partial tracker options over the defaults and returns a frozen copy.
 *
 * @example
 * resolveTrackerOptions({ minHits: 2 }).maxAge // 30
 */
export function resolveTrackerOptions(partial: Partial<TrackerOptions> = {}): Readonly<TrackerOptions> {
  if (typeof partial !== 'object' || partial === null) {
    throw new TypeError(`Expected an options object for the tracker but received ${partial === null ? 'null' : typeof partial}`);
  }
  const d = TRACKER_DEFAULTS;
  const num = (key: 'highScore' | 'lowScore' | 'newTrackScore' | 'matchIou' | 'secondMatchIou'): number =>
    partial[key] === undefined ? d[key] : assertNumber(key, partial[key], 0, 1);
  const o: TrackerOptions = {
    highScore: num('highScore'),
    lowScore: num('lowScore'),
    newTrackScore: num('newTrackScore'),
    matchIou: num('matchIou'),
    secondMatchIou: num('secondMatchIou'),
    minHits: partial.minHits === undefined ? d.minHits : assertInteger('minHits', partial.minHits, 1, 1000),
    maxAge: partial.maxAge === undefined ? d.maxAge : assertInteger('maxAge', partial.maxAge, 0, 100_000),
    lostBuffer: partial.lostBuffer === undefined ? d.lostBuffer : assertNumber('lostBuffer', partial.lostBuffer, 0, 10),
  };
  if (o.lowScore > o.highScore) {
    throw new RangeError(`Expected lowScore ≤ highScore (${o.highScore}) but received ${o.lowScore}`);
  }
  if (o.newTrackScore < o.highScore) {
    throw new RangeError(`Expected newTrackScore ≥ highScore (${o.highScore}): only high detections start tracks, but received ${o.newTrackScore}`);
  }
  return Object.freeze(o);
}

/**
 * Checks one detection: a finite box with positive width and height and a finite score in [0, 1].
 *
 * @example
 * assertTrackerDetection('detections[0]', { box: [0, 0, 10, 10], score: 0.9 })
 */
export function assertTrackerDetection(name: string, d: unknown): TrackerDetection {
  if (typeof d !== 'object' || d === null) throw new TypeError(`Expected a detection {box, score} for ${name} but received ${d === null ? 'null' : typeof d}`);
  const { box, score } = d as Partial<TrackerDetection>;
  if (!Array.isArray(box) || box.length !== 4 || !box.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new TypeError(`Expected ${name}.box to be four finite numbers [x1, y1, x2, y2] but received ${JSON.stringify(box)}`);
  }
  if (!(box[2] > box[0] && box[3] > box[1])) {
    throw new RangeError(`Expected ${name}.box to have x2 > x1 and y2 > y1 but received [${box.join(', ')}]`);
  }
  assertNumber(`${name}.score`, score, 0, 1);
  return d as TrackerDetection;
}

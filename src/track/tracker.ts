import type { Box } from '../core/index.js';
import { iou } from '../detect/index.js';
import { linearAssignment } from './assignment.js';
import { KalmanBoxFilter } from './kalman-box.js';
import { assertTrackerDetection, resolveTrackerOptions, type TrackerDetection, type TrackerOptions } from './tracker-options.js';

/** Life stage of a track: tentative until `minHits`, confirmed while matched, lost while unmatched. */
export type TrackStatus = 'tentative' | 'confirmed' | 'lost';

/** A snapshot of one track at one frame. */
export interface Track<D extends TrackerDetection = TrackerDetection> {
  /** 1, 2, 3… in birth (confirmation) order, never reused within a {@link Tracker}. */
  readonly id: number;
  /** The Kalman estimate at the current frame (after the update, or predicted). */
  readonly box: Box;
  readonly status: TrackStatus;
  /** Frames matched. */
  readonly hits: number;
  /** 0 when matched in this frame. */
  readonly framesSinceUpdate: number;
  /** The detection matched at this frame, else undefined. */
  readonly detection: D | undefined;
  /** Frame of the first detection. */
  readonly firstFrame: number;
  /** Frame of the last matched detection. */
  readonly lastFrame: number;
}

/** What one frame changed. */
export interface TrackerUpdate<D extends TrackerDetection = TrackerDetection> {
  /** Confirmed tracks alive at this frame (matched now, or lost but within `maxAge`), ordered by id. */
  readonly tracks: readonly Track<D>[];
  /** Tracks confirmed in this update (birth events). */
  readonly started: readonly Track<D>[];
  /** Confirmed tracks that died in this update; tentative ones die silently. */
  readonly ended: readonly Track<D>[];
}

interface State<D> {
  id: number;
  readonly kf: KalmanBoxFilter;
  hits: number;
  frame: number;
  /** Missed at its last detection update: predicted with the height velocity frozen (ByteTrack). */
  missed: boolean;
  detection: D | undefined;
  readonly firstFrame: number;
  lastFrame: number;
}

/**
 * Multi-object tracker by box: a constant-velocity Kalman filter per track ({@link KalmanBoxFilter})
 * and ByteTrack's two-pass association by IoU with optimal assignment ({@link linearAssignment}).
 *
 * Per update: every track is predicted to the frame (one Kalman step per frame, so gaps between
 * detected frames are bridged and `maxAge` counts frames). (1) Detections with score ≥ `highScore`
 * are matched against all tracks (confirmed, lost and tentative) at IoU ≥ `matchIou`. (2) Detections
 * with score in [`lowScore`, `highScore`) are matched against the confirmed and lost tracks left over
 * at IoU ≥ `secondMatchIou`: a face that blurs or turns keeps its track. ByteTrack restricts this pass
 * to tracks matched at the previous frame; we let lost tracks in too, so a face reappearing with a weak
 * score after an occlusion keeps its id. (3) Confirmed tracks that were already missing before this
 * frame are matched against the high detections still unmatched by buffered IoU (BIoU: both boxes grown
 * by `lostBuffer` of their size on each side; Yang et al., "Hard to Track Objects with Irregular Motions
 * and Similar Appearances? Make It Easier by Buffering the Matching Space", WACV 2023), since the
 * constant-velocity prediction drifts while a face is hidden. Unmatched tentative tracks are removed (ByteTrack removes
 * unconfirmed tracks after one miss); unmatched high detections with score ≥ `newTrackScore` start
 * tentative tracks, confirmed after `minHits` matches (SORT). A confirmed track unmatched for more
 * than `maxAge` frames ends. Ids are given at confirmation, so tentative tracks that die leave no
 * gaps in the numbering. ByteTrack's `fuse_score` (IoU × score) is not applied: the scores of clear
 * faces sit in a narrow band (0.91–0.95 for yunet-n on LFW) and would only add noise to the IoU.
 *
 * @example
 * const tracker = new Tracker<DetectedFace>()
 * for (const [i, faces] of detectionsPerFrame.entries()) {
 *   const { tracks, started, ended } = tracker.update(i, faces)
 * }
 * const last = tracker.finish()
 */
export class Tracker<D extends TrackerDetection = TrackerDetection> {
  readonly options: Readonly<TrackerOptions>;
  #tracks: State<D>[] = [];
  #nextId = 1;
  #frame = -Infinity;

  constructor(options: Partial<TrackerOptions> = {}) {
    this.options = resolveTrackerOptions(options);
  }

  /** Tracks the detections of frame `frame` (frame indices strictly increase; gaps are allowed). */
  update(frame: number, detections: readonly D[]): TrackerUpdate<D> {
    if (!Array.isArray(detections)) throw new TypeError(`Expected an array of detections but received ${typeof detections}`);
    detections.forEach((d, i) => assertTrackerDetection(`detections[${i}]`, d));
    this.#advance(frame);
    const o = this.options;
    const high = detections.filter((d) => d.score >= o.highScore);
    const low = detections.filter((d) => d.score < o.highScore && d.score >= o.lowScore);

    const first = this.#associate(this.#tracks, high, o.matchIou);
    const leftover = first.tracks.filter((t) => t.id !== 0);
    const second = this.#associate(leftover, low, o.secondMatchIou);
    // Third pass: confirmed tracks already missing before this frame against the high detections still
    // unmatched, by buffered IoU; what it leaves may start new tracks.
    const lost = second.tracks.filter((t) => t.missed);
    const third = o.lostBuffer > 0 ? this.#associate(lost, first.detections, o.matchIou, o.lostBuffer) : { detections: first.detections };

    const started: Track<D>[] = [];
    const ended: Track<D>[] = [];
    const alive: State<D>[] = [];
    for (const t of this.#tracks) {
      if (t.lastFrame === frame) {
        if (t.id === 0 && t.hits >= o.minHits) {
          t.id = this.#nextId++;
          started.push(this.#snapshot(t));
        }
        alive.push(t);
        continue;
      }
      t.missed = true;
      // A tentative track that misses is removed silently (ByteTrack removes unconfirmed tracks at the first miss).
      if (t.id === 0) continue;
      if (frame - t.lastFrame > o.maxAge) ended.push(this.#snapshot(t));
      else alive.push(t);
    }
    for (const d of third.detections) {
      if (d.score < o.newTrackScore) continue;
      const t: State<D> = { id: 0, kf: new KalmanBoxFilter(d.box), hits: 1, frame, missed: false, detection: d, firstFrame: frame, lastFrame: frame };
      if (o.minHits <= 1) {
        t.id = this.#nextId++;
        started.push(this.#snapshot(t));
      }
      alive.push(t);
    }
    this.#tracks = alive;
    return { tracks: this.#confirmed(), started, ended };
  }

  /** A frame where detection did not run: every track is predicted, none matched, none killed within `maxAge`. */
  predict(frame: number): TrackerUpdate<D> {
    this.#advance(frame);
    const ended: Track<D>[] = [];
    this.#tracks = this.#tracks.filter((t) => {
      if (t.id === 0 || frame - t.lastFrame <= this.options.maxAge) return true;
      ended.push(this.#snapshot(t));
      return false;
    });
    return { tracks: this.#confirmed(), started: [], ended };
  }

  /** End of stream: ends and returns every confirmed track still alive (ordered by id); the tracker is emptied. */
  finish(): Track<D>[] {
    const out = this.#confirmed();
    this.#tracks = [];
    return out;
  }

  #advance(frame: number): void {
    if (typeof frame !== 'number' || !Number.isInteger(frame)) {
      throw new TypeError(`Expected an integer frame index but received ${String(frame)} of type ${typeof frame}`);
    }
    if (frame < 0 || frame <= this.#frame) {
      throw new RangeError(`Expected a frame index ≥ 0 and greater than the previous one (${this.#frame}) but received ${frame}`);
    }
    // One Kalman step per frame; beyond maxAge + 1 steps the track dies anyway, so stop there.
    const maxSteps = this.options.maxAge + 1;
    for (const t of this.#tracks) {
      const steps = Math.min(frame - t.frame, maxSteps);
      for (let s = 0; s < steps; s++) t.kf.predict(t.missed);
      t.frame = frame;
      t.detection = undefined;
    }
    this.#frame = frame;
  }

  /** Optimal IoU matching; updates matched tracks and returns what is left on both sides. */
  #associate(tracks: readonly State<D>[], dets: readonly D[], minIou: number, buffer = 0): { tracks: State<D>[]; detections: D[] } {
    // A matrix with no rows has no columns either: with no tracks, every detection is left over.
    if (tracks.length === 0) return { tracks: [], detections: [...dets] };
    const boxes = tracks.map((t) => t.kf.box);
    const grow = (b: Box): Box => (buffer === 0 ? b : bufferBox(b, buffer));
    const detBoxes = dets.map((d) => grow(d.box));
    const cost = boxes.map((b) => grow(b)).map((b) => detBoxes.map((d) => 1 - iou(b, d)));
    const r = linearAssignment(cost, 1 - minIou);
    for (const [ti, di] of r.matches) {
      const t = tracks[ti] as State<D>;
      const d = dets[di] as D;
      t.kf.update(d.box);
      t.hits++;
      t.detection = d;
      t.lastFrame = t.frame;
      t.missed = false;
    }
    return { tracks: r.unmatchedRows.map((i) => tracks[i] as State<D>), detections: r.unmatchedCols.map((j) => dets[j] as D) };
  }

  #confirmed(): Track<D>[] {
    return this.#tracks
      .filter((t) => t.id !== 0)
      .sort((a, b) => a.id - b.id)
      .map((t) => this.#snapshot(t));
  }

  #snapshot(t: State<D>): Track<D> {
    const framesSinceUpdate = t.frame - t.lastFrame;
    return Object.freeze({
      id: t.id,
      box: t.kf.box,
      status: t.id === 0 ? 'tentative' : framesSinceUpdate === 0 ? 'confirmed' : 'lost',
      hits: t.hits,
      framesSinceUpdate,
      detection: t.detection,
      firstFrame: t.firstFrame,
      lastFrame: t.lastFrame,
    });
  }
}

/** The box grown by `b` times its width on the left and right and `b` times its height above and below (BIoU). */
function bufferBox(box: Box, b: number): Box {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  return [box[0] - b * w, box[1] - b * h, box[2] + b * w, box[3] + b * h];
}

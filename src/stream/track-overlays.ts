/**
 * What the renderers draw of a frame's tracks: the live-truth rule, the labels and the colours. No
 * drawing and no Node.js module here, so the browser bundle exports it to the web pages unchanged.
 */
import type { Overlay } from '../video/index.js';
import type { TrackView } from './events.js';

/**
 * Box colours: known identities green, unknown faces orange, names withheld (suspended) yellow,
 * boxes only predicted this frame grey.
 */
export const ANNOTATION_COLORS = Object.freeze({
  known: Object.freeze([40, 200, 80] as const),
  unknown: Object.freeze([255, 150, 0] as const),
  suspended: Object.freeze([255, 230, 0] as const),
  predicted: Object.freeze([160, 160, 160] as const),
});

/**
 * Detector runs a track may miss and still be drawn (as a predicted, dashed grey box): 2. One missed
 * run is the detector losing a face to motion blur or a turned head for a frame, which the Kalman
 * prediction bridges without a flicker; after two the face has most likely left or been covered, and
 * at 25 fps its box is then 80 ms old. The tracker keeps a lost track far longer (to re-attach it),
 * which is what piled stale boxes up on moving faces: a renderer draws only what it saw, or briefly predicted.
 */
export const MAX_PREDICTED_RUNS = 2;

/** Options of {@link trackOverlays}. */
export interface TrackOverlayOptions {
  /** The stream's `detectEvery`: between detector runs every track is predicted (default 1). */
  readonly detectEvery?: number;
}

/**
 * Frames a track may go unmatched and still be drawn: {@link MAX_PREDICTED_RUNS} detector runs.
 *
 * @example
 * maxPredictedFrames(1) // 2
 * maxPredictedFrames(3) // 6
 */
export function maxPredictedFrames(detectEvery = 1): number {
  if (!Number.isInteger(detectEvery) || detectEvery < 1) throw new RangeError(`Expected detectEvery as an integer ≥ 1 but received ${String(detectEvery)}`);
  return MAX_PREDICTED_RUNS * detectEvery;
}

/**
 * What a viewer may be shown of a track: `#id name score` when matched this frame and named, `#id ?`
 * while its name is suspended (never the withheld name), `#id name` for a predicted box.
 *
 * @example
 * trackLabel({ trackId: 3, label: 'Alice', identity: 'alice', score: 0.61, detected: true, suspended: false }) // '#3 Alice 0.61'
 */
export function trackLabel(t: Pick<TrackView, 'trackId' | 'label' | 'identity' | 'score' | 'detected' | 'suspended'>): string {
  if (t.suspended) return `#${t.trackId} ?`;
  if (t.identity === null || !t.detected) return `#${t.trackId} ${t.label}`;
  return `#${t.trackId} ${t.label} ${t.score.toFixed(2)}`;
}

/**
 * The overlays of one frame's tracks, live truth only: a solid box for each track matched to a
 * detection in this frame; a dashed grey box for a track predicted for at most
 * {@link maxPredictedFrames} frames; nothing for a track predicted longer. A suspended track shows
 * `?`, never a name. Matched tracks come first, so their labels get the best spots.
 *
 * @example
 * drawOverlays(image, trackOverlays(result.tracks))
 */
export function trackOverlays(tracks: readonly TrackView[], options: TrackOverlayOptions = {}): Overlay[] {
  if (!Array.isArray(tracks)) throw new TypeError(`Expected an array of track views but received ${typeof tracks}`);
  const limit = maxPredictedFrames(options.detectEvery ?? 1);
  const shown = tracks.filter((t) => t.detected || t.missedFrames <= limit);
  const ordered = [...shown.filter((t) => t.detected), ...shown.filter((t) => !t.detected)];
  return ordered.map((t) => ({
    box: t.box,
    label: trackLabel(t),
    color: !t.detected
      ? ANNOTATION_COLORS.predicted
      : t.suspended
        ? ANNOTATION_COLORS.suspended
        : t.identity === null
          ? ANNOTATION_COLORS.unknown
          : ANNOTATION_COLORS.known,
    dashed: !t.detected,
  }));
}

import type { RgbImage } from '../core/index.js';
import { drawOverlays, type Overlay } from '../video/index.js';
import type { TrackView } from './events.js';

/** Box colours: known identities green, unknown faces orange, tracks only predicted this frame grey. */
export const ANNOTATION_COLORS = Object.freeze({
  known: Object.freeze([40, 200, 80] as const),
  unknown: Object.freeze([255, 150, 0] as const),
  predicted: Object.freeze([160, 160, 160] as const),
});

/**
 * The overlays of one frame's tracks: box, track id, label and score.
 *
 * @example
 * drawOverlays(image, trackOverlays(result.tracks))
 */
export function trackOverlays(tracks: readonly TrackView[]): Overlay[] {
  return tracks.map((t) => ({
    box: t.box,
    label: t.identity === null ? `#${t.trackId} ${t.label}` : `#${t.trackId} ${t.label} ${t.score.toFixed(2)}`,
    color: !t.detected ? ANNOTATION_COLORS.predicted : t.identity === null ? ANNOTATION_COLORS.unknown : ANNOTATION_COLORS.known,
  }));
}

/**
 * A copy of a frame with its tracks drawn.
 *
 * @example
 * await writer.write(annotateFrame(result.image, result.tracks))
 */
export function annotateFrame(image: RgbImage, tracks: readonly TrackView[]): RgbImage {
  return drawOverlays(image, trackOverlays(tracks));
}

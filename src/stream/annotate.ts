import type { RgbImage } from '../core/index.js';
import { drawOverlays } from '../video/index.js';
import type { TrackView } from './events.js';
import { trackOverlays, type TrackOverlayOptions } from './track-overlays.js';

/**
 * A copy of a frame with its tracks drawn (see {@link trackOverlays} for what is drawn).
 *
 * @example
 * await writer.write(annotateFrame(result.image, result.tracks))
 */
export function annotateFrame(image: RgbImage, tracks: readonly TrackView[], options: TrackOverlayOptions = {}): RgbImage {
  return drawOverlays(image, trackOverlays(tracks, options));
}

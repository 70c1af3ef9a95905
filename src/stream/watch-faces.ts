import { openVideoSource, type FrameSource, type VideoSourceOptions } from '../video/index.js';
import type { FrameResult } from './events.js';
import { FaceStream, type FaceStreamOptions } from './face-stream.js';

/** Options of {@link watchFaces}. */
export interface WatchFacesOptions extends FaceStreamOptions {
  /**
   * Source options, used when `source` is a path or URL. Unless they say otherwise, frames also come
   * shrunk to the detector's `fitSize` by the decoder (`downscale`), so the detector never resamples a
   * full frame.
   */
  readonly source?: VideoSourceOptions;
  /** Stops the stream after the frame in progress. */
  readonly signal?: AbortSignal;
}

/**
 * Source options that also ask the decoder for each frame shrunk to the detector's `fitSize`
 * (`downscale`), unless they set it already or the detector has no fit size.
 *
 * @example
 * openVideoSource('clip.mp4', withDetectorDownscale(recognizer.detector, { fps: 10 }))
 */
export function withDetectorDownscale(detector: { readonly fitSize?: number }, options: VideoSourceOptions = {}): VideoSourceOptions {
  const fit = detector.fitSize;
  return fit === undefined || options.downscale !== undefined ? options : { ...options, downscale: [fit, fit] };
}

/**
 * Recognises faces in a video file, a network stream, a camera or pushed frames ({@link FaceStream}
 * over a frame source). Yields one result per processed frame, tagged with that frame's index and
 * timestamp, and the track events that happened at it. A file is read at the pace of the consumer; a
 * live source drops frames instead of falling behind (`dropped`). When the source ends, a last result
 * carries the `track.ended` events of the tracks still alive; when it fails mid-way, that result
 * comes first and the coded error is raised after it.
 *
 * @example
 * for await (const r of watchFaces('clip.mp4', { recognizer, gallery })) {
 *   for (const e of r.events) console.log(JSON.stringify(e))
 * }
 */
export async function* watchFaces(source: string | FrameSource, options: WatchFacesOptions): AsyncGenerator<FrameResult, void, undefined> {
  const stream = new FaceStream(options);
  const src = typeof source === 'string' ? openVideoSource(source, withDetectorDownscale(options.recognizer.detector, options.source)) : source;
  let failure: unknown;
  try {
    try {
      for await (const f of src) {
        if (options.signal?.aborted === true) break;
        yield await stream.process(f, { dropped: src.dropped, arrived: f.receivedAt ?? performance.now() });
      }
    } catch (err) {
      // The source failed mid-way (truncated file, a stream that ended or stalled): the tracks still
      // alive end here, so a consumer keeps a complete record of what was seen, then the error is raised.
      failure = err;
    }
    const closing = await stream.finish({ dropped: src.dropped });
    if (closing !== undefined) yield closing;
    if (failure !== undefined) throw failure;
  } finally {
    if (typeof source === 'string') await src.close();
  }
}

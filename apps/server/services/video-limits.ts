/**
 * What bounds a video job: the upload's size, each frame's pixels, the frames and seconds decoded,
 * the jobs a key and the server may hold, the disk that pending uploads use; and the frame source
 * wrapper that enforces frames and seconds while a job runs.
 */
import { ArcFaceError, assertInteger } from '../../../src/core/index.js';
import type { FrameSource, VideoFrame } from '../../../src/video/index.js';

/** Limits of video jobs; every one is reported in the job and refused with a coded error past it. */
export interface VideoLimits {
  /** Largest upload, bytes (413 PAYLOAD_TOO_LARGE). */
  readonly maxBytes: number;
  /** Largest frame, width × height, the rule of `--max-pixels` for images (job fails VIDEO_TOO_LARGE). */
  readonly maxPixels: number;
  /** Most frames decoded per job (job fails VIDEO_TOO_LARGE). */
  readonly maxFrames: number;
  /** Longest video, seconds of media: from the header before decoding, then from each frame's timestamp. */
  readonly maxDurationSeconds: number;
  /** Jobs one key may have queued, running or uploading at once (429 RATE_LIMITED with Retry-After). */
  readonly maxJobsPerKey: number;
  /** Jobs waiting for the worker in total, uploads in progress included (503 QUEUE_FULL with Retry-After). */
  readonly maxQueued: number;
  /** Disk held by uploads not yet processed, bytes (503 QUEUE_FULL with Retry-After). */
  readonly maxPendingBytes: number;
}

/**
 * Defaults: 500 MiB per upload; 16 megapixels per frame (as for images); 30 minutes of media and
 * 54,000 frames (30 min at 30 fps) per job, about as long as one worker on two cores takes to
 * track it; 2 jobs per key and 8 waiting in total; 2 GiB of pending uploads on disk.
 *
 * @example
 * VIDEO_LIMIT_DEFAULTS.maxFrames // 54000
 */
export const VIDEO_LIMIT_DEFAULTS: VideoLimits = Object.freeze({
  maxBytes: 500 * 2 ** 20,
  maxPixels: 16_000_000,
  maxFrames: 54_000,
  maxDurationSeconds: 1800,
  maxJobsPerKey: 2,
  maxQueued: 8,
  maxPendingBytes: 2 * 2 ** 30,
});

/**
 * Validates limits over the defaults into a frozen copy.
 *
 * @example
 * resolveVideoLimits({ maxFrames: 100 }).maxFrames // 100
 */
export function resolveVideoLimits(given: Partial<VideoLimits> = {}): VideoLimits {
  const d = VIDEO_LIMIT_DEFAULTS;
  return Object.freeze({
    maxBytes: assertInteger('maxBytes', given.maxBytes ?? d.maxBytes, 1, 2 ** 40),
    maxPixels: assertInteger('maxPixels', given.maxPixels ?? d.maxPixels, 1, 1_000_000_000),
    maxFrames: assertInteger('maxFrames', given.maxFrames ?? d.maxFrames, 1, 100_000_000),
    maxDurationSeconds: assertInteger('maxDurationSeconds', given.maxDurationSeconds ?? d.maxDurationSeconds, 1, 31_536_000),
    maxJobsPerKey: assertInteger('maxJobsPerKey', given.maxJobsPerKey ?? d.maxJobsPerKey, 1, 100_000),
    maxQueued: assertInteger('maxQueued', given.maxQueued ?? d.maxQueued, 0, 100_000),
    maxPendingBytes: assertInteger('maxPendingBytes', given.maxPendingBytes ?? d.maxPendingBytes, 1, 2 ** 50),
  });
}

function tooLarge(what: string, details: Record<string, unknown>): ArcFaceError {
  return new ArcFaceError('VIDEO_TOO_LARGE', what, { details });
}

/**
 * A frame source that stops with VIDEO_TOO_LARGE once it passes `maxFrames` frames or
 * `maxDurationSeconds` of media (a header declaring a longer duration is refused before the first
 * frame is handed on). Closing it closes the source.
 *
 * @example
 * for await (const f of boundedSource(openVideoSource(file), { maxFrames: 100, maxDurationSeconds: 60 })) use(f)
 */
export function boundedSource(src: FrameSource, limits: Pick<VideoLimits, 'maxFrames' | 'maxDurationSeconds'>): FrameSource {
  const { maxFrames, maxDurationSeconds } = limits;
  async function* frames(): AsyncGenerator<VideoFrame> {
    const info = await src.info();
    if (info.durationSeconds !== undefined && info.durationSeconds > maxDurationSeconds) {
      throw tooLarge(`Expected a video of at most ${maxDurationSeconds} s but its header declares ${info.durationSeconds.toFixed(1)} s`, {
        limit: 'maxDurationSeconds',
        max: maxDurationSeconds,
      });
    }
    for await (const f of src) {
      if (f.index >= maxFrames) throw tooLarge(`Expected a video of at most ${maxFrames} frames but it has more`, { limit: 'maxFrames', max: maxFrames });
      if (f.pts > maxDurationSeconds) {
        throw tooLarge(`Expected a video of at most ${maxDurationSeconds} s but it goes on past ${f.pts.toFixed(1)} s`, {
          limit: 'maxDurationSeconds',
          max: maxDurationSeconds,
        });
      }
      yield f;
    }
  }
  return {
    get dropped() {
      return src.dropped;
    },
    get delivered() {
      return src.delivered;
    },
    info: () => src.info(),
    close: () => src.close(),
    [Symbol.asyncIterator]: () => frames(),
  };
}

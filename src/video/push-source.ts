/**
 * A frame source fed by the host program: RGB buffers with a timestamp, as a DepthAI/OAK host app or
 * a camera SDK already has them.
 */
import { ArcFaceError, assertRgbImage, type RgbImage } from '../core/index.js';
import { FrameChannel } from './frame-channel.js';
import type { FrameSource, VideoFrame, VideoInfo } from './types.js';

/** Frames held by a non-live push source before `push` starts returning false (frames are still kept). */
export const DEFAULT_PUSH_CAPACITY = 8;

/** The producer's side of a push source; `source` is the consumer's side. */
export interface PushSource {
  readonly source: FrameSource;
  /**
   * Hands over one frame. Returns false when the source is closed or ended (the frame is discarded),
   * when in live mode an older unread frame was dropped to make room, or when in file mode `capacity`
   * frames now wait (the frame is kept; slow down). Throws TypeError/RangeError for a malformed frame,
   * a size other than the first frame's (or the declared one), or a pts that does not increase.
   */
  push(image: RgbImage, pts: number): boolean;
  /** No more frames: the consumer gets the buffered ones, then the end. */
  end(): void;
  /** The producer failed: the consumer gets the buffered frames, then this error. */
  fail(error: Error): void;
}

/** Options of {@link createPushSource}. */
export interface PushSourceOptions {
  /** Keep only the newest `capacity` frames when the consumer is slower (default true: a camera does not wait). */
  readonly live?: boolean;
  /** Frames held for the consumer (default 1 live, {@link DEFAULT_PUSH_CAPACITY} otherwise). */
  readonly capacity?: number;
  /** Declared frame size; when given, `info()` resolves at once and every frame must have it. */
  readonly width?: number;
  readonly height?: number;
}

/**
 * Creates a push source: the host calls `push(image, pts)` for each frame, the pipeline iterates `source`.
 *
 * @example
 * const cam = createPushSource({ width: 640, height: 360 })
 * device.on('frame', (rgb, t) => cam.push({ width: 640, height: 360, data: rgb }, t))
 * for await (const frame of cam.source) handle(frame)
 */
export function createPushSource(options: PushSourceOptions = {}): PushSource {
  const live = options.live ?? true;
  const capacity = options.capacity ?? (live ? 1 : DEFAULT_PUSH_CAPACITY);
  const channel = new FrameChannel(live, capacity);
  const declared = options.width !== undefined || options.height !== undefined;
  if (declared) {
    for (const [name, v] of [
      ['width', options.width],
      ['height', options.height],
    ] as const) {
      if (!Number.isInteger(v) || (v as number) < 1) throw new RangeError(`Expected a positive integer ${name} for a push source but received ${String(v)}`);
    }
  }
  let size: readonly [number, number] | undefined = declared ? [options.width as number, options.height as number] : undefined;
  let resolveInfo!: (info: VideoInfo) => void;
  let rejectInfo!: (error: Error) => void;
  const infoPromise = new Promise<VideoInfo>((resolve, reject) => {
    resolveInfo = resolve;
    rejectInfo = reject;
  });
  infoPromise.catch(() => undefined);
  const publish = (width: number, height: number): void =>
    resolveInfo({ width, height, fps: undefined, durationSeconds: undefined, live, codec: undefined, source: 'push' });
  if (size !== undefined) publish(size[0], size[1]);
  let index = 0;
  let lastPts = Number.NEGATIVE_INFINITY;

  const source: FrameSource = {
    get dropped() {
      return channel.dropped;
    },
    get delivered() {
      return channel.delivered;
    },
    info: () => infoPromise,
    close: async () => {
      channel.close();
      rejectInfo(new ArcFaceError('VIDEO_STREAM_ENDED', 'Expected a first frame from the push source but it was closed first'));
    },
    [Symbol.asyncIterator]: () => ({
      next: () => channel.next(),
      return: async () => {
        await source.close();
        return { value: undefined, done: true };
      },
    }),
  };

  return {
    source,
    push(image: RgbImage, pts: number): boolean {
      assertRgbImage('image', image);
      if (typeof pts !== 'number' || !Number.isFinite(pts)) throw new TypeError(`Expected a finite pts in seconds but received ${String(pts)}`);
      if (pts <= lastPts) throw new RangeError(`Expected increasing timestamps but received pts ${pts} after ${lastPts}`);
      if (size === undefined) {
        size = [image.width, image.height];
        publish(image.width, image.height);
      } else if (image.width !== size[0] || image.height !== size[1]) {
        throw new RangeError(`Expected every pushed frame to be ${size[0]}×${size[1]} but received ${image.width}×${image.height}`);
      }
      if (channel.finished) return false;
      lastPts = pts;
      const frame: VideoFrame = { index: index++, pts, image, receivedAt: performance.now() };
      return channel.push(frame);
    },
    end(): void {
      channel.end();
      rejectInfo(new ArcFaceError('VIDEO_STREAM_ENDED', 'Expected a first frame from the push source but it ended without one'));
    },
    fail(error: Error): void {
      if (!(error instanceof Error)) throw new TypeError(`Expected an Error but received ${typeof error}`);
      channel.fail(error);
      rejectInfo(error);
    },
  };
}

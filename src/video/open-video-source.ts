/**
 * The one door to video input: picks the reader for a file, folder, network stream or device, after
 * validating the options.
 */
import { statSync } from 'node:fs';
import { ArcFaceError } from '../core/index.js';
import { VIDEO_CONTAINERS } from './container.js';
import { inputKind, redactSource } from './ffmpeg.js';
import { FfmpegFrameSource } from './ffmpeg-source.js';
import { FolderFrameSource } from './folder-source.js';
import { DEFAULT_RECONNECT_DELAY_MS, ReconnectingFrameSource } from './reconnecting-source.js';
import type { FrameSource, VideoFrame, VideoInfo, VideoSourceOptions } from './types.js';

/** Highest accepted sampling rate, frames per second (above any camera; catches ms-for-s mistakes). */
const MAX_FPS = 1000;
/** Largest `maxSize` side: 16,384 px (16K), far above any camera; catches garbage values. */
const MAX_SIDE = 16_384;
/** Largest buffer `capacity`: 10,000 frames (6.9 GB at 640×360) is already more than any use. */
const MAX_CAPACITY = 10_000;
/** Most reconnect tries in a row: 100 tries at the 8-s back-off cap already wait over 13 minutes. */
const MAX_RECONNECT_ATTEMPTS = 100;

function checkPositive(name: string, v: unknown, integer: boolean, max = Number.MAX_SAFE_INTEGER): void {
  if (v === undefined) return;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`Expected a finite number for ${name} but received ${String(v)} of type ${typeof v}`);
  if ((integer && !Number.isInteger(v)) || v <= 0 || v > max) {
    throw new RangeError(`Expected ${integer ? 'an integer' : 'a number'} in (0, ${max}] for ${name} but received ${v}`);
  }
}

/**
 * Validates source options and returns a frozen copy.
 *
 * @example
 * validateVideoSourceOptions({ fps: 5, maxSize: [640, 640] })
 */
export function validateVideoSourceOptions(options: VideoSourceOptions = {}): VideoSourceOptions {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object but received ${String(options)}`);
  checkPositive('fps', options.fps, false, MAX_FPS);
  checkPositive('capacity', options.capacity, true, MAX_CAPACITY);
  checkPositive('openTimeoutMs', options.openTimeoutMs, true);
  checkPositive('readTimeoutMs', options.readTimeoutMs, true);
  checkPositive('reconnectDelayMs', options.reconnectDelayMs, true);
  const attempts = options.reconnectAttempts;
  if (attempts !== undefined && (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 0 || attempts > MAX_RECONNECT_ATTEMPTS)) {
    throw new RangeError(`Expected an integer in [0, ${MAX_RECONNECT_ATTEMPTS}] for reconnectAttempts but received ${String(attempts)}`);
  }
  if (options.rtspTransport !== undefined && options.rtspTransport !== 'tcp' && options.rtspTransport !== 'udp') {
    throw new TypeError(`Expected rtspTransport as 'tcp' or 'udp' but received ${String(options.rtspTransport)}`);
  }
  checkPositive('maxPixels', options.maxPixels, true);
  if (options.container !== undefined && !(VIDEO_CONTAINERS as readonly string[]).includes(options.container)) {
    throw new TypeError(`Expected container to be one of ${VIDEO_CONTAINERS.join(', ')} but received ${String(options.container)}`);
  }
  for (const key of ['maxSize', 'downscale'] as const) {
    const size = options[key];
    if (size === undefined) continue;
    if (!Array.isArray(size) || size.length !== 2) throw new TypeError(`Expected ${key} as [width, height] but received ${String(size)}`);
    checkPositive(`${key}[0]`, size[0], true, MAX_SIDE);
    checkPositive(`${key}[1]`, size[1], true, MAX_SIDE);
  }
  for (const k of ['live', 'realtime', 'loop'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new TypeError(`Expected a boolean for ${k} but received ${String(options[k])}`);
  }
  if (options.ffmpegPath !== undefined && (typeof options.ffmpegPath !== 'string' || options.ffmpegPath === '')) {
    throw new TypeError(`Expected a non-empty string for ffmpegPath but received ${String(options.ffmpegPath)}`);
  }
  return Object.freeze({
    ...options,
    ...(options.maxSize === undefined ? {} : { maxSize: Object.freeze([options.maxSize[0], options.maxSize[1]] as const) }),
    ...(options.downscale === undefined ? {} : { downscale: Object.freeze([options.downscale[0], options.downscale[1]] as const) }),
  });
}

/** A source that failed before it started: `info()` rejects and iterating throws the same error. */
function failedSource(error: ArcFaceError): FrameSource {
  const rejected = Promise.reject(error);
  rejected.catch(() => undefined);
  return {
    dropped: 0,
    delivered: 0,
    info: (): Promise<VideoInfo> => rejected,
    close: async () => undefined,
    [Symbol.asyncIterator]: (): AsyncIterator<VideoFrame> => ({ next: () => Promise.reject(error) }),
  };
}

/**
 * Opens a video source: a file (mp4, mkv, webm, avi, mov … whatever the bundled ffmpeg decodes),
 * a network stream (`rtsp://`, `http(s)://` incl. HLS `.m3u8` and MJPEG), a V4L2 device (`/dev/videoN`)
 * or a folder of frame images (natural order; pts from `options.fps`, else 25 fps). Opening failures
 * (FILE_NOT_FOUND, VIDEO_DEVICE_NOT_FOUND, VIDEO_DECODE_FAILED, VIDEO_UNSUPPORTED, VIDEO_TIMEOUT,
 * VIDEO_STREAM_UNAVAILABLE) reject `info()` and the first read; invalid options throw at once. With
 * `reconnectAttempts`, a network stream that stops after its first frame is opened again
 * (see {@link ReconnectingFrameSource}) and `source.reconnects` counts the reconnections.
 *
 * @example
 * const source = openVideoSource('clip.mp4', { fps: 10, maxSize: [640, 640] })
 * for await (const { index, pts, image } of source) console.log(index, pts, image.width)
 */
export function openVideoSource(input: string, options: VideoSourceOptions = {}): FrameSource {
  if (typeof input !== 'string' || input.trim() === '') throw new TypeError(`Expected a video path, URL or device but received ${String(input)}`);
  const opts = validateVideoSourceOptions(options);
  const kind = inputKind(input);
  if (opts.container !== undefined && kind !== 'path')
    throw new TypeError(`Expected a file path with the container option but received ${redactSource(input)}`);
  if (kind === 'network') {
    const attempts = opts.reconnectAttempts ?? 0;
    if (attempts === 0) return new FfmpegFrameSource(input, kind, opts);
    return new ReconnectingFrameSource(() => new FfmpegFrameSource(input, kind, opts), {
      attempts,
      delayMs: opts.reconnectDelayMs ?? DEFAULT_RECONNECT_DELAY_MS,
    });
  }
  const path = input.replace(/^file:\/\//i, '');
  const st = (() => {
    try {
      return statSync(path);
    } catch {
      return undefined;
    }
  })();
  if (kind === 'device') {
    if (st === undefined) return failedSource(new ArcFaceError('VIDEO_DEVICE_NOT_FOUND', `Expected a video device at ${path} but there is none`));
    return new FfmpegFrameSource(path, kind, opts);
  }
  if (st === undefined)
    return failedSource(new ArcFaceError('FILE_NOT_FOUND', `Expected a video file or a folder of frames at ${redactSource(path)} but found nothing`));
  if (st.isDirectory()) {
    if (opts.container !== undefined)
      return failedSource(new ArcFaceError('VIDEO_UNSUPPORTED', `Expected a ${opts.container} file but ${redactSource(path)} is a folder`));
    return new FolderFrameSource(path, opts);
  }
  return new FfmpegFrameSource(path, kind, opts);
}

/**
 * Frames of a "video" for the video-pairs protocol: either a folder of frame images (YouTube Faces
 * `frame_images_DB/<person>/<video>/*.jpg`) or a video file decoded by ffmpeg to raw RGB frames.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArcFaceError, isArcFaceError, type RgbImage } from '../core/index.js';
import { defaultFfmpegPath, listFrameFiles, openVideoSource, runFfmpeg } from '../video/index.js';

export { defaultFfmpegPath, FRAME_EXTENSIONS } from '../video/index.js';

/** Extensions tried, in order, when a video id names no folder. */
export const VIDEO_EXTENSIONS: readonly string[] = Object.freeze(['.mp4', '.avi', '.mkv', '.mov', '.webm']);

/**
 * `n` indices spread uniformly over `count` frames: the centre of each of `n` equal segments
 * (`floor((i + 0.5) · count / n)`); all frames when `count ≤ n`.
 *
 * @example
 * uniformSample(10, 3) // [1, 5, 8]
 */
export function uniformSample(count: number, n: number): number[] {
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`Expected a non-negative integer frame count but received ${count}`);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Expected a positive integer sample size but received ${n}`);
  if (count <= n) return Array.from({ length: count }, (_, i) => i);
  return Array.from({ length: n }, (_, i) => Math.floor(((i + 0.5) * count) / n));
}

/** Where a video's frames come from. */
export type VideoSource =
  | { readonly kind: 'frames'; readonly dir: string; readonly files: readonly string[] }
  | { readonly kind: 'file'; readonly path: string };

/**
 * Finds a video by id under `dataDir`: a folder of frames `dataDir/id/`, else a file `dataDir/id`
 * or `dataDir/id.<ext>` for the {@link VIDEO_EXTENSIONS}.
 *
 * @example
 * const src = await resolveVideo('/data/ytf/frame_images_DB', 'Aaron_Eckhart/0')
 */
export async function resolveVideo(dataDir: string, id: string): Promise<VideoSource> {
  const base = join(dataDir, id);
  const info = await stat(base).catch(() => undefined);
  if (info?.isDirectory() === true) {
    return { kind: 'frames', dir: base, files: await listFrameFiles(base) };
  }
  if (info?.isFile() === true) return { kind: 'file', path: base };
  for (const ext of VIDEO_EXTENSIONS) {
    const p = `${base}${ext}`;
    if ((await stat(p).catch(() => undefined))?.isFile() === true) return { kind: 'file', path: p };
  }
  throw new ArcFaceError('FILE_NOT_FOUND', `Expected a frames folder ${base}/ or a video file ${base}{${VIDEO_EXTENSIONS.join(',')}} but found neither`);
}

/** Frame count and size of a video file's first video stream. */
export interface VideoFileInfo {
  readonly frames: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Counts the frames of a video file (stream copy to the null muxer: no decoding) and reads its size.
 *
 * @example
 * const { frames, width, height } = await probeVideo('clip.mp4')
 */
export async function probeVideo(path: string, ffmpegPath = defaultFfmpegPath()): Promise<VideoFileInfo> {
  const r = await runFfmpeg(ffmpegPath, ['-hide_banner', '-nostdin', '-i', path, '-map', '0:v:0', '-c', 'copy', '-f', 'null', '-']);
  // The size is the first "WxH" field of the stream line, e.g. "yuv420p, 250x250 [SAR 1:1 …]"; the
  // codec tag "(avc1 / 0x31637661)" must not be taken for it.
  const size = /Stream #\d+:\d+.*?: Video: .*?[ ,](\d{1,5})x(\d{1,5})(?=[ ,[]|$)/m.exec(r.stderr);
  const counts = [...r.stderr.matchAll(/frame=\s*(\d+)/g)];
  const frames = Number(counts[counts.length - 1]?.[1] ?? Number.NaN);
  if (r.code !== 0 || size === null || !Number.isInteger(frames) || Number(size[1]) < 1 || Number(size[2]) < 1) {
    const tail = r.stderr.trim().split('\n').slice(-2).join(' | ');
    throw new ArcFaceError('VIDEO_DECODE_FAILED', `Expected a readable video with a video stream at ${path} but ffmpeg exited with ${r.code}: ${tail}`);
  }
  return { frames, width: Number(size[1]), height: Number(size[2]) };
}

/**
 * Decodes the frames at `indices` (0-based, increasing) of a video file as RGB images, streaming
 * raw `rgb24` frames from ffmpeg and keeping only the wanted ones.
 *
 * @example
 * const info = await probeVideo('clip.mp4')
 * const frames = await decodeVideoFrames('clip.mp4', info, uniformSample(info.frames, 100))
 */
export async function decodeVideoFrames(path: string, info: VideoFileInfo, indices: readonly number[], ffmpegPath = defaultFfmpegPath()): Promise<RgbImage[]> {
  if (!Number.isInteger(info.width) || !Number.isInteger(info.height) || info.width < 1 || info.height < 1) {
    throw new RangeError(`Expected a positive integer video size but received ${info.width}×${info.height}`);
  }
  const wanted = new Set(indices);
  const last = indices.reduce((m, i) => Math.max(m, i), -1);
  const frames: RgbImage[] = [];
  try {
    for await (const frame of openVideoSource(path, { ffmpegPath, live: false })) {
      if (wanted.has(frame.index)) frames.push(frame.image);
      if (frame.index >= last) break;
    }
  } catch (e) {
    // A damaged tail still leaves the frames that decoded, as the protocol samples whole videos.
    if (!(isArcFaceError(e, 'VIDEO_DECODE_FAILED') && frames.length > 0)) throw e;
  }
  if (frames.length === 0)
    throw new ArcFaceError('VIDEO_DECODE_FAILED', `Expected decodable frames in ${path} but none of the ${indices.length} requested decoded`);
  return frames;
}

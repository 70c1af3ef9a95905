/**
 * Frames of a "video" for the video-pairs protocol: either a folder of frame images (YouTube Faces
 * `frame_images_DB/<person>/<video>/*.jpg`) or a video file decoded by ffmpeg to raw RGB frames.
 */
import { spawn } from 'node:child_process';
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { ArcFaceError, type RgbImage } from '../core/index.js';

/** Extensions read as frame images in a frames folder. */
export const FRAME_EXTENSIONS: readonly string[] = Object.freeze(['.jpg', '.jpeg', '.png', '.bmp', '.webp']);
/** Extensions tried, in order, when a video id names no folder. */
export const VIDEO_EXTENSIONS: readonly string[] = Object.freeze(['.mp4', '.avi', '.mkv', '.mov', '.webm']);

/**
 * The ffmpeg binary: the one bundled by `@ffmpeg-installer/ffmpeg`.
 *
 * @example
 * const bin = defaultFfmpegPath()
 */
export function defaultFfmpegPath(): string {
  return ffmpegInstaller.path;
}

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
export type VideoSource = { readonly kind: 'frames'; readonly dir: string; readonly files: readonly string[] } | { readonly kind: 'file'; readonly path: string };

function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

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
    const files = (await readdir(base)).filter((f) => FRAME_EXTENSIONS.includes(extname(f).toLowerCase())).sort(naturalCompare);
    if (files.length === 0) throw new ArcFaceError('VIDEO_DECODE_FAILED', `Expected frame images (${FRAME_EXTENSIONS.join(', ')}) in ${base} but found none`);
    return { kind: 'frames', dir: base, files };
  }
  if (info?.isFile() === true) return { kind: 'file', path: base };
  for (const ext of VIDEO_EXTENSIONS) {
    const p = `${base}${ext}`;
    if ((await stat(p).catch(() => undefined))?.isFile() === true) return { kind: 'file', path: p };
  }
  throw new ArcFaceError('FILE_NOT_FOUND', `Expected a frames folder ${base}/ or a video file ${base}{${VIDEO_EXTENSIONS.join(',')}} but found neither`);
}

interface Run {
  stdout: Buffer[];
  stderr: string;
  code: number | null;
}

function runFfmpeg(bin: string, args: readonly string[], onData?: (chunk: Buffer) => void): Promise<Run> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Run = { stdout: [], stderr: '', code: null };
    child.stdout.on('data', (c: Buffer) => (onData === undefined ? out.stdout.push(c) : onData(c)));
    child.stderr.on('data', (c: Buffer) => {
      out.stderr = (out.stderr + c.toString('utf8')).slice(-20_000);
    });
    child.on('error', (e) => reject(new ArcFaceError('VIDEO_DECODE_FAILED', `Expected to run ffmpeg at ${bin} but it failed to start: ${e.message}`, { cause: e })));
    child.on('close', (code) => {
      out.code = code;
      resolvePromise(out);
    });
  });
}

/** Frame count and size of a video file's first video stream. */
export interface VideoInfo {
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
export async function probeVideo(path: string, ffmpegPath = defaultFfmpegPath()): Promise<VideoInfo> {
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
export async function decodeVideoFrames(path: string, info: VideoInfo, indices: readonly number[], ffmpegPath = defaultFfmpegPath()): Promise<RgbImage[]> {
  if (!Number.isInteger(info.width) || !Number.isInteger(info.height) || info.width < 1 || info.height < 1) {
    throw new RangeError(`Expected a positive integer video size but received ${info.width}×${info.height}`);
  }
  const frameBytes = info.width * info.height * 3;
  const wanted = new Set(indices);
  const frames: RgbImage[] = [];
  let current = Buffer.alloc(frameBytes);
  let filled = 0;
  let index = 0;
  const onData = (chunk: Buffer): void => {
    let off = 0;
    while (off < chunk.length) {
      const n = Math.min(frameBytes - filled, chunk.length - off);
      if (wanted.has(index)) chunk.copy(current, filled, off, off + n);
      filled += n;
      off += n;
      if (filled === frameBytes) {
        if (wanted.has(index)) {
          frames.push({ width: info.width, height: info.height, data: new Uint8Array(current.buffer, current.byteOffset, frameBytes) });
          current = Buffer.alloc(frameBytes);
        }
        filled = 0;
        index++;
      }
    }
  };
  // -autorotate 0 keeps the stored orientation so frames match the probed size.
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-autorotate', '0', '-i', path, '-map', '0:v:0', '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1'];
  const r = await runFfmpeg(ffmpegPath, args, onData);
  if (r.code !== 0 || frames.length === 0) {
    throw new ArcFaceError('VIDEO_DECODE_FAILED', `Expected decodable frames in ${path} but ffmpeg exited with ${r.code} after ${index} frames: ${r.stderr.trim().split('\n').slice(-2).join(' | ')}`);
  }
  return frames;
}

/**
 * Encodes RGB frames to a video file with the bundled ffmpeg, raw frames over stdin (no temp files).
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { extname } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { ArcFaceError, assertRgbImage, type RgbImage } from '../core/index.js';
import { defaultFfmpegPath, runFfmpeg, shortReason } from './ffmpeg.js';

/** Options of {@link VideoWriter.open}. */
export interface VideoWriterOptions {
  readonly width: number;
  readonly height: number;
  readonly fps: number;
  readonly ffmpegPath?: string;
  /** Quality for H.264 (x264 CRF: 0 lossless … 51; 23 is x264's default). */
  readonly crf?: number;
}

/** Largest frame side accepted: 16,384 px (16K), far above any camera; catches garbage values. */
const MAX_SIDE = 16_384;
/** x264 constant rate factor by default: x264's own default, visually good at small size. */
const DEFAULT_CRF = 23;

/**
 * The encoder arguments for an output path, from its extension and the encoders the binary offers:
 * `.mp4`/`.mov`/`.mkv` → H.264 (libx264; MPEG-4 part 2 when absent), `.webm` → VP8 (libvpx), `.avi` → MPEG-4 part 2.
 */
function encoderArgs(path: string, encoders: string, crf: number): string[] {
  const ext = extname(path).toLowerCase();
  const has = (name: string): boolean => new RegExp(`^\\s*V\\S*\\s+${name}\\s`, 'm').test(encoders);
  const h264 = ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', String(crf)];
  const mpeg4 = ['-c:v', 'mpeg4', '-q:v', '4'];
  const yuv = ['-pix_fmt', 'yuv420p'];
  if (ext === '.mp4' || ext === '.mov') return [...(has('libx264') ? h264 : mpeg4), ...yuv, '-movflags', '+faststart'];
  if (ext === '.mkv') return [...(has('libx264') ? h264 : mpeg4), ...yuv];
  if (ext === '.avi') return [...mpeg4, ...yuv];
  if (ext === '.webm' && has('libvpx')) return ['-c:v', 'libvpx', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '2M', ...yuv];
  throw new ArcFaceError(
    'VIDEO_UNSUPPORTED',
    `Expected an output video ending in .mp4, .mkv, .mov, .avi or .webm that the bundled ffmpeg can encode but received ${path}`,
  );
}

/**
 * Writes frames of one size to a video file. `write` resolves once ffmpeg has taken the frame (pipe
 * back-pressure), so memory stays flat however fast frames come; `close` waits for ffmpeg to finish.
 * Odd sizes are padded by one pixel to the even size that 4:2:0 chroma needs.
 *
 * @example
 * const out = await VideoWriter.open('annotated.mp4', { width: 640, height: 360, fps: 25 })
 * for (const frame of frames) await out.write(frame)
 * await out.close()
 */
export class VideoWriter {
  readonly #child: ChildProcessByStdio<Writable, null, Readable>;
  readonly #path: string;
  readonly #width: number;
  readonly #height: number;
  readonly #exit: Promise<number | null>;
  #stderr = '';
  #failure: ArcFaceError | undefined;
  #closed = false;
  #frames = 0;

  private constructor(child: ChildProcessByStdio<Writable, null, Readable>, path: string, width: number, height: number) {
    this.#child = child;
    this.#path = path;
    this.#width = width;
    this.#height = height;
    child.stderr.on('data', (c: Buffer) => {
      this.#stderr = (this.#stderr + c.toString('utf8')).slice(-8000);
    });
    child.stdin.on('error', () => undefined);
    this.#exit = new Promise((resolve) => {
      child.on('error', (e) => {
        this.#failure = new ArcFaceError('VIDEO_ENCODE_FAILED', `Expected to run ffmpeg to encode ${path} but it failed to start: ${e.message}`, { cause: e });
        resolve(null);
      });
      child.on('close', (code) => resolve(code));
    });
  }

  /**
   * Starts ffmpeg for `path`; the container and codec follow the extension (see {@link VideoWriter}).
   *
   * @example
   * const out = await VideoWriter.open('out.webm', { width: 320, height: 240, fps: 10 })
   */
  static async open(path: string, options: VideoWriterOptions): Promise<VideoWriter> {
    if (typeof path !== 'string' || path === '') throw new TypeError(`Expected an output video path but received ${String(path)}`);
    const { width, height, fps } = options ?? ({} as VideoWriterOptions);
    for (const [name, v] of [
      ['width', width],
      ['height', height],
    ] as const) {
      if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE) throw new RangeError(`Expected an integer ${name} in [1, ${MAX_SIDE}] but received ${String(v)}`);
    }
    if (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0 || fps > 1000)
      throw new RangeError(`Expected fps in (0, 1000] but received ${String(fps)}`);
    const crf = options.crf ?? DEFAULT_CRF;
    if (!Number.isInteger(crf) || crf < 0 || crf > 51) throw new RangeError(`Expected an integer crf in [0, 51] but received ${String(crf)}`);
    const bin = options.ffmpegPath ?? defaultFfmpegPath();
    const listing = await runFfmpeg(bin, ['-hide_banner', '-encoders']).catch((e: unknown) => {
      throw new ArcFaceError('VIDEO_ENCODE_FAILED', `Expected to run ffmpeg at ${bin} but it failed to start: ${(e as Error).message}`, { cause: e });
    });
    const codec = encoderArgs(path, Buffer.concat(listing.stdout).toString('utf8'), crf);
    const args = [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'level+error',
      '-y',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-r',
      String(fps),
      '-i',
      'pipe:0',
      '-an',
      '-vf',
      'pad=ceil(iw/2)*2:ceil(ih/2)*2',
      ...codec,
      path,
    ];
    return new VideoWriter(spawn(bin, args, { stdio: ['pipe', 'ignore', 'pipe'] }), path, width, height);
  }

  /** Frames written so far. */
  get frames(): number {
    return this.#frames;
  }

  /** Sends one frame; resolves when ffmpeg has read it. Rejects with VIDEO_ENCODE_FAILED when ffmpeg failed. */
  async write(image: RgbImage): Promise<void> {
    assertRgbImage('image', image);
    if (image.width !== this.#width || image.height !== this.#height) {
      throw new RangeError(`Expected a ${this.#width}×${this.#height} frame for ${this.#path} but received ${image.width}×${image.height}`);
    }
    if (this.#closed) throw new ArcFaceError('VIDEO_ENCODE_FAILED', `Expected ${this.#path} to be open for writing but it was closed`);
    if (this.#failure !== undefined) throw this.#failure;
    const chunk = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
    const ok = await new Promise<boolean>((resolve) => {
      this.#child.stdin.write(chunk, (err) => resolve(err === undefined || err === null));
    });
    if (!ok) throw await this.#failed();
    this.#frames++;
  }

  /**
   * Finishes the file: ends ffmpeg's input and waits for it. A failure is a VIDEO_ENCODE_FAILED error.
   * With no frame written, ffmpeg is stopped and no file is made (so a `finally { close() }` after a
   * failed source does not hide the source's error).
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      if (this.#frames === 0 && this.#failure === undefined) {
        this.#child.kill('SIGKILL');
        await this.#exit;
        return;
      }
      this.#child.stdin.end();
    }
    if (this.#frames === 0 && this.#failure === undefined) return;
    const code = await this.#exit;
    if (this.#failure !== undefined) throw this.#failure;
    if (code !== 0) throw await this.#failed();
  }

  async #failed(): Promise<ArcFaceError> {
    if (this.#failure !== undefined) return this.#failure;
    const code = await this.#exit;
    if (this.#failure !== undefined) return this.#failure;
    const reason = shortReason(this.#stderr, this.#path) || this.#stderr.trim().split('\n').slice(-1)[0] || 'no reason given';
    this.#failure = new ArcFaceError(
      'VIDEO_ENCODE_FAILED',
      `Expected ffmpeg to encode ${this.#path} but it exited with ${code} after ${this.#frames} frames (${reason.slice(0, 200)})`,
    );
    return this.#failure;
  }
}

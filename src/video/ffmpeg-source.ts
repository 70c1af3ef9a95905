/**
 * Frames from ffmpeg: files, network streams and V4L2 devices decoded to raw RGB over a pipe.
 *
 * ffmpeg runs `… -vf [fps=N,][scale=…,]showinfo -vsync 0 -f rawvideo -pix_fmt rgb24 pipe:1`. The
 * `showinfo` filter, last in the chain, prints one stderr line per output frame with its size and
 * pts before the frame's bytes are written, so every frame's size and timestamp are known before it
 * is read (no ffprobe and no guess from the header), and `-vsync 0` keeps one output frame per
 * filtered frame. stdout and stderr are separate pipes, so bytes are held until their line arrives.
 *
 * With `downscale`, the filter graph splits each frame: the frame as above on stdout, and a copy
 * scaled down (pixel-area) on a third pipe (fd 3), each branch with its own `showinfo`
 * (`showinfo@small` names the copy's). The two are paired in order into one `VideoFrame`.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { RgbImage } from '../core/index.js';
import { ArcFaceError } from '../core/index.js';
import { classifyFailure, defaultFfmpegPath, ffmpegStartError, parseStreamHeader, redactSource, shortReason, type InputKind } from './ffmpeg.js';
import { FrameChannel } from './frame-channel.js';
import { parseShowinfoLine, RawFrameAssembler, type FrameMeta } from './raw-frames.js';
import type { FrameSource, VideoFrame, VideoInfo, VideoSourceOptions } from './types.js';

/** Wait for a first frame from a stream or device, in ms, unless `openTimeoutMs` says otherwise. */
export const DEFAULT_OPEN_TIMEOUT_MS = 10_000;
/** Frames read ahead in file mode before ffmpeg's stdout is paused (4 × 1280×720 RGB ≈ 11 MB). */
export const DEFAULT_FILE_CAPACITY = 4;
/** Probing of a stream or device: 0.5 s of media (µs) and 500 kB, instead of ffmpeg's 5 s and 5 MB. */
const LIVE_ANALYZE_US = 500_000;
const LIVE_PROBE_BYTES = 500_000;
/** Protocols a network source may use (ffmpeg `-protocol_whitelist`): no `file`, no `concat`, no `subfile`. */
const NETWORK_PROTOCOLS = 'http,https,tcp,tls,crypto,httpproxy,hls,rtp,rtsp,rtsps,srtp,udp,rtmp,rtmps,rtmpt,rtmpts';
/** Header text kept until the first frame, in characters (a header is 1–3 kB). */
const HEADER_LIMIT = 64_000;

/** Name of the `showinfo` filter on the downscaled branch; its lines describe fd 3's frames. */
const SMALL_SHOWINFO = 'showinfo@small';

/** `scale` to fit within `[w, h]`, keeping the aspect ratio and never enlarging. */
function fitFilter([w, h]: readonly [number, number], flags?: string): string {
  return `scale=w='min(iw,${w})':h='min(ih,${h})':force_original_aspect_ratio=decrease${flags === undefined ? '' : `:flags=${flags}`}`;
}

/** The ffmpeg arguments for one source. */
function ffmpegArgs(input: string, kind: InputKind, o: VideoSourceOptions): string[] {
  const filters: string[] = [];
  if (o.fps !== undefined) filters.push(`fps=${o.fps}`);
  if (o.maxSize !== undefined) filters.push(fitFilter(o.maxSize));
  const raw = ['-f', 'rawvideo', '-pix_fmt', 'rgb24'];
  // One frame per filtered frame on each output; the copy goes to fd 3 (pixel-area, as a detector shrinks).
  const graph =
    o.downscale === undefined
      ? ['-map', '0:v:0', '-an', '-sn', '-vf', [...filters, 'showinfo'].join(','), '-vsync', '0', ...raw, 'pipe:1']
      : [
          '-filter_complex',
          `[0:v:0]${[...filters, 'split'].join(',')}[full][small];[full]showinfo[fullo];[small]${fitFilter(o.downscale, 'area')},${SMALL_SHOWINFO}[smallo]`,
          '-vsync',
          '0',
          '-map',
          '[fullo]',
          '-an',
          '-sn',
          ...raw,
          'pipe:1',
          '-map',
          '[smallo]',
          '-an',
          '-sn',
          ...raw,
          'pipe:3',
        ];
  return [
    '-hide_banner',
    '-nostdin',
    '-nostats',
    '-loglevel',
    'level+info',
    // RTP over the RTSP connection (TCP) unless asked otherwise: no lost packets, and no UDP ports to open.
    ...(/^rtsps?:/i.test(input) ? ['-rtsp_transport', o.rtspTransport ?? 'tcp'] : []),
    // A live stream must not wait for ffmpeg's default 5 s of probing before its first frame (`-fflags
    // nobuffer` is not used: the bundled 2018 build then loses the timestamps of MPEG-TS over HTTP).
    ...(kind === 'path' ? [] : ['-analyzeduration', String(LIVE_ANALYZE_US), '-probesize', String(LIVE_PROBE_BYTES)]),
    ...(o.realtime === true ? ['-re'] : []),
    ...(o.loop === true ? ['-stream_loop', '-1'] : []),
    ...(kind === 'device' ? ['-f', 'v4l2'] : []),
    // A stream may only reach the network: an HLS playlist naming `file:` segments must not read local files.
    ...(kind === 'network' ? ['-protocol_whitelist', NETWORK_PROTOCOLS] : []),
    // An untrusted file: its sniffed demuxer only, and no protocol but the file itself.
    ...(o.container === undefined ? [] : ['-f', o.container, '-protocol_whitelist', 'file']),
    // The decoder refuses a frame over the limit before allocating it (AVCodecContext max_pixels).
    ...(o.maxPixels === undefined ? [] : ['-max_pixels', String(o.maxPixels)]),
    // A path goes through the file protocol, so a name like `concat:…` or `-x.mp4` is only ever a file name.
    '-i',
    kind === 'path' ? `file:${input}` : input,
    ...graph,
  ];
}

/**
 * A {@link FrameSource} over an ffmpeg child process (see the module comment for how frames are framed).
 *
 * @example
 * const src = new FfmpegFrameSource('clip.mp4', 'path', { fps: 5 })
 * for await (const f of src) console.log(f.index, f.pts)
 */
export class FfmpegFrameSource implements FrameSource {
  readonly #input: string;
  /** The input as ffmpeg is given it (and prints it in its log). */
  readonly #ffmpegInput: string;
  readonly #shown: string;
  readonly #kind: InputKind;
  readonly #options: VideoSourceOptions;
  readonly #live: boolean;
  readonly #channel: FrameChannel;
  readonly #info: Promise<VideoInfo>;
  #resolveInfo!: (info: VideoInfo) => void;
  #rejectInfo!: (error: Error) => void;
  #infoKnown = false;
  #child: ChildProcessByStdio<null, Readable, Readable> | undefined;
  /** fd 3: the downscaled copies, when `downscale` is set. */
  #smallPipe: Readable | undefined;
  #exited: Promise<void> = Promise.resolve();
  #closing = false;
  #paused = false;
  #header = '';
  #stderrLine = '';
  #errorTail = '';
  #errorAfterFirstFrame = false;
  readonly #frames = new RawFrameAssembler();
  readonly #smallFrames = new RawFrameAssembler();
  /** Frames (full size) and downscaled copies complete but not yet paired. */
  readonly #fullReady: { meta: FrameMeta; data: Uint8Array }[] = [];
  readonly #smallReady: RgbImage[] = [];
  #index = 0;
  #lastPts = Number.NEGATIVE_INFINITY;
  #openTimer: NodeJS.Timeout | undefined;
  #readTimer: NodeJS.Timeout | undefined;

  constructor(input: string, kind: InputKind, options: VideoSourceOptions) {
    this.#input = input;
    this.#ffmpegInput = kind === 'path' ? `file:${input}` : input;
    this.#shown = redactSource(input);
    this.#kind = kind;
    this.#options = options;
    this.#live = options.live ?? kind !== 'path';
    this.#channel = new FrameChannel(this.#live, options.capacity ?? (this.#live ? 1 : DEFAULT_FILE_CAPACITY), () => this.#resume());
    this.#info = new Promise<VideoInfo>((resolve, reject) => {
      this.#resolveInfo = resolve;
      this.#rejectInfo = reject;
    });
    this.#info.catch(() => undefined);
    this.#start();
  }

  get dropped(): number {
    return this.#channel.dropped;
  }

  get delivered(): number {
    return this.#channel.delivered;
  }

  info(): Promise<VideoInfo> {
    return this.#info;
  }

  async close(): Promise<void> {
    if (!this.#closing) {
      this.#closing = true;
      this.#clearTimers();
      this.#channel.close();
      if (!this.#infoKnown) this.#rejectInfo(new ArcFaceError('VIDEO_STREAM_ENDED', `Expected the header of ${this.#shown} but the source was closed first`));
      this.#child?.stdout.destroy();
      this.#smallPipe?.destroy();
      this.#child?.kill('SIGKILL');
    }
    await this.#exited;
  }

  [Symbol.asyncIterator](): AsyncIterator<VideoFrame> {
    return {
      next: () => this.#channel.next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  #start(): void {
    const bin = this.#options.ffmpegPath ?? defaultFfmpegPath();
    const small = this.#options.downscale !== undefined;
    const child = spawn(bin, ffmpegArgs(this.#input, this.#kind, this.#options), {
      stdio: small ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    }) as ChildProcessByStdio<null, Readable, Readable>;
    this.#child = child;
    if (small) {
      this.#smallPipe = child.stdio[3] as Readable;
      this.#smallPipe.on('data', (c: Buffer) => {
        this.#smallFrames.addChunk(c);
        this.#pump();
      });
    }
    this.#exited = new Promise((resolve) => {
      child.on('close', (code) => {
        this.#onExit(code);
        resolve();
      });
      child.on('error', (e) => {
        this.#fail(ffmpegStartError(bin, e));
        resolve();
      });
    });
    child.stdout.on('data', (c: Buffer) => this.#onStdout(c));
    child.stderr.on('data', (c: Buffer) => this.#onStderr(c.toString('utf8')));
    const open = this.#options.openTimeoutMs ?? (this.#kind === 'path' ? undefined : DEFAULT_OPEN_TIMEOUT_MS);
    if (open !== undefined) {
      this.#openTimer = setTimeout(
        () => this.#fail(new ArcFaceError('VIDEO_TIMEOUT', `Expected a first frame from ${this.#shown} within ${open} ms but none came`)),
        open,
      );
    }
  }

  #readTimeout(): number | undefined {
    if (this.#options.readTimeoutMs !== undefined) return this.#options.readTimeoutMs;
    return this.#kind === 'path' ? undefined : (this.#options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS);
  }

  #armReadTimer(): void {
    const ms = this.#readTimeout();
    if (ms === undefined || this.#index === 0 || this.#paused || this.#channel.finished) return;
    clearTimeout(this.#readTimer);
    this.#readTimer = setTimeout(
      () =>
        this.#fail(
          new ArcFaceError('VIDEO_TIMEOUT', `Expected frames from ${this.#shown} to keep coming but it stalled for ${ms} ms after ${this.#index} frames`),
        ),
      ms,
    );
  }

  #clearTimers(): void {
    clearTimeout(this.#openTimer);
    clearTimeout(this.#readTimer);
  }

  #fail(error: Error): void {
    if (this.#channel.finished || this.#closing) return;
    this.#clearTimers();
    if (!this.#infoKnown) this.#rejectInfo(error);
    this.#channel.fail(error);
    this.#child?.stdout.destroy();
    this.#smallPipe?.destroy();
    this.#child?.kill('SIGKILL');
  }

  #resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#child?.stdout.resume();
    this.#armReadTimer();
  }

  #onStdout(chunk: Buffer): void {
    this.#frames.addChunk(chunk);
    this.#armReadTimer();
    this.#pump();
  }

  #onStderr(text: string): void {
    const lines = (this.#stderrLine + text).split(/\r\n|\r|\n/);
    this.#stderrLine = lines.pop() ?? '';
    for (const line of lines) this.#onLine(line);
    this.#pump();
  }

  #onLine(line: string): void {
    const meta = parseShowinfoLine(line, this.#options.fps);
    if (meta !== undefined && line.includes(SMALL_SHOWINFO)) {
      this.#smallFrames.addMeta(meta);
      return;
    }
    if (meta !== undefined) {
      this.#frames.addMeta(meta);
      if (!this.#infoKnown) this.#publishInfo(meta.width, meta.height);
      return;
    }
    if (!this.#infoKnown && this.#header.length < HEADER_LIMIT) {
      this.#header += `${line}\n`;
      if (this.#options.maxPixels !== undefined && / Video: /.test(line)) this.#checkPixels(this.#options.maxPixels);
    }
    // The decoder refused a frame over `-max_pixels` (before allocating it): stop here, in our words.
    const refused = this.#options.maxPixels === undefined ? null : /Picture size (\d+)x(\d+) exceeds specified max pixel count/.exec(line);
    if (refused !== null) this.#pixelsRefused(Number(refused[1]), Number(refused[2]), this.#options.maxPixels as number);
    if (/\[(error|fatal|panic)\]/.test(line)) {
      // Demuxers report a short read before the decoder flushes its last frames, so any error once
      // frames flow means the file is truncated or damaged (errors before the first frame, e.g. a cut
      // stream's missing references, do not count).
      if (this.#infoKnown) this.#errorAfterFirstFrame = true;
      this.#errorTail = `${this.#errorTail}${line}\n`.slice(-4000);
    }
  }

  /** Refuses a stream whose header declares frames over `maxPixels`, before any is decoded. */
  #checkPixels(max: number): void {
    const h = parseStreamHeader(this.#header);
    if (h.width !== undefined && h.height !== undefined && h.width * h.height > max) this.#pixelsRefused(h.width, h.height, max);
  }

  #pixelsRefused(width: number, height: number, max: number): void {
    this.#fail(
      new ArcFaceError('VIDEO_TOO_LARGE', `Expected frames of at most ${max} pixels in ${this.#shown} but they are ${width}×${height} = ${width * height}`, {
        details: { limit: 'maxPixels', max, width, height },
      }),
    );
  }

  #publishInfo(width: number, height: number): void {
    this.#infoKnown = true;
    const h = parseStreamHeader(this.#header);
    this.#resolveInfo({
      width,
      height,
      fps: this.#options.fps ?? h.fps,
      durationSeconds: this.#options.loop === true ? undefined : h.durationSeconds,
      live: this.#live,
      codec: h.codec,
      source: this.#shown,
    });
  }

  #pump(): void {
    if (this.#smallPipe === undefined) {
      this.#frames.drain((meta, data) => this.#emit(meta, data));
      return;
    }
    this.#frames.drain((meta, data) => this.#fullReady.push({ meta, data }));
    this.#smallFrames.drain((meta, data) => this.#smallReady.push({ width: meta.width, height: meta.height, data }));
    while (this.#fullReady.length > 0 && this.#smallReady.length > 0) {
      const full = this.#fullReady.shift() as { meta: FrameMeta; data: Uint8Array };
      this.#emit(full.meta, full.data, this.#smallReady.shift());
    }
  }

  #emit(meta: FrameMeta, data: Uint8Array, downscaled?: RgbImage): void {
    if (this.#index === 0) clearTimeout(this.#openTimer);
    const frame: VideoFrame = {
      index: this.#index++,
      pts: meta.pts,
      image: { width: meta.width, height: meta.height, data },
      ...(downscaled === undefined ? {} : { downscaled }),
      receivedAt: performance.now(),
    };
    this.#lastPts = meta.pts;
    if (!this.#channel.push(frame) && !this.#live && !this.#channel.finished) {
      this.#paused = true;
      clearTimeout(this.#readTimer);
      this.#child?.stdout.pause();
    }
  }

  #onExit(code: number | null): void {
    this.#clearTimers();
    if (this.#stderrLine !== '') this.#onLine(this.#stderrLine);
    this.#stderrLine = '';
    this.#pump();
    // A copy that never came (ffmpeg stopped between its two outputs): the frame goes out without it.
    for (const f of this.#fullReady.splice(0)) this.#emit(f.meta, f.data);
    if (this.#closing || this.#channel.finished) {
      this.#channel.end();
      return;
    }
    const frames = this.#index;
    const log = `${this.#header}${this.#errorTail}`;
    if (frames === 0) {
      this.#fail(
        code === 0
          ? new ArcFaceError('VIDEO_DECODE_FAILED', `Expected at least one frame from ${this.#shown} but it decoded to none`)
          : classifyFailure(log, this.#ffmpegInput, this.#shown, 0),
      );
      return;
    }
    const partial = this.#frames.partial;
    if (partial !== undefined) {
      this.#fail(
        new ArcFaceError(
          'VIDEO_DECODE_FAILED',
          `Expected ${partial.expected} bytes for frame ${frames} of ${this.#shown} but ffmpeg stopped after ${partial.received}`,
        ),
      );
      return;
    }
    const liveStream = this.#kind !== 'path' && this.#options.loop !== true && parseStreamHeader(this.#header).durationSeconds === undefined;
    if (liveStream) {
      const reason = shortReason(this.#errorTail, this.#ffmpegInput);
      const because = reason === '' ? '' : `: ${reason}`;
      this.#fail(
        new ArcFaceError(
          'VIDEO_STREAM_ENDED',
          `Expected ${this.#shown} to keep streaming until closed but it ended after ${frames} frames (${this.#lastPts.toFixed(2)} s)${because}`,
        ),
      );
      return;
    }
    if (code !== 0 || this.#errorAfterFirstFrame) {
      const reason = shortReason(this.#errorTail, this.#ffmpegInput);
      const because = reason === '' ? '' : `: ${reason}`;
      this.#fail(
        new ArcFaceError(
          'VIDEO_DECODE_FAILED',
          `Expected ${this.#shown} to decode to its end but it is truncated or damaged after ${frames} frames (${this.#lastPts.toFixed(2)} s)${because}`,
          { details: { frames, truncated: true } },
        ),
      );
      return;
    }
    this.#channel.end();
  }
}

/**
 * The ffmpeg binary: which one runs (a maintained system build before the bundled 2018 snapshot),
 * how to run it to completion, and how to read what it says on stderr (the stream header, and a
 * failure turned into a coded error in our words).
 */
import { spawn, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { ArcFaceError, type ErrorCode } from '../core/index.js';

/**
 * The ffmpeg bundled by `@ffmpeg-installer/ffmpeg`: a static 2018 snapshot (`N-47683`) with libx264,
 * libvpx, v4l2, http/rtsp/hls. It is the fallback only: it is no longer maintained, and its DASH
 * demuxer opens `http://` despite `-protocol_whitelist`.
 *
 * @example
 * const bin = bundledFfmpegPath()
 */
export function bundledFfmpegPath(): string {
  return ffmpegInstaller.path;
}

/** Where the ffmpeg that runs was found: named by an option, by `ARCFACE_FFMPEG`, on `PATH`, or bundled. */
export type FfmpegOrigin = 'option' | 'env' | 'system' | 'bundled';

/** The ffmpeg that runs and where it came from. */
export interface FfmpegChoice {
  readonly path: string;
  readonly origin: FfmpegOrigin;
  /** True for the bundled 2018 snapshot. */
  readonly bundled: boolean;
}

/** An executable file named `ffmpeg` in one of the `PATH` folders, or undefined. */
function ffmpegOnPath(pathVariable: string | undefined): string | undefined {
  for (const dir of (pathVariable ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, 'ffmpeg');
    try {
      const st = statSync(candidate);
      if (st.isFile() && (st.mode & 0o111) !== 0) return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

/**
 * Chooses the ffmpeg binary, first match wins: `explicit` (an option such as `ffmpegPath` or
 * `--ffmpeg`); the `ARCFACE_FFMPEG` environment variable (a path, or `bundled`, or `system`); an
 * `ffmpeg` on `PATH` (Debian's 5.1 is maintained); else the bundled 2018 snapshot.
 *
 * @example
 * chooseFfmpeg().origin // 'system' where apt-get install ffmpeg was run
 */
export function chooseFfmpeg(explicit?: string, env: Readonly<Record<string, string | undefined>> = process.env): FfmpegChoice {
  const bundled = bundledFfmpegPath();
  const pick = (path: string, origin: FfmpegOrigin): FfmpegChoice => Object.freeze({ path, origin, bundled: path === bundled });
  if (explicit !== undefined && explicit !== '') return pick(explicit, 'option');
  const named = env.ARCFACE_FFMPEG?.trim();
  if (named === 'bundled') return pick(bundled, 'env');
  const system = ffmpegOnPath(env.PATH);
  if (named === 'system') {
    if (system === undefined) throw new ArcFaceError('FILE_NOT_FOUND', 'Expected an ffmpeg on PATH (ARCFACE_FFMPEG=system) but there is none');
    return pick(system, 'env');
  }
  if (named !== undefined && named !== '') return pick(named, 'env');
  return system === undefined ? pick(bundled, 'bundled') : pick(system, 'system');
}

/**
 * The ffmpeg binary that runs when no `ffmpegPath` is given: see {@link chooseFfmpeg}.
 *
 * @example
 * const bin = defaultFfmpegPath()
 */
export function defaultFfmpegPath(): string {
  return chooseFfmpeg().path;
}

/**
 * The version an ffmpeg binary reports (`ffmpeg -version`, e.g. `5.1.6-0+deb12u1` or
 * `N-47683-g0e8eb07980-static`); undefined when it does not run.
 *
 * @example
 * ffmpegVersion(defaultFfmpegPath()) // '5.1.6-0+deb12u1'
 */
export function ffmpegVersion(bin: string): string | undefined {
  const r = spawnSync(bin, ['-hide_banner', '-version'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0 || typeof r.stdout !== 'string') return undefined;
  return /^ffmpeg version (\S+)/m.exec(r.stdout)?.[1];
}

/** What a finished ffmpeg run left: its stdout chunks (unless streamed), a stderr tail and its exit code. */
export interface FfmpegRun {
  readonly stdout: Buffer[];
  readonly stderr: string;
  readonly code: number | null;
}

/** Most stderr kept from a run, in characters: enough for the header and the last reasons. */
const STDERR_TAIL = 20_000;

/**
 * Runs ffmpeg to completion. `onData`, when given, receives stdout instead of buffering it. A binary
 * that cannot start rejects with VIDEO_DECODE_FAILED.
 *
 * @example
 * const { code, stderr } = await runFfmpeg(defaultFfmpegPath(), ['-hide_banner', '-i', 'clip.mp4', '-f', 'null', '-'])
 */
export function runFfmpeg(bin: string, args: readonly string[], onData?: (chunk: Buffer) => void): Promise<FfmpegRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (onData === undefined ? stdout.push(c) : onData(c)));
    child.stderr.on('data', (c: Buffer) => {
      stderr = (stderr + c.toString('utf8')).slice(-STDERR_TAIL);
    });
    child.on('error', (e) => reject(ffmpegStartError(bin, e)));
    child.on('close', (code) => resolvePromise({ stdout, stderr, code }));
  });
}

/**
 * The coded error for an ffmpeg binary that does not start.
 *
 * @example
 * child.on('error', (e) => fail(ffmpegStartError(bin, e)))
 */
export function ffmpegStartError(bin: string, e: Error): ArcFaceError {
  return new ArcFaceError('VIDEO_DECODE_FAILED', `Expected to run ffmpeg at ${bin} but it failed to start: ${e.message}`, { cause: e });
}

/** The input video stream as ffmpeg's header describes it. */
export interface StreamHeader {
  readonly codec: string | undefined;
  readonly width: number | undefined;
  readonly height: number | undefined;
  readonly fps: number | undefined;
  readonly durationSeconds: number | undefined;
}

/**
 * Reads the first input video stream of an ffmpeg header, e.g.
 * `Duration: 00:00:02.00, start: 0.000000` and `Stream #0:0(und): Video: h264 (High) (avc1 / 0x31637661), yuv420p, 320x240 [SAR 1:1 DAR 4:3], 25 fps`.
 *
 * @example
 * parseStreamHeader(stderrText).codec // 'h264'
 */
export function parseStreamHeader(text: string): StreamHeader {
  const input = text.split(/^Output #/m)[0] ?? text;
  const duration = /Duration: (\d+):(\d{2}):(\d{2}(?:\.\d+)?)/.exec(input);
  const stream = /Stream #\d+:\d+.*?: Video: ([^\s,(]+)(.*)$/m.exec(input);
  // The size is the first "WxH" field, e.g. "yuv420p, 250x250 [SAR 1:1 …]"; the codec tag "(avc1 / 0x31637661)" must not be taken for it.
  const size = stream === null ? null : /[ ,](\d{1,5})x(\d{1,5})(?=[ ,[]|$)/.exec(stream[2] ?? '');
  const fps = stream === null ? null : /, (\d+(?:\.\d+)?)(k?) (?:fps|tbr)\b/.exec(stream[2] ?? '');
  const seconds = duration === null ? undefined : Number(duration[1]) * 3600 + Number(duration[2]) * 60 + Number(duration[3]);
  return {
    codec: stream?.[1] === undefined || stream[1] === 'none' ? undefined : stream[1],
    width: size === null ? undefined : Number(size[1]),
    height: size === null ? undefined : Number(size[2]),
    fps: fps === null ? undefined : Number(fps[1]) * (fps[2] === 'k' ? 1000 : 1),
    durationSeconds: seconds !== undefined && seconds > 0 ? seconds : undefined,
  };
}

/** ffmpeg's log prefixes (`[h264 @ 0x…] `, `[error] `) and the input name, cut from a reason. */
function cleanLine(line: string, input: string): string {
  return line
    .replace(/\[[^\]]* @ 0x[0-9a-f]+\]\s*/g, '')
    .replace(/^\[(?:error|warning|fatal|panic|info)\]\s*/, '')
    .replace(input, 'input')
    .trim();
}

/**
 * The last error-level lines of an ffmpeg log (run with `-loglevel level+…`), cleaned into a short
 * reason of at most 200 characters; '' when there are none.
 *
 * @example
 * shortReason(stderrText, 'clip.mp4') // 'input: Invalid data found when processing input'
 */
export function shortReason(text: string, input: string): string {
  const lines = text.split(/[\r\n]+/).filter((l) => /\[(error|fatal|panic)\]/.test(l));
  const picked = [...new Set(lines.slice(-3).map((l) => cleanLine(l, input)))].filter((l) => l !== '');
  return picked.join('; ').slice(0, 200);
}

/** Patterns of ffmpeg's failure messages, most specific first, with the code each one means. */
const FAILURES: readonly { readonly pattern: RegExp; readonly code: ErrorCode; readonly what: string }[] = [
  { pattern: /exceeds specified max pixel count/i, code: 'VIDEO_TOO_LARGE', what: 'frames within the pixel limit (maxPixels)' },
  { pattern: /Cannot open video device|No such device/i, code: 'VIDEO_DEVICE_NOT_FOUND', what: 'an existing video device' },
  { pattern: /VIDIOC_QUERYCAP|Inappropriate ioctl|Not a video capture device/i, code: 'VIDEO_DEVICE_NOT_FOUND', what: 'a video capture device' },
  {
    pattern: /Decoder \(codec [^)]*\) not found|Unknown decoder|codec not currently supported|Unsupported codec/i,
    code: 'VIDEO_UNSUPPORTED',
    what: 'a video codec that ffmpeg decodes',
  },
  { pattern: /matches no streams|does not contain any stream/i, code: 'VIDEO_UNSUPPORTED', what: 'a video stream' },
  {
    pattern: new RegExp(
      [
        'Connection refused',
        'Connection timed out',
        'No route to host',
        'Name or service not known',
        'Server returned [45]\\d\\d',
        'HTTP error [45]\\d\\d',
        'Network is unreachable',
        'Failed to resolve hostname',
        '401 Unauthorized',
        '404 Not Found',
      ].join('|'),
      'i',
    ),
    code: 'VIDEO_STREAM_UNAVAILABLE',
    what: 'a stream that answers',
  },
  { pattern: /No such file or directory/i, code: 'FILE_NOT_FOUND', what: 'an existing file' },
];

/**
 * Turns a failed ffmpeg run into a coded error with a message in our words and a short cleaned reason.
 *
 * @example
 * throw classifyFailure(stderrText, 'clip.mp4', 'clip.mp4', 0)
 */
export function classifyFailure(text: string, input: string, shown: string, framesSoFar: number): ArcFaceError {
  const reason =
    shortReason(text, input) ||
    cleanLine(
      text
        .trim()
        .split(/[\r\n]+/)
        .slice(-1)[0] ?? '',
      input,
    );
  for (const f of FAILURES) {
    if (f.pattern.test(text)) return new ArcFaceError(f.code, `Expected ${f.what} at ${shown} but ffmpeg could not read it (${reason})`);
  }
  const after = framesSoFar > 0 ? ` after ${framesSoFar} frame${framesSoFar === 1 ? '' : 's'}` : '';
  return new ArcFaceError(
    'VIDEO_DECODE_FAILED',
    `Expected a decodable video at ${shown} but it is corrupt or not a video${after} (${reason || 'no reason given'})`,
  );
}

/**
 * The input with the credentials of a URL (`rtsp://user:pass@host/…`) replaced by `***`, for logs and errors.
 *
 * @example
 * redactSource('rtsp://admin:secret@cam/stream') // 'rtsp://***@cam/stream'
 */
export function redactSource(input: string): string {
  return input.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@');
}

/** What an input names: a network stream, a capture device, or a path on disk. */
export type InputKind = 'network' | 'device' | 'path';

/**
 * Classifies an input string: a URL with a scheme other than `file:` is a network stream, `/dev/…` a device.
 *
 * @example
 * inputKind('rtsp://cam/stream') // 'network'
 */
export function inputKind(input: string): InputKind {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(input) && !/^file:/i.test(input)) return 'network';
  if (input.startsWith('/dev/')) return 'device';
  return 'path';
}

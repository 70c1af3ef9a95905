import { join } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { serve, SERVER_DEFAULTS, VIDEO_LIMIT_DEFAULTS } from '../../server/index.js';
import { LOG_LEVELS, type LogLevel } from '../../server/options.js';
import { isPostgresLocation, redactLocation } from '../../../src/gallery/index.js';
import type { CliContext } from '../context.js';
import { KEK_FILE_HELP, readKek } from '../gallery-open.js';
import { parseChoiceOption, parseIntOption, parseNumberOption } from './options.js';
import { addEventOptions, eventOptionsFrom, type ServeEventCliOptions } from './serve-events.js';

interface ServeCliOptions extends ServeEventCliOptions {
  host: string;
  port: number;
  gallery?: string;
  kekFile?: string;
  keys?: string;
  detector?: string;
  recognizer?: string;
  workers: number;
  threads: number;
  queue: number;
  auth: boolean;
  cors?: string[];
  threshold?: number;
  stream?: string[];
  streamReconnect: number;
  streamRtspTransport?: 'tcp' | 'udp';
  maxVideoMb: number;
  maxVideoFrames: number;
  maxVideoSeconds: number;
  videoJobsPerKey: number;
  videoQueue: number;
  videoPendingMb: number;
  ffmpeg?: string;
  videoDir?: string;
  logLevel: LogLevel;
  bodyLimit: number;
  maxPixels: number;
  rateLimit: number;
  requestTimeout: number;
  rateLimitRedis?: string;
}

function parseLogLevel(value: string): LogLevel {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`Expected --log-level to be one of ${LOG_LEVELS.join(', ')} but received "${value}"`);
  }
  return value as LogLevel;
}

/**
 * Reconnect tries in a row for an administrator's stream: 5 tries wait 0.5 + 1 + 2 + 4 + 8 = 15.5 s,
 * which rides out a camera or RTSP server restart; a stream still gone after that is reported failed.
 */
const STREAM_RECONNECT_ATTEMPTS = 5;

/**
 * `--stream name=url` pairs as a record; names are short identifiers clients use instead of URLs.
 *
 * @example
 * parseStreams(['door=rtsp://cam/1']) // { door: 'rtsp://cam/1' }
 */
export function parseStreams(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const m = /^([A-Za-z0-9_-]{1,64})=(.+)$/.exec(pair);
    if (m === null) throw new InvalidArgumentError(`Expected --stream NAME=URL with a name of letters, digits, _ or - but received "${pair}"`);
    out[m[1] as string] = m[2] as string;
  }
  return out;
}

/**
 * `arcface serve`: the HTTP API, CompreFace-compatible routes and the web page.
 *
 * @example
 * registerServeCommand(program, ctx)
 */
export function registerServeCommand(program: Command, ctx: CliContext): void {
  const command = program
    .command('serve')
    .description('Serve the HTTP API (/v1, CompreFace-compatible /api/v1), the web page (/) and the API docs (/docs).')
    .option('--host <address>', 'interface to listen on', '127.0.0.1')
    .option('--port <n>', 'TCP port', parseIntOption('--port', 0, 65535), 8080)
    .option('--gallery <file|url>', 'gallery: SQLite file (created when missing) or postgres:// URL')
    .option(
      '--keys <file|url>',
      `API keys (arcface keys create): a file, or a postgres:// URL (default: the gallery database for a PostgreSQL gallery, else ${join(ctx.locations.home, 'keys.db')})`,
    )
    .option('-d, --detector <name|path>', 'face detector')
    .option('-r, --recognizer <name|path>', 'recogniser')
    .option('--workers <n>', 'inference worker threads', parseIntOption('--workers', 1, 64), SERVER_DEFAULTS.workers)
    .option('--threads <n>', 'onnxruntime threads per worker', parseIntOption('--threads', 1, 256), SERVER_DEFAULTS.intraOpThreads)
    .option('--queue <n>', 'inference jobs allowed to wait before 503', parseIntOption('--queue', 0, 100000), SERVER_DEFAULTS.queueSize)
    .option('--threshold <cosine>', "decision threshold for verify/identify (default: the model's)", parseNumberOption('--threshold', -1, 1))
    .option('--cors <origin...>', 'allow these browser origins (CORS is off by default)')
    .option('--no-auth', 'serve without API keys (local use only; loudly logged)')
    .option('--log-level <level>', `server log on stdout, one JSON line per request: ${LOG_LEVELS.join(', ')}`, parseLogLevel, SERVER_DEFAULTS.logLevel)
    .option(
      '--body-limit <bytes>',
      'largest request body, whatever its encoding (413 past it)',
      parseIntOption('--body-limit', 1024, 2 ** 30),
      SERVER_DEFAULTS.bodyLimit,
    )
    .option(
      '--max-pixels <n>',
      'largest image accepted, width × height, checked from its header before decoding (413 past it)',
      parseIntOption('--max-pixels', 1, 1_000_000_000),
      SERVER_DEFAULTS.maxPixels,
    )
    .option(
      '--rate-limit <n>',
      'requests per minute per API key (per address with --no-auth); 429 past it',
      parseIntOption('--rate-limit', 1, 1_000_000_000),
      SERVER_DEFAULTS.rateLimit.max,
    )
    .option(
      '--rate-limit-redis <url>',
      'count rate limits in this Redis (redis://host:port/db), shared by every server on it (default: the gallery database for a PostgreSQL gallery, else memory)',
    )
    .option(
      '--request-timeout <ms>',
      'longest a request may take to arrive and to be answered (408 / 504)',
      parseIntOption('--request-timeout', 1, 3_600_000),
      SERVER_DEFAULTS.requestTimeoutMs,
    )
    .option('--stream <name=url...>', 'allow clients to follow this live stream by name (GET /v1/streams/NAME/events); clients never give URLs')
    .option(
      '--stream-reconnect <n>',
      'open a --stream that stops (camera or server restarting) again, up to n times in a row, with back-off from 0.5 s to 8 s',
      parseIntOption('--stream-reconnect', 0, 100),
      STREAM_RECONNECT_ATTEMPTS,
    )
    .option(
      '--stream-rtsp-transport <tcp|udp>',
      'how RTP packets of rtsp:// --stream sources travel (default tcp)',
      parseChoiceOption('--stream-rtsp-transport', ['tcp', 'udp'] as const),
    )
    .option(
      '--max-video-mb <n>',
      'largest video upload in MiB (413 past it)',
      parseIntOption('--max-video-mb', 1, 1_000_000),
      VIDEO_LIMIT_DEFAULTS.maxBytes / 2 ** 20,
    )
    .option('--max-video-frames <n>', 'most frames decoded per video job', parseIntOption('--max-video-frames', 1, 100_000_000), VIDEO_LIMIT_DEFAULTS.maxFrames)
    .option(
      '--max-video-seconds <n>',
      'longest video per job, seconds of media',
      parseIntOption('--max-video-seconds', 1, 31_536_000),
      VIDEO_LIMIT_DEFAULTS.maxDurationSeconds,
    )
    .option(
      '--video-jobs-per-key <n>',
      'unfinished video jobs one key may hold (429 past it)',
      parseIntOption('--video-jobs-per-key', 1, 100_000),
      VIDEO_LIMIT_DEFAULTS.maxJobsPerKey,
    )
    .option('--video-queue <n>', 'video jobs waiting in total (503 past it)', parseIntOption('--video-queue', 0, 100_000), VIDEO_LIMIT_DEFAULTS.maxQueued)
    .option(
      '--video-pending-mb <n>',
      'disk held by uploads not yet processed, MiB (503 past it)',
      parseIntOption('--video-pending-mb', 1, 1_000_000_000),
      VIDEO_LIMIT_DEFAULTS.maxPendingBytes / 2 ** 20,
    )
    .option('--ffmpeg <path>', 'ffmpeg binary (default: $ARCFACE_FFMPEG, else ffmpeg on PATH, else the bundled 2018 build)')
    .option(
      '--video-dir <dir>',
      `folder of uploads and job records, kept across restarts (default: the first free of ${join(ctx.locations.home, 'videos')}, videos-2, …)`,
    )
    .option('--kek-file <path>', KEK_FILE_HELP)
    .action(async (opts: ServeCliOptions) => {
      const events = eventOptionsFrom(opts, (line) => ctx.stderr.write(line));
      const kek = opts.gallery === undefined ? undefined : await readKek(ctx, opts.kekFile);
      // Replicas on a PostgreSQL gallery share its database for their keys too.
      const keysLocation = opts.keys ?? (opts.gallery !== undefined && isPostgresLocation(opts.gallery) ? opts.gallery : join(ctx.locations.home, 'keys.db'));
      const server = await serve({
        host: opts.host,
        port: opts.port,
        locations: ctx.locations,
        workers: opts.workers,
        intraOpThreads: opts.threads,
        queueSize: opts.queue,
        auth: opts.auth,
        logLevel: opts.logLevel,
        bodyLimit: opts.bodyLimit,
        maxPixels: opts.maxPixels,
        rateLimit: { max: opts.rateLimit, windowMs: SERVER_DEFAULTS.rateLimit.windowMs },
        requestTimeoutMs: opts.requestTimeout,
        ...(opts.auth ? { keysPath: keysLocation } : {}),
        ...(opts.gallery === undefined ? {} : { galleryLocation: opts.gallery }),
        ...(kek === undefined ? {} : { kek }),
        ...(opts.rateLimitRedis === undefined ? {} : { rateLimitLocation: opts.rateLimitRedis }),
        ...(opts.detector === undefined ? {} : { detector: opts.detector }),
        ...(opts.recognizer === undefined ? {} : { recognizer: opts.recognizer }),
        ...(opts.threshold === undefined ? {} : { threshold: opts.threshold }),
        ...(opts.cors === undefined ? {} : { corsOrigins: opts.cors }),
        videos: {
          maxBytes: opts.maxVideoMb * 2 ** 20,
          maxFrames: opts.maxVideoFrames,
          maxDurationSeconds: opts.maxVideoSeconds,
          maxJobsPerKey: opts.videoJobsPerKey,
          maxQueued: opts.videoQueue,
          maxPendingBytes: opts.videoPendingMb * 2 ** 20,
          streams: parseStreams(opts.stream ?? []),
          streamSource: {
            reconnectAttempts: opts.streamReconnect,
            ...(opts.streamRtspTransport === undefined ? {} : { rtspTransport: opts.streamRtspTransport }),
          },
          ...(opts.videoDir === undefined ? {} : { dir: opts.videoDir }),
          ...(opts.ffmpeg === undefined ? {} : { ffmpegPath: opts.ffmpeg }),
        },
        ...(events === undefined ? {} : { events }),
        ...(opts.streamAlways === undefined ? {} : { streamsAlwaysOn: opts.streamAlways }),
        log: (line) => ctx.stderr.write(`${line}\n`),
      });
      if (opts.auth)
        ctx.stderr.write(
          `API keys are checked against ${redactLocation(keysLocation)}; create one with: arcface keys create --scope write --keys ${redactLocation(keysLocation)}\n`,
        );
      void server;
    });
  // Commander reads options added after the action just the same; they are listed last in --help.
  addEventOptions(command);
}

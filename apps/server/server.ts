/**
 * The one place that touches the process: listen, signals, graceful close.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ArcFaceError } from '../../src/core/index.js';
import { buildApp } from './app.js';
import { defaultServerId, MQTT_DEFAULTS, mqttTopics, redactUrl, type EventOutOptions } from './services/event-out/index.js';
import type { ServerOptions } from './options.js';
import { chooseFfmpeg, ffmpegVersion } from '../../src/video/index.js';
import { startServices, type ServiceLocations } from './services/start-services.js';
import type { VideoServiceOptions } from './services/video-jobs.js';
import { claimFreeFolder } from './services/video-journal.js';

/** How often a closing server checks whether its last request has been answered (ms). */
const CLOSE_SWEEP_MS = 50;

/** Options of {@link serve}. */
export interface ServeOptions extends Omit<ServerOptions, 'gallery' | 'keys' | 'rateLimitCounter'>, ServiceLocations {
  /** Interface to listen on; 127.0.0.1 unless you mean to expose the server. */
  readonly host: string;
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Close gracefully on SIGINT and SIGTERM. Default true. */
  readonly handleSignals?: boolean;
  /** Where status lines go (startup, warnings, shutdown). */
  readonly log?: (line: string) => void;
  /**
   * Video jobs and allow-listed live streams; uploads and job records go to `videos/` in the data
   * folder (`locations.home`, else `~/.arcface`) by default, kept across restarts.
   */
  readonly videos?: Partial<Omit<VideoServiceOptions, 'galleryLocation'>>;
  /** Where events go besides SSE: an MQTT broker, webhooks (see docs/events.md). */
  readonly events?: EventOutOptions;
  /** Run the configured streams whether or not a client follows them; default: on when `events` names a destination. */
  readonly streamsAlwaysOn?: boolean;
}

/**
 * A failed listen as a coded error: a port another process holds is `PORT_IN_USE`, naming the port
 * and the interface; anything else passes unchanged.
 */
function listenFailure(err: unknown, host: string, port: number): unknown {
  if ((err as { code?: unknown }).code !== 'EADDRINUSE') return err;
  return new ArcFaceError(
    'PORT_IN_USE',
    `Expected a free port ${port} on ${host} but another process listens there; choose another --port (0 picks a free one)`,
    {
      cause: err,
    },
  );
}

/** A listening server. */
export interface RunningServer {
  readonly app: FastifyInstance;
  /** `http://host:port` as bound. */
  readonly url: string;
  /** Stops accepting, lets in-flight requests and inference jobs finish, closes the stores. */
  close(): Promise<void>;
}

/**
 * Starts workers, opens the stores, builds the app and listens.
 *
 * @example
 * const server = await serve({ host: '127.0.0.1', port: 8080, galleryLocation: 'people.db', keysPath: 'keys.db' })
 */
export async function serve(options: ServeOptions): Promise<RunningServer> {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const services = await startServices(options, options);
  const auth = options.auth ?? true;
  let app: FastifyInstance | undefined;
  try {
    const v = options.videos ?? {};
    const ffmpeg = chooseFfmpeg(v.ffmpegPath);
    const videos: VideoServiceOptions = {
      ...v,
      // Given: that folder, refused at start when another running server holds it. Default: the first
      // free one of <data>/videos, videos-2, … (servers sharing a data folder each get their own).
      dir: v.dir ?? claimFreeFolder(join(options.locations?.home ?? join(homedir(), '.arcface'), 'videos')),
      streams: v.streams ?? {},
      ...(v.streamSource === undefined ? {} : { streamSource: v.streamSource }),
      ffmpegPath: ffmpeg.path,
      ...(options.galleryLocation === undefined ? {} : { galleryLocation: options.galleryLocation }),
      ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
    };
    const version = ffmpegVersion(ffmpeg.path) ?? 'unknown version';
    log(`video decoding with ffmpeg ${version} (${ffmpeg.origin}${ffmpeg.origin === 'system' ? `, ${ffmpeg.path}` : ''})`);
    if (ffmpeg.bundled) {
      log(
        'warning: uploads are decoded by the bundled ffmpeg, a 2018 build that is no longer maintained; install a current ffmpeg ' +
          '(apt-get install ffmpeg) or name one with ARCFACE_FFMPEG or --ffmpeg',
      );
    }
    app = await buildApp({
      ...options,
      auth,
      engine: services.engine,
      gallery: services.gallery,
      keys: services.keys,
      rateLimitCounter: services.rateLimitCounter,
      videos,
    });
    try {
      await app.listen({ host: options.host, port: options.port });
    } catch (err) {
      await app.close();
      throw listenFailure(err, options.host, options.port);
    }
  } catch (err) {
    // A built app holds workers and sink connections of its own.
    await app?.close().catch(() => undefined);
    await services.close();
    throw err;
  }
  const addr = app.server.address();
  const url = typeof addr === 'object' && addr !== null ? `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}` : String(addr);
  if (!auth) {
    const bar = '!'.repeat(72);
    log(
      `${bar}\n!! AUTHENTICATION IS OFF (--no-auth): anyone who can reach ${url} can\n!! read, enrol and delete faces. Use this for local work only.\n${bar}`,
    );
  }
  const info = services.engine.info;
  if (info !== undefined && !info.calibrated && options.threshold === undefined) {
    log(
      `warning: the recogniser has no calibrated threshold; verify and identify decide at cosine ${info.threshold} (set --threshold after \`arcface calibrate\`)`,
    );
  }
  const events = options.events;
  if (events?.mqtt !== undefined) {
    const topics = mqttTopics(events.mqtt.topicPrefix ?? MQTT_DEFAULTS.topicPrefix, events.serverId ?? defaultServerId());
    log(`events go to the MQTT broker ${redactUrl(events.mqtt.url)} (availability at ${topics.status}, events under ${topics.event('x').slice(0, -1)}<type>)`);
  }
  if ((events?.webhooks?.length ?? 0) > 0) log(`events go to ${events?.webhooks?.map(redactUrl).join(', ')} (signed with HMAC-SHA256)`);
  if (services.rateLimitCounter !== undefined) log(`rate limits are counted in ${services.rateLimitCounter.location}, shared by every server on it`);
  log(
    `arcface server listening on ${url} (${services.engine.info?.fingerprint.split('|')[0] ?? 'models loading'}; web page at ${url}/, API docs at ${url}/docs)`,
  );

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      // Node keeps counting a connection as busy after its client abandoned a request; once no
      // request is in flight, every remaining connection is closed rather than waited out.
      const sweep = setInterval(() => {
        if (app.httpInFlight() === 0) app.server.closeAllConnections();
      }, CLOSE_SWEEP_MS);
      try {
        await app.close();
      } finally {
        clearInterval(sweep);
      }
      await services.close();
    })();
    return closing;
  };
  if (options.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals): void => {
      log(`${signal}: finishing in-flight requests, then stopping`);
      close().then(
        () => log('stopped'),
        (err: unknown) => {
          log(`error while stopping: ${(err as Error).message}`);
          process.exitCode = 1;
        },
      );
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  return { app, url, close };
}

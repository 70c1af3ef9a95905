import { assertBoolean, assertInteger, assertNumber, assertOneOf, assertString } from '../../src/core/index.js';
import type { ModelLocations } from '../../src/models/index.js';
import type { GalleryPort } from './services/gallery-port.js';
import type { ApiKeyStore } from './services/key-store.js';
import type { SharedRateLimitCounter } from './plugins/shared-rate-limit.js';

/**
 * Levels of the server log (pino's): `silent` turns it off.
 *
 * @example
 * LOG_LEVELS.includes('info') // true
 */
export const LOG_LEVELS = Object.freeze(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const);
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Per-key request budget: at most `max` requests in any `windowMs` window. */
export interface RateLimitOptions {
  readonly max: number;
  readonly windowMs: number;
}

/** Options of {@link buildApp}; every field but the stores has a default in {@link SERVER_DEFAULTS}. */
export interface ServerOptions {
  /** Detector name or path (FaceRecognizer's `detector`). */
  readonly detector?: string;
  /** Recognizer name or path (FaceRecognizer's `recognizer`). */
  readonly recognizer?: string;
  /** Model lookup folders (FaceRecognizer's `locations`), read from the environment by the caller. */
  readonly locations?: ModelLocations;
  /** Cosine decision threshold for verify and identify; default: the recogniser's calibrated one, else `SERVER_DEFAULTS.fallbackThreshold`. */
  readonly threshold?: number;
  /** Inference worker threads, each with its own models. */
  readonly workers?: number;
  /** onnxruntime intra-op threads per worker. */
  readonly intraOpThreads?: number;
  /** Inference jobs allowed to wait for a worker; one more is answered 503 with Retry-After. */
  readonly queueSize?: number;
  /** Largest request body in bytes, whatever its encoding: JSON, raw image, or a whole multipart form. */
  readonly bodyLimit?: number;
  /** Largest image accepted, width × height, checked from the header before decoding. */
  readonly maxPixels?: number;
  /** Longest an inference job may take, queue wait included, before the request gets 504. */
  readonly requestTimeoutMs?: number;
  /** Per-key (or per-address without auth) rate limit. */
  readonly rateLimit?: RateLimitOptions;
  /** Require an API key on every /v1 and /api route. Default true. */
  readonly auth?: boolean;
  /** API key store; required when `auth` is true. */
  readonly keys?: ApiKeyStore;
  /** Rate-limit counters shared by server replicas (PostgreSQL); absent: counted in this process's memory. */
  readonly rateLimitCounter?: SharedRateLimitCounter;
  /** Gallery behind the subject, identify and CompreFace routes; those answer 503 without one. */
  readonly gallery?: GalleryPort;
  /** Origins allowed by CORS; empty (the default) turns CORS off. */
  readonly corsOrigins?: readonly string[];
  /** Folder of the web page; served at `/`. */
  readonly webRoot?: string;
  /** Server log (JSON lines, one per request, 5xx errors with their stack); false is `logLevel: 'silent'`. */
  readonly logger?: boolean;
  /** Least level logged; default `info`. */
  readonly logLevel?: LogLevel;
  /** Where log lines go; default stdout. */
  readonly logStream?: { write(line: string): unknown };
}

/** Resolved options. */
export interface ResolvedServerOptions {
  readonly detector: string | undefined;
  readonly recognizer: string | undefined;
  readonly locations: ModelLocations | undefined;
  readonly threshold: number | undefined;
  readonly workers: number;
  readonly intraOpThreads: number;
  readonly queueSize: number;
  readonly bodyLimit: number;
  readonly maxPixels: number;
  readonly requestTimeoutMs: number;
  readonly rateLimit: RateLimitOptions;
  readonly auth: boolean;
  readonly keys: ApiKeyStore | undefined;
  readonly rateLimitCounter: SharedRateLimitCounter | undefined;
  readonly gallery: GalleryPort | undefined;
  readonly corsOrigins: readonly string[];
  readonly webRoot: string | undefined;
  readonly logLevel: LogLevel;
  readonly logStream: { write(line: string): unknown } | undefined;
}

/**
 * Defaults (example: `SERVER_DEFAULTS.queueSize` is 32). 10 MiB of body holds a 7 MB phone JPEG as base64 (4/3 growth); 16 megapixels is a
 * 4,900 × 3,265 photo, far more than detection needs (it resizes to 640 px); 30 s covers a full
 * queue on two cores; 600 requests a minute is 10/s per key, enough for the webcam page at 4 fps.
 */
export const SERVER_DEFAULTS = Object.freeze({
  workers: 1,
  intraOpThreads: 1,
  queueSize: 32,
  bodyLimit: 10 * 1024 * 1024,
  maxPixels: 16_000_000,
  requestTimeoutMs: 30_000,
  rateLimit: Object.freeze({ max: 600, windowMs: 60_000 }),
  auth: true,
  corsOrigins: Object.freeze([] as string[]),
  logLevel: 'info' as LogLevel,
  /**
   * Cosine threshold when the recogniser has no calibrated one and none is given: 0.3, the value
   * this project's CLI tests use for w600k-mbf-int8 until the model registry records a calibrated
   * threshold. Not calibrated here; the server warns at startup when it falls back to it.
   */
  fallbackThreshold: 0.3,
});

/**
 * Validates server options into a fresh frozen object; never mutates its input.
 *
 * @example
 * const opts = resolveServerOptions({ workers: 2, auth: false })
 */
export function resolveServerOptions(options: ServerOptions = {}): ResolvedServerOptions {
  const auth = options.auth === undefined ? SERVER_DEFAULTS.auth : assertBoolean('auth', options.auth);
  if (auth && options.keys === undefined) {
    throw new TypeError('Expected a key store in options.keys when auth is on but received undefined');
  }
  const rl = options.rateLimit ?? SERVER_DEFAULTS.rateLimit;
  return Object.freeze({
    detector: options.detector === undefined ? undefined : assertString('detector', options.detector),
    recognizer: options.recognizer === undefined ? undefined : assertString('recognizer', options.recognizer),
    locations: options.locations,
    threshold: options.threshold === undefined ? undefined : assertNumber('threshold', options.threshold, -1, 1),
    workers: options.workers === undefined ? SERVER_DEFAULTS.workers : assertInteger('workers', options.workers, 1, 64),
    intraOpThreads: options.intraOpThreads === undefined ? SERVER_DEFAULTS.intraOpThreads : assertInteger('intraOpThreads', options.intraOpThreads, 1, 256),
    queueSize: options.queueSize === undefined ? SERVER_DEFAULTS.queueSize : assertInteger('queueSize', options.queueSize, 0, 100_000),
    bodyLimit: options.bodyLimit === undefined ? SERVER_DEFAULTS.bodyLimit : assertInteger('bodyLimit', options.bodyLimit, 1024, 2 ** 30),
    maxPixels: options.maxPixels === undefined ? SERVER_DEFAULTS.maxPixels : assertInteger('maxPixels', options.maxPixels, 1, 1_000_000_000),
    requestTimeoutMs:
      options.requestTimeoutMs === undefined ? SERVER_DEFAULTS.requestTimeoutMs : assertInteger('requestTimeoutMs', options.requestTimeoutMs, 1, 3_600_000),
    rateLimit: Object.freeze({
      max: assertInteger('rateLimit.max', rl.max, 1, 1_000_000_000),
      windowMs: assertInteger('rateLimit.windowMs', rl.windowMs, 1, 86_400_000),
    }),
    auth,
    keys: options.keys,
    rateLimitCounter: options.rateLimitCounter,
    gallery: options.gallery,
    corsOrigins: Object.freeze((options.corsOrigins ?? []).map((o, i) => assertString(`corsOrigins[${i}]`, o))),
    webRoot: options.webRoot === undefined ? undefined : assertString('webRoot', options.webRoot),
    logLevel:
      options.logger !== undefined && !assertBoolean('logger', options.logger)
        ? 'silent'
        : options.logLevel === undefined
          ? SERVER_DEFAULTS.logLevel
          : assertOneOf('logLevel', options.logLevel, LOG_LEVELS),
    logStream: options.logStream,
  });
}

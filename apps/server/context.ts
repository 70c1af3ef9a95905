import type { ApiKeyRecord, ApiKeyStore, Scope } from './services/key-store.js';
import type { InferenceEngine } from './services/engine.js';
import type { GalleryPort } from './services/gallery-port.js';
import type { ServerMetrics } from './plugins/metrics.js';
import type { ResolvedServerOptions } from './options.js';
import { ArcFaceError } from '../../src/core/index.js';

declare module 'fastify' {
  interface FastifyInstance {
    /** HTTP requests received and neither answered nor abandoned by their client. */
    httpInFlight(): number;
  }
  interface FastifyContextConfig {
    /** Least scope a key needs for this route; `public` needs none. Routes under /v1 and /api default to `read`. */
    scope?: Scope | 'public';
    /** A public route that still counts against the per-address rate limit (files served from disk). */
    rateLimited?: boolean;
    /** The route runs inference: refused with 503 QUEUE_FULL before its body is read when the queue is full. */
    inference?: boolean;
  }
  interface FastifyRequest {
    /** The authenticated key; null on public routes and when auth is off. */
    apiKey: ApiKeyRecord | null;
    /** On inference routes: aborts when the client closes the connection before the response. */
    clientGone: AbortSignal | null;
  }
}

/** What every route module receives. */
export interface ServerContext {
  readonly options: ResolvedServerOptions;
  readonly engine: InferenceEngine;
  readonly keys: ApiKeyStore | undefined;
  readonly metrics: ServerMetrics;
  /** The gallery; NOT_FOUND when the server runs without one. */
  gallery(): GalleryPort;
}

/**
 * A context whose `gallery()` raises a coded error when no gallery is configured.
 *
 * @example
 * const ctx = makeContext({ options, engine, keys, metrics, galleryPort: undefined })
 */
export function makeContext(parts: Omit<ServerContext, 'gallery'> & { galleryPort: GalleryPort | undefined }): ServerContext {
  const { galleryPort, ...rest } = parts;
  return {
    ...rest,
    gallery(): GalleryPort {
      if (galleryPort === undefined) {
        throw new ArcFaceError('NOT_FOUND', 'Expected a gallery for this route but the server was started without one (arcface serve --gallery <file>)');
      }
      return galleryPort;
    },
  };
}

import { ArcFaceError } from '../../../src/core/index.js';
import { isPostgresLocation, openGallery, type KeyEncryptionKey } from '../../../src/gallery/index.js';
import type { InferenceEngine } from './engine.js';
import { GalleryAdapter } from './gallery-adapter.js';
import type { GalleryPort } from './gallery-port.js';
import type { ApiKeyStore } from './key-store.js';
import { resolveServerOptions, type ServerOptions } from '../options.js';
import { openKeyStore } from './pg-key-store.js';
import { RedisRateLimitCounter } from '../plugins/index.js';
import { PEOPLE_WRITE_LOCK, PostgresReplicaLock } from './replica-lock.js';
import { PostgresRateLimitCounter, type SharedRateLimitCounter } from '../plugins/index.js';
import { moveSideFileThumbnails } from './thumbnail-side-file.js';
import { InferencePool, poolOptionsFrom } from './worker-pool.js';

/** Where the server's state lives. */
export interface ServiceLocations {
  /** Gallery file or postgres:// URL; no gallery routes without one. */
  readonly galleryLocation?: string;
  /**
   * Key-encryption key of a sealed gallery (SQLite): a replica opens a sealed gallery only with it,
   * and refuses it for an unsealed one (`GALLERY_NOT_SEALED`), so replicas never mix the two.
   */
  readonly kek?: KeyEncryptionKey;
  /** SQLite file of API keys (`:memory:`: keys that live as long as the process), or a postgres:// URL. */
  readonly keysPath?: string;
  /**
   * Where rate-limit counters live: `redis://…` or `postgres://…` shares them between replicas;
   * absent, they are counted in memory, except for a PostgreSQL gallery, whose database then holds them.
   */
  readonly rateLimitLocation?: string;
}

/** The running services a server is built on. */
export interface Services {
  readonly engine: InferenceEngine;
  readonly gallery: GalleryPort | undefined;
  readonly keys: ApiKeyStore | undefined;
  /** Shared rate-limit counters; undefined: in memory. */
  readonly rateLimitCounter: SharedRateLimitCounter | undefined;
  /** Closes the gallery, the keys and (after its queue drains) the engine. */
  close(): Promise<void>;
}

/**
 * Starts the inference workers, waits for the models, and opens the gallery (which must know the
 * recogniser's fingerprint) and the key store.
 *
 * @example
 * const services = await startServices({ workers: 2 }, { galleryLocation: 'people.db', keysPath: 'keys.db' })
 * const app = await buildApp({ ...opts, engine: services.engine, gallery: services.gallery, keys: services.keys })
 */
export async function startServices(options: Omit<ServerOptions, 'gallery' | 'keys' | 'rateLimitCounter'>, where: ServiceLocations): Promise<Services> {
  const opts = resolveServerOptions({ ...options, auth: false });
  const engine = InferencePool.start(poolOptionsFrom(opts));
  let gallery: GalleryPort | undefined;
  let keys: ApiKeyStore | undefined;
  let rateLimitCounter: SharedRateLimitCounter | undefined;
  const shared = where.galleryLocation !== undefined && isPostgresLocation(where.galleryLocation) ? where.galleryLocation : undefined;
  try {
    const info = await engine.ready;
    if (where.galleryLocation !== undefined) {
      const model = { fingerprint: info.fingerprint, embeddingSize: info.embeddingSize, threshold: opts.threshold ?? info.threshold };
      const g = await openGallery(where.galleryLocation, where.kek === undefined ? model : { ...model, kek: where.kek });
      // Thumbnails live in the gallery's store (sealed with it); an older server's side file is moved in once.
      if (shared === undefined) await moveSideFileThumbnails(g, `${where.galleryLocation}.thumbs.db`);
      gallery = GalleryAdapter.create(g, shared === undefined ? {} : { peopleLock: new PostgresReplicaLock(shared, PEOPLE_WRITE_LOCK) });
    }
    if (where.keysPath !== undefined) keys = await openKeyStore(where.keysPath);
    const counters = where.rateLimitLocation ?? shared;
    if (counters !== undefined) rateLimitCounter = await openRateLimitCounter(counters);
  } catch (err) {
    await engine.close();
    await gallery?.close();
    await keys?.close();
    throw err;
  }
  return {
    engine,
    gallery,
    keys,
    rateLimitCounter,
    async close() {
      await engine.close();
      await gallery?.close();
      await keys?.close();
      await rateLimitCounter?.close();
    },
  };
}

/**
 * Opens shared rate-limit counters at a `postgres://` URL.
 *
 * @example
 * const counter = await openRateLimitCounter('postgres://db/faces')
 */
export async function openRateLimitCounter(location: string): Promise<SharedRateLimitCounter> {
  if (isPostgresLocation(location)) return PostgresRateLimitCounter.connect(location);
  if (/^rediss?:\/\//i.test(location)) return RedisRateLimitCounter.connect(location);
  throw new ArcFaceError('INVALID_ARGUMENT', `Expected rate-limit counters at a postgres:// or redis:// URL but received "${location.slice(0, 60)}"`);
}

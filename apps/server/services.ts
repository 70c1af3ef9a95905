import { isPostgresLocation, openGallery } from '../../src/gallery/index.js';
import type { InferenceEngine } from './engine.js';
import { GalleryAdapter } from './gallery-adapter.js';
import type { GalleryPort } from './gallery-port.js';
import { KeyStore } from './key-store.js';
import { resolveServerOptions, type ServerOptions } from './options.js';
import { InferencePool, poolOptionsFrom } from './worker-pool.js';

/** Where the server's state lives. */
export interface ServiceLocations {
  /** Gallery file or postgres:// URL; no gallery routes without one. */
  readonly galleryLocation?: string;
  /** SQLite file of enrolled-face thumbnails; default `<gallery>.thumbs.db` for a file gallery, else in memory. */
  readonly thumbnailsPath?: string;
  /** SQLite file of API keys; `:memory:` for keys that live as long as the process. */
  readonly keysPath?: string;
}

/** The running services a server is built on. */
export interface Services {
  readonly engine: InferenceEngine;
  readonly gallery: GalleryPort | undefined;
  readonly keys: KeyStore | undefined;
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
export async function startServices(options: Omit<ServerOptions, 'gallery' | 'keys'>, where: ServiceLocations): Promise<Services> {
  const opts = resolveServerOptions({ ...options, auth: false });
  const engine = InferencePool.start(poolOptionsFrom(opts));
  let gallery: GalleryPort | undefined;
  let keys: KeyStore | undefined;
  try {
    const info = await engine.ready;
    if (where.galleryLocation !== undefined) {
      const g = await openGallery(where.galleryLocation, { fingerprint: info.fingerprint, embeddingSize: info.embeddingSize, threshold: opts.threshold ?? info.threshold });
      const thumbnails = where.thumbnailsPath ?? (isPostgresLocation(where.galleryLocation) ? ':memory:' : `${where.galleryLocation}.thumbs.db`);
      gallery = GalleryAdapter.create(g, thumbnails);
    }
    if (where.keysPath !== undefined) keys = KeyStore.open(where.keysPath);
  } catch (err) {
    await engine.close();
    await gallery?.close();
    throw err;
  }
  return {
    engine,
    gallery,
    keys,
    async close() {
      await engine.close();
      await gallery?.close();
      keys?.close();
    },
  };
}

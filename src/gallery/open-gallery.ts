import pg from 'pg';
import { ArcFaceError, redactUrl } from '../core/index.js';
import { resolveGalleryOptions, type GalleryOptions } from './config.js';
import { Gallery } from './gallery.js';
import { PostgresGalleryStore } from './stores/postgres-store.js';
import { pgPoolClient, type SqlClient } from './stores/sql-client.js';
import { SqliteGalleryStore } from './stores/sqlite-store.js';

/**
 * Whether a gallery location names a PostgreSQL database rather than a SQLite file.
 *
 * @example
 * isPostgresLocation('postgres://db/faces') // true
 */
export function isPostgresLocation(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/**
 * A `postgres://` URL with its password masked, for messages and logs; paths pass unchanged.
 *
 * @example
 * redactLocation('postgres://u:pw@db/faces') // 'postgres://u:***@db/faces'
 */
export function redactLocation(location: string): string {
  return isPostgresLocation(location) ? redactUrl(location) : location;
}

/**
 * Opens a gallery: a file path is an embedded SQLite gallery (created when absent), a
 * `postgres://` or `postgresql://` URL a PostgreSQL database with the pgvector extension (the
 * schema is created on first use). The gallery refuses embeddings of any other model.
 *
 * @example
 * const g = await openGallery('people.db', { fingerprint: rec.fingerprint, embeddingSize: rec.embeddingSize, threshold: rec.threshold })
 * const g2 = await openGallery('postgres://faces:secret@db.example:5432/faces', { fingerprint, embeddingSize: 512, threshold: 0.3 })
 */
export async function openGallery(location: string, options: GalleryOptions = {}): Promise<Gallery> {
  if (typeof location !== 'string' || location.length === 0) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected a gallery location (a file path or a postgres:// URL) but received ${JSON.stringify(location)}`);
  }
  // Validate every given option before touching any file or server.
  const resolved = resolveGalleryOptions(options, { fingerprint: options.fingerprint ?? 'unset', embeddingSize: options.embeddingSize ?? 512 });
  const model = { fingerprint: options.fingerprint, embeddingSize: options.embeddingSize };
  if (isPostgresLocation(location)) {
    if (options.kek !== undefined) {
      throw new ArcFaceError(
        'SEALING_UNSUPPORTED',
        `Expected a SQLite gallery to seal but ${redactLocation(location)} is PostgreSQL: pgvector searches vectors in the clear, so its templates cannot be sealed (see docs/security.md)`,
      );
    }
    const client = pgPoolClient(new pg.Pool({ connectionString: location, max: 4 }));
    try {
      // The clustering a new (or migrated) gallery records; an existing one keeps its own.
      const subCenters = { maxSubCenters: resolved.maxSubCenters, joinThreshold: resolved.joinThreshold };
      const store = await PostgresGalleryStore.open(client, { ...model, subCenters, location: redactLocation(location) });
      return Gallery.fromStore(store, options);
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
  }
  const store = await SqliteGalleryStore.open(location, { ...model, readonly: options.readonly === true, kek: options.kek });
  try {
    return Gallery.fromStore(store, options);
  } catch (e) {
    await store.close();
    throw e;
  }
}

/**
 * Opens something on a new `pg` pool of `max` connections to `url`: `open` gets the pool as a
 * {@link SqlClient} and the URL without its password; the pool is ended when `open` throws. An idle
 * connection the server drops is replaced on the next query (without a listener its error would end
 * the process).
 *
 * @example
 * const store = await openOnPgPool('postgres://db/faces', 2, (client, location) => MyStore.open(client, location))
 */
export async function openOnPgPool<T>(url: string, max: number, open: (client: SqlClient, location: string) => Promise<T>): Promise<T> {
  const pool = new pg.Pool({ connectionString: url, max });
  pool.on('error', () => undefined);
  const client = pgPoolClient(pool);
  try {
    return await open(client, redactLocation(url));
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
}

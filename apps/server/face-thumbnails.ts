/**
 * Where the server keeps JPEG thumbnails of enrolled faces: a small SQLite file next to a file
 * gallery, or the gallery's own database (`arcface_template_thumbnails`) for a PostgreSQL gallery,
 * so that every server replica serves every thumbnail and none lives in a process.
 */
import Database from 'better-sqlite3';
import { type Gallery, PostgresGalleryStore, ensurePrivateFile } from '../../src/gallery/index.js';

/** Thumbnails by face (template) id. */
export interface FaceThumbnails {
  /** Where they live, for logs: a file path or `gallery`. */
  readonly where: string;
  put(items: readonly { faceId: number; jpeg: Uint8Array }[]): Promise<void>;
  get(faceId: number): Promise<Uint8Array | undefined>;
  /** Which of these faces have a thumbnail here (one query). */
  which(faceIds: readonly number[]): Promise<Set<number>>;
  /**
   * Forgets removed faces (the gallery database drops them with their template by itself); returns
   * how many thumbnails this store deleted itself.
   */
  drop(faceIds: readonly number[]): Promise<number>;
  close(): void;
}

/**
 * Thumbnails in a SQLite side file (`:memory:` keeps them for the process only); a face without
 * one there falls back to the gallery's own (enrolled from the CLI or the web page).
 *
 * @example
 * const thumbs = sideFileThumbnails(gallery, 'people.db.thumbs.db')
 */
export function sideFileThumbnails(gallery: Gallery, path: string): FaceThumbnails {
  ensurePrivateFile(path);
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // A dropped (or forgotten) face leaves zeros in free pages, and the WAL is truncated after each drop.
  db.pragma('secure_delete = ON');
  db.exec('CREATE TABLE IF NOT EXISTS thumbnails (face_id INTEGER PRIMARY KEY, jpeg BLOB NOT NULL)');
  const put = db.prepare('INSERT OR REPLACE INTO thumbnails (face_id, jpeg) VALUES (?, ?)');
  const del = db.prepare('DELETE FROM thumbnails WHERE face_id = ?');
  const get = db.prepare('SELECT jpeg FROM thumbnails WHERE face_id = ?');
  const has = db.prepare('SELECT 1 FROM thumbnails WHERE face_id = ?');
  return {
    where: path,
    async put(items) {
      db.transaction(() => items.forEach((t) => put.run(t.faceId, Buffer.from(t.jpeg))))();
    },
    async get(faceId) {
      const row = get.get(faceId) as { jpeg: Buffer } | undefined;
      return row === undefined ? ((await gallery.thumbnail(faceId)) ?? undefined) : new Uint8Array(row.jpeg);
    },
    async which(faceIds) {
      return new Set(faceIds.filter((id) => has.get(id) !== undefined));
    },
    async drop(faceIds) {
      const n = db.transaction(() => faceIds.reduce((k, id) => k + del.run(id).changes, 0))();
      if (n > 0) db.pragma('wal_checkpoint(TRUNCATE)');
      return n;
    },
    close() {
      if (db.open) db.close();
    },
  };
}

/**
 * Thumbnails in the gallery's own store (`Gallery.putThumbnails`): for a PostgreSQL gallery, rows of
 * its database, removed with their template (ON DELETE CASCADE).
 *
 * @example
 * const thumbs = galleryThumbnails(gallery)
 */
export function galleryThumbnails(gallery: Gallery): FaceThumbnails {
  return {
    where: 'gallery',
    async put(items) {
      if (items.length > 0) await gallery.putThumbnails(items.map((t) => ({ templateId: t.faceId, jpeg: t.jpeg })));
    },
    async get(faceId) {
      return (await gallery.thumbnail(faceId)) ?? undefined;
    },
    async which(faceIds) {
      const store = gallery.store;
      if (faceIds.length === 0) return new Set();
      if (store instanceof PostgresGalleryStore) {
        // One query for a whole list of faces rather than one JPEG read per face.
        const r = await store.sqlClient().query<{ template_id: string | number }>(
          'SELECT template_id FROM arcface_template_thumbnails WHERE template_id = ANY($1::bigint[])', [[...faceIds]]);
        return new Set(r.rows.map((row) => Number(row.template_id)));
      }
      const out = new Set<number>();
      for (const id of faceIds) if ((await gallery.thumbnail(id)) !== null) out.add(id);
      return out;
    },
    async drop() {
      // Removed with their templates by the database.
      return 0;
    },
    close() {},
  };
}

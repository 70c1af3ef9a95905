/**
 * Servers before gallery schema 4 kept the thumbnails of faces they enrolled in a SQLite side file,
 * `<gallery>.thumbs.db`, beside a file gallery. Thumbnails now live in the gallery's own store with
 * their template; this moves what such a file holds into the gallery once, then removes the file.
 */
import { existsSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Gallery } from '../../../src/gallery/index.js';

/** Rows moved per gallery write. */
const BATCH = 500;

/**
 * Moves the thumbnails of the side file `path` (when it exists) into `gallery`: faces whose template
 * is gone are dropped, a face the gallery has a thumbnail for keeps it. The file (and its -wal / -shm)
 * is removed once every row is written. Returns how many thumbnails moved, or null without a file.
 *
 * @example
 * await moveSideFileThumbnails(gallery, 'people.db.thumbs.db') // 12
 */
export async function moveSideFileThumbnails(gallery: Gallery, path: string): Promise<number | null> {
  if (!existsSync(path)) return null;
  const db = new Database(path, { readonly: true, fileMustExist: true });
  let moved = 0;
  try {
    const rows = db.prepare('SELECT face_id, jpeg FROM thumbnails ORDER BY face_id').all() as { face_id: number; jpeg: Buffer }[];
    for (let i = 0; i < rows.length; i += BATCH) {
      const batch = rows.slice(i, i + BATCH);
      const held = await gallery.thumbnailIds(batch.map((r) => r.face_id));
      const wanted = batch.filter((r) => !held.has(r.face_id)).map((r) => ({ templateId: r.face_id, jpeg: new Uint8Array(r.jpeg) }));
      if (wanted.length > 0) await gallery.putThumbnails(wanted);
      moved += (await gallery.thumbnailIds(wanted.map((w) => w.templateId))).size;
    }
  } finally {
    db.close();
  }
  for (const f of [path, `${path}-wal`, `${path}-shm`]) rmSync(f, { force: true });
  return moved;
}

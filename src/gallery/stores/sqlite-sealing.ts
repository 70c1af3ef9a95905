/**
 * Sealing of a SQLite gallery: which {@link RowCodec} a connection reads and writes with, sealing an
 * unsealed file in place, and re-wrapping its data key under another key-encryption key. The data
 * key lives in `gallery_keys` (schema version 5), wrapped; the rows never see the KEK.
 */
import type Database from 'better-sqlite3';
import { ArcFaceError } from '../../core/index.js';
import { type KeyEncryptionKey, unwrapDataKey } from '../kek.js';
import { newDataKey, PLAIN_CODEC, type RowCodec, sealedCodec } from './row-codec.js';

/** The wrapped data key of a sealed gallery, or null for an unsealed one. */
export interface KeySlot {
  readonly kekId: string;
  readonly wrapped: Uint8Array;
}

/**
 * The wrapped data key recorded in the file, or null when the gallery is unsealed.
 *
 * @example
 * const slot = readKeySlot(db)
 */
export function readKeySlot(db: Database.Database): KeySlot | null {
  // A version-4 file opened read-only is not migrated: it has no key table, and is unsealed.
  if (db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'gallery_keys'`).get() === undefined) return null;
  const r = db.prepare(`SELECT kek_id, wrapped FROM gallery_keys WHERE slot = 'data'`).get() as { kek_id: string; wrapped: Buffer } | undefined;
  return r === undefined ? null : { kekId: r.kek_id, wrapped: new Uint8Array(r.wrapped) };
}

/**
 * The codec a connection uses. A sealed file needs its KEK (`GALLERY_SEALED` without one,
 * `GALLERY_KEY_MISMATCH` with another); a KEK given for an unsealed file that holds identities is
 * refused (`GALLERY_NOT_SEALED`): sealing one is the explicit {@link sealRows}, never a side effect
 * of opening it. An empty unsealed file (a new gallery) is sealed at once.
 *
 * @example
 * const codec = await connectionCodec(db, 'people.db', fingerprint, kek)
 */
export async function connectionCodec(
  db: Database.Database,
  path: string,
  fingerprint: string,
  kek: KeyEncryptionKey | undefined,
  readonly: boolean,
): Promise<RowCodec> {
  const slot = readKeySlot(db);
  if (slot !== null) {
    if (kek === undefined) {
      throw new ArcFaceError(
        'GALLERY_SEALED',
        `Expected a key-encryption key (--kek-file or ARCFACE_GALLERY_KEK) to open ${path}, which is sealed with ${slot.kekId}, but received none`,
      );
    }
    return sealedCodec(await unwrapDataKey(kek, slot.wrapped, slot.kekId, path), fingerprint, path);
  }
  if (kek === undefined) return PLAIN_CODEC;
  const faceRows = hasPeopleFaces(db) ? (db.prepare('SELECT COUNT(*) AS n FROM person_faces').get() as { n: number }).n : 0;
  const rows = (db.prepare('SELECT COUNT(*) AS n FROM identities').get() as { n: number }).n + faceRows;
  if (rows > 0 || readonly) {
    throw new ArcFaceError(
      'GALLERY_NOT_SEALED',
      `Expected ${path} to be sealed since a key-encryption key was given, but it is not: seal it with \`arcface gallery seal\`, or open it without a key`,
    );
  }
  const dataKey = newDataKey();
  const wrapped = await kek.wrap(dataKey);
  const won = db
    .transaction(() => {
      if (readKeySlot(db) !== null) return false;
      putSlot(db, kek.id, wrapped, true);
      return true;
    })
    .immediate();
  // Another process sealed it between the read and the write: use its key.
  if (!won) return connectionCodec(db, path, fingerprint, kek, readonly);
  return sealedCodec(dataKey, fingerprint, path);
}

/**
 * Seals every template and thumbnail of an unsealed file under a new data key wrapped by `kek`, in
 * one IMMEDIATE transaction (people discovery's face embeddings and crops too), then rewrites the
 * file (VACUUM: no free page keeps a plain row) and truncates the WAL. Returns the codec to use from
 * now on and the rows sealed.
 *
 * @example
 * const { codec, templates } = await sealRows(db, 'people.db', fingerprint, kek)
 */
export async function sealRows(
  db: Database.Database,
  path: string,
  fingerprint: string,
  kek: KeyEncryptionKey,
): Promise<{ codec: RowCodec; templates: number; thumbnails: number; personFaces: number }> {
  const dataKey = newDataKey();
  const wrapped = await kek.wrap(dataKey);
  const codec = sealedCodec(dataKey, fingerprint, path);
  const counts = db
    .transaction(() => {
      const slot = readKeySlot(db);
      if (slot !== null) {
        throw new ArcFaceError(
          'INVALID_ARGUMENT',
          `Expected an unsealed gallery to seal but ${path} is sealed already (with ${slot.kekId}); use \`arcface gallery rekey\` to change its key`,
        );
      }
      const dim = Number((db.prepare(`SELECT value FROM gallery_meta WHERE key = 'embedding_size'`).get() as { value: string }).value);
      const setT = db.prepare('UPDATE templates SET embedding = ? WHERE template_id = ?');
      const rows = db.prepare('SELECT template_id, identity_id, embedding FROM templates').all() as {
        template_id: number;
        identity_id: string;
        embedding: Buffer;
      }[];
      for (const r of rows) setT.run(codec.embedding(r.identity_id, PLAIN_CODEC.readEmbedding(r.identity_id, r.embedding, dim)), r.template_id);
      const setJ = db.prepare('UPDATE template_thumbnails SET jpeg = ? WHERE template_id = ?');
      const thumbs = db.prepare('SELECT h.template_id, t.identity_id, h.jpeg FROM template_thumbnails h JOIN templates t USING (template_id)').all() as {
        template_id: number;
        identity_id: string;
        jpeg: Buffer;
      }[];
      for (const r of thumbs) setJ.run(codec.thumbnail(r.identity_id, r.jpeg), r.template_id);
      // People discovery's faces, when its room made its table (src/people); sealed with the same codec.
      const faces = hasPeopleFaces(db)
        ? (db.prepare('SELECT face_id, embedding, thumbnail FROM person_faces').all() as { face_id: number; embedding: Buffer; thumbnail: Buffer | null }[])
        : [];
      const setF = faces.length === 0 ? undefined : db.prepare('UPDATE person_faces SET embedding = ?, thumbnail = ? WHERE face_id = ?');
      for (const f of faces)
        setF?.run(codec.seal('personFace', '', f.embedding), f.thumbnail === null ? null : codec.seal('personCrop', '', f.thumbnail), f.face_id);
      putSlot(db, kek.id, wrapped, true);
      db.prepare(`UPDATE gallery_meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'generation'`).run();
      return { templates: rows.length, thumbnails: thumbs.length, personFaces: faces.length };
    })
    .immediate();
  db.exec('VACUUM');
  db.pragma('wal_checkpoint(TRUNCATE)');
  return { codec, ...counts };
}

/**
 * Re-wraps the data key under `next` (unwrapped with `current`), in one transaction: no row is
 * re-encrypted, and processes that opened the gallery before keep working.
 *
 * @example
 * await rewrapDataKey(db, 'people.db', oldKek, newKek)
 */
export async function rewrapDataKey(db: Database.Database, path: string, current: KeyEncryptionKey, next: KeyEncryptionKey): Promise<void> {
  const slot = readKeySlot(db);
  if (slot === null)
    throw new ArcFaceError('GALLERY_NOT_SEALED', `Expected a sealed gallery to rekey but ${path} is not sealed: seal it with \`arcface gallery seal\``);
  const wrapped = await next.wrap(await unwrapDataKey(current, slot.wrapped, slot.kekId, path));
  db.transaction(() => {
    const now = readKeySlot(db);
    if (now === null || Buffer.compare(Buffer.from(now.wrapped), Buffer.from(slot.wrapped)) !== 0) {
      throw new ArcFaceError('GALLERY_BUSY', `Expected the data key of ${path} to stay put while it was re-wrapped but another process changed it; retry`);
    }
    putSlot(db, next.id, wrapped, false);
  }).immediate();
  db.pragma('wal_checkpoint(TRUNCATE)');
}

function putSlot(db: Database.Database, kekId: string, wrapped: Uint8Array, insert: boolean): void {
  const now = Date.now();
  if (insert) {
    db.prepare(`INSERT INTO gallery_keys (slot, kek_id, wrapped, created_at, updated_at) VALUES ('data', ?, ?, ?, ?)`).run(
      kekId,
      Buffer.from(wrapped),
      now,
      now,
    );
  } else {
    db.prepare(`UPDATE gallery_keys SET kek_id = ?, wrapped = ?, updated_at = ? WHERE slot = 'data'`).run(kekId, Buffer.from(wrapped), now);
  }
}

/**
 * Re-seals the templates and thumbnails that identity `holder` holds, sealed for identity `from`,
 * for identity `to`: a rename or a merge moves rows to another id, which is part of their associated
 * data. Nothing to do for an unsealed gallery. Runs inside the caller's write transaction.
 *
 * @example
 * resealRows(db, codec, 512, { from: 'ada', to: 'ada-l', holder: 'ada-l' })
 */
export function resealRows(db: Database.Database, codec: RowCodec, dim: number, ids: { from: string; to: string; holder: string }): void {
  if (!codec.sealed) return;
  const { from, to, holder } = ids;
  const rows = db.prepare('SELECT template_id, embedding FROM templates WHERE identity_id = ?').all(holder) as { template_id: number; embedding: Buffer }[];
  const setT = db.prepare('UPDATE templates SET embedding = ? WHERE template_id = ?');
  for (const r of rows) setT.run(codec.embedding(to, codec.readEmbedding(from, r.embedding, dim)), r.template_id);
  const thumbs = db
    .prepare('SELECT h.template_id, h.jpeg FROM template_thumbnails h JOIN templates t USING (template_id) WHERE t.identity_id = ?')
    .all(holder) as {
    template_id: number;
    jpeg: Buffer;
  }[];
  const setJ = db.prepare('UPDATE template_thumbnails SET jpeg = ? WHERE template_id = ?');
  for (const r of thumbs) setJ.run(codec.thumbnail(to, codec.readThumbnail(from, r.jpeg)), r.template_id);
}

/**
 * Refuses a write or full read when another process sealed the file after this connection opened it
 * unsealed (or the reverse): rows of both kinds must never mix in one gallery.
 *
 * @example
 * assertSealState(db, codec, 'people.db')
 */
export function assertSealState(db: Database.Database, codec: RowCodec, path: string): void {
  const sealed = readKeySlot(db) !== null;
  if (sealed === codec.sealed) return;
  if (sealed)
    throw new ArcFaceError(
      'GALLERY_SEALED',
      `Expected ${path} to be unsealed as when it was opened, but another process sealed it: reopen it with its key-encryption key`,
    );
  throw new ArcFaceError('GALLERY_NOT_SEALED', `Expected ${path} to be sealed as when it was opened, but it no longer is`);
}

/** Whether people discovery has made its faces table in this file (its room creates it when first opened). */
function hasPeopleFaces(db: Database.Database): boolean {
  return db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'person_faces'`).get() !== undefined;
}

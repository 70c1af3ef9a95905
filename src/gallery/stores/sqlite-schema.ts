import type Database from 'better-sqlite3';
import { ArcFaceError } from '../../core/index.js';
import type { GalleryMeta } from './store.js';

/**
 * `PRAGMA application_id` of gallery files: ASCII "AFG1", so other SQLite files are told apart.
 *
 * @example
 * db.pragma('application_id', { simple: true }) === SQLITE_APPLICATION_ID
 */
export const SQLITE_APPLICATION_ID = 0x41464731;
/**
 * Current schema version (`PRAGMA user_version`).
 *
 * @example
 * db.pragma('user_version', { simple: true }) === SQLITE_SCHEMA_VERSION
 */
export const SQLITE_SCHEMA_VERSION = 5;

/** Page size of new gallery files (bytes). */
const SQLITE_PAGE_SIZE = 16384;

/** Migrations: entry `i` upgrades schema version `i` to `i + 1`. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE gallery_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
   CREATE TABLE identities (
     id TEXT PRIMARY KEY, name TEXT NOT NULL, metadata TEXT NOT NULL DEFAULT '{}',
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;
   CREATE TABLE templates (
     template_id INTEGER PRIMARY KEY,
     identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE ON UPDATE CASCADE,
     embedding BLOB NOT NULL, source_file TEXT, source_sha256 TEXT, det_score REAL, face_size REAL,
     created_at INTEGER NOT NULL) STRICT;
   CREATE INDEX templates_by_identity ON templates(identity_id);`,
  // 1 → 2: template ids are never reused. A plain INTEGER PRIMARY KEY hands out max(id) + 1, so after
  // the newest face is deleted its id comes back and a stale delete removes someone else's face;
  // AUTOINCREMENT keeps the largest id ever issued in sqlite_sequence (sqlite.org/autoinc.html).
  // SQLite cannot add AUTOINCREMENT to a table, so it is rebuilt keeping every id; ids deleted
  // above the current largest before this migration cannot be known and may be issued once more.
  `CREATE TABLE templates_v2 (
     template_id INTEGER PRIMARY KEY AUTOINCREMENT,
     identity_id TEXT NOT NULL REFERENCES identities(id) ON DELETE CASCADE ON UPDATE CASCADE,
     embedding BLOB NOT NULL, source_file TEXT, source_sha256 TEXT, det_score REAL, face_size REAL,
     created_at INTEGER NOT NULL) STRICT;
   INSERT INTO templates_v2 (template_id, identity_id, embedding, source_file, source_sha256, det_score, face_size, created_at)
     SELECT template_id, identity_id, embedding, source_file, source_sha256, det_score, face_size, created_at FROM templates;
   DROP TABLE templates;
   ALTER TABLE templates_v2 RENAME TO templates;
   CREATE INDEX templates_by_identity ON templates(identity_id);`,
  // 2 → 3: JPEG thumbnails of templates, removed with their template. (This step also created the
  // people tables; the people room owns them now and creates or adopts them itself: src/people.)
  `CREATE TABLE template_thumbnails (
     template_id INTEGER PRIMARY KEY REFERENCES templates(template_id) ON DELETE CASCADE, jpeg BLOB NOT NULL) STRICT;`,
  // 3 → 4: only people tables changed at this version; the people room migrates them (people-schema.ts).
  `SELECT 1;`,
  // 4 → 5: sealing at rest. A sealed gallery's data key, wrapped by its key-encryption key, lives in
  // the 'data' slot; a gallery without one is unsealed (every gallery before this version), and its
  // rows stay readable as they are until `arcface gallery seal` re-encrypts them.
  `CREATE TABLE gallery_keys (
     slot TEXT PRIMARY KEY, kek_id TEXT NOT NULL, wrapped BLOB NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT;`,
];

/**
 * Prepares a connection (WAL, foreign keys) and creates or migrates the schema; returns the meta.
 *
 * @example
 * const meta = initialise(db, 'people.db', { fingerprint, embeddingSize: 512 })
 */
export function initialise(
  db: Database.Database,
  path: string,
  opts: { readonly fingerprint?: string | undefined; readonly embeddingSize?: number | undefined },
): GalleryMeta {
  // A 2 KiB embedding row does not fit twice in SQLite's default 4 KiB page (a leaf cell may hold at
  // most page size − 35 bytes locally; SQLite file format §1.6), wasting half of each page. 16 KiB
  // pages hold 7 such rows. The pragma only takes effect on a new, empty file, before WAL is set.
  db.pragma(`page_size = ${SQLITE_PAGE_SIZE}`);
  db.pragma('journal_mode = WAL');
  db.pragma('foreign_keys = ON');
  // Deleted rows are overwritten with zeros rather than left in free pages (sqlite.org/pragma.html
  // #pragma_secure_delete): a removed or forgotten face leaves no template bytes in the file.
  db.pragma('secure_delete = ON');
  // NORMAL is durable in WAL mode against process crashes (only an OS crash may drop the last commits).
  db.pragma('synchronous = NORMAL');
  let version = db.pragma('user_version', { simple: true }) as number;
  if (version === 0) {
    // Several processes may create one new file at once (queue workers starting together): the write
    // lock decides, and the others find the schema made when they re-read the version under it.
    db.transaction(() => {
      if ((db.pragma('user_version', { simple: true }) as number) !== 0) return;
      const tables = (db.prepare(`SELECT COUNT(*) AS n FROM sqlite_schema`).get() as { n: number }).n;
      if (tables > 0) throw foreign(path, 'it has tables but no gallery schema version');
      if (opts.fingerprint === undefined || opts.embeddingSize === undefined) {
        throw new ArcFaceError('INVALID_ARGUMENT', `Expected a model fingerprint and embedding size to create the gallery ${path} but received none`);
      }
      const { fingerprint, embeddingSize } = opts;
      db.pragma(`application_id = ${SQLITE_APPLICATION_ID}`);
      migrate(db, 0);
      const put = db.prepare('INSERT INTO gallery_meta (key, value) VALUES (?, ?)');
      put.run('format', 'arcface-gallery');
      put.run('fingerprint', fingerprint);
      put.run('embedding_size', String(embeddingSize));
      put.run('generation', '0');
    }).immediate();
    version = db.pragma('user_version', { simple: true }) as number;
  }
  checkApplication(db, path, version);
  if (version < SQLITE_SCHEMA_VERSION) {
    db.transaction(() => {
      const now = db.pragma('user_version', { simple: true }) as number;
      if (now < SQLITE_SCHEMA_VERSION) migrate(db, now);
    }).immediate();
  }
  return readMeta(db, path);
}

function migrate(db: Database.Database, from: number): void {
  for (let v = from; v < SQLITE_SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
  db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`);
}

function checkApplication(db: Database.Database, path: string, version: number): void {
  const app = db.pragma('application_id', { simple: true }) as number;
  if (app !== SQLITE_APPLICATION_ID) throw foreign(path, `its application_id is ${app}, not ${SQLITE_APPLICATION_ID} ("AFG1")`);
  if (version > SQLITE_SCHEMA_VERSION) {
    throw new ArcFaceError(
      'GALLERY_CORRUPT',
      `Expected gallery schema version ≤ ${SQLITE_SCHEMA_VERSION} in ${path} but found ${version}: it was written by a newer ArcFace.ts`,
    );
  }
}

/**
 * Reads the recorded fingerprint, size and schema version; `GALLERY_CORRUPT` for foreign files.
 *
 * @example
 * readMeta(db, 'people.db').fingerprint
 */
export function readMeta(db: Database.Database, path: string): GalleryMeta {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === 0) throw foreign(path, 'it has no gallery schema version');
  checkApplication(db, path, version);
  const rows = db.prepare('SELECT key, value FROM gallery_meta').all() as { key: string; value: string }[];
  const m = new Map(rows.map((r) => [r.key, r.value]));
  const size = Number(m.get('embedding_size'));
  const fingerprint = m.get('fingerprint');
  if (m.get('format') !== 'arcface-gallery' || fingerprint === undefined || !Number.isInteger(size) || size < 1) {
    throw foreign(path, 'its gallery_meta table lacks format, fingerprint or embedding_size');
  }
  return Object.freeze({ fingerprint, embeddingSize: size, schemaVersion: version });
}

function foreign(path: string, why: string): ArcFaceError {
  return new ArcFaceError('GALLERY_CORRUPT', `Expected ${path} to be an ArcFace.ts gallery but ${why}`);
}

/**
 * The pauses (ms) between tries of opening a SQLite file that answered busy, until `deadline` (a
 * `Date.now()` time): doubling from 5 ms to at most 200 ms, jittered so that processes that collided
 * once do not collide again in step, the last try at the deadline; none once it has passed. SQLite's
 * busy timeout covers most waits, but where waiting could deadlock SQLite answers busy at once instead
 * (sqlite.org/c3ref/busy_handler.html), which costs only a retry. Opening a gallery and the API key
 * file both retry on this schedule.
 *
 * @example
 * const pauses = busyPauses(Date.now() + 5000)
 * const next = pauses.next() // { done: true } once the deadline has passed
 */
export function* busyPauses(deadline: number): Generator<number, void, undefined> {
  for (let pause = 5; Date.now() < deadline; pause = Math.min(pause * 2, 200)) {
    yield Math.max(0, Math.min(pause * (0.5 + Math.random()), deadline - Date.now()));
  }
}

/**
 * Runs `fn` as {@link guard} does, again (on {@link busyPauses}) while SQLite answers busy, until
 * `timeoutMs` has passed: for opening a file that other processes open at the same moment (servers and
 * workers that start together).
 *
 * @example
 * const meta = await guardUntilFree('people.db', 5000, () => initialise(db, 'people.db', model))
 */
export async function guardUntilFree<T>(path: string, timeoutMs: number, fn: () => T): Promise<T> {
  const pauses = busyPauses(Date.now() + timeoutMs);
  for (;;) {
    try {
      return guard(path, fn);
    } catch (e) {
      const next = e instanceof ArcFaceError && e.code === 'GALLERY_BUSY' ? pauses.next() : undefined;
      if (next === undefined || next.done === true) throw e;
      await new Promise((res) => setTimeout(res, next.value));
    }
  }
}

/**
 * Runs `fn`, mapping SQLite failures to coded errors: busy → `GALLERY_BUSY`, damage → `GALLERY_CORRUPT`.
 *
 * @example
 * guard('people.db', () => db.prepare('SELECT 1').get())
 */
export function guard<T>(path: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof ArcFaceError) throw e;
    const code = (e as { code?: unknown }).code;
    if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') {
      throw new ArcFaceError('GALLERY_BUSY', `Expected gallery ${path} to be free but another process held it past the busy timeout`, { cause: e });
    }
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT' || code === 'SQLITE_ERROR' || code === 'SQLITE_CANTOPEN') {
      throw new ArcFaceError('GALLERY_CORRUPT', `Expected ${path} to be a readable ArcFace.ts gallery but SQLite reports: ${(e as Error).message}`, {
        cause: e,
      });
    }
    throw e;
  }
}

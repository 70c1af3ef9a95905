/**
 * The people room's tables, which people define and migrate themselves in the gallery's database
 * (`migrateRoom`): persons found by clustering, their faces, the photos known by content and the hand
 * edits kept as constraints. Identities, templates and thumbnails are the gallery's.
 */
import type { RoomMigration, RoomSql } from '../gallery/index.js';

/** Column types by dialect: SQLite STRICT tables, PostgreSQL with bigserial ids. */
function types(q: RoomSql): { id: string; int: string; real: string; blob: string; big: string; strict: string } {
  return q.dialect === 'sqlite'
    ? { id: 'INTEGER PRIMARY KEY AUTOINCREMENT', int: 'INTEGER', real: 'REAL', blob: 'BLOB', big: 'INTEGER', strict: ' STRICT' }
    : { id: 'bigserial PRIMARY KEY', int: 'integer', real: 'double precision', blob: 'bytea', big: 'bigint', strict: '' };
}

/** Whether `table` has `column` (a gallery from before the people room lacks the newer ones). */
async function hasColumn(q: RoomSql, table: string, column: string): Promise<boolean> {
  const rows =
    q.dialect === 'sqlite'
      ? await q.all<{ name: string }>('SELECT name FROM pragma_table_info(?)', [table])
      : await q.all<{ name: string }>('SELECT column_name AS name FROM information_schema.columns WHERE table_name = ?', [table]);
  return rows.some((r) => r.name === column);
}

/**
 * Version 1 of the people tables. Galleries made before the people room held these tables already
 * (created by the gallery's own schema, versions 3 and 4), so every statement is `IF NOT EXISTS` and a
 * person-faces table without `photo_sha256` gains it: one step serves a new gallery and adopts an old one.
 * Person ids are never reused (AUTOINCREMENT / bigserial), so they stay stable across runs.
 */
const V1: RoomMigration = async (q) => {
  const t = types(q);
  const [persons, faces, photos, constraints, identities] = [
    q.table('persons'),
    q.table('person_faces'),
    q.table('people_photos'),
    q.table('person_constraints'),
    q.table('identities'),
  ] as const;
  await q.all(`CREATE TABLE IF NOT EXISTS ${persons} (person_id ${t.id},
    identity_id TEXT REFERENCES ${identities}(id) ON DELETE SET NULL ON UPDATE CASCADE,
    hidden ${t.int} NOT NULL DEFAULT 0, created_at ${t.big} NOT NULL, updated_at ${t.big} NOT NULL)${t.strict}`);
  await q.all(`CREATE TABLE IF NOT EXISTS ${faces} (face_id ${t.id}, photo TEXT NOT NULL, box TEXT NOT NULL, det_score ${t.real},
    embedding ${t.blob} NOT NULL, person_id ${t.big} REFERENCES ${persons}(person_id) ON DELETE SET NULL,
    locked ${t.int} NOT NULL DEFAULT 0, template_id ${t.big}, thumbnail ${t.blob}, created_at ${t.big} NOT NULL, photo_sha256 TEXT)${t.strict}`);
  if (!(await hasColumn(q, faces, 'photo_sha256'))) await q.all(`ALTER TABLE ${faces} ADD COLUMN photo_sha256 TEXT`);
  await q.all(`CREATE INDEX IF NOT EXISTS ${faces}_by_person ON ${faces} (person_id)`);
  await q.all(`CREATE INDEX IF NOT EXISTS ${faces}_by_photo ON ${faces} (photo)`);
  await q.all(`CREATE INDEX IF NOT EXISTS ${faces}_by_sha256 ON ${faces} (photo_sha256)`);
  await q.all(`CREATE TABLE IF NOT EXISTS ${photos} (sha256 TEXT PRIMARY KEY, path TEXT NOT NULL, size ${t.big}, mtime_ms ${t.real},
    faces ${t.int} NOT NULL, seen_at ${t.big} NOT NULL)${t.strict}`);
  await q.all(`CREATE INDEX IF NOT EXISTS ${photos}_by_path ON ${photos} (path)`);
  await q.all(`CREATE TABLE IF NOT EXISTS ${constraints} (constraint_id ${t.id}, kind TEXT NOT NULL CHECK (kind IN ('must', 'cannot')),
    face_a ${t.big} NOT NULL REFERENCES ${faces}(face_id) ON DELETE CASCADE,
    face_b ${t.big} NOT NULL REFERENCES ${faces}(face_id) ON DELETE CASCADE,
    edit TEXT NOT NULL, created_at ${t.big} NOT NULL)${t.strict}`);
  await q.all(`CREATE INDEX IF NOT EXISTS ${constraints}_by_a ON ${constraints} (face_a)`);
  await q.all(`CREATE INDEX IF NOT EXISTS ${constraints}_by_b ON ${constraints} (face_b)`);
};

/**
 * The people room's schema steps (entry `i` upgrades version `i` to `i + 1`).
 *
 * @example
 * await migrateRoom(sql, 'people', PEOPLE_MIGRATIONS)
 */
export const PEOPLE_MIGRATIONS: readonly RoomMigration[] = [V1];

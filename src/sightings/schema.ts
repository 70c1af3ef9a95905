/**
 * The sightings room's tables, in the gallery database (SQLite file or PostgreSQL), migrated through
 * `openRoom`: sightings (one per ended track), their best aligned faces (JPEG, embedding,
 * quality), visitors (unknown sightings clustered across sources and restarts) and negatives ("not X").
 */
import type { RoomSchema } from '../gallery/index.js';

const SQLITE_V1 = [
  `CREATE TABLE visitors (visitor_id INTEGER PRIMARY KEY AUTOINCREMENT, identity_id TEXT, created_at REAL NOT NULL, seen_at REAL NOT NULL)`,
  `CREATE TABLE sightings (sighting_id INTEGER PRIMARY KEY AUTOINCREMENT, source TEXT NOT NULL, track_id INTEGER NOT NULL,
    pts_from REAL NOT NULL, pts_to REAL NOT NULL, identity_id TEXT, score REAL NOT NULL, decided_by TEXT NOT NULL,
    visitor_id INTEGER REFERENCES visitors(visitor_id) ON DELETE SET NULL, quality REAL NOT NULL, embedding BLOB NOT NULL, seen_at REAL NOT NULL)`,
  'CREATE INDEX sightings_by_source ON sightings (source, seen_at)',
  'CREATE INDEX sightings_by_identity ON sightings (identity_id)',
  'CREATE INDEX sightings_by_visitor ON sightings (visitor_id)',
  `CREATE TABLE sighting_faces (face_id INTEGER PRIMARY KEY AUTOINCREMENT, sighting_id INTEGER NOT NULL REFERENCES sightings(sighting_id) ON DELETE CASCADE,
    rank INTEGER NOT NULL, jpeg BLOB NOT NULL, embedding BLOB NOT NULL, quality TEXT NOT NULL, learnable INTEGER NOT NULL)`,
  'CREATE INDEX sighting_faces_by_sighting ON sighting_faces (sighting_id)',
  `CREATE TABLE sighting_negatives (negative_id INTEGER PRIMARY KEY AUTOINCREMENT, identity_id TEXT NOT NULL, sighting_id INTEGER,
    embedding BLOB NOT NULL, created_at REAL NOT NULL)`,
  'CREATE INDEX sighting_negatives_by_identity ON sighting_negatives (identity_id)',
];

const POSTGRES_V1 = [
  'CREATE TABLE arcface_visitors (visitor_id bigserial PRIMARY KEY, identity_id text, created_at double precision NOT NULL, seen_at double precision NOT NULL)',
  `CREATE TABLE arcface_sightings (sighting_id bigserial PRIMARY KEY, source text NOT NULL, track_id integer NOT NULL,
    pts_from double precision NOT NULL, pts_to double precision NOT NULL, identity_id text, score double precision NOT NULL, decided_by text NOT NULL,
    visitor_id bigint REFERENCES arcface_visitors(visitor_id) ON DELETE SET NULL, quality double precision NOT NULL, embedding bytea NOT NULL,
    seen_at double precision NOT NULL)`,
  'CREATE INDEX arcface_sightings_by_source ON arcface_sightings (source, seen_at)',
  'CREATE INDEX arcface_sightings_by_identity ON arcface_sightings (identity_id)',
  'CREATE INDEX arcface_sightings_by_visitor ON arcface_sightings (visitor_id)',
  `CREATE TABLE arcface_sighting_faces (face_id bigserial PRIMARY KEY, sighting_id bigint NOT NULL REFERENCES arcface_sightings(sighting_id) ON DELETE CASCADE,
    rank integer NOT NULL, jpeg bytea NOT NULL, embedding bytea NOT NULL, quality text NOT NULL, learnable integer NOT NULL)`,
  'CREATE INDEX arcface_sighting_faces_by_sighting ON arcface_sighting_faces (sighting_id)',
  `CREATE TABLE arcface_sighting_negatives (negative_id bigserial PRIMARY KEY, identity_id text NOT NULL, sighting_id bigint,
    embedding bytea NOT NULL, created_at double precision NOT NULL)`,
  'CREATE INDEX arcface_sighting_negatives_by_identity ON arcface_sighting_negatives (identity_id)',
];

/**
 * The sightings tables, version by version.
 *
 * @example
 * const sql = await openRoom(gallery.store, 'sightings', schemaMigrations(SIGHTINGS_SCHEMA))
 */
export const SIGHTINGS_SCHEMA: RoomSchema = Object.freeze({ name: 'sightings', sqlite: [SQLITE_V1], postgres: [POSTGRES_V1] });

/**
 * The people store's SQL: a room of the gallery database ({@link RoomSql}, whose home is the gallery).
 * These names stay for the people code and its callers.
 */
import { postgresRoomSql, sqliteRoomSql, type RoomSql } from '../gallery/index.js';

/** Queries with `?` placeholders (see {@link RoomSql}). */
export type PeopleSql = RoomSql;

/**
 * A PostgreSQL runner over the gallery's client.
 *
 * @example
 * const sql = postgresPeopleSql(client)
 */
export const postgresPeopleSql = postgresRoomSql;

/**
 * A SQLite runner on a new connection to the gallery file at `path`.
 *
 * @example
 * const sql = sqlitePeopleSql('people.db')
 */
export const sqlitePeopleSql = sqliteRoomSql;

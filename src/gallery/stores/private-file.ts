import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Mode of every data file this project creates (galleries, their index snapshots, thumbnails, API
 * keys): read and write for the owner only. Face embeddings are biometric data and key hashes are
 * credentials, so other local users get nothing, whatever the umask.
 *
 * @example
 * writeFileSync(path, bytes, { mode: PRIVATE_FILE_MODE })
 */
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Creates `path` empty with {@link PRIVATE_FILE_MODE} (and its folder) when it does not exist, so a
 * library that then opens it (SQLite) finds an owner-only file; SQLite gives its `-wal` and `-shm`
 * files the mode of the database file. An existing file is left as it is. `:memory:` is ignored.
 *
 * @example
 * ensurePrivateFile('people.db'); const db = new Database('people.db')
 */
export function ensurePrivateFile(path: string): void {
  if (path === ':memory:' || path === '') return;
  mkdirSync(dirname(path), { recursive: true });
  try {
    closeSync(openSync(path, 'wx', PRIVATE_FILE_MODE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
}

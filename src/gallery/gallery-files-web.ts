import { ArcFaceError } from '../core/index.js';

/**
 * The browser twin of `gallery-files.ts`: a page has no file paths, so `Gallery.export(path)` and
 * `Gallery.import(path)` refuse with a pointer to `exportBytes()` / `importBytes()`.
 */
function noFiles(path: unknown): never {
  throw new ArcFaceError(
    'INVALID_ARGUMENT',
    `Expected bytes in the browser (Gallery.exportBytes / importBytes) but received the path ${String(path)}: files are Node.js only`,
  );
}

/**
 * Refuses: see the file comment.
 *
 * @example
 * await readFile('people.afg') // INVALID_ARGUMENT in the browser
 */
export async function readFile(path: unknown): Promise<Uint8Array> {
  return noFiles(path);
}

/**
 * Refuses: see the file comment.
 *
 * @example
 * await writeFile('people.afg', bytes) // INVALID_ARGUMENT in the browser
 */
export async function writeFile(path: unknown, _data: Uint8Array): Promise<void> {
  noFiles(path);
}

/**
 * Refuses: see the file comment.
 *
 * @example
 * await rename('a', 'b') // INVALID_ARGUMENT in the browser
 */
export async function rename(from: unknown, _to: string): Promise<void> {
  noFiles(from);
}

/**
 * Nothing to remove: a page keeps no index cache files.
 *
 * @example
 * await rm('people.db.matrix', { force: true }) // no-op in the browser
 */
export async function rm(_path: string, _opts?: { force?: boolean }): Promise<void> {}

/** Owner-only file mode (`gallery-files.ts`); unused in the browser, where there are no files. */
export const PRIVATE_FILE_MODE = 0o600;

import { readFile, stat } from 'node:fs/promises';
import { ArcFaceError } from '../core/index.js';

/**
 * Reads a file's bytes; a missing path, a directory or an unreadable file is `FILE_NOT_FOUND`
 * saying what was expected there (`what`, e.g. "an image file") and why it could not be read.
 * The one helper for user-named input files (images, protocol files, gallery exports).
 *
 * @example
 * const bytes = await readFileBytes('pairs.txt', 'a protocol file')
 */
export async function readFileBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new ArcFaceError('FILE_NOT_FOUND', `Expected ${what} at ${path} but found a directory or special file`);
    return await readFile(path);
  } catch (err) {
    if (err instanceof ArcFaceError) throw err;
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new ArcFaceError('FILE_NOT_FOUND', `Expected ${what} at ${path} but it could not be read (${code})`, { cause: err });
  }
}

import { gunzipSync } from 'node:zlib';
import { xz } from '@napi-rs/lzma';
import { extract } from 'tar-stream';
import { ArcFaceError } from '../core/index.js';

/** Compression of an archive, by magic bytes. */
export type ArchiveCompression = 'xz' | 'gzip' | 'none';

const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];
const GZIP_MAGIC = [0x1f, 0x8b];

/**
 * Detects xz / gzip / plain tar from the first bytes (xz: FD 37 7A 58 5A 00; gzip: 1F 8B).
 *
 * @example
 * sniffCompression(bytes) // 'xz'
 */
export function sniffCompression(bytes: Uint8Array): ArchiveCompression {
  if (XZ_MAGIC.every((b, i) => bytes[i] === b)) return 'xz';
  if (GZIP_MAGIC.every((b, i) => bytes[i] === b)) return 'gzip';
  return 'none';
}

/**
 * Reads every regular file of a `.tar`, `.tar.gz` or `.tar.xz` into memory, keyed by its path with
 * any leading `./` removed. Archives that cannot be read raise `ARCHIVE_INVALID`.
 *
 * @example
 * const files = await readTarFiles(await readFile('model.tar.xz'))
 */
export async function readTarFiles(bytes: Uint8Array, label = 'archive'): Promise<Map<string, Uint8Array>> {
  let tar: Uint8Array;
  const compression = sniffCompression(bytes);
  try {
    tar = compression === 'xz' ? await xz.decompress(bytes) : compression === 'gzip' ? gunzipSync(bytes) : bytes;
  } catch (err) {
    throw new ArcFaceError('ARCHIVE_INVALID', `Expected a readable ${compression} stream in ${label} but decompression failed: ${(err as Error).message}`, {
      cause: err,
    });
  }
  if (tar.length < 512) {
    throw new ArcFaceError('ARCHIVE_INVALID', `Expected a tar archive in ${label} but received ${tar.length} bytes (a tar holds at least one 512-byte block)`);
  }
  const files = new Map<string, Uint8Array>();
  const ex = extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (header, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on('end', () => {
        if (header.type === 'file') files.set(header.name.replace(/^\.\//, ''), Buffer.concat(chunks));
        next();
      });
      stream.on('error', reject);
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  ex.end(Buffer.from(tar.buffer, tar.byteOffset, tar.length));
  try {
    await done;
  } catch (err) {
    throw new ArcFaceError('ARCHIVE_INVALID', `Expected a valid tar archive in ${label} but it is malformed: ${(err as Error).message}`, { cause: err });
  }
  if (files.size === 0) throw new ArcFaceError('ARCHIVE_INVALID', `Expected files in ${label} but the tar archive is empty`);
  return files;
}

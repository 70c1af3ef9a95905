import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { HOST_LE } from '../stores/codec.js';
import { PRIVATE_FILE_MODE } from '../stores/private-file.js';
import { allocateMatrix, type MatrixAllocator, type TemplateMatrix } from '../stores/store.js';

/**
 * What a snapshot must match to stand for the store: the store's generation (bumped by every
 * committed write, from any process) plus the row count and largest template id, which also change
 * when the file under the same name is replaced by another gallery.
 */
export interface SnapshotKey {
  readonly generation: number;
  readonly rows: number;
  readonly maxTemplateId: number;
  readonly dim: number;
  readonly fingerprint: string;
}

const MAGIC = 'ARCFSNP1';
const FORMAT = 1;
/** Data starts on a 64-byte boundary after the header. */
const DATA_ALIGN = 64;
/** Largest single read (fs reads are limited to 2 GiB − 1 bytes). */
const READ_CHUNK = 1 << 30;

interface Header extends SnapshotKey {
  readonly format: number;
  readonly idsBytes: number;
}

/**
 * A binary copy of a gallery's template matrix beside its SQLite file (`people.db.matrix`), so that
 * opening a large gallery reads one contiguous file instead of a million rows. Layout, little-endian:
 * the 8 ASCII bytes `ARCFSNP1`, a u32 header length, a JSON header (the {@link SnapshotKey}, format,
 * byte length of the ids), zero padding to a multiple of 64, then template ids (float64 × rows), the
 * matrix (float32 × rows × dim) and the identity ids as a UTF-8 JSON array. It is a cache: a missing,
 * stale, truncated or foreign file is ignored (and replaced); the SQLite file stays the only truth.
 *
 * @example
 * const m = readSnapshot('people.db.matrix', key) ?? await store.loadMatrix()
 */
export function readSnapshot(path: string, key: SnapshotKey, allocate?: MatrixAllocator): TemplateMatrix | null {
  if (!HOST_LE || !existsSync(path)) return null;
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(12);
    if (readSync(fd, head, 0, 12, 0) !== 12 || head.toString('latin1', 0, 8) !== MAGIC) return null;
    const hlen = head.readUInt32LE(8);
    if (hlen > 65536 || 12 + hlen > size) return null;
    const hbuf = Buffer.alloc(hlen);
    if (readSync(fd, hbuf, 0, hlen, 12) !== hlen) return null;
    const h = JSON.parse(hbuf.toString('utf8')) as Partial<Header>;
    if (h.format !== FORMAT || !sameKey(h, key) || typeof h.idsBytes !== 'number') return null;
    const { rows, dim } = key;
    const start = dataStart(hlen);
    if (size !== start + rows * 8 + rows * dim * 4 + h.idsBytes) return null;
    const templateIds = new Float64Array(rows);
    if (!readFully(fd, new Uint8Array(templateIds.buffer), start)) return null;
    const matrix = allocateMatrix(allocate, rows, dim);
    if (!readFully(fd, new Uint8Array(matrix.buffer, matrix.byteOffset, matrix.byteLength), start + rows * 8)) return null;
    const idBytes = Buffer.alloc(h.idsBytes);
    if (!readFully(fd, idBytes, start + rows * 8 + rows * dim * 4)) return null;
    const identityIds = JSON.parse(idBytes.toString('utf8')) as unknown;
    if (!Array.isArray(identityIds) || identityIds.length !== rows || !identityIds.every((s) => typeof s === 'string')) return null;
    return { dim, matrix, templateIds, identityIds: identityIds as string[], stamp: { generation: key.generation, rows, maxTemplateId: key.maxTemplateId } };
  } catch {
    // Unreadable or malformed: a stale cache, rebuilt from the store.
    return null;
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `m` as the snapshot for `key`: to a temporary file, then renamed over `path`, so readers
 * see the old file or the whole new one, never a torn one. The matrix must not change until the
 * returned promise settles.
 *
 * @example
 * await writeSnapshot('people.db.matrix', key, matrix)
 */
export async function writeSnapshot(path: string, key: SnapshotKey, m: TemplateMatrix): Promise<void> {
  if (!HOST_LE) return;
  const ids = Buffer.from(JSON.stringify(m.identityIds), 'utf8');
  const header = Buffer.from(JSON.stringify({ format: FORMAT, ...key, idsBytes: ids.length } satisfies Header), 'utf8');
  const head = Buffer.alloc(dataStart(header.length));
  head.write(MAGIC, 0, 'latin1');
  head.writeUInt32LE(header.length, 8);
  header.copy(head, 12);
  const tmp = `${path}.tmp-${process.pid}`;
  const fh = await open(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    const parts: Uint8Array[] = [
      head,
      new Uint8Array(m.templateIds.buffer, m.templateIds.byteOffset, key.rows * 8),
      ...chunks(new Uint8Array(m.matrix.buffer, m.matrix.byteOffset, key.rows * key.dim * 4)),
      ids,
    ];
    for (const p of parts) {
      let off = 0;
      while (off < p.length) off += (await fh.write(p, off, p.length - off)).bytesWritten;
    }
    await fh.close();
    await rename(tmp, path);
  } catch (e) {
    await fh.close().catch(() => undefined);
    await rm(tmp, { force: true });
    throw e;
  }
}

function dataStart(headerLength: number): number {
  return Math.ceil((12 + headerLength) / DATA_ALIGN) * DATA_ALIGN;
}

function chunks(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let off = 0; off < bytes.length; off += READ_CHUNK) out.push(bytes.subarray(off, Math.min(bytes.length, off + READ_CHUNK)));
  return out;
}

function readFully(fd: number, into: Uint8Array, position: number): boolean {
  for (const part of chunks(into)) {
    let off = 0;
    while (off < part.length) {
      const n = readSync(fd, part, off, part.length - off, position);
      if (n === 0) return false;
      off += n;
      position += n;
    }
  }
  return true;
}

function sameKey(a: Partial<SnapshotKey>, b: SnapshotKey): boolean {
  return a.generation === b.generation && a.rows === b.rows && a.maxTemplateId === b.maxTemplateId && a.dim === b.dim && a.fingerprint === b.fingerprint;
}

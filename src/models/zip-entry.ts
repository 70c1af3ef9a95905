import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { crc32, createInflateRaw } from 'node:zlib';
import { ArcFaceError } from '../core/index.js';

/*
 * Record signatures and offsets from the PKWARE APPNOTE.TXT (.ZIP File Format Specification),
 * sections 4.3.7 (local file header), 4.3.12 (central directory header) and 4.3.16 (end of
 * central directory record).
 */
const EOCD_SIGNATURE = 0x06054b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
/** Fixed part of the end-of-central-directory record; a comment of up to 65,535 bytes may follow. */
const EOCD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const CENTRAL_HEADER_SIZE = 46;
const LOCAL_HEADER_SIZE = 30;
/** Compression methods (APPNOTE 4.4.5): 0 stored, 8 deflated. */
const METHOD_STORED = 0;
const METHOD_DEFLATED = 8;
/** Values that mean "see the Zip64 records" (APPNOTE 4.4.1.4). */
const ZIP64_16 = 0xffff;
const ZIP64_32 = 0xffffffff;
/** Zip64 end-of-central-directory locator (APPNOTE 4.3.15, 20 bytes before the end record) and record (4.3.14). */
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const ZIP64_LOCATOR_SIZE = 20;
const ZIP64_EOCD_SIGNATURE = 0x06064b50;
const ZIP64_EOCD_SIZE = 56;
/** Header ID of the Zip64 extended information extra field (APPNOTE 4.5.3). */
const ZIP64_EXTRA_ID = 0x0001;

interface CentralEntry {
  readonly name: string;
  readonly flags: number;
  readonly method: number;
  readonly crc: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localOffset: number;
}

function invalid(zipPath: string, what: string): ArcFaceError {
  return new ArcFaceError('ARCHIVE_INVALID', `Expected a zip archive at ${zipPath} but ${what}`, { details: { path: zipPath } });
}

function safeNumber(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ArcFaceError('ARCHIVE_INVALID', `Expected zip offsets below 2^53 but received ${v}`);
  return Number(v);
}

type EntrySizes = Pick<CentralEntry, 'size' | 'compressedSize' | 'localOffset'>;

/** Replaces 0xFFFFFFFF sizes and offset with their 64-bit values from the Zip64 extra field, in APPNOTE order. */
function zip64Sizes(extra: Buffer, plain: EntrySizes): EntrySizes {
  const out = { ...plain };
  for (let q = 0; q + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(q);
    const length = extra.readUInt16LE(q + 2);
    if (id === ZIP64_EXTRA_ID) {
      let r = q + 4;
      const next = (): number => {
        if (r + 8 > q + 4 + length) throw new ArcFaceError('ARCHIVE_INVALID', 'Expected a complete Zip64 extra field but it is too short');
        const v = safeNumber(extra.readBigUInt64LE(r));
        r += 8;
        return v;
      };
      if (plain.size === ZIP64_32) out.size = next();
      if (plain.compressedSize === ZIP64_32) out.compressedSize = next();
      if (plain.localOffset === ZIP64_32) out.localOffset = next();
    }
    q += 4 + length;
  }
  return out;
}

async function openZip(zipPath: string): Promise<FileHandle> {
  try {
    return await open(zipPath, 'r');
  } catch (e) {
    throw new ArcFaceError(
      'FILE_NOT_FOUND',
      `Expected a zip archive at ${zipPath} but it could not be opened (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      {
        cause: e,
        details: { path: zipPath },
      },
    );
  }
}

async function readCentralDirectory(zipPath: string): Promise<{ entries: CentralEntry[]; fileSize: number }> {
  const fh = await openZip(zipPath);
  try {
    const fileSize = (await fh.stat()).size;
    const tailLength = Math.min(fileSize, EOCD_SIZE + MAX_COMMENT);
    const tail = Buffer.alloc(tailLength);
    await fh.read(tail, 0, tailLength, fileSize - tailLength);
    let eocd = -1;
    for (let i = tailLength - EOCD_SIZE; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD_SIGNATURE) {
        eocd = i;
        break;
      }
    }
    if (eocd < 0) throw invalid(zipPath, 'no end-of-central-directory record was found');
    let count = tail.readUInt16LE(eocd + 10);
    let cdSize = tail.readUInt32LE(eocd + 12);
    let cdOffset = tail.readUInt32LE(eocd + 16);
    if (count === ZIP64_16 || cdSize === ZIP64_32 || cdOffset === ZIP64_32) {
      const at = eocd - ZIP64_LOCATOR_SIZE;
      if (at < 0 || tail.readUInt32LE(at) !== ZIP64_LOCATOR_SIGNATURE) throw invalid(zipPath, 'its Zip64 end-of-central-directory locator is missing');
      const recordOffset = safeNumber(tail.readBigUInt64LE(at + 8));
      const record = Buffer.alloc(ZIP64_EOCD_SIZE);
      const { bytesRead } = await fh.read(record, 0, ZIP64_EOCD_SIZE, recordOffset);
      if (bytesRead < ZIP64_EOCD_SIZE || record.readUInt32LE(0) !== ZIP64_EOCD_SIGNATURE)
        throw invalid(zipPath, 'its Zip64 end-of-central-directory record is malformed');
      count = safeNumber(record.readBigUInt64LE(32));
      cdSize = safeNumber(record.readBigUInt64LE(40));
      cdOffset = safeNumber(record.readBigUInt64LE(48));
    }
    if (cdOffset + cdSize > fileSize) throw invalid(zipPath, 'its central directory lies past the end of the file (truncated?)');
    const cd = Buffer.alloc(cdSize);
    await fh.read(cd, 0, cdSize, cdOffset);
    const entries: CentralEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + CENTRAL_HEADER_SIZE > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIGNATURE) throw invalid(zipPath, `central directory entry ${i} is malformed`);
      const nameLength = cd.readUInt16LE(p + 28);
      const extraLength = cd.readUInt16LE(p + 30);
      const commentLength = cd.readUInt16LE(p + 32);
      const extraStart = p + CENTRAL_HEADER_SIZE + nameLength;
      const sizes = zip64Sizes(cd.subarray(extraStart, extraStart + extraLength), {
        size: cd.readUInt32LE(p + 24),
        compressedSize: cd.readUInt32LE(p + 20),
        localOffset: cd.readUInt32LE(p + 42),
      });
      entries.push({
        flags: cd.readUInt16LE(p + 8),
        method: cd.readUInt16LE(p + 10),
        crc: cd.readUInt32LE(p + 16),
        ...sizes,
        name: cd.toString('utf8', p + CENTRAL_HEADER_SIZE, extraStart),
      });
      p += CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    }
    return { entries, fileSize };
  } finally {
    await fh.close();
  }
}

async function dataOffset(zipPath: string, entry: CentralEntry): Promise<number> {
  const fh = await open(zipPath, 'r');
  try {
    const header = Buffer.alloc(LOCAL_HEADER_SIZE);
    const { bytesRead } = await fh.read(header, 0, LOCAL_HEADER_SIZE, entry.localOffset);
    if (bytesRead < LOCAL_HEADER_SIZE || header.readUInt32LE(0) !== LOCAL_SIGNATURE) throw invalid(zipPath, `the local header of ${entry.name} is malformed`);
    return entry.localOffset + LOCAL_HEADER_SIZE + header.readUInt16LE(26) + header.readUInt16LE(28);
  } finally {
    await fh.close();
  }
}

/**
 * Names of the file entries of a zip archive (folders left out).
 *
 * @example
 * await listZipEntries('buffalo_l.zip') // ['1k3d68.onnx', '2d106det.onnx', 'det_10g.onnx', …]
 */
export async function listZipEntries(zipPath: string): Promise<string[]> {
  const { entries } = await readCentralDirectory(zipPath);
  return entries.filter((e) => !e.name.endsWith('/')).map((e) => e.name);
}

/**
 * Extracts one entry of a zip archive to `destPath`, streaming, and returns its SHA-256 and size.
 * The entry is found by exact name or by its last path segment (packs may hold a top folder).
 * Checks the entry's CRC-32 and size. Stored and deflated entries and Zip64 archives are
 * supported; encrypted entries and other compression methods are refused with `ARCHIVE_INVALID`.
 *
 * @example
 * const { sha256 } = await extractZipEntry('/tmp/buffalo_sc.zip', 'w600k_mbf.onnx', '/tmp/w600k_mbf.onnx')
 */
export async function extractZipEntry(zipPath: string, entryName: string, destPath: string): Promise<{ sha256: string; size: number }> {
  const { entries, fileSize } = await readCentralDirectory(zipPath);
  const entry = entries.find((e) => e.name === entryName) ?? entries.find((e) => e.name.split('/').pop() === entryName);
  if (entry === undefined) {
    const names = entries.map((e) => e.name);
    throw invalid(zipPath, `it has no entry ${entryName}; it holds ${names.slice(0, 20).join(', ')}${names.length > 20 ? ', …' : ''}`);
  }
  if ((entry.flags & 1) !== 0) throw invalid(zipPath, `entry ${entry.name} is encrypted`);
  if (entry.method !== METHOD_STORED && entry.method !== METHOD_DEFLATED) {
    throw invalid(zipPath, `entry ${entry.name} uses compression method ${entry.method} (only stored and deflated are supported)`);
  }
  const start = await dataOffset(zipPath, entry);
  if (start + entry.compressedSize > fileSize) throw invalid(zipPath, `entry ${entry.name} runs past the end of the file (truncated?)`);
  const hash = createHash('sha256');
  let crc = 0;
  let size = 0;
  const measure = async function* (chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of chunks) {
      hash.update(chunk);
      crc = crc32(chunk, crc);
      size += chunk.length;
      yield chunk;
    }
  };
  try {
    if (entry.compressedSize === 0) {
      await pipeline(async function* () {}, createWriteStream(destPath));
    } else {
      const source = createReadStream(zipPath, { start, end: start + entry.compressedSize - 1 });
      if (entry.method === METHOD_STORED) await pipeline(source, measure, createWriteStream(destPath));
      else await pipeline(source, createInflateRaw(), measure, createWriteStream(destPath));
    }
  } catch (e) {
    if (e instanceof ArcFaceError) throw e;
    throw new ArcFaceError('ARCHIVE_INVALID', `Expected to inflate ${entry.name} from ${zipPath} but it failed: ${(e as Error).message}`, { cause: e });
  }
  if (size !== entry.size || crc >>> 0 !== entry.crc >>> 0) {
    throw invalid(
      zipPath,
      `entry ${entry.name} is damaged: ${size} bytes with CRC-32 ${(crc >>> 0).toString(16)}, expected ${entry.size} bytes with ${(entry.crc >>> 0).toString(16)}`,
    );
  }
  return { sha256: hash.digest('hex'), size };
}

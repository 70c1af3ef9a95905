import { sha256Digest, ArcFaceError } from '../core/index.js';
import { decodeFloat32LE, HOST_LE } from './stores/codec.js';
import type { IdentityRecord, NewTemplate, TemplateRecord } from './stores/store.js';

/**
 * Gallery export file, version 1 (all integers little-endian):
 *
 * | offset      | size       | content                                               |
 * |-------------|------------|-------------------------------------------------------|
 * | 0           | 8          | magic, ASCII `AFGALLRY`                               |
 * | 8           | 4          | uint32 format version (1)                             |
 * | 12          | 4          | uint32 header length H in bytes                       |
 * | 16          | H          | UTF-8 JSON {@link ExportHeader}                       |
 * | 16 + H      | 0–3        | zero padding to a multiple of 4                       |
 * | P           | T × D × 4  | float32 embeddings, one row per template, header order |
 *
 * Identities are sorted by id and templates by insertion order, and `updatedAt` is not written, so
 * exporting an imported file reproduces it byte for byte.
 *
 * @example
 * bytes.toString('ascii', 0, 8) === EXPORT_MAGIC
 */
export const EXPORT_MAGIC = 'AFGALLRY';
/**
 * Format version written at offset 8.
 *
 * @example
 * bytes.readUInt32LE(8) === EXPORT_VERSION
 */
export const EXPORT_VERSION = 1;

/** One identity in an export header. */
export interface ExportIdentity {
  readonly id: string;
  readonly name: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  readonly templates: readonly {
    readonly sourceFile: string | null;
    readonly sourceSha256: string | null;
    readonly detScore: number | null;
    readonly faceSize: number | null;
    readonly createdAt: number;
  }[];
}

/** The JSON header. */
export interface ExportHeader {
  readonly format: 'arcface-gallery-export';
  readonly version: number;
  readonly fingerprint: string;
  readonly embeddingSize: number;
  readonly templateCount: number;
  /** SHA-256 (hex) of the float32 payload. */
  readonly payloadSha256: string;
  readonly identities: readonly ExportIdentity[];
}

/** A decoded export: header plus the templates of each identity. */
export interface DecodedExport {
  readonly header: ExportHeader;
  readonly identities: readonly { identity: IdentityRecord; templates: NewTemplate[] }[];
}

/**
 * Writes identities and their templates in the export format.
 *
 * @example
 * const bytes = encodeExport(fingerprint, 512, [{ identity, templates }])
 */
export function encodeExport(
  fingerprint: string,
  dim: number,
  items: readonly { identity: IdentityRecord; templates: readonly TemplateRecord[] }[],
): Uint8Array {
  const sorted = [...items].sort((a, b) => (a.identity.id < b.identity.id ? -1 : a.identity.id > b.identity.id ? 1 : 0));
  const rows: Float32Array[] = [];
  const identities: ExportIdentity[] = sorted.map(({ identity, templates }) => ({
    id: identity.id,
    name: identity.name,
    metadata: identity.metadata,
    createdAt: identity.createdAt,
    templates: [...templates]
      .sort((a, b) => a.templateId - b.templateId)
      .map((t) => {
        rows.push(t.embedding);
        return { sourceFile: t.sourceFile, sourceSha256: t.sourceSha256, detScore: t.detScore, faceSize: t.faceSize, createdAt: t.createdAt };
      }),
  }));
  const payload = new Uint8Array(rows.length * dim * 4);
  const view = new DataView(payload.buffer);
  rows.forEach((r, i) => {
    if (HOST_LE) payload.set(new Uint8Array(r.buffer, r.byteOffset, r.byteLength), i * dim * 4);
    else for (let j = 0; j < r.length; j++) view.setFloat32((i * dim + j) * 4, r[j] as number, true);
  });
  const header: ExportHeader = {
    format: 'arcface-gallery-export',
    version: EXPORT_VERSION,
    fingerprint,
    embeddingSize: dim,
    templateCount: rows.length,
    payloadSha256: sha256Digest(payload),
    identities,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - (json.length % 4)) % 4;
  const out = new Uint8Array(16 + json.length + pad + payload.length);
  out.set(new TextEncoder().encode(EXPORT_MAGIC), 0);
  const fixed = new DataView(out.buffer);
  fixed.setUint32(8, EXPORT_VERSION, true);
  fixed.setUint32(12, json.length, true);
  out.set(json, 16);
  out.set(payload, 16 + json.length + pad);
  return out;
}

/**
 * Reads an export file; `GALLERY_CORRUPT` for anything malformed (magic, version, header, length,
 * checksum). The caller checks the fingerprint and size against its gallery.
 *
 * @example
 * const { header, identities } = decodeExport(await readFile('people.afg'))
 */
export function decodeExport(bytes: Uint8Array): DecodedExport {
  const buf = bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string): ArcFaceError => new ArcFaceError('GALLERY_CORRUPT', `Expected a gallery export file but ${why}`);
  if (buf.length < 16 || String.fromCharCode(...buf.subarray(0, 8)) !== EXPORT_MAGIC) throw bad(`the first bytes are not "${EXPORT_MAGIC}"`);
  const version = view.getUint32(8, true);
  if (version !== EXPORT_VERSION) throw bad(`its format version is ${version}, and this build reads version ${EXPORT_VERSION}`);
  const h = view.getUint32(12, true);
  if (16 + h > buf.length) throw bad(`its header length ${h} runs past the end of the ${buf.length}-byte file`);
  let header: ExportHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(16, 16 + h))) as ExportHeader;
  } catch (cause) {
    throw new ArcFaceError('GALLERY_CORRUPT', 'Expected a gallery export file but its JSON header does not parse', { cause });
  }
  if (
    header.format !== 'arcface-gallery-export' ||
    !Array.isArray(header.identities) ||
    !Number.isInteger(header.embeddingSize) ||
    typeof header.fingerprint !== 'string'
  ) {
    throw bad('its header lacks format, fingerprint, embeddingSize or identities');
  }
  const start = 16 + h + ((4 - (h % 4)) % 4);
  const dim = header.embeddingSize;
  const count = header.identities.reduce((n, i) => n + (Array.isArray(i.templates) ? i.templates.length : 0), 0);
  if (count !== header.templateCount || buf.length - start !== count * dim * 4) {
    throw bad(
      `it should hold ${header.templateCount} templates of ${dim} float32 (${header.templateCount * dim * 4} bytes) but has ${buf.length - start} payload bytes`,
    );
  }
  const payload = buf.subarray(start);
  if (sha256Digest(payload) !== header.payloadSha256) throw bad('its payload checksum does not match the header');
  let row = 0;
  const identities = header.identities.map((i) => ({
    identity: { id: i.id, name: i.name, metadata: i.metadata, createdAt: i.createdAt, updatedAt: i.createdAt },
    templates: i.templates.map((t: ExportIdentity['templates'][number]) => {
      const embedding = decodeFloat32LE(payload.subarray(row * dim * 4, (row + 1) * dim * 4), dim);
      row++;
      return { embedding, sourceFile: t.sourceFile, sourceSha256: t.sourceSha256, detScore: t.detScore, faceSize: t.faceSize, createdAt: t.createdAt };
    }),
  }));
  return { header, identities };
}

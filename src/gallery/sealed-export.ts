/**
 * Sealed export files: the whole export (header with names and metadata, and the float32 payload)
 * encrypted with AES-256-GCM under a fresh key wrapped by a key-encryption key. WebCrypto, so the
 * browser reads and writes them too. Layout (integers little-endian):
 *
 * | offset | size | content                                                        |
 * |--------|------|----------------------------------------------------------------|
 * | 0      | 8    | magic, ASCII `AFGSEALD`                                        |
 * | 8      | 4    | uint32 envelope version (1)                                    |
 * | 12     | 4    | uint32 header length H                                         |
 * | 16     | H    | UTF-8 JSON {@link SealedExportHeader} (no secret)              |
 * | 16 + H | rest | AES-256-GCM ciphertext and tag of the export file (version 1)  |
 *
 * The associated data is every byte before the ciphertext, so the header cannot be swapped.
 */
import { ArcFaceError } from '../core/index.js';
import { AES_256_KEY_BYTES, GCM_NONCE_BYTES, type KeyEncryptionKey, unwrapDataKey } from './kek.js';

/**
 * Magic of a sealed export.
 *
 * @example
 * isSealedExport(bytes) // bytes start with 'AFGSEALD'
 */
export const SEALED_EXPORT_MAGIC = 'AFGSEALD';
const SEALED_EXPORT_VERSION = 1;

/** The clear header of a sealed export. */
export interface SealedExportHeader {
  readonly format: 'arcface-gallery-export-sealed';
  readonly kekId: string;
  /** Base64 of the wrapped file key. */
  readonly wrappedKey: string;
  /** Base64 of the GCM nonce. */
  readonly nonce: string;
}

const b64 = (b: Uint8Array): string => btoa(String.fromCharCode(...b));
const unb64 = (s: string): Uint8Array => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

/**
 * Whether `bytes` are a sealed export.
 *
 * @example
 * if (isSealedExport(bytes)) bytes = await openExport(bytes, kek)
 */
export function isSealedExport(bytes: Uint8Array): boolean {
  return bytes.length >= 16 && String.fromCharCode(...bytes.subarray(0, 8)) === SEALED_EXPORT_MAGIC;
}

/**
 * Seals export bytes for `kek`.
 *
 * @example
 * const sealed = await sealExport(encodeExport(fp, 512, items), kek)
 */
export async function sealExport(plain: Uint8Array, kek: KeyEncryptionKey): Promise<Uint8Array> {
  const c = globalThis.crypto;
  const fileKey = c.getRandomValues(new Uint8Array(AES_256_KEY_BYTES));
  const nonce = c.getRandomValues(new Uint8Array(GCM_NONCE_BYTES));
  const header: SealedExportHeader = { format: 'arcface-gallery-export-sealed', kekId: kek.id, wrappedKey: b64(await kek.wrap(fileKey)), nonce: b64(nonce) };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const head = new Uint8Array(16 + json.length);
  head.set(new TextEncoder().encode(SEALED_EXPORT_MAGIC));
  new DataView(head.buffer).setUint32(8, SEALED_EXPORT_VERSION, true);
  new DataView(head.buffer).setUint32(12, json.length, true);
  head.set(json, 16);
  const key = await c.subtle.importKey('raw', fileKey, { name: 'AES-GCM' }, false, ['encrypt']);
  const ct = new Uint8Array(await c.subtle.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: head }, key, Uint8Array.from(plain)));
  const out = new Uint8Array(head.length + ct.length);
  out.set(head);
  out.set(ct, head.length);
  return out;
}

/**
 * Opens a sealed export with `kek`: the export bytes inside. `GALLERY_KEY_MISMATCH` for another
 * key, `GALLERY_CORRUPT` for damaged bytes.
 *
 * @example
 * const plain = await openExport(await readFile('people.afg'), kek)
 */
export async function openExport(bytes: Uint8Array, kek: KeyEncryptionKey, label = 'the export'): Promise<Uint8Array> {
  const bad = (why: string, cause?: unknown): ArcFaceError =>
    new ArcFaceError('GALLERY_CORRUPT', `Expected a sealed gallery export in ${label} but ${why}`, cause === undefined ? undefined : { cause });
  if (!isSealedExport(bytes)) throw bad(`the first bytes are not "${SEALED_EXPORT_MAGIC}"`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(8, true) !== SEALED_EXPORT_VERSION)
    throw bad(`its envelope version is ${view.getUint32(8, true)}, and this build reads ${SEALED_EXPORT_VERSION}`);
  const h = view.getUint32(12, true);
  if (16 + h > bytes.length) throw bad(`its header length ${h} runs past the end`);
  let header: SealedExportHeader;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + h))) as SealedExportHeader;
  } catch (cause) {
    throw bad('its JSON header does not parse', cause);
  }
  if (header.format !== 'arcface-gallery-export-sealed' || typeof header.wrappedKey !== 'string' || typeof header.nonce !== 'string')
    throw bad('its header lacks format, wrappedKey or nonce');
  const fileKey = await unwrapDataKey(kek, unb64(header.wrappedKey), String(header.kekId), label);
  const c = globalThis.crypto;
  const key = await c.subtle.importKey('raw', Uint8Array.from(fileKey), { name: 'AES-GCM' }, false, ['decrypt']);
  try {
    const params = { name: 'AES-GCM', iv: Uint8Array.from(unb64(header.nonce)), additionalData: Uint8Array.from(bytes.subarray(0, 16 + h)) };
    return new Uint8Array(await c.subtle.decrypt(params, key, Uint8Array.from(bytes.subarray(16 + h))));
  } catch (cause) {
    throw bad('its ciphertext does not open under its key (altered or truncated)', cause);
  }
}

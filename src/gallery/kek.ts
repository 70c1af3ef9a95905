/**
 * Key-encryption keys: what wraps a sealed gallery's data key. The gallery never holds the KEK's
 * secret beyond these two calls, so a KMS (AWS KMS, Vault transit, a hardware module) implements
 * {@link KeyEncryptionKey} by sending the 32-byte data key to be wrapped or unwrapped. The local
 * implementation here wraps with AES-256-GCM through WebCrypto (Node 20 and browsers alike).
 */
import { ArcFaceError } from '../core/index.js';

/** Bytes of an AES-256 key. */
export const AES_256_KEY_BYTES = 32;
/** Bytes of an AES-GCM nonce (NIST SP 800-38D §8.2: 96-bit IVs). */
export const GCM_NONCE_BYTES = 12;
/** Associated data of a wrapped data key: a wrapped key cannot pass for any other sealed value. */
const WRAP_AAD = new TextEncoder().encode('arcface-gallery-data-key-v1');

/**
 * Wraps and unwraps a gallery's data key. `unwrap` must reject (any error) when the wrapped bytes
 * were not made by this key; the gallery reports that as `GALLERY_KEY_MISMATCH`.
 *
 * @example
 * const kek: KeyEncryptionKey = { id: 'kms:arn:…', wrap: (k) => kms.encrypt(k), unwrap: (w) => kms.decrypt(w) }
 */
export interface KeyEncryptionKey {
  /** Names the key, not secret (recorded with the wrapped data key, shown in errors). */
  readonly id: string;
  wrap(dataKey: Uint8Array): Promise<Uint8Array>;
  unwrap(wrapped: Uint8Array): Promise<Uint8Array>;
}

function subtle(): SubtleCrypto {
  const s = globalThis.crypto?.subtle;
  if (s === undefined) throw new ArcFaceError('SEALING_UNSUPPORTED', 'Expected WebCrypto (crypto.subtle) for sealing but this runtime has none');
  return s;
}

/**
 * A KEK from 32 secret bytes (a key file or environment variable, see {@link parseKeyMaterial}):
 * AES-256-GCM wrapping with a random nonce. Its id is `local:` and 16 hex digits of HMAC-SHA-256 of
 * a fixed label under the key: the same key always has the same id, and the id reveals nothing.
 *
 * @example
 * const kek = await localKeyEncryptionKey(parseKeyMaterial(await readFile('gallery.kek', 'utf8'), 'gallery.kek'))
 */
export async function localKeyEncryptionKey(secret: Uint8Array): Promise<KeyEncryptionKey> {
  if (!(secret instanceof Uint8Array) || secret.length !== AES_256_KEY_BYTES) {
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected a key-encryption key of ${AES_256_KEY_BYTES} bytes but received ${secret instanceof Uint8Array ? secret.length : typeof secret}`,
    );
  }
  const s = subtle();
  const raw = Uint8Array.from(secret);
  const aes = await s.importKey('raw', raw, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  const mac = await s.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const tag = new Uint8Array(await s.sign('HMAC', mac, new TextEncoder().encode('arcface-kek-id')));
  const id = `local:${[...tag.subarray(0, 8)].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
  return Object.freeze({
    id,
    async wrap(dataKey: Uint8Array): Promise<Uint8Array> {
      const nonce = globalThis.crypto.getRandomValues(new Uint8Array(GCM_NONCE_BYTES));
      const ct = new Uint8Array(await s.encrypt({ name: 'AES-GCM', iv: nonce, additionalData: WRAP_AAD }, aes, Uint8Array.from(dataKey)));
      const out = new Uint8Array(nonce.length + ct.length);
      out.set(nonce);
      out.set(ct, nonce.length);
      return out;
    },
    async unwrap(wrapped: Uint8Array): Promise<Uint8Array> {
      const w = Uint8Array.from(wrapped);
      return new Uint8Array(
        await s.decrypt({ name: 'AES-GCM', iv: w.subarray(0, GCM_NONCE_BYTES), additionalData: WRAP_AAD }, aes, w.subarray(GCM_NONCE_BYTES)),
      );
    },
  });
}

/**
 * The 32 key bytes of a key file's or variable's text: 64 hex digits or base64 of 32 bytes
 * (surrounding white space ignored). `INVALID_ARGUMENT` naming `source` otherwise; the key itself
 * never appears in the message.
 *
 * @example
 * parseKeyMaterial('00'.repeat(32), 'ARCFACE_GALLERY_KEK') // Uint8Array(32)
 */
export function parseKeyMaterial(text: string, source: string): Uint8Array {
  const t = typeof text === 'string' ? text.trim() : '';
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Uint8Array.from(t.match(/../g) as string[], (h) => Number.parseInt(h, 16));
  if (/^[A-Za-z0-9+/]{43}=$/.test(t)) {
    const bin = atob(t);
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }
  throw new ArcFaceError(
    'INVALID_ARGUMENT',
    `Expected ${source} to hold a 256-bit key as 64 hex digits or 44 base64 characters but it holds ${t.length} characters of another form`,
  );
}

/**
 * Unwraps a data key, mapping any failure to `GALLERY_KEY_MISMATCH` (the KEK is not the one that
 * wrapped it) and checking the length.
 *
 * @example
 * const dataKey = await unwrapDataKey(kek, wrapped, 'local:ab12…', 'people.db')
 */
export async function unwrapDataKey(kek: KeyEncryptionKey, wrapped: Uint8Array, recordedKekId: string, where: string): Promise<Uint8Array> {
  let key: Uint8Array;
  try {
    key = await kek.unwrap(wrapped);
  } catch (cause) {
    throw new ArcFaceError(
      'GALLERY_KEY_MISMATCH',
      `Expected the key-encryption key that sealed ${where} (${recordedKekId}) but received ${kek.id}, which does not unwrap its data key`,
      { cause },
    );
  }
  if (key.length !== AES_256_KEY_BYTES)
    throw new ArcFaceError('GALLERY_KEY_MISMATCH', `Expected a ${AES_256_KEY_BYTES}-byte data key from ${kek.id} for ${where} but it gave ${key.length} bytes`);
  return key;
}

/**
 * The one door between a store's rows and the values they hold: templates (float32 embeddings) and
 * thumbnails (JPEG), written and read through a {@link RowCodec}. Unsealed galleries store the
 * bytes as they are; sealed ones store AES-256-GCM ciphertext under the gallery's data key, with
 * associated data binding each value to its kind, its identity and the gallery's model, so a row
 * copied to another identity or another gallery does not open. Node only (synchronous node:crypto:
 * SQLite writes run inside synchronous transactions).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ArcFaceError } from '../../core/index.js';
import { decodeFloat32LE, encodeFloat32LE } from './codec.js';
import { AES_256_KEY_BYTES, GCM_NONCE_BYTES } from '../kek.js';

/** First byte of a sealed value: the format, so a later one can be told apart. */
const SEALED_V1 = 1;
/** Bytes of a GCM authentication tag (128 bits, the full tag). */
const TAG_BYTES = 16;
/** Version byte, nonce and tag: what sealing adds to each value. */
export const SEAL_OVERHEAD = 1 + GCM_NONCE_BYTES + TAG_BYTES;

/**
 * What a sealed value is; part of its associated data. People discovery's faces (`personFace`
 * embeddings, `personCrop` JPEGs) belong to no identity: they are sealed with an empty identity id.
 */
export type SealedKind = 'template' | 'thumbnail' | 'personFace' | 'personCrop';

/**
 * Encodes and decodes a store's templates and thumbnails for one identity.
 *
 * @example
 * const blob = codec.embedding('ada', v); const back = codec.readEmbedding('ada', blob, 512)
 */
export interface RowCodec {
  readonly sealed: boolean;
  embedding(identityId: string, v: Float32Array): Buffer;
  readEmbedding(identityId: string, bytes: Uint8Array, dim: number, out?: Float32Array, offset?: number): Float32Array;
  thumbnail(identityId: string, jpeg: Uint8Array): Buffer;
  readThumbnail(identityId: string, bytes: Uint8Array): Uint8Array;
  /** Any value of `kind` for `identityId` (people discovery's faces and crops). */
  seal(kind: SealedKind, identityId: string, bytes: Uint8Array): Buffer;
  open(kind: SealedKind, identityId: string, bytes: Uint8Array): Uint8Array;
}

/**
 * The codec of an unsealed gallery: float32 little-endian and JPEG bytes as they are.
 *
 * @example
 * PLAIN_CODEC.embedding('ada', v).length === v.length * 4
 */
export const PLAIN_CODEC: RowCodec = Object.freeze({
  sealed: false,
  embedding: (_id: string, v: Float32Array) => encodeFloat32LE(v),
  readEmbedding: (_id: string, b: Uint8Array, dim: number, out?: Float32Array, offset?: number) => decodeFloat32LE(b, dim, out, offset),
  thumbnail: (_id: string, jpeg: Uint8Array) => Buffer.from(jpeg),
  readThumbnail: (_id: string, b: Uint8Array) => new Uint8Array(b),
  seal: (_kind: SealedKind, _id: string, b: Uint8Array) => Buffer.from(b),
  open: (_kind: SealedKind, _id: string, b: Uint8Array) => new Uint8Array(b),
});

/**
 * The codec of a sealed gallery: `version ‖ nonce ‖ ciphertext ‖ tag`, AES-256-GCM under `dataKey`,
 * associated data `arcface-seal-v1 ‖ kind ‖ fingerprint ‖ identity id` (NUL-separated). A value that
 * does not open is `GALLERY_CORRUPT`: the data key was checked when the gallery opened, so the row
 * was altered or moved.
 *
 * @example
 * const codec = sealedCodec(dataKey, meta.fingerprint, 'people.db')
 */
export function sealedCodec(dataKey: Uint8Array, fingerprint: string, where: string): RowCodec {
  if (dataKey.length !== AES_256_KEY_BYTES)
    throw new ArcFaceError('INTERNAL', `Expected a ${AES_256_KEY_BYTES}-byte data key but received ${dataKey.length} bytes`);
  const key = Buffer.from(dataKey);
  const aad = (kind: SealedKind, id: string): Buffer => Buffer.from(`arcface-seal-v1\0${kind}\0${fingerprint}\0${id}`, 'utf8');
  const seal = (kind: SealedKind, id: string, plain: Uint8Array): Buffer => {
    const nonce = randomBytes(GCM_NONCE_BYTES);
    const c = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    c.setAAD(aad(kind, id));
    return Buffer.concat([Buffer.of(SEALED_V1), nonce, c.update(plain), c.final(), c.getAuthTag()]);
  };
  const open = (kind: SealedKind, id: string, sealed: Uint8Array): Buffer => {
    const b = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (b.length < SEAL_OVERHEAD || b[0] !== SEALED_V1) {
      throw new ArcFaceError('GALLERY_CORRUPT', `Expected a sealed ${kind} of identity "${id}" in ${where} but found ${b.length} bytes that are not one`);
    }
    try {
      const d = createDecipheriv('aes-256-gcm', key, b.subarray(1, 1 + GCM_NONCE_BYTES), { authTagLength: TAG_BYTES });
      d.setAAD(aad(kind, id));
      d.setAuthTag(b.subarray(b.length - TAG_BYTES));
      return Buffer.concat([d.update(b.subarray(1 + GCM_NONCE_BYTES, b.length - TAG_BYTES)), d.final()]);
    } catch (cause) {
      const why = 'altered, or moved from another identity';
      throw new ArcFaceError(
        'GALLERY_CORRUPT',
        `Expected the sealed ${kind} of identity "${id}" in ${where} to open under its data key but it does not: ${why}`,
        { cause },
      );
    }
  };
  return Object.freeze({
    sealed: true,
    embedding: (id: string, v: Float32Array) => seal('template', id, encodeFloat32LE(v)),
    readEmbedding: (id: string, b: Uint8Array, dim: number, out?: Float32Array, offset?: number) => decodeFloat32LE(open('template', id, b), dim, out, offset),
    thumbnail: (id: string, jpeg: Uint8Array) => seal('thumbnail', id, jpeg),
    readThumbnail: (id: string, b: Uint8Array) => new Uint8Array(open('thumbnail', id, b)),
    seal,
    open: (kind: SealedKind, id: string, b: Uint8Array) => new Uint8Array(open(kind, id, b)),
  });
}

/**
 * A fresh random data key.
 *
 * @example
 * const dataKey = newDataKey()
 */
export function newDataKey(): Uint8Array {
  return new Uint8Array(randomBytes(AES_256_KEY_BYTES));
}

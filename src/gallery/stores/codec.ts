import { ArcFaceError } from '../../core/index.js';

/**
 * True on little-endian hosts (every platform Node supports today); checked, never assumed.
 *
 * @example
 * if (HOST_LE) blob.copy(matrixBytes, offset)
 */
export const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Encodes an embedding as a little-endian float32 byte string (the BLOB and file payload format).
 *
 * @example
 * const blob = encodeFloat32LE(new Float32Array([1, 0]))  // 8 bytes
 */
export function encodeFloat32LE(v: Float32Array): Buffer {
  const out = Buffer.allocUnsafe(v.length * 4);
  if (HOST_LE) {
    out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  } else {
    for (let i = 0; i < v.length; i++) out.writeFloatLE(v[i] as number, i * 4);
  }
  return out;
}

/**
 * Decodes a little-endian float32 byte string of exactly `dim` values into `out` at `offset`
 * (or a new array). `GALLERY_CORRUPT` when the length is wrong.
 *
 * @example
 * const v = decodeFloat32LE(blob, 512)
 */
export function decodeFloat32LE(bytes: Uint8Array, dim: number, out?: Float32Array, offset = 0): Float32Array {
  if (bytes.byteLength !== dim * 4) {
    throw new ArcFaceError('GALLERY_CORRUPT', `Expected an embedding of ${dim * 4} bytes (${dim} float32) but received ${bytes.byteLength} bytes`);
  }
  const target = out ?? new Float32Array(dim);
  if (HOST_LE) {
    new Uint8Array(target.buffer, target.byteOffset + offset * 4, dim * 4).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < dim; i++) target[offset + i] = view.getFloat32(i * 4, true);
  }
  return target;
}

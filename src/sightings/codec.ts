/** Embeddings as the sightings tables store them: float32 little-endian bytes. */
import { ArcFaceError } from '../core/index.js';

/**
 * Float32 little-endian bytes of an embedding.
 *
 * @example
 * const b = embeddingBytes(new Float32Array([1, 0]))
 */
export function embeddingBytes(e: Float32Array): Buffer {
  const b = Buffer.alloc(e.length * 4);
  e.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}

/**
 * An embedding from its stored bytes.
 *
 * @example
 * const e = embeddingOf(row.embedding, 512, 'sighting 3')
 */
export function embeddingOf(bytes: Uint8Array, dim: number, what: string): Float32Array {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length !== dim * 4) throw new ArcFaceError('GALLERY_CORRUPT', `Expected a ${dim}-d embedding for ${what} but it holds ${b.length / 4} values`);
  return Float32Array.from({ length: dim }, (_, j) => b.readFloatLE(j * 4));
}

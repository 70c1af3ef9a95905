/**
 * Boundary check shared by the protocol functions: a score (or distance) per pair and a label per
 * pair, of equal length, finite, with at least one pair.
 */
import { ArcFaceError } from '../core/index.js';

/**
 * Throws a coded `PROTOCOL_INVALID` error unless `values` and `same` are equal-length arrays of
 * finite numbers and booleans.
 *
 * @example
 * assertPairArrays('dist', [0.4, 1.3], [true, false])
 */
export function assertPairArrays(name: string, values: ArrayLike<number>, same: ArrayLike<boolean>): void {
  if (values === null || typeof values !== 'object' || typeof values.length !== 'number') {
    throw new ArcFaceError('PROTOCOL_INVALID', `Expected an array of numbers for ${name} but received ${values === null ? 'null' : typeof values}`);
  }
  if (same === null || typeof same !== 'object' || typeof same.length !== 'number') {
    throw new ArcFaceError('PROTOCOL_INVALID', `Expected an array of booleans for same but received ${same === null ? 'null' : typeof same}`);
  }
  if (values.length !== same.length) {
    throw new ArcFaceError('PROTOCOL_INVALID', `Expected ${name} and same to have equal length but received ${values.length} and ${same.length}`);
  }
  if (values.length === 0) throw new ArcFaceError('PROTOCOL_INVALID', `Expected at least one pair but received 0`);
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new ArcFaceError('PROTOCOL_INVALID', `Expected a finite number for ${name}[${i}] but received ${String(v)}`);
    }
    if (typeof same[i] !== 'boolean') {
      throw new ArcFaceError('PROTOCOL_INVALID', `Expected a boolean for same[${i}] but received ${String(same[i])}`);
    }
  }
}

import { ArcFaceError } from '../core/errors.js';
import { knownModelOfFingerprint, modelLabel } from '../models/model-label.js';

/** Longest identity id accepted; ids are keys in URLs and file names, so they stay short. */
const MAX_ID_LENGTH = 200;
/** Tolerance on ‖v‖ − 1 for embeddings said to be unit length (float32 rounding over 512 terms). */
const UNIT_TOLERANCE = 1e-3;

/**
 * Checks an identity id: 1–200 characters, no control characters. `INVALID_ARGUMENT` otherwise.
 *
 * @example
 * assertIdentityId('id', 'George_W_Bush')
 */
export function assertIdentityId(name: string, id: unknown): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point of this check.
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || /[\u0000-\u001f\u007f]/.test(id)) {
    const got = typeof id === 'string' ? `"${id.slice(0, 40)}" (${id.length} characters)` : `a value of type ${id === null ? 'null' : typeof id}`;
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected ${name} to be 1 to ${MAX_ID_LENGTH} printable characters but received ${got}`);
  }
  return id;
}

/**
 * Checks that metadata is a plain JSON object and returns a deep copy.
 *
 * @example
 * assertMetadata({ team: 'blue' })
 */
export function assertMetadata(value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected metadata to be a JSON object but received ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`);
  }
  try {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch (cause) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected metadata to be serialisable as JSON but it is not`, { cause });
  }
}

/**
 * Checks that `v` is a finite, unit-length Float32Array of `dim` values.
 * `EMBEDDING_SIZE_MISMATCH` for the wrong length, `INVALID_ARGUMENT` for the wrong kind or norm.
 *
 * @example
 * assertEmbedding('query', q, 512)
 */
export function assertEmbedding(name: string, v: unknown, dim: number): Float32Array {
  if (!(v instanceof Float32Array)) {
    const got = v === null ? 'null' : typeof v === 'object' ? ((v as object).constructor?.name ?? 'object') : typeof v;
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected ${name} to be a Float32Array but received ${got}`);
  }
  if (v.length !== dim) {
    throw new ArcFaceError('EMBEDDING_SIZE_MISMATCH', `Expected ${name} to have ${dim} values (the gallery's embedding size) but received ${v.length}`);
  }
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) * (v[i] as number);
  if (!Number.isFinite(s) || Math.abs(Math.sqrt(s) - 1) > UNIT_TOLERANCE) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected ${name} to be unit length but received norm ${Math.sqrt(s)}`);
  }
  return v;
}

/**
 * `MODEL_MISMATCH` naming both models (registry name and SHA-256 prefix), then both full
 * fingerprints: a user sees which recogniser built the gallery and which one was given.
 *
 * @example
 * throw modelMismatch('gallery people.db', gallery.fingerprint, recognizer.fingerprint)
 */
export function modelMismatch(what: string, holds: string, given: string): ArcFaceError {
  return new ArcFaceError(
    'MODEL_MISMATCH',
    `Expected ${what} to be used with the model it was built with, ${modelLabel(holds)}, but received ${modelLabel(given)}` +
      ` (load ${knownModelOfFingerprint(holds)?.name ?? 'that model'} or use another gallery; fingerprints: ${holds} and ${given})`,
  );
}

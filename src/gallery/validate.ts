import { ArcFaceError } from '../core/index.js';
import { knownModelOfFingerprint, modelLabel } from '../models/index.js';

/**
 * Longest identity id accepted (UTF-16 code units); ids are keys in URLs and file names, so they stay
 * short. The server's routes and URL parameter limit are derived from this one constant.
 *
 * @example
 * MAX_ID_LENGTH // 200
 */
export const MAX_ID_LENGTH = 200;
/** Deepest nesting of metadata objects and arrays: ample for records, far from a recursion limit. */
const MAX_METADATA_DEPTH = 32;
/** Largest metadata as JSON (bytes): a record of notes, not a document store. */
const MAX_METADATA_BYTES = 64 * 1024;
/** C0 control characters and DEL: never part of an id or a name (they break URLs, logs and terminals). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point of this pattern.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;
/** Tolerance on ‖v‖ − 1 for embeddings said to be unit length (float32 rounding over 512 terms). */
const UNIT_TOLERANCE = 1e-3;

/**
 * Checks an identity id: 1–200 characters, no control characters. `INVALID_ARGUMENT` otherwise.
 *
 * @example
 * assertIdentityId('id', 'George_W_Bush')
 */
export function assertIdentityId(name: string, id: unknown): string {
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_ID_LENGTH || CONTROL_CHARACTERS.test(id)) {
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
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected metadata to be a JSON object but received ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  // Depth is measured without recursion, so a body nested 100,000 deep is refused, not a stack overflow.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (depth > MAX_METADATA_DEPTH) {
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected metadata nested at most ${MAX_METADATA_DEPTH} levels deep but received deeper`);
    }
    for (const child of Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, depth + 1]);
  }
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected metadata to be serialisable as JSON but it is not`, { cause });
  }
  if (Buffer.byteLength(text) > MAX_METADATA_BYTES) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected metadata of at most ${MAX_METADATA_BYTES} bytes as JSON but received ${Buffer.byteLength(text)}`);
  }
  return JSON.parse(text) as Record<string, unknown>;
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
 * Checks a template (face) id: a positive safe integer, as the store hands them out.
 *
 * @example
 * assertTemplateId('templateId', 42)
 */
export function assertTemplateId(name: string, id: unknown): number {
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected ${name} to be a positive integer but received ${typeof id === 'number' ? String(id) : typeof id}`);
  }
  return id;
}

/**
 * Checks a display name: 1 to {@link MAX_ID_LENGTH} characters, no control characters.
 *
 * @example
 * assertName('name', 'Ada Lovelace')
 */
export function assertName(name: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_ID_LENGTH || CONTROL_CHARACTERS.test(value)) {
    const got =
      typeof value === 'string'
        ? `${value.length} characters${CONTROL_CHARACTERS.test(value) ? ' with control characters' : ''}`
        : `a value of type ${value === null ? 'null' : typeof value}`;
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected ${name} to be 1 to ${MAX_ID_LENGTH} printable characters but received ${got}`);
  }
  return value;
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

import type { KnownModel } from './known-model.js';
import { findKnownModelBySha256 } from './known-models.js';

/** `sha256:<hex>|…` as written by `modelFingerprint`: the model file's SHA-256 comes first. */
const FINGERPRINT_SHA = /^sha256:([0-9a-f]{64})(\||$)/i;

/**
 * The registry entry of the recogniser a fingerprint was made from, when the registry knows its
 * file (matched on the SHA-256 the fingerprint starts with).
 *
 * @example
 * knownModelOfFingerprint(gallery.fingerprint)?.name // 'w600k-mbf-int8'
 */
export function knownModelOfFingerprint(fingerprint: string): KnownModel | undefined {
  const m = FINGERPRINT_SHA.exec(fingerprint);
  return m?.[1] === undefined ? undefined : findKnownModelBySha256(m[1]);
}

/**
 * A fingerprint for people: the registry name when known, and the first 12 hex digits of the
 * model's SHA-256 so that two unknown models can still be told apart.
 *
 * @example
 * modelLabel('sha256:7caa7fb0ad6c…|RGB|NCHW|…') // 'w600k-mbf-int8 (sha256 7caa7fb0ad6c)'
 */
export function modelLabel(fingerprint: string): string {
  const sha = FINGERPRINT_SHA.exec(fingerprint)?.[1]?.toLowerCase();
  if (sha === undefined) return `an unrecognised model (${fingerprint.slice(0, 40)})`;
  const known = findKnownModelBySha256(sha);
  return `${known?.name ?? 'a model not in the registry'} (sha256 ${sha.slice(0, 12)})`;
}

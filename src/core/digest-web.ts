import type * as NodeDigest from './digest.js';
import { sha256Hex } from './sha256.js';

/**
 * The browser twin of `digest.ts`: SHA-256 hex by the portable implementation (synchronous, where
 * `crypto.subtle` is not).
 *
 * @example
 * sha256Digest(new TextEncoder().encode('abc')) // 'ba7816bf…'
 */
export const sha256Digest: typeof NodeDigest.sha256Digest = sha256Hex;

import { createHash } from 'node:crypto';

/**
 * SHA-256 of bytes as lower-case hex, with Node's native hash. The browser build swaps this file
 * for `digest-web.ts` (the portable `sha256Hex`), so code that hashes is the same in both.
 *
 * @example
 * sha256Digest(new TextEncoder().encode('abc')) // 'ba7816bf…'
 */
export function sha256Digest(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

import { assertInteger } from '../core/index.js';

/** Limits applied before an image is fully decoded. */
export interface DecodeOptions {
  /** Maximum width × height accepted, checked from the header before pixels are decoded. */
  readonly maxPixels?: number;
  /** Maximum encoded size in bytes. */
  readonly maxBytes?: number;
}

/** Resolved decode limits. */
export interface DecodeLimits {
  readonly maxPixels: number;
  readonly maxBytes: number;
}

/**
 * Default limits: 40 megapixels (a 7,300 × 5,480 photo; a 50,000² bomb is refused at the header)
 * and 64 MiB of encoded bytes.
 */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = Object.freeze({
  maxPixels: 40_000_000,
  maxBytes: 64 * 1024 * 1024,
});

/**
 * Validates decode options into a fresh limits object; never mutates its input.
 *
 * @example
 * resolveDecodeLimits({ maxPixels: 10_000_000 })
 */
export function resolveDecodeLimits(options: DecodeOptions = {}): DecodeLimits {
  return Object.freeze({
    maxPixels: options.maxPixels === undefined ? DEFAULT_DECODE_LIMITS.maxPixels : assertInteger('maxPixels', options.maxPixels, 1, 1_000_000_000),
    maxBytes: options.maxBytes === undefined ? DEFAULT_DECODE_LIMITS.maxBytes : assertInteger('maxBytes', options.maxBytes, 1, 2 ** 31 - 1),
  });
}

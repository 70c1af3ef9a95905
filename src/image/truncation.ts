/**
 * Structural checks on encoded image bytes, shared by the Node (sharp) and browser (canvas) decoders.
 */

/**
 * True when the container's end marker is missing: JPEG EOI (FF D9), PNG IEND chunk, GIF trailer
 * (3B), or a WebP RIFF size larger than the bytes received. Decoders report a cut file and a damaged
 * one with the same words, so the structure decides.
 *
 * @example
 * looksTruncated(bytes.subarray(0, 100)) // true for a cut JPEG
 */
export function looksTruncated(bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (n < 12) return true;
  const tail = (k: number): number => bytes[n - k] as number;
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    for (let i = n - 1; i >= Math.max(1, n - 64); i--) if (bytes[i] === 0xd9 && bytes[i - 1] === 0xff) return false;
    return true;
  }
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    return !(tail(8) === 0x49 && tail(7) === 0x45 && tail(6) === 0x4e && tail(5) === 0x44);
  }
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return tail(1) !== 0x3b;
  if (bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x46) {
    const size = ((bytes[4] as number) | ((bytes[5] as number) << 8) | ((bytes[6] as number) << 16) | ((bytes[7] as number) << 24)) >>> 0;
    return size + 8 > n;
  }
  return false;
}

/**
 * The container format named by the first bytes (`jpeg`, `png`, `gif`, `webp`, `avif`, `heif`,
 * `tiff`, `bmp`), or `undefined`. Used where no decoder library reports it (the browser).
 *
 * @example
 * sniffImageFormat(new Uint8Array([0xff, 0xd8, 0xff])) // 'jpeg'
 */
export function sniffImageFormat(b: Uint8Array): string | undefined {
  const at = (i: number, ...v: number[]): boolean => v.every((x, k) => b[i + k] === x);
  if (at(0, 0xff, 0xd8, 0xff)) return 'jpeg';
  if (at(0, 0x89, 0x50, 0x4e, 0x47)) return 'png';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'webp';
  if (at(4, 0x66, 0x74, 0x79, 0x70)) return at(8, 0x61, 0x76, 0x69) ? 'avif' : 'heif';
  if (at(0, 0x49, 0x49, 0x2a, 0x00) || at(0, 0x4d, 0x4d, 0x00, 0x2a)) return 'tiff';
  if (at(0, 0x42, 0x4d)) return 'bmp';
  return undefined;
}

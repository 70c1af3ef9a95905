/**
 * Video containers recognised from their first bytes. An uploaded file is decoded as the container
 * its bytes say, with that ffmpeg demuxer forced: ffmpeg never picks a demuxer from untrusted content,
 * so a playlist or manifest (HLS `.m3u8`, DASH `.mpd`, `ffconcat`, an image-sequence pattern) that
 * would make it open URLs or other local files is never parsed.
 */

/**
 * Containers accepted for uploads, by ffmpeg demuxer name: `mov` (MP4, MOV, 3GP), `matroska`
 * (MKV, WebM), `avi`, `mpegts`, `mpeg` (MPEG program stream) and `flv`.
 *
 * @example
 * VIDEO_CONTAINERS.includes('mov') // true
 */
export const VIDEO_CONTAINERS = Object.freeze(['mov', 'matroska', 'avi', 'mpegts', 'mpeg', 'flv'] as const);
/** One of {@link VIDEO_CONTAINERS}. */
export type VideoContainer = (typeof VIDEO_CONTAINERS)[number];

/** Bytes to read from a file's start before sniffing it: three MPEG-TS packets and more. */
export const CONTAINER_SNIFF_BYTES = 1024;

/** ISO BMFF top-level box types that may open an MP4/MOV file (ISO/IEC 14496-12 §4.2, QuickTime). */
const MOV_FIRST_BOXES = new Set(['ftyp', 'moov', 'mdat', 'free', 'skip', 'wide', 'pnot']);
/** MPEG-TS packet size and sync byte (ISO/IEC 13818-1 §2.4.3.2). */
const TS_PACKET = 188;
const TS_SYNC = 0x47;

function ascii(bytes: Uint8Array, from: number, length: number): string {
  return bytes.length < from + length ? '' : String.fromCharCode(...bytes.subarray(from, from + length));
}

/**
 * The container of a video from its first bytes (give at least {@link CONTAINER_SNIFF_BYTES} when
 * the file has them), or undefined for anything else — playlists, manifests, images, text.
 *
 * @example
 * sniffVideoContainer(readFileSync('clip.mp4').subarray(0, 1024)) // 'mov'
 */
export function sniffVideoContainer(head: Uint8Array): VideoContainer | undefined {
  if (!(head instanceof Uint8Array)) throw new TypeError(`Expected the first bytes of a file as a Uint8Array but received ${typeof head}`);
  if (MOV_FIRST_BOXES.has(ascii(head, 4, 4))) return 'mov';
  if (head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3) return 'matroska';
  if (ascii(head, 0, 4) === 'RIFF' && ascii(head, 8, 4) === 'AVI ') return 'avi';
  if (ascii(head, 0, 3) === 'FLV' && head[3] === 1) return 'flv';
  if (head.length >= 4 && head[0] === 0 && head[1] === 0 && head[2] === 1 && head[3] === 0xba) return 'mpeg';
  if (head.length >= TS_PACKET + 1 && head[0] === TS_SYNC) {
    // Every packet that the head holds starts with the sync byte (at least two of them).
    for (let at = TS_PACKET; at < head.length; at += TS_PACKET) if (head[at] !== TS_SYNC) return undefined;
    return 'mpegts';
  }
  return undefined;
}

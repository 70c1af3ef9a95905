/**
 * Stores one uploaded video: streamed to a 0600 file under the upload folder, counted against its
 * limits as it arrives, removed (descriptor closed) when the request aborts or times out, and
 * recognised from its first bytes as a video container before any decoder sees it.
 */
import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ArcFaceError } from '../../../src/core/index.js';
import { CONTAINER_SNIFF_BYTES, sniffVideoContainer, type VideoContainer } from '../../../src/video/index.js';

/** How an upload is bounded while it streams in. */
export interface UploadBounds {
  /** Largest upload, bytes. */
  readonly maxBytes: number;
  /** Called with each chunk's size before it is written; throws to refuse the upload (disk budget). */
  readonly onBytes: (n: number) => void;
  /** Aborts the upload (request timed out or its client went away). */
  readonly signal?: AbortSignal;
}

async function readHead(file: string): Promise<Uint8Array> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.alloc(CONTAINER_SNIFF_BYTES);
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/**
 * Streams `body` into `file` and returns its size and container. Refusals remove the file: over
 * `maxBytes` (PAYLOAD_TOO_LARGE), aborted or cut short (PROTOCOL_INVALID or the abort reason), empty
 * (VIDEO_DECODE_FAILED), not a known container (VIDEO_UNSUPPORTED: playlists, manifests, images, text).
 *
 * @example
 * const { bytes, container } = await storeUpload(request.body, '/data/videos/1.video', { maxBytes: 2 ** 29, onBytes: () => undefined })
 */
export async function storeUpload(body: Readable, file: string, bounds: UploadBounds): Promise<{ bytes: number; container: VideoContainer }> {
  let bytes = 0;
  const { maxBytes, onBytes } = bounds;
  const limit = async function* (src: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of src) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw new ArcFaceError('PAYLOAD_TOO_LARGE', `Expected a video of at most ${maxBytes} bytes but the upload is larger`);
      onBytes(chunk.length);
      yield chunk;
    }
  };
  try {
    await pipeline(body, limit, createWriteStream(file, { mode: 0o600 }), ...(bounds.signal === undefined ? [] : [{ signal: bounds.signal }]));
  } catch (err) {
    // The write stream is destroyed by pipeline (its descriptor closed); the partial file goes too.
    body.destroy();
    await rm(file, { force: true });
    if (err instanceof ArcFaceError) throw err;
    const reason: unknown = bounds.signal?.aborted === true ? bounds.signal.reason : undefined;
    if (reason instanceof ArcFaceError) throw reason;
    throw new ArcFaceError('PROTOCOL_INVALID', 'Expected a complete video upload but the body ended early or was abandoned', { cause: err });
  }
  if (bytes === 0) {
    await rm(file, { force: true });
    throw new ArcFaceError('VIDEO_DECODE_FAILED', 'Expected a video in the request body but it was empty');
  }
  const container = sniffVideoContainer(await readHead(file));
  if (container === undefined) {
    await rm(file, { force: true });
    throw new ArcFaceError(
      'VIDEO_UNSUPPORTED',
      'Expected a video file (MP4/MOV, Matroska/WebM, AVI, MPEG-TS, MPEG-PS or FLV) but the upload starts with none of their signatures (playlists and manifests are refused)',
    );
  }
  return { bytes, container };
}

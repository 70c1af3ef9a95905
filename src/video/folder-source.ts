/**
 * Frames from a folder of images (`frame0001.jpg`, `2.png`, …), read in natural order and decoded
 * one at a time as the consumer asks (file mode) or as fast as they decode (live mode).
 */
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ArcFaceError, isArcFaceError } from '../core/index.js';
import { decodeImageFile } from '../image/index.js';
import { DEFAULT_FILE_CAPACITY } from './ffmpeg-source.js';
import { FrameChannel } from './frame-channel.js';
import { fitWithin, resizeRgb } from './resize.js';
import type { FrameSource, VideoFrame, VideoInfo, VideoSourceOptions } from './types.js';

/** Extensions read as frame images in a frames folder. */
export const FRAME_EXTENSIONS: readonly string[] = Object.freeze(['.jpg', '.jpeg', '.png', '.bmp', '.webp']);
/** Frame rate of a folder when `fps` is not given: 25, the PAL rate most frame dumps use. */
export const DEFAULT_FOLDER_FPS = 25;

/**
 * Image names in natural order (`2.jpg` before `10.jpg`).
 *
 * @example
 * ['10.jpg', '2.jpg'].sort(naturalCompare) // ['2.jpg', '10.jpg']
 */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}

/**
 * The frame images of a folder in natural order; VIDEO_DECODE_FAILED when there are none.
 *
 * @example
 * const files = await listFrameFiles('frames/')
 */
export async function listFrameFiles(dir: string): Promise<string[]> {
  const files = (await readdir(dir)).filter((f) => FRAME_EXTENSIONS.includes(extname(f).toLowerCase())).sort(naturalCompare);
  if (files.length === 0) throw new ArcFaceError('VIDEO_DECODE_FAILED', `Expected frame images (${FRAME_EXTENSIONS.join(', ')}) in ${dir} but found none`);
  return files;
}

/**
 * A {@link FrameSource} over a folder of images. Frame `i` has pts `i / fps` (`fps` from the options,
 * else {@link DEFAULT_FOLDER_FPS}); each frame keeps its own size (scaled down to `maxSize`).
 *
 * @example
 * for await (const f of new FolderFrameSource('frames/', { fps: 10 })) console.log(f.pts)
 */
export class FolderFrameSource implements FrameSource {
  readonly #dir: string;
  readonly #options: VideoSourceOptions;
  readonly #fps: number;
  readonly #channel: FrameChannel;
  readonly #info: Promise<VideoInfo>;
  #resolveInfo!: (info: VideoInfo) => void;
  #rejectInfo!: (error: Error) => void;
  #space: (() => void) | undefined;
  #closed = false;
  readonly #done: Promise<void>;

  constructor(dir: string, options: VideoSourceOptions) {
    this.#dir = dir;
    this.#options = options;
    this.#fps = options.fps ?? DEFAULT_FOLDER_FPS;
    const live = options.live ?? false;
    this.#channel = new FrameChannel(live, options.capacity ?? (live ? 1 : DEFAULT_FILE_CAPACITY), () => this.#space?.());
    this.#info = new Promise<VideoInfo>((resolve, reject) => {
      this.#resolveInfo = resolve;
      this.#rejectInfo = reject;
    });
    this.#info.catch(() => undefined);
    this.#done = this.#produce().catch((e: unknown) => {
      const error = e instanceof Error ? e : new Error(String(e));
      this.#rejectInfo(error);
      this.#channel.fail(error);
    });
  }

  get dropped(): number {
    return this.#channel.dropped;
  }

  get delivered(): number {
    return this.#channel.delivered;
  }

  info(): Promise<VideoInfo> {
    return this.#info;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#channel.close();
    this.#rejectInfo(new ArcFaceError('VIDEO_STREAM_ENDED', `Expected the first frame of ${this.#dir} but the source was closed first`));
    this.#space?.();
    await this.#done;
  }

  [Symbol.asyncIterator](): AsyncIterator<VideoFrame> {
    return {
      next: () => this.#channel.next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  async #produce(): Promise<void> {
    const files = await listFrameFiles(this.#dir);
    const started = performance.now();
    for (let index = 0; !this.#closed; index++) {
      const i = index % files.length;
      if (i === 0 && index > 0 && this.#options.loop !== true) break;
      const image = await this.#decode(join(this.#dir, files[i] as string));
      if (index === 0) {
        this.#resolveInfo({
          width: image.width,
          height: image.height,
          fps: this.#fps,
          durationSeconds: this.#options.loop === true ? undefined : files.length / this.#fps,
          live: this.#channel.live,
          codec: undefined,
          source: this.#dir,
        });
      }
      const pts = index / this.#fps;
      if (this.#options.realtime === true) {
        const wait = started + pts * 1000 - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      if (this.#closed) break;
      if (!this.#channel.push({ index, pts, image, receivedAt: performance.now() }) && !this.#channel.live) {
        await new Promise<void>((resolve) => {
          this.#space = resolve;
        });
        this.#space = undefined;
      }
    }
    this.#channel.end();
  }

  async #decode(path: string): Promise<VideoFrame['image']> {
    try {
      const image = await decodeImageFile(path);
      if (this.#options.maxSize === undefined) return image;
      const [w, h] = fitWithin(image.width, image.height, this.#options.maxSize[0], this.#options.maxSize[1]);
      return w === image.width && h === image.height ? image : resizeRgb(image, w, h);
    } catch (e) {
      if (isArcFaceError(e) && e.code.startsWith('IMAGE_')) {
        throw new ArcFaceError('VIDEO_DECODE_FAILED', `Expected a decodable frame image at ${path} but it failed: ${e.message}`, { cause: e });
      }
      throw e;
    }
  }
}

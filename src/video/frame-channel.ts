/**
 * The buffer between a frame producer (ffmpeg's stdout, a folder reader, a host program) and the
 * consumer's `for await`. Live mode keeps only the newest `capacity` frames and counts the rest as
 * dropped; file mode keeps every frame and tells the producer to pause once `capacity` are waiting.
 */
import type { VideoFrame } from './types.js';

interface Waiter {
  resolve(result: IteratorResult<VideoFrame>): void;
  reject(error: Error): void;
}

/**
 * A bounded frame queue with one reader.
 *
 * @example
 * const ch = new FrameChannel(true, 1)
 * ch.push(frame) // live: never blocks, replaces the oldest unread frame
 * const { value } = await ch.next()
 */
export class FrameChannel {
  readonly live: boolean;
  readonly capacity: number;
  #buffer: VideoFrame[] = [];
  #waiter: Waiter | undefined;
  #done = false;
  #error: Error | undefined;
  #dropped = 0;
  #delivered = 0;
  #onSpace: (() => void) | undefined;

  constructor(live: boolean, capacity: number, onSpace?: () => void) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`Expected a positive integer capacity but received ${capacity}`);
    this.live = live;
    this.capacity = capacity;
    this.#onSpace = onSpace;
  }

  get dropped(): number {
    return this.#dropped;
  }

  get delivered(): number {
    return this.#delivered;
  }

  /** True once ended, failed or closed: pushes are refused. */
  get finished(): boolean {
    return this.#done || this.#error !== undefined;
  }

  /**
   * Offers a frame. Returns false when the channel is finished, when (live) an older unread frame was
   * dropped to make room, or when (file mode) `capacity` frames now wait and the producer should pause
   * until `onSpace` is called.
   */
  push(frame: VideoFrame): boolean {
    if (this.finished) return false;
    const waiter = this.#waiter;
    if (waiter !== undefined) {
      this.#waiter = undefined;
      this.#delivered++;
      waiter.resolve({ value: frame, done: false });
      return true;
    }
    if (this.live && this.#buffer.length >= this.capacity) {
      this.#buffer.shift();
      this.#dropped++;
      this.#buffer.push(frame);
      return false;
    }
    this.#buffer.push(frame);
    return this.live || this.#buffer.length < this.capacity;
  }

  /** No more frames: the reader gets the buffered ones, then `done`. */
  end(): void {
    if (this.finished) return;
    this.#done = true;
    this.#settle();
  }

  /** The producer failed: the reader gets the buffered frames, then this error. */
  fail(error: Error): void {
    if (this.finished) return;
    this.#error = error;
    this.#settle();
  }

  /** The consumer stopped: buffered frames are discarded and a pending read ends. */
  close(): void {
    this.#buffer = [];
    this.#done = true;
    this.#error = undefined;
    this.#settle();
  }

  /** The next frame, waiting for one when none is buffered. */
  next(): Promise<IteratorResult<VideoFrame>> {
    const frame = this.#buffer.shift();
    if (frame !== undefined) {
      this.#delivered++;
      if (!this.live && this.#buffer.length < this.capacity) this.#onSpace?.();
      return Promise.resolve({ value: frame, done: false });
    }
    if (this.#error !== undefined) return Promise.reject(this.#error);
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    if (this.#waiter !== undefined)
      return Promise.reject(new Error('Expected one reader of a frame source but next() was called again before the previous call settled'));
    this.#onSpace?.();
    return new Promise((resolve, reject) => {
      this.#waiter = { resolve, reject };
    });
  }

  #settle(): void {
    const waiter = this.#waiter;
    if (waiter === undefined || this.#buffer.length > 0) return;
    this.#waiter = undefined;
    if (this.#error !== undefined) waiter.reject(this.#error);
    else waiter.resolve({ value: undefined, done: true });
  }
}

/**
 * A network stream that is opened again when it stops: a camera rebooting, a server restarting, a
 * link dropping for a few seconds. Frames keep increasing indices and timestamps across the gap.
 */
import { ArcFaceError, isArcFaceError, type ErrorCode } from '../core/index.js';
import type { FrameSource, VideoFrame, VideoInfo } from './types.js';

/** First wait before reopening, in ms: a server restart on the same machine takes about this long. */
export const DEFAULT_RECONNECT_DELAY_MS = 500;
/** Longest wait between two tries, in ms: waits double from the first (0.5, 1, 2, 4, 8, 8 … s). */
export const MAX_RECONNECT_DELAY_MS = 8000;
/** Errors after which a stream is tried again: it ended, stalled, or its server refused or is gone. */
const RETRYABLE: ReadonlySet<ErrorCode> = new Set(['VIDEO_STREAM_ENDED', 'VIDEO_TIMEOUT', 'VIDEO_STREAM_UNAVAILABLE']);

/** How a {@link ReconnectingFrameSource} retries. */
export interface ReconnectPolicy {
  /** Tries in a row before the error is raised (≥ 1). */
  readonly attempts: number;
  /** First wait, in ms; doubled after each failed try, up to {@link MAX_RECONNECT_DELAY_MS}. */
  readonly delayMs: number;
}

/**
 * The wait before try `n` (1-based) of a run of tries.
 *
 * @example
 * reconnectDelay(3, 500) // 2000
 */
export function reconnectDelay(n: number, delayMs: number): number {
  return Math.min(MAX_RECONNECT_DELAY_MS, delayMs * 2 ** (n - 1));
}

/**
 * A {@link FrameSource} over a sequence of sources opened by `open`: when the current one fails with
 * a retryable error after it delivered a frame, it is closed and a new one is opened after a back-off
 * wait, up to `attempts` tries in a row (the count starts again once a frame arrives). Indices go on
 * from the last delivered one; timestamps go on from the last one plus the time the gap took. A
 * source that fails before its first frame fails at once (a wrong URL is not retried).
 *
 * @example
 * const src = new ReconnectingFrameSource(() => new FfmpegFrameSource(url, 'network', {}), { attempts: 5, delayMs: 500 })
 */
export class ReconnectingFrameSource implements FrameSource {
  readonly #open: () => FrameSource;
  readonly #policy: ReconnectPolicy;
  #current: FrameSource;
  readonly #info: Promise<VideoInfo>;
  #closed = false;
  #reconnects = 0;
  #failedTries = 0;
  #pastDropped = 0;
  #pastDelivered = 0;
  #nextIndex = 0;
  #lastPts: number | undefined;
  #lastArrival: number | undefined;
  /** Index and pts shifts of the current source; undefined until its first frame. */
  #shift: { index: number; pts: number } | undefined = { index: 0, pts: 0 };
  #wake: (() => void) | undefined;

  constructor(open: () => FrameSource, policy: ReconnectPolicy) {
    if (!Number.isInteger(policy.attempts) || policy.attempts < 1)
      throw new RangeError(`Expected reconnect attempts as an integer ≥ 1 but received ${String(policy.attempts)}`);
    if (!Number.isFinite(policy.delayMs) || policy.delayMs <= 0)
      throw new RangeError(`Expected a reconnect delay in ms > 0 but received ${String(policy.delayMs)}`);
    this.#open = open;
    this.#policy = policy;
    this.#current = open();
    this.#info = this.#current.info();
  }

  get dropped(): number {
    return this.#pastDropped + this.#current.dropped;
  }

  get delivered(): number {
    return this.#pastDelivered + this.#current.delivered;
  }

  /** Times the stream was opened again and delivered frames again. */
  get reconnects(): number {
    return this.#reconnects;
  }

  info(): Promise<VideoInfo> {
    return this.#info;
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#wake?.();
    await this.#current.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<VideoFrame> {
    return {
      next: () => this.#next(),
      return: async () => {
        await this.close();
        return { value: undefined, done: true };
      },
    };
  }

  async #next(): Promise<IteratorResult<VideoFrame>> {
    for (;;) {
      const it = this.#current[Symbol.asyncIterator]();
      try {
        const r = await it.next();
        if (r.done === true) return r;
        return { value: this.#renumber(r.value), done: false };
      } catch (err) {
        const delivered = this.#lastPts !== undefined;
        if (this.#closed || !delivered || !isArcFaceError(err) || !RETRYABLE.has(err.code)) throw err;
        if (this.#failedTries >= this.#policy.attempts) {
          throw new ArcFaceError(
            err.code,
            `${err.message} (the stream was opened again ${this.#failedTries} time${this.#failedTries === 1 ? '' : 's'} in a row without a frame)`,
            {
              cause: err,
              details: { reconnectAttempts: this.#failedTries, reconnects: this.#reconnects },
            },
          );
        }
        await this.#reopen();
        if (this.#closed) return { value: undefined, done: true };
      }
    }
  }

  /** Closes the failed source, waits the back-off, opens the next one. */
  async #reopen(): Promise<void> {
    this.#failedTries++;
    this.#pastDropped += this.#current.dropped;
    this.#pastDelivered += this.#current.delivered;
    await this.#current.close();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, reconnectDelay(this.#failedTries, this.#policy.delayMs));
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
    if (this.#closed) return;
    this.#current = this.#open();
    this.#shift = undefined;
  }

  #renumber(f: VideoFrame): VideoFrame {
    const now = f.receivedAt ?? performance.now();
    if (this.#shift === undefined) {
      // The first frame after a gap: it follows the last one by the time the gap took.
      const gap = this.#lastArrival === undefined ? 0 : Math.max(0, now - this.#lastArrival) / 1000;
      // Indices go on from the last one; frames the new source dropped before this one stay gaps, as they are counted.
      this.#shift = { index: this.#nextIndex, pts: (this.#lastPts ?? 0) + gap - f.pts };
      this.#reconnects++;
      this.#failedTries = 0;
    }
    const out: VideoFrame = { ...f, index: f.index + this.#shift.index, pts: f.pts + this.#shift.pts };
    this.#nextIndex = out.index + 1;
    this.#lastPts = out.pts;
    this.#lastArrival = now;
    return out;
  }
}

import { ArcFaceError } from '../../src/core/index.js';

/**
 * A fixed-window request budget per key: at most `max` requests per `windowMs`, counted from the
 * first request of the window. One instance per app; old windows are dropped as they expire.
 *
 * @example
 * const rl = new RateLimiter({ max: 100, windowMs: 60_000 }); rl.take('key-id')
 */
export class RateLimiter {
  readonly #max: number;
  readonly #windowMs: number;
  readonly #windows = new Map<string, { start: number; count: number }>();
  #lastSweep = 0;

  constructor(options: { max: number; windowMs: number }) {
    this.#max = options.max;
    this.#windowMs = options.windowMs;
  }

  /**
   * Counts one request for `key`; throws RATE_LIMITED (with `retryAfterSeconds`) when over budget.
   * Returns what is left in the window.
   *
   * @example
   * const { remaining } = rl.take(request.apiKey.id)
   */
  take(key: string, now = Date.now()): { remaining: number; resetMs: number } {
    this.#sweep(now);
    let w = this.#windows.get(key);
    if (w === undefined || now - w.start >= this.#windowMs) {
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    const resetMs = w.start + this.#windowMs - now;
    if (w.count >= this.#max) {
      const retryAfterSeconds = Math.max(1, Math.ceil(resetMs / 1000));
      throw new ArcFaceError('RATE_LIMITED', `Expected at most ${this.#max} requests per ${this.#windowMs} ms for this key but received more; retry in ${retryAfterSeconds} s`, {
        details: { retryAfterSeconds },
      });
    }
    w.count += 1;
    return { remaining: this.#max - w.count, resetMs };
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#windowMs) return;
    this.#lastSweep = now;
    for (const [k, w] of this.#windows) if (now - w.start >= this.#windowMs) this.#windows.delete(k);
  }
}

/**
 * Rate-limit counters in Redis, shared by every server replica that names the same Redis
 * (`arcface serve --rate-limit-redis redis://…`): the fixed window of `@fastify/rate-limit`'s own
 * Redis store, as one Lua script per request.
 */
import { Redis } from 'ioredis';
import { ArcFaceError, assertInteger, assertString, redactUrl } from '../../../src/core/index.js';
import type { SharedRateLimitCounter } from './shared-rate-limit.js';

/**
 * INCR, and on the first request of a window PEXPIRE: the key vanishes when its window ends. A key
 * that somehow lost its expiry gets one again, so it can never count for ever.
 */
const INCR_LUA = `local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local t = redis.call('PTTL', KEYS[1])
if t < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); t = tonumber(ARGV[1]) end
return {c, t}`;

/** Longest a connection attempt or a command may take before the request is answered 503 (ms). */
const REDIS_TIMEOUT_MS = 2000;
/** Key prefix, so the counters share a Redis with other data without clashing. */
const KEY_PREFIX = 'arcface:rate:';

function unavailable(location: string, e: unknown): ArcFaceError {
  return new ArcFaceError('RATE_LIMIT_UNAVAILABLE', `Expected the rate-limit Redis at ${location} to answer but: ${(e as Error).message}`, { cause: e });
}

/**
 * Rate-limit counters in Redis.
 *
 * @example
 * const counter = await RedisRateLimitCounter.connect('redis://127.0.0.1:6379')
 * const { current, ttl } = await counter.incr('key:3f9a', 60_000)
 */
export class RedisRateLimitCounter implements SharedRateLimitCounter {
  readonly location: string;
  readonly #redis: Redis;

  private constructor(redis: Redis, location: string) {
    this.#redis = redis;
    this.location = location;
  }

  /**
   * Connects (and checks with PING); `RATE_LIMIT_UNAVAILABLE` when Redis does not answer.
   *
   * @example
   * const counter = await RedisRateLimitCounter.connect('redis://cache:6379/2')
   */
  static async connect(url: string): Promise<RedisRateLimitCounter> {
    assertString('url', url);
    const location = redactUrl(url);
    // No offline queue and one retry: a request waits at most REDIS_TIMEOUT_MS, then gets 503.
    const redis = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: REDIS_TIMEOUT_MS,
      commandTimeout: REDIS_TIMEOUT_MS,
    });
    // Reconnection errors are reported by the commands that fail; without a listener they would be printed.
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      await redis.ping();
    } catch (e) {
      redis.disconnect();
      throw unavailable(location, e);
    }
    return new RedisRateLimitCounter(redis, location);
  }

  /**
   * Counts one request of `key` in a window of `windowMs`.
   *
   * @example
   * const { current } = await counter.incr('ip:127.0.0.1', 60_000)
   */
  async incr(key: string, windowMs: number): Promise<{ current: number; ttl: number }> {
    assertString('key', key);
    assertInteger('windowMs', windowMs, 1, 86_400_000);
    let r: unknown;
    try {
      r = await this.#redis.eval(INCR_LUA, 1, KEY_PREFIX + key, windowMs);
    } catch (e) {
      throw unavailable(this.location, e);
    }
    const [current, ttl] = Array.isArray(r) ? r.map(Number) : [Number.NaN, Number.NaN];
    if (!Number.isFinite(current) || !Number.isFinite(ttl)) throw unavailable(this.location, new Error(`unexpected answer ${JSON.stringify(r)}`));
    return { current: current as number, ttl: Math.max(0, ttl as number) };
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}

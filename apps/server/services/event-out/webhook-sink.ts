/**
 * HTTP webhooks: each event is POSTed as JSON to the administrator's URL, signed (signature.ts),
 * one delivery at a time per URL so that they arrive in order, retried with exponential back-off
 * after a network error, a timeout, 408, 429 or 5xx. The queue in front is bounded: a receiver that
 * is down or never answers makes the oldest events drop (counted), never the stream wait.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { BoundedQueue } from './bounded-queue.js';
import type { OutEvent } from './payload.js';
import { signWebhook, WEBHOOK_HEADERS } from './signature.js';
import { definedOnly, redactUrl, type EventSink, type SinkReport } from './sink.js';

/** Options of one webhook. */
export interface WebhookOptions {
  readonly url: string;
  /** HMAC-SHA256 key (`--webhook-secret-file`). */
  readonly secret: string | Buffer;
  /** Events waiting at most; older ones drop first. */
  readonly queueSize?: number;
  /** Longest one attempt may take, connection and answer included, ms. */
  readonly timeoutMs?: number;
  /** Attempts per event, the first included. */
  readonly maxAttempts?: number;
  /** Wait before the first retry, ms; doubled at each further one. */
  readonly backoffMs?: number;
  /** Longest wait between two attempts, ms. */
  readonly maxBackoffMs?: number;
}

/**
 * Defaults: 1,000 events queued; 5 s per attempt; 6 attempts with waits of 0.5, 1, 2, 4 and 8 s
 * (15.5 s in all, enough for a receiver to restart) capped at 30 s.
 */
export const WEBHOOK_DEFAULTS = Object.freeze({ queueSize: 1000, timeoutMs: 5000, maxAttempts: 6, backoffMs: 500, maxBackoffMs: 30_000 });

interface Delivery {
  readonly event: OutEvent;
  attempts: number;
}

/** Statuses worth another attempt: the receiver timed out, asked us to slow down, or failed itself. */
function retryable(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * One webhook URL and its queue.
 *
 * @example
 * const hook = new WebhookSink('webhook-1', { url: 'https://ha.lan/api/webhook/faces', secret }, report)
 * hook.offer(event)
 */
export class WebhookSink implements EventSink {
  readonly name: string;
  readonly #o: Required<WebhookOptions>;
  readonly #report: SinkReport;
  readonly #queue: BoundedQueue<Delivery>;
  readonly #closing = new AbortController();
  #busy = false;
  #idle: Promise<void> = Promise.resolve();

  constructor(name: string, options: WebhookOptions, report: SinkReport) {
    if (!/^https?:\/\//i.test(options.url)) throw new TypeError(`Expected an http:// or https:// URL for a webhook but received "${redactUrl(options.url)}"`);
    this.name = name;
    this.#o = { ...WEBHOOK_DEFAULTS, ...definedOnly(options) };
    this.#report = report;
    this.#queue = new BoundedQueue<Delivery>(this.#o.queueSize, () => report.count(name, 'dropped'));
  }

  get queueDepth(): number {
    return this.#queue.length;
  }

  offer(event: OutEvent): void {
    if (this.#closing.signal.aborted) return;
    this.#queue.push({ event, attempts: 0 });
    this.#pump();
  }

  async close(): Promise<void> {
    this.#closing.abort();
    for (const _ of this.#queue.drain()) this.#report.count(this.name, 'dropped');
    await this.#idle;
  }

  #pump(): void {
    if (this.#busy || this.#closing.signal.aborted) return;
    const next = this.#queue.shift();
    if (next === undefined) return;
    this.#busy = true;
    this.#idle = this.#deliver(next).finally(() => {
      this.#busy = false;
      this.#pump();
    });
  }

  /** Tries one event until it is delivered, refused for good, or out of attempts. */
  async #deliver(d: Delivery): Promise<void> {
    // Serialised once, when its turn comes: an event dropped from the queue costs nothing.
    const body = JSON.stringify(d.event);
    for (;;) {
      d.attempts++;
      const outcome = await this.#attempt(d, body);
      if (this.#closing.signal.aborted) return;
      if (outcome === 'ok') {
        this.#report.count(this.name, 'delivered');
        return;
      }
      if (outcome === 'refused' || d.attempts >= this.#o.maxAttempts) {
        this.#report.count(this.name, 'failed');
        this.#report.warn(
          { sink: this.name, url: redactUrl(this.#o.url), eventId: d.event.id, type: d.event.type, attempts: d.attempts },
          'webhook delivery failed',
        );
        return;
      }
      this.#report.count(this.name, 'retried');
      const wait = Math.min(this.#o.maxBackoffMs, this.#o.backoffMs * 2 ** (d.attempts - 1));
      await delay(wait, undefined, { signal: this.#closing.signal }).catch(() => undefined);
      if (this.#closing.signal.aborted) return;
    }
  }

  async #attempt(d: Delivery, body: string): Promise<'ok' | 'retry' | 'refused'> {
    const timestamp = Math.floor(Date.now() / 1000);
    // One controller per attempt, aborted by its timeout or by close(); nothing stays attached to close()'s signal afterwards.
    const attempt = new AbortController();
    const timer = setTimeout(() => attempt.abort(), this.#o.timeoutMs);
    const onClose = (): void => attempt.abort();
    this.#closing.signal.addEventListener('abort', onClose, { once: true });
    try {
      const res = await fetch(this.#o.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'arcface-ts-webhook/1',
          [WEBHOOK_HEADERS.timestamp]: String(timestamp),
          [WEBHOOK_HEADERS.signature]: signWebhook(this.#o.secret, timestamp, body),
          [WEBHOOK_HEADERS.delivery]: d.event.id,
          [WEBHOOK_HEADERS.event]: d.event.type,
        },
        body,
        // An administrator's URL is called as given: a redirect elsewhere is refused, not followed.
        redirect: 'error',
        signal: attempt.signal,
      });
      // The answer's body is not read: cancelling it frees the connection at once.
      await res.body?.cancel().catch(() => undefined);
      if (res.status >= 200 && res.status < 300) return 'ok';
      return retryable(res.status) ? 'retry' : 'refused';
    } catch (err) {
      // A refused redirect is final; connection errors and timeouts are worth another try.
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? '';
      return /redirect/i.test(cause) ? 'refused' : 'retry';
    } finally {
      clearTimeout(timer);
      this.#closing.signal.removeEventListener('abort', onClose);
    }
  }
}

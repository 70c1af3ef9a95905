/**
 * The contract every event sink keeps (MQTT, webhooks): it takes events without ever waiting, holds
 * them in its own bounded queue, delivers them in the background with every network wait under a
 * timeout, and reports what became of each one.
 */
import type { OutEvent } from './payload.js';
import type { StreamState } from './stream-state.js';

/** What became of one event at one sink. */
export type DeliveryOutcome = 'delivered' | 'retried' | 'failed' | 'dropped';

/** Where a sink reports outcomes (the server's metrics) and problems (the server log). */
export interface SinkReport {
  count(sink: string, outcome: DeliveryOutcome): void;
  warn(obj: object, msg: string): void;
}

/** One destination of the server's events. */
export interface EventSink {
  /** Its name in metrics and logs: `mqtt`, `webhook-1`… (never a URL, which may hold a token). */
  readonly name: string;
  /** Events waiting in its queue. */
  readonly queueDepth: number;
  /** Takes one event; returns at once, whatever the destination is doing. */
  offer(event: OutEvent): void;
  /** A stream's state changed (sinks that keep state, such as MQTT's retained topics). */
  offerState?(state: StreamState): void;
  /** Stops delivering (in-flight work is abandoned within its timeout) and releases its connections. */
  close(): Promise<void>;
}

/**
 * A URL as it may be logged: scheme, host, port and path, without credentials or query.
 *
 * @example
 * redactUrl('https://u:p@hooks.lan/x?token=1') // 'https://hooks.lan/x'
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(not a URL)';
  }
}

/**
 * The fields of `options` that are set: spread over defaults, an option left `undefined` keeps its default.
 *
 * @example
 * ({ ...DEFAULTS, ...definedOnly({ timeoutMs: undefined }) }).timeoutMs // DEFAULTS.timeoutMs
 */
export function definedOnly<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The server's one event bus: every video job and live stream publishes its events and its status
 * changes here, and everything that reads them subscribes here (the SSE routes, MQTT and webhooks).
 * Delivery is synchronous and in order; a subscriber must not block (sinks put events in a queue).
 */
import type { WireError } from './inference-jobs.js';
import type { JobStatus } from './video-journal.js';

/** Where an event comes from: an administrator's live stream by name, or a video job by id. */
export type EventOrigin = { readonly kind: 'stream'; readonly name: string } | { readonly kind: 'video'; readonly id: string };

/** Any event the server emits: its `type` (`track.identified`, `visitor.seen`…) and its own fields. */
export interface ServerEvent {
  readonly type: string;
}

/** A run's counters when its status changed. */
export interface RunCounters {
  readonly frames: number;
  readonly dropped: number;
  readonly reconnects: number;
}

/** One message on the bus: an event of a run, or a change of a run's status. */
export type BusMessage =
  | { readonly kind: 'event'; readonly runId: string; readonly origin: EventOrigin; readonly at: string; readonly event: ServerEvent }
  | {
      readonly kind: 'status';
      readonly runId: string;
      readonly origin: EventOrigin;
      readonly at: string;
      readonly status: JobStatus;
      readonly counters: RunCounters;
      readonly error?: WireError;
    };

/** Receives every message published after it subscribed. */
export type BusListener = (message: BusMessage) => void;

/** Where a subscriber's failures are reported (the server log). */
export interface BusLog {
  warn(obj: object, msg: string): void;
}

/**
 * Fans each message out to every subscriber, in publication order. A subscriber that throws is
 * logged and the others still receive the message: one broken reader never silences the rest.
 *
 * @example
 * const bus = new EventBus()
 * const stop = bus.subscribe((m) => { if (m.kind === 'event') console.log(m.event.type) })
 * bus.publish({ kind: 'event', runId: 'stream:door', origin: { kind: 'stream', name: 'door' }, at: new Date().toISOString(), event: { type: 'track.started' } })
 * stop()
 */
export class EventBus {
  readonly #listeners = new Set<BusListener>();
  readonly #log: BusLog | undefined;

  constructor(log?: BusLog) {
    this.#log = log;
  }

  /** Subscribers now. */
  get size(): number {
    return this.#listeners.size;
  }

  /**
   * Calls `listener` for every message from now on; returns the function that stops it.
   *
   * @example
   * const stop = bus.subscribe((m) => seen.push(m)); stop()
   */
  subscribe(listener: BusListener): () => void {
    // A wrapper per call: the same function subscribed twice is two subscriptions, each stopped on its own.
    const entry: BusListener = (m) => listener(m);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /**
   * Hands `message` to every subscriber.
   *
   * @example
   * bus.publish({ kind: 'status', runId, origin, at, status: 'running', counters: { frames: 0, dropped: 0, reconnects: 0 } })
   */
  publish(message: BusMessage): void {
    for (const l of [...this.#listeners]) {
      try {
        l(message);
      } catch (err) {
        this.#log?.warn({ err, runId: message.runId }, 'an event bus subscriber failed');
      }
    }
  }
}

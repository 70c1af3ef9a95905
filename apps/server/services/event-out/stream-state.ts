/**
 * The state of each live stream as MQTT keeps it (retained at `…/streams/<name>/state`): its status
 * and counters, the people named in it now, and the last person named. Folded from the bus's
 * messages; only streams have a state (a video job's events are delivered, not kept).
 */
import type { BusMessage } from '../event-bus.js';
import type { OutEvent } from './payload.js';

/** A person a stream names now (one of its live tracks). */
export interface PresentFace {
  readonly trackId: number;
  readonly who: string | null;
  readonly identity: string | null;
  readonly score: number | null;
  /** When this track was last named (ISO 8601). */
  readonly since: string;
}

/** The retained state of one stream. */
export interface StreamState {
  readonly server: string;
  readonly stream: string;
  /** `idle` until the stream first runs; then `running`, `failed`, `done` (it ended) or `cancelled` (the server stopped it). */
  readonly status: 'idle' | 'queued' | 'running' | 'done' | 'failed' | 'cancelled';
  /** The most recently named known person present now, else null (Home Assistant's sensor value). */
  readonly who: string | null;
  readonly identity: string | null;
  /** Every named track now, known or not. */
  readonly present: readonly PresentFace[];
  /** The last known person named on this stream, present or not. */
  readonly last: {
    readonly who: string | null;
    readonly identity: string;
    readonly when: string;
    readonly score: number | null;
    readonly snapshot: string | null;
  } | null;
  readonly frames: number;
  readonly dropped: number;
  readonly reconnects: number;
  readonly error?: { readonly code: string; readonly message: string };
  /** When this state last changed (ISO 8601). */
  readonly updatedAt: string;
}

function trackIdOf(out: OutEvent): number | null {
  const v = (out.event as unknown as Record<string, unknown>).trackId;
  return typeof v === 'number' ? v : null;
}

/**
 * Keeps every stream's state and says when a message changed one.
 *
 * @example
 * const states = new StreamStates('hall', ['door'])
 * const changed = states.apply(message, toOutEvent(message, ctx)) // the new state, or null
 */
export class StreamStates {
  readonly #server: string;
  readonly #states = new Map<string, StreamState>();
  readonly #present = new Map<string, Map<number, PresentFace>>();

  /** Starts every configured stream as `idle`, so a subscriber learns of it before it first runs. */
  constructor(server: string, streams: readonly string[]) {
    this.#server = server;
    for (const name of streams) this.#states.set(name, this.#idle(name));
  }

  /** The states of every stream seen or configured. */
  all(): StreamState[] {
    return [...this.#states.values()];
  }

  /**
   * Folds one message in; returns the stream's new state when it changed, else null.
   *
   * @example
   * const s = states.apply(message, out); if (s !== null) publishRetained(s)
   */
  apply(message: BusMessage, out: OutEvent): StreamState | null {
    if (message.origin.kind !== 'stream') return null;
    const name = message.origin.name;
    const before = this.#states.get(name) ?? this.#idle(name);
    const present = this.#present.get(name) ?? new Map<number, PresentFace>();
    this.#present.set(name, present);
    let next: StreamState;
    if (message.kind === 'status') {
      if (message.status !== 'running' && message.status !== 'queued') present.clear();
      next = {
        ...before,
        status: message.status,
        ...message.counters,
        ...(message.error === undefined ? { error: undefined } : { error: { code: message.error.code, message: message.error.message } }),
      };
    } else {
      const trackId = trackIdOf(out);
      const type = out.type;
      if (trackId !== null && (type === 'track.identified' || type === 'track.suspended')) {
        present.set(trackId, {
          trackId,
          who: type === 'track.suspended' ? '?' : out.who,
          identity: type === 'track.suspended' ? null : out.identity,
          score: out.score,
          since: out.when,
        });
      } else if (trackId !== null && type === 'track.ended') {
        present.delete(trackId);
      } else if (out.identity === null) {
        return null;
      }
      // A withheld name (suspended) or a track leaving is no new sighting of the person.
      const sighting = out.identity !== null && type !== 'track.ended' && type !== 'track.suspended';
      const last = sighting ? { who: out.who, identity: out.identity, when: out.when, score: out.score, snapshot: out.snapshot } : before.last;
      next = { ...before, last };
    }
    const faces = [...present.values()];
    const known = faces.filter((f) => f.identity !== null).sort((a, b) => b.since.localeCompare(a.since))[0];
    const state: StreamState = { ...next, present: faces, who: known?.who ?? null, identity: known?.identity ?? null, updatedAt: message.at };
    this.#states.set(name, state);
    return state;
  }

  #idle(name: string): StreamState {
    return {
      server: this.#server,
      stream: name,
      status: 'idle',
      who: null,
      identity: null,
      present: [],
      last: null,
      frames: 0,
      dropped: 0,
      reconnects: 0,
      updatedAt: new Date().toISOString(),
    };
  }
}

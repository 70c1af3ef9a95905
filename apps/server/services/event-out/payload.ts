/**
 * What MQTT and webhooks deliver for each event: a flat, Home Assistant-friendly object (who,
 * where, when, score, snapshot) with the server's own event kept whole under `event`, so a new
 * event type (`visitor.seen`…) is forwarded as it is, with nothing to change here.
 */
import { randomUUID } from 'node:crypto';
import type { BusMessage, EventOrigin, ServerEvent } from '../event-bus.js';

/** One delivery: the same object goes to MQTT (`…/events/<type>`) and, as the body, to every webhook. */
export interface OutEvent {
  /** Unique per event; a webhook retry carries the same id (`X-ArcFace-Delivery`). */
  readonly id: string;
  /** The event's type: `track.identified`, `stream.status`, `visitor.seen`… */
  readonly type: string;
  /** The server's id (`--server-id`), also the second level of every MQTT topic. */
  readonly server: string;
  /** Who: the display name (or `unknown`, `?`) when the event names someone, else null. */
  readonly who: string | null;
  /** The gallery identity id, or null (unknown face, or an event about no one). */
  readonly identity: string | null;
  /** Where: the stream's name, or the video job's id. */
  readonly where: string;
  /** What `where` names: a live stream or an uploaded video. */
  readonly source: EventOrigin['kind'];
  /** When the server received the event (ISO 8601, UTC). */
  readonly when: string;
  /** The event's cosine score, or null when it has none. */
  readonly score: number | null;
  /** Address of the face thumbnail the event carries (a server route; absolute with `--public-url`), else null. */
  readonly snapshot: string | null;
  /** The server's event as emitted (the same object SSE clients read). */
  readonly event: ServerEvent;
}

function field(event: ServerEvent, name: string): unknown {
  return (event as unknown as Record<string, unknown>)[name];
}

function stringField(event: ServerEvent, name: string): string | null {
  const v = field(event, name);
  return typeof v === 'string' ? v : null;
}

/**
 * The event's thumbnail as an address: a server route (`/v1/…`) or an http(s) URL in `snapshot`,
 * `snapshotUrl` or `thumbnailUrl`. A file path (`track.ended`'s `thumbnail`) is never sent out.
 */
function snapshotOf(event: ServerEvent, publicUrl: string | undefined): string | null {
  for (const name of ['snapshot', 'snapshotUrl', 'thumbnailUrl']) {
    const v = stringField(event, name);
    if (v === null) continue;
    if (/^https?:\/\//i.test(v)) return v;
    if (v.startsWith('/v1/') || v.startsWith('/api/')) return publicUrl === undefined ? v : `${publicUrl.replace(/\/+$/, '')}${v}`;
  }
  return null;
}

/**
 * The delivery for one bus message: an event as it came, or a run's status change as a
 * `stream.status` / `video.status` event.
 *
 * @example
 * const out = toOutEvent(message, { serverId: 'hall', publicUrl: 'https://faces.home.lan' })
 * out.who // 'Alice'
 */
export function toOutEvent(message: BusMessage, context: { readonly serverId: string; readonly publicUrl?: string }): OutEvent {
  const event: ServerEvent =
    message.kind === 'event'
      ? message.event
      : ({
          type: `${message.origin.kind}.status`,
          status: message.status,
          ...message.counters,
          ...(message.error === undefined ? {} : { error: message.error }),
        } as ServerEvent);
  const score = field(event, 'score');
  return {
    id: randomUUID(),
    type: event.type,
    server: context.serverId,
    who: stringField(event, 'name') ?? stringField(event, 'label') ?? stringField(event, 'who'),
    identity: stringField(event, 'identity'),
    where: message.origin.kind === 'stream' ? message.origin.name : message.origin.id,
    source: message.origin.kind,
    when: message.at,
    score: typeof score === 'number' && Number.isFinite(score) ? score : null,
    snapshot: snapshotOf(event, context.publicUrl),
    event,
  };
}

/**
 * One MQTT topic level made of any text: characters other than letters, digits, `.`, `_` and `-`
 * (the wildcards `+` `#`, the separator `/`, spaces) become `_`.
 *
 * @example
 * topicLevel('front door') // 'front_door'
 */
export function topicLevel(text: string): string {
  const level = text.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 128);
  return level === '' ? '_' : level;
}

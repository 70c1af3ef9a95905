/** What the sightings room reports as it records: JSON events beside the stream's own, in order. */

/** A track that ended was stored as a sighting. */
export interface SightingRecordedEvent {
  readonly type: 'sighting.recorded';
  readonly sightingId: number;
  /** Where it was seen: a stream's name, a video job, a `watch` source, `identify`. */
  readonly source: string;
  readonly trackId: number;
  /** Identity it names, or null (unknown). */
  readonly identity: string | null;
  readonly score: number;
  /** `visitor-N` of an unknown sighting, else null. */
  readonly visitor: string | null;
  readonly faces: number;
  /** Faces above the learning limits. */
  readonly learnable: number;
  /** Milliseconds since the epoch. */
  readonly at: number;
}

/** An unknown face was placed in a visitor: a new one (`first`) or one seen before. */
export interface VisitorSeenEvent {
  readonly type: 'visitor.seen';
  readonly visitor: string;
  readonly visitorId: number;
  readonly sightingId: number;
  readonly source: string;
  /** The visitor's sightings so far (this one included). */
  readonly sightings: number;
  readonly first: boolean;
  readonly at: number;
}

/** A visitor reached `count` sightings within the recurring window (once per window crossing). */
export interface VisitorRecurringEvent {
  readonly type: 'visitor.recurring';
  readonly visitor: string;
  readonly visitorId: number;
  readonly sightingId: number;
  readonly source: string;
  readonly count: number;
  readonly windowSeconds: number;
  readonly at: number;
}

/** Everything the sightings room reports. */
export type SightingEvent = SightingRecordedEvent | VisitorSeenEvent | VisitorRecurringEvent;

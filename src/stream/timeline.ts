import type { StreamEvent, TrackEndedEvent } from './events.js';

/** One stretch of time in which an identity was on screen. */
export interface TimelineInterval {
  readonly start: number;
  readonly end: number;
  /** Tracks that make up the interval. */
  readonly tracks: readonly number[];
}

/** Who appeared when: intervals per identity (or per unknown label). */
export interface TimelineEntry {
  /** Gallery identity id, or null for unknown faces. */
  readonly identity: string | null;
  readonly label: string;
  readonly intervals: readonly TimelineInterval[];
  /** Seconds on screen, overlaps counted once. */
  readonly seconds: number;
}

/** The summary of a whole stream. */
export interface Timeline {
  readonly tracks: number;
  readonly entries: readonly TimelineEntry[];
}

/** A timed caption (WebVTT cue). */
export interface TimelineCue {
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

/**
 * Defaults of {@link buildTimeline}. Two appearances of one identity separated by less than
 * `mergeGapSeconds` are one interval: a face lost for a moment (occlusion, a turned head, a track
 * that ended and was born again) is still the same appearance to a viewer.
 */
export const TIMELINE_DEFAULTS = Object.freeze({ mergeGapSeconds: 1 });

function ended(events: Iterable<StreamEvent>): TrackEndedEvent[] {
  const out: TrackEndedEvent[] = [];
  for (const e of events) if (e.type === 'track.ended') out.push(e);
  return out;
}

/**
 * Builds "who appeared when" from a stream's `track.ended` events: each identity's tracks (by the
 * label they ended with) become intervals, merged when closer than `mergeGapSeconds`. Entries are
 * sorted by first appearance.
 *
 * @example
 * const timeline = buildTimeline(events) // { tracks: 3, entries: [{ label: 'Colin Powell', intervals: [...] }] }
 */
export function buildTimeline(events: Iterable<StreamEvent>, options: { mergeGapSeconds?: number } = {}): Timeline {
  const gap = options.mergeGapSeconds ?? TIMELINE_DEFAULTS.mergeGapSeconds;
  if (!Number.isFinite(gap) || gap < 0) throw new RangeError(`Expected mergeGapSeconds ≥ 0 but received ${gap}`);
  const tracks = ended(events);
  const byLabel = new Map<string, TrackEndedEvent[]>();
  for (const t of tracks) {
    const list = byLabel.get(t.label);
    if (list === undefined) byLabel.set(t.label, [t]);
    else list.push(t);
  }
  const entries: TimelineEntry[] = [];
  for (const [label, list] of byLabel) {
    list.sort((a, b) => a.firstPts - b.firstPts || a.trackId - b.trackId);
    const intervals: { start: number; end: number; tracks: number[] }[] = [];
    for (const t of list) {
      const last = intervals[intervals.length - 1];
      if (last !== undefined && t.firstPts - last.end <= gap) {
        last.end = Math.max(last.end, t.lastPts);
        last.tracks.push(t.trackId);
      } else {
        intervals.push({ start: t.firstPts, end: t.lastPts, tracks: [t.trackId] });
      }
    }
    const seconds = intervals.reduce((s, i) => s + (i.end - i.start), 0);
    entries.push({ identity: (list[0] as TrackEndedEvent).identity, label, intervals, seconds: Math.round(seconds * 1000) / 1000 });
  }
  entries.sort((a, b) => (a.intervals[0]?.start ?? 0) - (b.intervals[0]?.start ?? 0) || (a.label < b.label ? -1 : 1));
  return { tracks: tracks.length, entries };
}

/**
 * Captions for a player: one cue per ended track, `label` shown from its first to its last
 * appearance (at least `minSeconds` long, so a short track is still readable).
 *
 * @example
 * toWebVtt(timelineCues(events))
 */
export function timelineCues(events: Iterable<StreamEvent>, options: { minSeconds?: number } = {}): TimelineCue[] {
  const min = options.minSeconds ?? 0.5;
  if (!Number.isFinite(min) || min < 0) throw new RangeError(`Expected minSeconds ≥ 0 but received ${min}`);
  return ended(events)
    .map((t) => ({ start: t.firstPts, end: Math.max(t.lastPts, t.firstPts + min), text: `#${t.trackId} ${t.label}` }))
    .sort((a, b) => a.start - b.start || a.end - b.end);
}

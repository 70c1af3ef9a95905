import { assertInteger, assertNumber } from '../core/index.js';
import { resolveQualityLimits, type QualityLimits } from '../quality/index.js';
import type { IncrementalOptions } from '../cluster/index.js';

/** Options of {@link Sightings.open}. */
export interface SightingsOptions {
  /** Sightings older than this are deleted (per source), days. */
  readonly maxAgeDays: number;
  /** Newest sightings kept per source. */
  readonly maxPerSource: number;
  /** A face below these limits (tiny, blurred, turned away) is never offered for "this is X" by default. */
  readonly learnLimits: Readonly<QualityLimits>;
  /** Best embedded faces kept per sighting (`FaceStreamOptions.sightingFaces`). */
  readonly facesPerSighting: number;
  /** Faces enrolled at most by one "this is X". */
  readonly teachFaces: number;
  /** `visitor.recurring` fires when a visitor reaches this many sightings within `recurringWindowSeconds`. */
  readonly recurringCount: number;
  readonly recurringWindowSeconds: number;
  /** Visitor clustering over {@link VISITOR_CLUSTERING}. */
  readonly visitors: Partial<IncrementalOptions>;
}

/**
 * Defaults: 30 days and 10,000 sightings per source; the quality limits that decide what a stream
 * embeds (`DEFAULT_QUALITY_LIMITS`); three faces kept per sighting (the track's best, for thumbnails and
 * teaching); five faces per teach (a gallery identity enrolled from five
 * photos is well past the one-photo regime); "recurring" at 3 sightings in 24 hours.
 *
 * @example
 * await Sightings.open(gallery, { ...SIGHTINGS_DEFAULTS, maxAgeDays: 7 })
 */
export const SIGHTINGS_DEFAULTS: Readonly<SightingsOptions> = Object.freeze({
  maxAgeDays: 30,
  maxPerSource: 10_000,
  learnLimits: resolveQualityLimits(),
  facesPerSighting: 3,
  teachFaces: 5,
  recurringCount: 3,
  recurringWindowSeconds: 86_400,
  visitors: {},
});

/**
 * Checks options over the defaults; returns a frozen copy.
 *
 * @example
 * resolveSightingsOptions({ maxPerSource: 100 })
 */
export function resolveSightingsOptions(
  o: Partial<Omit<SightingsOptions, 'learnLimits'>> & { learnLimits?: Partial<QualityLimits> } = {},
): Readonly<SightingsOptions> {
  if (typeof o !== 'object' || o === null) throw new TypeError(`Expected sightings options as an object but received ${o === null ? 'null' : typeof o}`);
  const d = SIGHTINGS_DEFAULTS;
  return Object.freeze({
    maxAgeDays: assertNumber('maxAgeDays', o.maxAgeDays ?? d.maxAgeDays, 0, 36_500),
    maxPerSource: assertInteger('maxPerSource', o.maxPerSource ?? d.maxPerSource, 1, 10_000_000),
    learnLimits: resolveQualityLimits(o.learnLimits ?? {}),
    facesPerSighting: assertInteger('facesPerSighting', o.facesPerSighting ?? d.facesPerSighting, 1, 32),
    teachFaces: assertInteger('teachFaces', o.teachFaces ?? d.teachFaces, 1, 100),
    recurringCount: assertInteger('recurringCount', o.recurringCount ?? d.recurringCount, 2, 1_000_000),
    recurringWindowSeconds: assertNumber('recurringWindowSeconds', o.recurringWindowSeconds ?? d.recurringWindowSeconds, 1, 1e9),
    visitors: { ...(o.visitors ?? d.visitors) },
  });
}

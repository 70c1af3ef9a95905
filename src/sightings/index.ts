/**
 * Sightings: every track that ends becomes a sighting in the gallery database; unknown ones gather
 * into persistent visitors; "this is X", "not X" and `reprocess` close the camera user's loop.
 */
export type { SightingEvent, SightingRecordedEvent, VisitorRecurringEvent, VisitorSeenEvent } from './events.js';
export { NEGATIVES_RECHECK_MS, NegativeCache, withoutNegatives } from './negatives.js';
export { resolveSightingsOptions, SIGHTINGS_DEFAULTS, type SightingsOptions } from './options.js';
export { SIGHTINGS_SCHEMA } from './schema.js';
export { Sightings } from './sightings.js';
export { visitorLabel, type Culprit, type SightingDetails, type StillFace, type VisitorSummary } from './views.js';
export { embeddingBytes, embeddingOf } from './codec.js';
export { SightingsStore, type DecidedBy, type NewSighting, type Sighting, type SightingFaceRow, type SightingFilter } from './sightings-store.js';
export { VISITOR_CLUSTERING, VisitorClusters } from './visitors.js';
export { SIGHTINGS_FORGET_STEP } from './forget-step.js';

/** What the sightings room hands out: visitors, sightings with faces, culprits of a false match. */
import type { FaceQuality } from '../quality/index.js';
import type { Sighting } from './sightings-store.js';

/**
 * What a visitor is shown as.
 *
 * @example
 * visitorLabel(3) // 'visitor-3'
 */
export function visitorLabel(visitorId: number): string {
  return `visitor-${visitorId}`;
}

/** A visitor as listed. */
export interface VisitorSummary {
  readonly visitorId: number;
  readonly label: string;
  /** The identity it was taught to be, else null. */
  readonly identity: string | null;
  readonly sightings: number;
  readonly sources: readonly string[];
  readonly createdAt: number;
  readonly seenAt: number;
  readonly coverFaceId: number | null;
}

/** A face to store with a sighting: the JPEG of its aligned crop, its unit embedding and its quality. */
export interface StillFace {
  readonly jpeg: Uint8Array;
  readonly embedding: Float32Array;
  readonly quality: FaceQuality;
}

/** A sighting with its faces. */
export interface SightingDetails extends Sighting {
  readonly faces: readonly { readonly faceId: number; readonly quality: FaceQuality; readonly learnable: boolean }[];
}

/** A gallery template that made a false match, as "not X" shows it. */
export interface Culprit {
  readonly templateId: number;
  readonly score: number;
  readonly sourceFile: string | null;
}

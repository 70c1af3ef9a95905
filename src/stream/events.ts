import type { Box, RgbImage } from '../core/index.js';
import type { FaceQuality } from '../quality/index.js';

/** A track became confirmed (the tracker's birth rule held): a face is now followed. */
export interface TrackStartedEvent {
  readonly type: 'track.started';
  readonly trackId: number;
  /** Frame index and presentation timestamp (seconds) of the frame this event belongs to. */
  readonly frame: number;
  readonly pts: number;
  /** Frame and timestamp of the track's first detection (before it was confirmed). */
  readonly firstFrame: number;
  readonly firstPts: number;
  readonly box: Box;
}

/** A track's identity was decided or changed (hysteresis keeps a stable track from flickering). */
export interface TrackIdentifiedEvent {
  readonly type: 'track.identified';
  readonly trackId: number;
  readonly frame: number;
  readonly pts: number;
  /** Gallery identity id, or null when the track is now unknown. */
  readonly identity: string | null;
  /** Display name of the identity (or the unknown label, or `null`). */
  readonly name: string | null;
  /** What a viewer sees: the name, an `unknown-N` label when asked for, else `unknown`. */
  readonly label: string;
  /** Cosine of the track template to the best candidate. */
  readonly score: number;
  /** The cosine threshold that decided it. */
  readonly threshold: number;
  /**
   * Where the threshold came from: `given` (the caller's), `fpir` (the gallery's identification
   * threshold for its size and target false positive identification rate), `floor` or `fixed` (the
   * recogniser's 1:1 threshold), `none` (no gallery).
   */
  readonly thresholdSource: 'given' | 'fpir' | 'floor' | 'fixed' | 'none';
  /** The identity before this decision. */
  readonly previous: string | null;
  /** Recogniser calls spent on this track so far. */
  readonly embeddings: number;
}

/** A track ended: the face left, or the stream ended. */
export interface TrackEndedEvent {
  readonly type: 'track.ended';
  readonly trackId: number;
  readonly frame: number;
  readonly pts: number;
  readonly firstFrame: number;
  readonly lastFrame: number;
  readonly firstPts: number;
  readonly lastPts: number;
  readonly identity: string | null;
  readonly name: string | null;
  readonly label: string;
  readonly score: number;
  /** Recogniser calls spent on this track. */
  readonly embeddings: number;
  /** Frames in which the track was matched to a detection. */
  readonly hits: number;
  /** Path of the best-quality face crop, when thumbnails were asked for. */
  readonly thumbnail?: string;
}

/**
 * A track's name is withheld (`?`) until its face is matched again: the shot changed, the tracker re-attached it after a
 * miss, its box jumped, it touched another track, the face under the box changed look at once, or its
 * newest face no longer clearly matches its earlier ones. Emitted at the end of a frame that shows the
 * track withheld (a face checked within the frame it was questioned never is); the next
 * `track.identified` of the track shows what the fresh face decided.
 */
export interface TrackSuspendedEvent {
  readonly type: 'track.suspended';
  readonly trackId: number;
  readonly frame: number;
  readonly pts: number;
  readonly reason: 'shot' | 'reattached' | 'jump' | 'contact' | 'appearance' | 'mismatch';
  /** The identity withheld (null when the track was unknown). */
  readonly identity: string | null;
}

/**
 * The picture changed shot (a hard cut, or a fade to or from black): every track is quarantined (its name
 * withheld) until the face under its box is embedded and matches the track's earlier faces; a face that
 * does not starts a new track. A stream that recognises nothing (no gallery, no unknown labels) cannot
 * check, so every track carried over the cut ends there and a new one starts.
 */
export interface ShotChangedEvent {
  readonly type: 'shot.changed';
  readonly frame: number;
  readonly pts: number;
  readonly kind: 'cut' | 'fade';
  /** The content change measured at this frame (HSV mean absolute difference, 0..255 scale). */
  readonly score: number;
}

/** Everything a stream reports, in order; JSON Lines writes one per line. */
export type StreamEvent = TrackStartedEvent | TrackIdentifiedEvent | TrackEndedEvent | TrackSuspendedEvent | ShotChangedEvent;

/** One followed face at one frame. */
export interface TrackView {
  readonly trackId: number;
  /** The box at this frame: the matched detection's, else the tracker's prediction. */
  readonly box: Box;
  /** True when a detection was matched to the track at this frame. */
  readonly detected: boolean;
  /** Frames since a detection was last matched to the track (0 when `detected`). */
  readonly missedFrames: number;
  readonly identity: string | null;
  readonly name: string | null;
  readonly label: string;
  readonly score: number;
  /**
   * True while the track's name is withheld until its face is matched again (after a shot change, a
   * jump, a re-attachment or contact with another track): `identity` and `name` are null and `label` is `?`.
   */
  readonly suspended: boolean;
}

/** One embedded face of a track, kept for its sighting (see `FaceStreamOptions.sightingFaces`). */
export interface SightingFace {
  /** The aligned crop (the recogniser's input, e.g. 112×112). */
  readonly crop: RgbImage;
  /** Unit embedding of the crop. */
  readonly embedding: Float32Array;
  readonly quality: FaceQuality;
}

/** A track that ended, with its best embedded faces: what a sightings store records. */
export interface TrackSighting {
  readonly ended: TrackEndedEvent;
  /** Best faces first (by `quality.overall`); empty when the track was never embedded. */
  readonly faces: readonly SightingFace[];
}

/** The result of one processed frame. `frame`/`pts` are those of the source frame it was computed on. */
export interface FrameResult {
  readonly frame: number;
  readonly pts: number;
  readonly width: number;
  readonly height: number;
  /** Whether the detector ran on this frame (see `detectEvery`). */
  readonly detected: boolean;
  readonly tracks: readonly TrackView[];
  /** Events that happened at this frame, in order. */
  readonly events: readonly StreamEvent[];
  /** Frames the source dropped so far (live mode only). */
  readonly dropped: number;
  /** Milliseconds from the frame's arrival from the decoder to this result. */
  readonly latencyMs: number;
  /** Recogniser calls made at this frame. */
  readonly embedded: number;
  /** Tracks that ended at this frame with their best faces, when `sightingFaces` was asked for. */
  readonly sightings?: readonly TrackSighting[];
  /** The frame itself (not copied), for drawing; absent on the closing result of a stream. */
  readonly image?: RgbImage;
}

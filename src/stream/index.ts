/**
 * Faces in video: the stream pipeline (detector → tracker → quality → recogniser → identity per
 * track), its events and the "who appeared when" summary.
 */
export type {
  FrameResult,
  SightingFace,
  StreamEvent,
  TrackSighting,
  ShotChangedEvent,
  TrackEndedEvent,
  TrackIdentifiedEvent,
  TrackStartedEvent,
  TrackSuspendedEvent,
  TrackView,
} from './events.js';
export { buildTimeline, timelineCues, TIMELINE_DEFAULTS, type Timeline, type TimelineCue, type TimelineEntry, type TimelineInterval } from './timeline.js';
export { cropBox, THUMBNAIL_MARGIN } from './thumbnail-crop.js';
export { FaceStream, type FaceStreamOptions, type StreamFrame, type StreamGallery, type StreamRecognizer } from './face-stream.js';
export { withDetectorDownscale, watchFaces, type WatchFacesOptions } from './watch-faces.js';
export { annotateFrame } from './annotate.js';
export { ANNOTATION_COLORS, MAX_PREDICTED_RUNS, maxPredictedFrames, trackLabel, trackOverlays, type TrackOverlayOptions } from './track-overlays.js';
export { contentDifference, contentSignature, SHOT_CHANGE_DEFAULTS, ShotChangeDetector, type ShotChange, type ShotChangeOptions } from './shot-change.js';

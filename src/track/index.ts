export { linearAssignment, solveAssignment, type AssignedPair, type AssignmentResult } from './assignment.js';
export { KalmanBoxFilter, boxToXyah, xyahToBox } from './kalman-box.js';
export { Tracker, type Track, type TrackerUpdate, type TrackStatus } from './tracker.js';
export { TRACKER_DEFAULTS, assertTrackerDetection, resolveTrackerOptions, type TrackerDetection, type TrackerOptions } from './tracker-options.js';
export {
  TRACK_IDENTITY_DEFAULTS,
  TrackIdentity,
  type IdentityCandidate,
  type IdentityDecision,
  type TrackIdentityOptions,
} from './track-identity.js';
export { UNKNOWN_LABELER_DEFAULTS, UnknownLabeler, type UnknownLabelerOptions } from './unknown-labeler.js';

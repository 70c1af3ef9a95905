/**
 * Privacy: faces anonymised in photos and videos (every face, every face but the consenting
 * identities, or only the listed ones), blurred, pixelated or filled.
 */
export { COVER_STYLES, coverRegions, padBox, type CoverRect, type CoverStyle } from './cover.js';
export {
  ANONYMIZE_DEFAULTS,
  ANONYMIZE_MODES,
  assertIdentitiesKnown,
  identitiesTagged,
  resolveAnonymizePolicy,
  type AnonymizedImage,
  type AnonymizeMode,
  type AnonymizePolicy,
  type AnonymizeReport,
  type KeptFace,
  type TaggedGallery,
} from './policy.js';
export { anonymizePhoto, checkAnonymizeOptions, type AnonymizePhotoOptions } from './anonymize-photo.js';
export { AnonymizeTally } from './tally.js';
export { VideoAnonymizer, type AnonymizedFrame, type VideoAnonymizerOptions } from './video-anonymizer.js';
export { anonymizeVideo, type AnonymizeVideoOptions } from './anonymize-video.js';

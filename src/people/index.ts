export {
  PEOPLE_DEFAULTS,
  People,
  type AddedFace,
  type PeopleOptions,
  type PersonConstraint,
  type PersonDetails,
  type PhotoSource,
  type ReclusterResult,
} from './people.js';
export {
  PeopleStore,
  type ConstraintKind,
  type FaceConstraint,
  type KnownPhoto,
  type NewPersonFace,
  type PersonFace,
  type PersonSummary,
} from './people-store.js';
export { PEOPLE_MIGRATIONS } from './people-schema.js';
export { addImages, type AddedImages, type ClusterProgress, type KnownImage, type PeopleRecognizer, type SkippedFace } from './people-images.js';
export { contactSheetHtml, contactSheetPng, SHEET_DEFAULTS } from './contact-sheet.js';
export { syncFolders, type SyncOptions, type SyncSummary } from './people-sync.js';
export { PEOPLE_FORGET_STEP } from './forget-step.js';

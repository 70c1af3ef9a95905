export { enrolPeople, ENROL_PEOPLE_DEFAULTS, type EnrolPeopleOptions, type EnrolPeopleSummary, type PhotoOutcome } from './enrol-people.js';
export { enrolTemplateResults, enrolTemplates, type EnrolledTemplateResult, type TemplateWithThumbnail } from './enrol-templates.js';
export { enrollImages, type HeldImage, type SkippedImage } from './enrol-images.js';
export { BOX_MIN_IOU, chooseEnrolmentFace, DOMINANCE_RATIO, parseFaceChoice, prominence, type EnrolFaceChoice } from './face-choice.js';
export {
  boxSide,
  faceTemplate,
  faceThumbnail,
  imageSha256,
  isBadInput,
  makeFaceTemplates,
  THUMBNAIL_QUALITY,
  type IngestImage,
  type IngestRecognizer,
  type TemplateOutcome,
} from './face-templates.js';
export { MicroBatcher, type MicroBatcherOptions } from './micro-batcher.js';
export { personNameFromFolder, scanPeopleFolder, type PeopleFolderScan, type PersonFolder, type RefusedFolder } from './people-folder.js';
export { assertPhotoJob, enrolPhotoJob, type PhotoJob, type PhotoJobResult } from './photo-job.js';

export { enrolPeople, ENROL_PEOPLE_DEFAULTS, type EnrolPeopleOptions, type EnrolPeopleSummary, type PhotoOutcome } from './enrol-people.js';
export { enrolTemplates, type TemplateWithThumbnail } from './enrol-templates.js';
export { imageSha256, isBadInput, makeFaceTemplates, type IngestImage, type IngestRecognizer, type TemplateOutcome } from './face-templates.js';
export { MicroBatcher, type MicroBatcherOptions } from './micro-batcher.js';
export { personNameFromFolder, scanPeopleFolder, type PeopleFolderScan, type PersonFolder, type RefusedFolder } from './people-folder.js';
export { assertPhotoJob, enrolPhotoJob, type PhotoJob, type PhotoJobResult } from './photo-job.js';

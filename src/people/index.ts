export { PEOPLE_DEFAULTS, People, type AddedFace, type PeopleOptions, type PersonDetails, type ReclusterResult } from './people.js';
export { PeopleStore, type NewPersonFace, type PersonFace, type PersonSummary } from './people-store.js';
export { postgresPeopleSql, sqlitePeopleSql, type PeopleSql } from './sql-runner.js';
export { addImages, type AddedImages, type ClusterProgress, type PeopleRecognizer, type SkippedFace } from './people-images.js';
export { contactSheetHtml, contactSheetPng, SHEET_DEFAULTS } from './contact-sheet.js';

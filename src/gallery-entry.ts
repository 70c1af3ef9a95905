/**
 * `arcface-ts/gallery`: the gallery with its stores, indexes and export format, and the image helpers
 * that feed it through a recogniser (enrolment comes from `src/ingest`, its one home).
 */
export * from './gallery/index.js';
export { enrollImages, type HeldImage, type SkippedImage } from './ingest/index.js';

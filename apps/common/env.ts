/**
 * Configuration the apps read from the environment. Model locations follow the library's rule
 * (`modelLocationsFromEnv`), so the CLI, the server and `FaceRecognizer.create()` find the same models.
 */
export { modelLocationsFromEnv, type ModelLocations } from '../../src/models/index.js';

/** The server's cross-cutting parts as routes and services use them: auth, hardening, errors, body input, rate limits. */
export { keyStillValid } from './auth.js';
export { parsePositiveId } from './hardening.js';
export { toArcFaceError } from './http-errors.js';
export { readInput, requireImage, shownFileName, type UploadedImage, uploadName } from './image-input.js';
export { RedisRateLimitCounter } from './redis-rate-limit.js';
export { PostgresRateLimitCounter, type SharedRateLimitCounter } from './shared-rate-limit.js';

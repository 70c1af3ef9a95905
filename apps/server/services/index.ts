/** The server's services as the routes and plugins use them: inference, keys, gallery port, video jobs. */
export { type EmbeddedFace, type EngineInfo, type FaceOut, type Selection } from './engine.js';
export { type GalleryPort, type NewFace } from './gallery-port.js';
export { type ApiKeyStore, type Scope, scopeAllows } from './key-store.js';
export { migrateServerTables, pgTry } from './pg-server-tables.js';
export { type JobRequester, type VideoJobView, type VideoService } from './video-jobs.js';

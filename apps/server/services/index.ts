/** The server's services as the routes and plugins use them: inference, keys, gallery port, video jobs. */
export type { EmbeddedFace, EngineInfo, FaceOut, Selection } from './engine.js';
export type { GalleryPort, NewFace } from './gallery-port.js';
export { type ApiKeyStore, type Scope, scopeAllows } from './key-store.js';
export { migrateServerTables, pgTry } from './pg-server-tables.js';
export type { JobRequester, VideoJobView, VideoService } from './video-jobs.js';
export type { AnonymizeTask } from './video-worker.js';

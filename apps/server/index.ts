export { buildApp, type BuildAppOptions } from './app.js';
export { EventBus, type BusListener, type BusMessage, type EventOrigin, type RunCounters, type ServerEvent } from './services/event-bus.js';
export {
  EventOut,
  signWebhook,
  verifyWebhook,
  WEBHOOK_HEADERS,
  type EventOutOptions,
  type EventSink,
  type OutEvent,
  type StreamState,
} from './services/event-out/index.js';
export type { EmbeddedFace, EngineInfo, EngineListener, FaceOut, InferenceEngine, InferenceJob, JobResults, Selection } from './services/engine.js';
export { GalleryAdapter } from './services/gallery-adapter.js';
export type { AuditFlag, Candidate, GalleryPort, NewFace, SubjectAudit, SubjectFace, SubjectSummary } from './services/gallery-port.js';
export { KeyStore, SCOPES, scopeAllows, type ApiKeyRecord, type ApiKeyStore, type CreatedApiKey, type Scope } from './services/key-store.js';
export { openKeyStore, PostgresKeyStore } from './services/pg-key-store.js';
export { PostgresRateLimitCounter, rateLimitStore, type SharedRateLimitCounter } from './plugins/shared-rate-limit.js';
export { RedisRateLimitCounter } from './plugins/redis-rate-limit.js';
export { ServerMetrics } from './plugins/metrics.js';
export {
  LOG_LEVELS,
  resolveServerOptions,
  SERVER_DEFAULTS,
  type LogLevel,
  type RateLimitOptions,
  type ResolvedServerOptions,
  type ServerOptions,
} from './options.js';
export { serve, type RunningServer, type ServeOptions } from './server.js';
export { openRateLimitCounter, startServices, type ServiceLocations, type Services } from './services/start-services.js';
export { InferencePool, type PoolOptions, type WorkerConfig } from './services/worker-pool.js';
export { spawnModuleWorker } from './services/worker-spawn.js';
export { boundedSource, resolveVideoLimits, VIDEO_LIMIT_DEFAULTS, type VideoLimits } from './services/video-limits.js';

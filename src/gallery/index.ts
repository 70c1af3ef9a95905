export { GALLERY_DEFAULTS, resolveGalleryOptions, type GalleryOptions, type IndexChoice, type ResolvedGalleryOptions } from './config.js';
export { EXPORT_MAGIC, EXPORT_VERSION, decodeExport, encodeExport, type ExportHeader, type ExportIdentity } from './export-format.js';
export { forgetSql, type ForgetDialect, type ForgetOutcome, type ForgetReceipt, type ForgetScrub, type ForgetStatement, type ForgetStep } from './forget.js';
export { localKeyEncryptionKey, parseKeyMaterial, type KeyEncryptionKey } from './kek.js';
export { PLAIN_CODEC, type RowCodec, type SealedKind } from './stores/row-codec.js';
export { decodeFloat32LE, encodeFloat32LE } from './stores/codec.js';
export { isSealedExport, openExport, sealExport, SEALED_EXPORT_MAGIC, type SealedExportHeader } from './sealed-export.js';
export { FlatIndex, PARALLEL_MIN_VALUES, type FlatIndexOptions, type PendingFlatIndex } from './search/flat-index.js';
export { readSnapshot, writeSnapshot, type SnapshotKey } from './search/matrix-snapshot.js';
export { Gallery } from './gallery.js';
export type { AuditFinding, Candidate, EnrolledTemplate, EnrollInput, IdentifyResult, IdentityDetails, VerifyResult } from './results.js';
export {
  assertGalleryModel,
  identifyImage,
  readGalleryImage,
  verifyImage,
  type GalleryImage,
  type GalleryRecognizer,
  type IdentifiedFace,
} from './gallery-images.js';
export { HnswIndex, type HnswKey, type HnswOptions } from './search/hnsw-index.js';
export { isPostgresLocation, openGallery, openOnPgPool, redactLocation } from './open-gallery.js';
export { POSTGRES_SCHEMA_VERSION, PostgresGalleryStore, type PostgresStoreOptions } from './stores/postgres-store.js';
export { pgliteClient, pgPoolClient, type PgliteLike, type SqlClient, type SqlQueryable } from './stores/sql-client.js';
export { migrateRoom, openRoom, schemaMigrations, type RoomMigration, type RoomSchema, type RoomSql } from './stores/room-sql.js';
export { busyPauses, SQLITE_APPLICATION_ID, SQLITE_SCHEMA_VERSION } from './stores/sqlite-schema.js';
export { SqliteGalleryStore, type SqliteStoreOptions } from './stores/sqlite-store.js';
export type {
  EnrollMode,
  GalleryMeta,
  GalleryStore,
  IdentityRecord,
  IdentitySummary,
  IdentityWrite,
  MatrixAllocator,
  NewTemplate,
  StoreEnrollOptions,
  StoreNeighbour,
  StoreStamp,
  TemplateMatrix,
  TemplateRecord,
  TemplateSource,
  TemplateThumbnail,
} from './stores/store.js';
export { clusterTemplates, findOutliers, type Outlier, type SubCenter, type SubCenterOptions } from './sub-centers.js';
export { TopK, type Neighbour } from './search/top-k.js';
export type { IndexKind, VectorIndex } from './search/vector-index.js';
export { calibrationForFingerprint, cosineAtFar, DEFAULT_TARGET_FPIR, farAtCosine, identificationThreshold, type ThresholdChoice } from './threshold-policy.js';
export { assertIdentityId, MAX_ID_LENGTH, modelMismatch } from './validate.js';
export { ensurePrivateFile, PRIVATE_FILE_MODE } from './stores/private-file.js';

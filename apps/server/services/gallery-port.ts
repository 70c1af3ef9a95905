import type { People } from '../../../src/people/index.js';
import type { Sightings } from '../../../src/sightings/index.js';

/**
 * What the server needs from a gallery, in its own words, so the HTTP layer does not depend on the
 * gallery's internals; `gallery-adapter.ts` implements it over `src/gallery`.
 */
import type { ForgetReceipt, NewTemplate, ThresholdChoice } from '../../../src/gallery/index.js';

/** A subject (identity) as listed. */
export interface SubjectSummary {
  readonly id: string;
  readonly name: string;
  readonly metadata: Readonly<Record<string, unknown>>;
  /** Milliseconds since the Unix epoch. */
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly faceCount: number;
}

/** One enrolled face (a template) of a subject. */
export interface SubjectFace {
  readonly faceId: number;
  readonly subjectId: string;
  readonly createdAt: number;
  readonly sourceFile: string | null;
  readonly detScore: number | null;
  readonly faceSize: number | null;
  readonly hasThumbnail: boolean;
}

/** A face to enrol. */
export interface NewFace extends NewTemplate {
  /** JPEG of the aligned crop, kept for the gallery page. */
  readonly thumbnail?: Uint8Array;
}

/** A gallery subject close to a probe. */
export interface Candidate {
  readonly subjectId: string;
  readonly name: string;
  /** Cosine similarity to the subject (its best sub-centre of faces). */
  readonly similarity: number;
}

/** One finding of a subject audit (a face that looks like someone else, an outlier, a duplicate). */
export interface AuditFlag {
  readonly kind: string;
  readonly message: string;
  readonly faceIds: readonly number[];
  readonly score?: number;
  /** Another subject involved, when the flag is about a look-alike. */
  readonly otherSubjectId?: string;
}

/** A subject's audit. */
export interface SubjectAudit {
  readonly subjectId: string;
  readonly faceCount: number;
  readonly flags: readonly AuditFlag[];
}

/**
 * The gallery operations behind the subject, identify and CompreFace routes. Missing subjects raise
 * `IDENTITY_NOT_FOUND`, taken ids `IDENTITY_EXISTS`, missing faces `NOT_FOUND`.
 */
export interface GalleryPort {
  /** Fingerprint of the recogniser the gallery was built with. */
  readonly fingerprint: string;
  readonly embeddingSize: number;
  /** Subject and face counts (metrics, readiness). */
  count(): Promise<{ subjects: number; faces: number }>;
  listSubjects(): Promise<SubjectSummary[]>;
  getSubject(id: string): Promise<SubjectSummary>;
  createSubject(id: string, fields: { name?: string; metadata?: Record<string, unknown> }): Promise<SubjectSummary>;
  /** Changes the id and/or the display name; returns the subject as it is now. */
  updateSubject(id: string, change: { newId?: string; name?: string }): Promise<SubjectSummary>;
  removeSubject(id: string): Promise<void>;
  /**
   * Forgets a subject for good (`Gallery.forget`): its faces, thumbnails (the side file's too) and
   * people discovery's faces of it, in one transaction, scrubbed from the files; returns the receipt.
   */
  forgetSubject(id: string, opts?: { vacuum?: boolean }): Promise<ForgetReceipt>;
  /**
   * Adds faces; creates the subject when `create` is true and it is missing. A face whose photo
   * (source SHA-256) the subject holds already adds nothing: its entry gives the face that holds
   * the photo, with `known` set. One entry per face given, in order.
   */
  addFaces(subjectId: string, faces: readonly NewFace[], options: { create: boolean }): Promise<{ faceId: number; known: boolean }[]>;
  /** Faces of one subject, or of every subject. */
  listFaces(subjectId?: string): Promise<SubjectFace[]>;
  getFace(faceId: number): Promise<SubjectFace & { readonly embedding: Float32Array }>;
  /**
   * Removes one face of one subject (`Gallery.removeTemplate`: the subject must own it, else
   * `NOT_FOUND`; identification sees the change at once). Returns the face removed.
   */
  removeFace(subjectId: string, faceId: number): Promise<SubjectFace>;
  /** Removes faces by id; returns the faces removed. */
  removeFaces(faceIds: readonly number[]): Promise<SubjectFace[]>;
  thumbnail(faceId: number): Promise<Uint8Array | undefined>;
  /** The best `k` subjects for a unit embedding, best first. */
  identify(embedding: Float32Array, k: number): Promise<Candidate[]>;
  /** {@link GalleryPort.identify} for each embedding, yielding to the event loop between them. */
  identifyMany(embeddings: readonly Float32Array[], k: number): Promise<Candidate[][]>;
  /**
   * The threshold for "known" now: `threshold` when given, else the one that holds the target FPIR
   * at the gallery's current size (see `Gallery.identificationThreshold`), with its reason.
   */
  identificationThreshold(opts: { threshold?: number; fpir?: number }): Promise<ThresholdChoice>;
  audit(subjectId: string): Promise<SubjectAudit>;
  close(): Promise<void>;
  /** People discovery over the same gallery (opened on first use), where the gallery supports it. */
  people?(): Promise<People>;
  /**
   * Runs people discovery's writes one at a time, in this server and, for a PostgreSQL gallery,
   * among every server on the database.
   */
  peopleWrite?<T>(fn: () => Promise<T>): Promise<T>;
  /** Sightings ("Recent faces") over the gallery, opened on first use. */
  sightings?(): Promise<Sightings>;
  /** Runs sightings' writes (records, teach, reject, reprocess) one at a time in this server: one visitor clusterer. */
  sightingsWrite?<T>(fn: (s: Sightings) => Promise<T>): Promise<T>;
}

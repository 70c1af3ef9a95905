import type { Box, Landmarks5 } from '../../../src/core/index.js';
import type { CompareResult, CompareSelection } from '../../../src/pipeline/index.js';

/** Which faces an embedding job keeps (FaceRecognizer's `select`). */
export type Selection = 'all' | 'largest' | 'central';

/** A detected face as the API returns it. */
export interface FaceOut {
  readonly box: Box;
  readonly score: number;
  readonly landmarks: Landmarks5;
}

/** A detected and embedded face. */
export interface EmbeddedFace extends FaceOut {
  readonly embedding: Float32Array;
  /** JPEG of the aligned 112×112 crop, when the job asked for thumbnails. */
  readonly thumbnail?: Uint8Array;
}

/** What the loaded models are. */
export interface EngineInfo {
  readonly fingerprint: string;
  readonly embeddingSize: number;
  /** Cosine decision threshold: the recogniser's calibrated one, else the configured fallback. */
  readonly threshold: number;
  /** True when `threshold` comes from the recogniser's calibration. */
  readonly calibrated: boolean;
}

/** One unit of inference work; images are encoded bytes, decoded inside the worker. */
export type InferenceJob =
  | { readonly op: 'detect'; readonly image: Uint8Array; readonly maxPixels: number }
  | { readonly op: 'embed'; readonly image: Uint8Array; readonly maxPixels: number; readonly select: Selection; readonly thumbnails: boolean }
  | {
      readonly op: 'verify';
      readonly images: readonly [Uint8Array, Uint8Array];
      /** How messages name each image (the first / second, its form field and file name). */
      readonly names?: readonly [string, string];
      readonly maxPixels: number;
      readonly select: CompareSelection;
      /** Cosine at or above which the two faces are the same person. */
      readonly threshold: number;
    };

/** Results, by operation. */
export interface DetectResult {
  readonly width: number;
  readonly height: number;
  readonly faces: FaceOut[];
}
export interface EmbedResult {
  readonly width: number;
  readonly height: number;
  readonly faces: EmbeddedFace[];
}
/** A verification's result: the library's 1:1 comparison (`compareImages`), as computed in a worker. */
export type VerifyResult = CompareResult;

/** Maps a job's `op` to its result type. */
export interface JobResults {
  detect: DetectResult;
  embed: EmbedResult;
  verify: VerifyResult;
}

/** Observer of finished and refused jobs (metrics). */
export interface EngineListener {
  /** One finished job: its operation, seconds waited in the queue and seconds run. */
  onJob?(op: string, waitSeconds: number, runSeconds: number): void;
  /** One refused job. */
  onReject?(reason: 'queue_full' | 'timeout' | 'client_gone'): void;
}

/**
 * What the HTTP layer needs from inference: a bounded, off-event-loop executor of jobs.
 * Implemented by `InferencePool` (worker threads).
 */
export interface InferenceEngine {
  /** Resolves once every worker has its models loaded; rejects when loading failed. */
  readonly ready: Promise<EngineInfo>;
  /** The model info once ready, else undefined. */
  readonly info: EngineInfo | undefined;
  /** Jobs waiting for a worker. */
  readonly queueDepth: number;
  /** Jobs running now. */
  readonly inFlight: number;
  /** Runs a job; when `signal` aborts (the client went away) a queued job is dropped and its promise rejects. */
  run<J extends InferenceJob>(job: J, signal?: AbortSignal): Promise<JobResults[J['op']]>;
  /** Throws QUEUE_FULL (with `retryAfterSeconds`) when a job submitted now would be refused. */
  admit(): void;
  /** Adds a listener; returns the function that removes it. */
  subscribe(listener: EngineListener): () => void;
  /** Finishes queued and running jobs, then stops the workers. */
  close(): Promise<void>;
}

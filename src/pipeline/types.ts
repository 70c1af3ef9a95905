import type { Box, DetectedFace, Landmarks5, RgbImage } from '../core/index.js';
import type { FaceQuality } from '../quality/index.js';

/** One face found and embedded in an image. */
export interface RecognizedFace {
  readonly box: Box;
  readonly score: number;
  readonly landmarks: Landmarks5;
  readonly pass?: DetectedFace['pass'];
  /** Unit-length embedding. */
  readonly embedding: Float32Array;
  /** The aligned crop, when `includeCrops` was asked for. */
  readonly crop?: RgbImage;
  /** Face quality (size, score, pose, sharpness, embedding norm), set by `FaceRecognizer.embedFaces`. */
  readonly quality?: FaceQuality;
  /** Position of this face among all the detector found (detector order, 0-based). */
  readonly faceIndex?: number;
}

/** All faces of one image. */
export interface RecognitionResult {
  readonly width: number;
  readonly height: number;
  readonly faces: RecognizedFace[];
  /** Faces the detector found, before any selection kept one. */
  readonly facesFound?: number;
}

/** Which faces to keep. */
export type FaceSelection = 'all' | 'largest' | 'central';

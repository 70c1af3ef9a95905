import type { DetectedFace, RgbImage } from '../core/index.js';

/** Options for one detection call; every field has a default in the detector's config. */
export interface DetectOptions {
  /** Minimum face score, 0..1. */
  readonly scoreThreshold?: number;
  /** NMS IoU threshold, 0..1. */
  readonly nmsIou?: number;
  /** Faces whose box is smaller than this (shorter side, pixels of the original image) are dropped. */
  readonly minFaceSize?: number;
  /** Keep at most this many faces, best first. */
  readonly maxFaces?: number;
  /** Run second passes (tiled, upscaled, rescue) when the primary pass finds nothing. */
  readonly secondPass?: boolean;
  /**
   * The same image already shrunk (by a video decoder, say) to fit within the detector's `fitSize`.
   * When its size is the primary pass's input content size, the primary pass reads it instead of
   * resampling the image; otherwise it is ignored. Boxes and landmarks stay in the image's pixels.
   */
  readonly downscaled?: RgbImage;
}

/**
 * A face detector with five landmarks. Implementations: YuNet, SCRFD, RetinaFace
 * (`createFaceDetector`). Boxes and landmarks are in original image pixels, landmarks in ArcFace
 * order; faces are sorted by score, best first.
 */
export interface FaceDetector {
  /** Registry name or file name of the model. */
  readonly name: string;
  /**
   * The primary pass shrinks an image to fit within `fitSize × fitSize` (keeping its aspect ratio, never
   * enlarging): a decoder that delivers frames shrunk so saves the detector the resampling (`downscaled`).
   */
  readonly fitSize?: number;
  detect(image: RgbImage, options?: DetectOptions): Promise<DetectedFace[]>;
  dispose(): Promise<void>;
}

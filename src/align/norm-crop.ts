import type { Affine2x3, Landmarks5, RgbImage } from '../core/index.js';
import { warpAffine } from '../image/index.js';
import { estimateSimilarity } from './similarity.js';
import { arcfaceTemplate } from './template.js';

/** An aligned face crop and the matrix that made it. */
export interface AlignedFace {
  readonly crop: RgbImage;
  /** Image → crop similarity transform. */
  readonly matrix: Affine2x3;
}

/**
 * The image → template similarity for `landmarks` at crop size `size` (default 112).
 *
 * @example
 * const m = estimateNorm(face.landmarks)
 */
export function estimateNorm(landmarks: Landmarks5, size = 112): Affine2x3 {
  if (!Array.isArray(landmarks) || landmarks.length !== 5) {
    throw new TypeError(`Expected 5 landmarks [[x, y] × 5] but received ${Array.isArray(landmarks) ? landmarks.length : typeof landmarks}`);
  }
  return estimateSimilarity(landmarks, arcfaceTemplate(size));
}

/**
 * Aligns a face to the ArcFace template (InsightFace `face_align.norm_crop`): similarity from the five
 * landmarks, bilinear warp, black border.
 *
 * @example
 * const { crop } = normCrop(photo, face.landmarks) // 112×112
 */
export function normCrop(image: RgbImage, landmarks: Landmarks5, size = 112): AlignedFace {
  const matrix = estimateNorm(landmarks, size);
  return { crop: warpAffine(image, matrix, size, size), matrix };
}

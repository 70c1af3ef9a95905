import type { Box, DetectedFace, Landmarks5, RgbImage } from '../core/index.js';
import { iou } from './nms.js';

/**
 * The image mirrored left–right.
 *
 * @example
 * const mirrored = mirrorImage(img)
 */
export function mirrorImage(image: RgbImage): RgbImage {
  const { width: w, height: h, data } = image;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    for (let x = 0; x < w; x++) {
      const s = row + x * 3;
      const d = row + (w - 1 - x) * 3;
      out[d] = data[s] as number;
      out[d + 1] = data[s + 1] as number;
      out[d + 2] = data[s + 2] as number;
    }
  }
  return { width: w, height: h, data: out };
}

/**
 * A face found in the mirrored image, mapped back: x → width − x, and the left/right landmarks
 * swapped so the order stays ArcFace's (image-left eye first).
 *
 * @example
 * const back = unmirrorFace(face, img.width)
 */
export function unmirrorFace(face: DetectedFace, width: number): DetectedFace {
  const [x1, y1, x2, y2] = face.box;
  const m = (i: 0 | 1 | 2 | 3 | 4): readonly [number, number] => [width - face.landmarks[i][0], face.landmarks[i][1]];
  const box: Box = [width - x2, y1, width - x1, y2];
  const landmarks: Landmarks5 = [m(1), m(0), m(2), m(4), m(3)];
  return { ...face, box, landmarks };
}

/**
 * Averages each face with its best-overlapping mirrored counterpart (IoU above `minIou`): box and
 * landmarks are the mean of the two runs, score the mean too; faces without a counterpart stay
 * as they are. Test-time flip augmentation, as in InsightFace's and RetinaFace's evaluation code,
 * halves the variance of a single run's landmark regression.
 *
 * @example
 * const refined = mergeMirrored(faces, mirroredFaces.map((f) => unmirrorFace(f, img.width)), 0.4)
 */
export function mergeMirrored(faces: readonly DetectedFace[], mirrored: readonly DetectedFace[], minIou: number): DetectedFace[] {
  return faces.map((f) => {
    let best: DetectedFace | undefined;
    let bestIou = minIou;
    for (const g of mirrored) {
      const o = iou(f.box, g.box);
      if (o > bestIou) {
        bestIou = o;
        best = g;
      }
    }
    if (best === undefined) return f;
    const g = best;
    const mid = (i: 0 | 1 | 2 | 3 | 4): readonly [number, number] => [(f.landmarks[i][0] + g.landmarks[i][0]) / 2, (f.landmarks[i][1] + g.landmarks[i][1]) / 2];
    const box: Box = [(f.box[0] + g.box[0]) / 2, (f.box[1] + g.box[1]) / 2, (f.box[2] + g.box[2]) / 2, (f.box[3] + g.box[3]) / 2];
    return { ...f, box, score: (f.score + g.score) / 2, landmarks: [mid(0), mid(1), mid(2), mid(3), mid(4)] };
  });
}

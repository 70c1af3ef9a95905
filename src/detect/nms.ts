import type { Box } from '../core/index.js';

/** A box with a score, the only fields NMS reads. */
export interface ScoredBox {
  readonly box: Box;
  readonly score: number;
}

/**
 * Intersection over union of two `[x1, y1, x2, y2]` boxes, areas without the `+1` pixel convention
 * (OpenCV `dnn::NMSBoxes` on float rects, as `FaceDetectorYN` uses). Degenerate boxes give 0.
 *
 * @example
 * iou([0, 0, 10, 10], [5, 0, 15, 10]) // 1/3
 */
export function iou(a: Box, b: Box): number {
  const iw = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const ih = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (iw <= 0 || ih <= 0) return 0;
  const inter = iw * ih;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/**
 * Greedy non-maximum suppression: sort by score (stable, so ties keep input order), keep a box
 * unless it overlaps an already kept box by more than `iouThreshold`. Pure; returns new array.
 * Same rule as InsightFace `SCRFD.nms` and OpenCV `NMSBoxes` (suppress when IoU > threshold).
 *
 * @example
 * nms([{ box: [0, 0, 10, 10], score: 0.9 }, { box: [1, 1, 10, 10], score: 0.8 }], 0.4) // first only
 */
export function nms<T extends ScoredBox>(candidates: readonly T[], iouThreshold: number, limit = Number.POSITIVE_INFINITY): T[] {
  const order = candidates
    .map((c, i) => ({ c, i }))
    .sort((p, q) => q.c.score - p.c.score || p.i - q.i)
    .map((p) => p.c);
  const kept: T[] = [];
  for (const c of order) {
    if (kept.length >= limit) break;
    let suppressed = false;
    for (const k of kept) {
      if (iou(k.box, c.box) > iouThreshold) {
        suppressed = true;
        break;
      }
    }
    if (!suppressed) kept.push(c);
  }
  return kept;
}

/** A scored box with five landmarks, the fields {@link nmsVote} averages. */
export interface ScoredFace extends ScoredBox {
  readonly landmarks: readonly (readonly [number, number])[];
}

/**
 * NMS with score-weighted voting: each kept face takes the score-weighted mean box and landmarks of
 * every candidate whose IoU with it exceeds `voteIou` (box voting, Gidaris & Komodakis 2015, as in
 * InsightFace RetinaFace `bbox_vote`). Averaging the neighbouring anchors' regressions lowers the
 * landmark noise of a single anchor. The kept score is the best score. Pure.
 *
 * @example
 * nmsVote(faces, 0.3, 0.5, 10)
 */
export function nmsVote<T extends ScoredFace>(
  candidates: readonly T[],
  iouThreshold: number,
  voteIou: number,
  limit = Number.POSITIVE_INFINITY,
  voters: readonly T[] = candidates,
): T[] {
  const kept = nms(candidates, iouThreshold, limit);
  return kept.map((k) => {
    let wsum = 0;
    const box = [0, 0, 0, 0];
    const lm = k.landmarks.map(() => [0, 0]);
    for (const c of voters) {
      if (c !== k && iou(k.box, c.box) <= voteIou) continue;
      const w = c.score;
      wsum += w;
      for (let i = 0; i < 4; i++) box[i] = (box[i] as number) + w * (c.box[i] as number);
      c.landmarks.forEach((p, i) => {
        const q = lm[i] as number[];
        q[0] = (q[0] as number) + w * p[0];
        q[1] = (q[1] as number) + w * p[1];
      });
    }
    if (wsum <= 0) return k;
    return {
      ...k,
      box: [(box[0] as number) / wsum, (box[1] as number) / wsum, (box[2] as number) / wsum, (box[3] as number) / wsum] as const,
      landmarks: lm.map((q) => [(q[0] as number) / wsum, (q[1] as number) / wsum] as const),
    };
  });
}

/**
 * Deterministic synthetic tracking sequences with ground truth, and CLEAR-MOT style counts of ID
 * switches and fragmentations (Bernardin & Stiefelhagen 2008; Li et al. 2009 for fragmentations).
 */
import type { Box } from '../../src/core/types.js';
import { iou } from '../../src/detect/nms.js';
import type { Track, TrackerUpdate } from '../../src/track/index.js';
import { mulberry32 } from '../../src/core/random.js';

/** The seeded PRNG shared by synthetic data, benchmarks and tests. */
export const rng = mulberry32;

/** A standard normal sample (Box–Muller). */
export function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/** One ground-truth object: its box at a frame, or undefined when it is not visible. */
export type Path = (frame: number) => Box | undefined;

export interface GtDetection {
  readonly box: Box;
  readonly score: number;
  /** Ground-truth object index, or -1 for a false positive. */
  readonly gt: number;
}

/** A box of size w×h centred at (cx, cy). */
export function centred(cx: number, cy: number, w: number, h: number): Box {
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

/** Detections of the visible objects at `frame`, with Gaussian jitter of `sigma` pixels on each edge. */
export function detect(
  paths: readonly Path[],
  frame: number,
  r: () => number,
  sigma: number,
  score: (gt: number, frame: number) => number = () => 0.9,
): GtDetection[] {
  const out: GtDetection[] = [];
  paths.forEach((p, gt) => {
    const b = p(frame);
    if (b === undefined) return;
    const j = (): number => sigma * gauss(r);
    out.push({ box: [b[0] + j(), b[1] + j(), b[2] + j(), b[3] + j()], score: score(gt, frame), gt });
  });
  return out;
}

export interface Counts {
  /** A ground-truth object matched to a different track than the last one it was matched to. */
  idSwitches: number;
  /** A matched ground-truth trajectory interrupted (visible but unmatched) and resumed. */
  fragmentations: number;
  /** Visible ground-truth frames with no track (after the birth delay is over). */
  misses: number;
  /** Distinct track ids matched to each ground-truth object. */
  idsPerGt: Set<number>[];
}

/**
 * Scores tracker output against ground truth. Per frame, each visible object keeps its previous
 * track when their IoU is still ≥ 0.5 (CLEAR MOT), else takes the free track of highest IoU ≥ 0.5.
 * Tracks reported lost (predicted boxes) count as output, as a caller would draw them.
 */
export class MotCounter {
  readonly counts: Counts;
  readonly #last: (number | undefined)[];
  readonly #wasMatched: boolean[];
  readonly #matchedOnce: boolean[];

  constructor(readonly paths: readonly Path[]) {
    this.counts = { idSwitches: 0, fragmentations: 0, misses: 0, idsPerGt: paths.map(() => new Set<number>()) };
    this.#last = paths.map(() => undefined);
    this.#wasMatched = paths.map(() => false);
    this.#matchedOnce = paths.map(() => false);
  }

  add(frame: number, update: TrackerUpdate): void {
    const tracks: readonly Track[] = update.tracks;
    const taken = new Set<number>();
    const assigned: (number | undefined)[] = this.paths.map(() => undefined);
    this.paths.forEach((p, g) => {
      const b = p(frame);
      const prev = this.#last[g];
      if (b === undefined || prev === undefined) return;
      const t = tracks.find((x) => x.id === prev);
      if (t !== undefined && iou(t.box, b) >= 0.5) {
        assigned[g] = prev;
        taken.add(prev);
      }
    });
    this.paths.forEach((p, g) => {
      const b = p(frame);
      if (b === undefined) return;
      if (assigned[g] === undefined) {
        let best: Track | undefined;
        for (const t of tracks) {
          if (taken.has(t.id) || iou(t.box, b) < 0.5) continue;
          if (best === undefined || iou(t.box, b) > iou(best.box, b)) best = t;
        }
        if (best !== undefined) {
          assigned[g] = best.id;
          taken.add(best.id);
        }
      }
      const id = assigned[g];
      if (id === undefined) {
        if (this.#matchedOnce[g]) this.counts.misses++;
        this.#wasMatched[g] = false;
        return;
      }
      if (this.#last[g] !== undefined && this.#last[g] !== id) this.counts.idSwitches++;
      if (this.#matchedOnce[g] && !this.#wasMatched[g]) this.counts.fragmentations++;
      this.counts.idsPerGt[g]?.add(id);
      this.#last[g] = id;
      this.#wasMatched[g] = true;
      this.#matchedOnce[g] = true;
    });
  }
}

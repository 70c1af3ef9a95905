import type { Box } from '../core/index.js';
import { iou as boxIou } from '../detect/index.js';

/** One object at one frame: a ground-truth person or a tracker output. */
export interface MotObject {
  readonly id: string | number;
  readonly box: Box;
}

/** Ground truth and tracker output of one frame. */
export interface MotFrame {
  readonly truth: readonly MotObject[];
  readonly tracks: readonly MotObject[];
  /**
   * "Don't care" regions (MOTChallenge's ignored annotations, e.g. mostly occluded people): a track
   * box that matches no truth but overlaps one of these is neither a false positive nor counted.
   */
  readonly ignore?: readonly MotObject[];
}

/** Tracking accuracy over a sequence (CLEAR-MOT and identity measures). */
export interface MotSummary {
  readonly frames: number;
  readonly truthObjects: number;
  readonly trackObjects: number;
  /** Frame-level matches (IoU ≥ the threshold). */
  readonly matches: number;
  /** A ground-truth person matched to a different track than at its previous match (CLEAR-MOT IDSW). */
  readonly idSwitches: number;
  /** A ground-truth trajectory that goes from tracked to untracked and back (CLEAR-MOT Frag). */
  readonly fragmentations: number;
  /** Identity F1 (Ristani et al. 2016): global one-to-one truth↔track assignment. */
  readonly idf1: number;
  readonly idPrecision: number;
  readonly idRecall: number;
  /** MOTA = 1 − (misses + false positives + IDSW) / truth objects. */
  readonly mota: number;
  /** Majority ground-truth id of each track (by matched frames), for naming checks. */
  readonly trackToTruth: ReadonlyMap<string | number, string | number>;
}

/** Box overlap of a match: 0.3, looser than MOTChallenge's 0.5 because a detector's face box is
 * tighter than a generator's pasted face region (the same face, two box conventions). */
export const MOT_DEFAULTS = Object.freeze({ iou: 0.3 });

/** Frame matching: pairs by decreasing IoU, each object used once. */
function matchFrame(frame: MotFrame, iou: number): [string | number, string | number][] {
  const pairs: { t: number; p: number; iou: number }[] = [];
  frame.truth.forEach((t, i) =>
    frame.tracks.forEach((p, j) => {
      const v = boxIou(t.box, p.box);
      if (v >= iou) pairs.push({ t: i, p: j, iou: v });
    }),
  );
  pairs.sort((a, b) => b.iou - a.iou);
  const usedT = new Set<number>();
  const usedP = new Set<number>();
  const out: [string | number, string | number][] = [];
  for (const m of pairs) {
    if (usedT.has(m.t) || usedP.has(m.p)) continue;
    usedT.add(m.t);
    usedP.add(m.p);
    out.push([(frame.truth[m.t] as MotObject).id, (frame.tracks[m.p] as MotObject).id]);
  }
  return out;
}

/** The frame without the track boxes that match no truth but fall on an ignored region. */
function withoutIgnored(frame: MotFrame, iou: number): MotFrame {
  const ignore = frame.ignore ?? [];
  if (ignore.length === 0) return frame;
  const matched = new Set(matchFrame({ truth: frame.truth, tracks: frame.tracks }, iou).map(([, p]) => p));
  const tracks = frame.tracks.filter((t) => matched.has(t.id) || !ignore.some((g) => boxIou(g.box, t.box) >= iou));
  return { truth: frame.truth, tracks };
}

/**
 * CLEAR-MOT (Bernardin & Stiefelhagen 2008: MOTA, IDSW, Frag) and identity measures (IDF1, IDP, IDR;
 * Ristani et al. 2016) of a tracker's output against ground truth. Frame matching and the global
 * truth↔track assignment are greedy by overlap (exact when, as in our benchmarks, the ambiguity is small).
 *
 * @example
 * const s = motMetrics(frames) // { idf1: 0.97, idSwitches: 0, … }
 */
export function motMetrics(frames: readonly MotFrame[], options: { iou?: number } = {}): MotSummary {
  const iou = options.iou ?? MOT_DEFAULTS.iou;
  if (!(iou > 0 && iou <= 1)) throw new RangeError(`Expected iou in (0, 1] but received ${iou}`);
  let truthObjects = 0;
  let trackObjects = 0;
  let matches = 0;
  let idSwitches = 0;
  let fragmentations = 0;
  const lastTrack = new Map<string | number, string | number>();
  const wasTracked = new Map<string | number, boolean>();
  const co = new Map<string, { t: string | number; p: string | number; n: number }>();
  const perTrack = new Map<string | number, Map<string | number, number>>();
  for (const raw of frames) {
    const frame = withoutIgnored(raw, iou);
    truthObjects += frame.truth.length;
    trackObjects += frame.tracks.length;
    const m = matchFrame(frame, iou);
    matches += m.length;
    const tracked = new Set<string | number>();
    for (const [t, p] of m) {
      tracked.add(t);
      const prev = lastTrack.get(t);
      if (prev !== undefined && prev !== p) idSwitches++;
      lastTrack.set(t, p);
      const key = `${String(t)}\u0000${String(p)}`;
      const c = co.get(key);
      if (c === undefined) co.set(key, { t, p, n: 1 });
      else c.n++;
      const votes = perTrack.get(p) ?? new Map<string | number, number>();
      votes.set(t, (votes.get(t) ?? 0) + 1);
      perTrack.set(p, votes);
    }
    for (const t of frame.truth) {
      const now = tracked.has(t.id);
      const before = wasTracked.get(t.id);
      if (now && before === false && lastTrack.has(t.id)) fragmentations++;
      wasTracked.set(t.id, now);
    }
  }
  const usedT = new Set<string | number>();
  const usedP = new Set<string | number>();
  let idtp = 0;
  for (const c of [...co.values()].sort((a, b) => b.n - a.n)) {
    if (usedT.has(c.t) || usedP.has(c.p)) continue;
    usedT.add(c.t);
    usedP.add(c.p);
    idtp += c.n;
  }
  const trackToTruth = new Map<string | number, string | number>();
  for (const [p, votes] of perTrack) trackToTruth.set(p, [...votes.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] as string | number);
  const misses = truthObjects - matches;
  const falsePositives = trackObjects - matches;
  return {
    frames: frames.length,
    truthObjects,
    trackObjects,
    matches,
    idSwitches,
    fragmentations,
    idf1: truthObjects + trackObjects === 0 ? 1 : (2 * idtp) / (truthObjects + trackObjects),
    idPrecision: trackObjects === 0 ? 1 : idtp / trackObjects,
    idRecall: truthObjects === 0 ? 1 : idtp / truthObjects,
    mota: truthObjects === 0 ? 1 : 1 - (misses + falsePositives + idSwitches) / truthObjects,
    trackToTruth,
  };
}

/**
 * Scores of a clustering against true labels: BCubed precision and recall (Bagga & Baldwin, 1998;
 * the per-item averages of Amigó et al., 2009), pairwise precision and recall, and counts. A face
 * left unassigned counts as a cluster of its own, the usual convention, so leaving a face alone is
 * right for a person photographed once and costs recall otherwise.
 */

/** What {@link scoreClustering} reports. */
export interface ClusterScores {
  readonly faces: number;
  readonly bcubedPrecision: number;
  readonly bcubedRecall: number;
  readonly bcubedF1: number;
  readonly pairwisePrecision: number;
  readonly pairwiseRecall: number;
  readonly pairwiseF1: number;
  /** Persons found: clusters with at least two faces. */
  readonly persons: number;
  /** Persons whose faces carry more than one true label. */
  readonly mixedPersons: number;
  /** Faces not in any person (unassigned, or alone in a cluster). */
  readonly unassigned: number;
  /** Distinct true labels, and those with at least two faces (the persons a clustering can find). */
  readonly trueLabels: number;
  readonly trueLabelsWithTwo: number;
  /** Faces whose true label has a single face (right to leave alone). */
  readonly trueSingletons: number;
}

const f1 = (p: number, r: number): number => (p + r === 0 ? 0 : (2 * p * r) / (p + r));
const pairs = (n: number): number => (n * (n - 1)) / 2;

/**
 * Scores `predicted` (cluster per face, −1 unassigned) against `truth` (label per face).
 *
 * @example
 * scoreClustering([0, 0, 1, -1], [5, 5, 5, 7]).bcubedF1
 */
export function scoreClustering(predicted: ArrayLike<number>, truth: ArrayLike<number>): ClusterScores {
  const n = predicted.length;
  if (truth.length !== n) throw new RangeError(`Expected ${n} true labels but received ${truth.length}`);
  let next = -2;
  const cluster = Array.from({ length: n }, (_, i) => ((predicted[i] as number) >= 0 ? (predicted[i] as number) : next--));
  const count = <K>(keys: K[]): Map<K, number> => {
    const m = new Map<K, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  };
  const labels = Array.from({ length: n }, (_, i) => truth[i] as number);
  const cSize = count(cluster);
  const lSize = count(labels);
  const cell = count(cluster.map((c, i) => `${c}:${labels[i]}`));
  let bp = 0;
  let br = 0;
  for (let i = 0; i < n; i++) {
    const both = cell.get(`${cluster[i]}:${labels[i]}`) as number;
    bp += both / (cSize.get(cluster[i] as number) as number);
    br += both / (lSize.get(labels[i] as number) as number);
  }
  bp /= Math.max(n, 1);
  br /= Math.max(n, 1);
  let tp = 0;
  for (const v of cell.values()) tp += pairs(v);
  let predPairs = 0;
  for (const v of cSize.values()) predPairs += pairs(v);
  let truePairs = 0;
  for (const v of lSize.values()) truePairs += pairs(v);
  const pp = predPairs === 0 ? 1 : tp / predPairs;
  const pr = truePairs === 0 ? 1 : tp / truePairs;
  const labelsOf = new Map<number, Set<number>>();
  cluster.forEach((c, i) => {
    if ((cSize.get(c) as number) < 2) return;
    let s = labelsOf.get(c);
    if (s === undefined) {
      s = new Set();
      labelsOf.set(c, s);
    }
    s.add(labels[i] as number);
  });
  let mixed = 0;
  for (const s of labelsOf.values()) if (s.size > 1) mixed++;
  let unassigned = 0;
  for (const c of cluster) if ((cSize.get(c) as number) < 2) unassigned++;
  let withTwo = 0;
  let singles = 0;
  for (const v of lSize.values()) {
    if (v >= 2) withTwo++;
    else singles++;
  }
  return {
    faces: n,
    bcubedPrecision: bp,
    bcubedRecall: br,
    bcubedF1: f1(bp, br),
    pairwisePrecision: pp,
    pairwiseRecall: pr,
    pairwiseF1: f1(pp, pr),
    persons: labelsOf.size,
    mixedPersons: mixed,
    unassigned,
    trueLabels: lSize.size,
    trueLabelsWithTwo: withTwo,
    trueSingletons: singles,
  };
}

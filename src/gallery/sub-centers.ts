/**
 * Sub-centre templates after Sub-center ArcFace (Deng et al., ECCV 2020): an identity's templates
 * are grouped into up to K sub-centres; the largest is dominant, and templates far from it are
 * probable mislabels or bad photos (the paper drops non-dominant sub-centres to clean noisy data).
 */
import { dot, l2normalize } from '../core/index.js';

/** Options of {@link clusterTemplates}. */
export interface SubCenterOptions {
  /** Most sub-centres per identity; the paper's K = 3 ("Sub-center ArcFace", Table 1). */
  readonly maxSubCenters: number;
  /** Two groups merge while their average cosine is at least this (average-linkage agglomeration). */
  readonly joinThreshold: number;
  /** Non-dominant groups smaller than this do not score queries. */
  readonly minSupport: number;
  /** Identities with fewer templates trust every group (too little evidence to call one an outlier). */
  readonly minTemplatesToPrune: number;
}

/**
 * The clustering a gallery chose: the part of {@link SubCenterOptions} that is configurable
 * (`minSupport` 2 and `minTemplatesToPrune` 3 are fixed). A PostgreSQL gallery records it.
 *
 * @example
 * const p: SubCenterParams = { maxSubCenters: 3, joinThreshold: 0.3 }
 */
export type SubCenterParams = Pick<SubCenterOptions, 'maxSubCenters' | 'joinThreshold'>;

/** One sub-centre of an identity. */
export interface SubCenter {
  /** Unit mean of the member templates. */
  readonly mean: Float32Array;
  /** Indices of member templates in the input order. */
  readonly members: readonly number[];
  readonly dominant: boolean;
  /** Whether it scores queries: among the K largest, and dominant or large enough (see {@link SubCenterOptions}). */
  readonly trusted: boolean;
}

/**
 * Clusters one identity's templates (template-id order) as every gallery path does: the in-memory
 * index, `show`, and PostgreSQL's sub-centre table. A sub-centre needs 2 members to be trusted, and
 * pruning starts at 3 templates; only K and the join threshold are the gallery's to choose.
 *
 * @example
 * const subs = clusterIdentity([a, b, c], { maxSubCenters: 3, joinThreshold: 0.3 })
 */
export function clusterIdentity(embeddings: readonly Float32Array[], p: SubCenterParams): SubCenter[] {
  return clusterTemplates(embeddings, { maxSubCenters: p.maxSubCenters, joinThreshold: p.joinThreshold, minSupport: 2, minTemplatesToPrune: 3 });
}

/**
 * Groups unit embeddings by average-linkage agglomerative clustering on cosine similarity, stopping
 * when no two groups have average cosine ≥ `joinThreshold`. The `maxSubCenters` largest groups
 * become sub-centres (largest first: index 0 is dominant); members of any smaller group are kept in
 * an untrusted trailing sub-centre each, so every template belongs to exactly one sub-centre.
 *
 * @example
 * const subs = clusterTemplates([a, b, c], { maxSubCenters: 3, joinThreshold: 0.3, minSupport: 2, minTemplatesToPrune: 3 })
 */
export function clusterTemplates(embeddings: readonly Float32Array[], opts: SubCenterOptions): SubCenter[] {
  const n = embeddings.length;
  if (n === 0) return [];
  // A single template is its own (unit) mean: no copy, which matters for galleries of millions.
  if (n === 1) return [{ mean: embeddings[0] as Float32Array, members: [0], dominant: true, trusted: true }];
  // Average linkage via summed similarities: sum[a][b] is the total cosine between groups a and b.
  const sum: Float64Array[] = embeddings.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const s = dot(embeddings[i] as Float32Array, embeddings[j] as Float32Array);
      (sum[i] as Float64Array)[j] = s;
      (sum[j] as Float64Array)[i] = s;
    }
  }
  const groups: (number[] | null)[] = embeddings.map((_, i) => [i]);
  for (;;) {
    let best = -Infinity,
      ba = -1,
      bb = -1;
    for (let a = 0; a < n; a++) {
      const ga = groups[a];
      if (ga == null) continue;
      const row = sum[a] as Float64Array;
      for (let b = a + 1; b < n; b++) {
        const gb = groups[b];
        if (gb == null) continue;
        const avg = (row[b] as number) / (ga.length * gb.length);
        if (avg > best) {
          best = avg;
          ba = a;
          bb = b;
        }
      }
    }
    if (ba < 0 || best < opts.joinThreshold) break;
    (groups[ba] as number[]).push(...(groups[bb] as number[]));
    groups[bb] = null;
    const ra = sum[ba] as Float64Array,
      rb = sum[bb] as Float64Array;
    for (let c = 0; c < n; c++) {
      if (c === ba || groups[c] == null) continue;
      const v = (ra[c] as number) + (rb[c] as number);
      ra[c] = v;
      (sum[c] as Float64Array)[ba] = v;
    }
  }
  const live = groups
    .filter((g): g is number[] => g !== null)
    .map((g) => g.sort((x, y) => x - y))
    .sort((x, y) => y.length - x.length || (x[0] as number) - (y[0] as number));
  const pruneAll = n < opts.minTemplatesToPrune;
  return live.map((members, i) => ({
    mean: unitMean(embeddings, members),
    members,
    dominant: i === 0,
    trusted: i < opts.maxSubCenters && (i === 0 || pruneAll || members.length >= opts.minSupport),
  }));
}

/** A template judged far from its identity's dominant sub-centre. */
export interface Outlier {
  /** Index of the template in the input order. */
  readonly index: number;
  /** Cosine to the dominant sub-centre's mean. */
  readonly score: number;
  /** Sub-centre the template belongs to. */
  readonly subCenter: number;
}

/**
 * Templates whose cosine to the dominant mean is below `threshold`, lowest first. An identity with
 * fewer than two templates has no outliers. A dominant member's own score includes itself in the
 * mean; with many templates the bias is small, and it only makes flags more conservative.
 *
 * @example
 * findOutliers(embs, clusterTemplates(embs, opts), 0.25)
 */
export function findOutliers(embeddings: readonly Float32Array[], subs: readonly SubCenter[], threshold: number): Outlier[] {
  const dominant = subs[0];
  if (dominant === undefined || embeddings.length < 2) return [];
  const owner = new Int32Array(embeddings.length);
  subs.forEach((s, si) => {
    for (const m of s.members) owner[m] = si;
  });
  const out: Outlier[] = [];
  embeddings.forEach((e, index) => {
    const score = dot(e, dominant.mean);
    if (score < threshold) out.push({ index, score, subCenter: owner[index] as number });
  });
  return out.sort((a, b) => a.score - b.score || a.index - b.index);
}

function unitMean(embeddings: readonly Float32Array[], members: readonly number[]): Float32Array {
  const dim = (embeddings[0] as Float32Array).length;
  const acc = new Float64Array(dim);
  for (const m of members) {
    const e = embeddings[m] as Float32Array;
    for (let j = 0; j < dim; j++) acc[j] = (acc[j] as number) + (e[j] as number);
  }
  return l2normalize(acc);
}

/**
 * What a full re-cluster changes, decided apart from the database writes: faces not fixed by hand
 * are clustered by average linkage, never joining two faces a hand edit cannot-linked; a new cluster that matches a named person joins it; the others
 * keep the id of the old person they share most faces with (greedy, largest overlap first), so person
 * ids stay stable across runs.
 */
import { averageLinkage, buildNeighbourGraph } from '../cluster/index.js';
import type { PersonFace, PersonSummary } from './people-store.js';

/** The outcome to write. */
export interface ReclusterPlan {
  /** Each cluster's faces and the person it goes to (null: a new person). */
  readonly clusters: readonly { readonly faceIds: readonly number[]; readonly personId: number | null }[];
  /** Free faces left without a person. */
  readonly unassigned: readonly number[];
  /** Persons holding faces fixed by hand or by a name: never deleted. */
  readonly keep: ReadonlySet<number>;
  /** Named persons (their new faces are enrolled afterwards). */
  readonly named: readonly number[];
  /** Clusters that kept an old person's id. */
  readonly kept: number;
  /** Filled in by the caller once written. */
  persons: number;
}

/**
 * A 31-bit number for a photo name (cannot-link groups only compare photos for equality).
 *
 * @example
 * hashPhoto('a.jpg') === hashPhoto('a.jpg')
 */
export function hashPhoto(photo: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < photo.length; i++) h = Math.imul(h ^ photo.charCodeAt(i), 16777619);
  return h >>> 1;
}

interface Fixed {
  sum: Float64Array;
  n: number;
  photos: Set<string>;
  faces: Set<number>;
}

/** The photo key of a face: its content hash, or its name for faces stored before hashes. */
const photoKey = (f: PersonFace): string => f.photoSha256 ?? f.photo;

/**
 * Plans a full re-cluster of `faces` (rows of `matrix`).
 *
 * @example
 * const plan = planRecluster(faces, matrix, 512, persons, { threshold: 0.32, smallMargin: 0.05, cannotLink: [[4, 9]] })
 */
export function planRecluster(
  faces: readonly PersonFace[],
  matrix: Float32Array,
  dim: number,
  personList: readonly PersonSummary[],
  o: { threshold: number; smallMargin: number; cannotLink?: readonly (readonly [number, number])[] },
): ReclusterPlan {
  const persons = new Map(personList.map((p) => [p.personId, p]));
  const named = (pid: number | null): boolean => pid !== null && persons.get(pid)?.identityId != null;
  const fixed = (f: PersonFace): boolean => f.personId !== null && (f.locked || named(f.personId));
  const free = faces.map((f, i) => ({ f, i })).filter(({ f }) => !fixed(f));
  const sub = new Float32Array(free.length * dim);
  free.forEach(({ i }, r) => sub.set(matrix.subarray(i * dim, (i + 1) * dim), r * dim));
  const graph = buildNeighbourGraph(sub, dim, { k: 32, minScore: o.threshold });
  const rowOf = new Map(free.map(({ f }, r) => [f.faceId, r]));
  const partners = new Map<number, number[]>();
  const cannotLink: [number, number][] = [];
  for (const [a, b] of o.cannotLink ?? []) {
    for (const [x, y] of [
      [a, b],
      [b, a],
    ] as const)
      partners.set(x, [...(partners.get(x) ?? []), y]);
    const ra = rowOf.get(a);
    const rb = rowOf.get(b);
    if (ra !== undefined && rb !== undefined) cannotLink.push([ra, rb]);
  }
  const labels = averageLinkage(sub, dim, graph, {
    threshold: o.threshold,
    smallMargin: o.smallMargin,
    photos: free.map(({ f }) => hashPhoto(photoKey(f))),
    cannotLink,
    minSize: 2,
  });
  // Only named persons attract new clusters: faces moved by hand stay apart from the rest.
  const namedSums = new Map<number, Fixed>();
  const keep = new Set<number>();
  faces.forEach((f, i) => {
    if (!fixed(f)) return;
    keep.add(f.personId as number);
    if (!named(f.personId)) return;
    const e = namedSums.get(f.personId as number) ?? { sum: new Float64Array(dim), n: 0, photos: new Set<string>(), faces: new Set<number>() };
    for (let j = 0; j < dim; j++) e.sum[j] = (e.sum[j] as number) + (matrix[i * dim + j] as number);
    e.n++;
    e.photos.add(photoKey(f));
    e.faces.add(f.faceId);
    namedSums.set(f.personId as number, e);
  });
  const rowsOf = new Map<number, number[]>();
  labels.forEach((l, r) => {
    if (l < 0) return;
    const rows = rowsOf.get(l);
    if (rows === undefined) rowsOf.set(l, [r]);
    else rows.push(r);
  });
  const target = new Map<number, number | null>();
  const overlap: [number, number, number][] = [];
  for (const [l, rows] of rowsOf) {
    const barred = new Set(rows.flatMap((r) => partners.get((free[r] as { f: PersonFace }).f.faceId) ?? []));
    const joined = joinNamed(
      rows,
      sub,
      dim,
      namedSums,
      free.map(({ f }) => photoKey(f)),
      barred,
      o.threshold,
    );
    target.set(l, joined);
    if (joined !== null) continue;
    const count = new Map<number, number>();
    for (const r of rows) {
      const p = (free[r] as { f: PersonFace }).f.personId;
      if (p !== null && !keep.has(p)) count.set(p, (count.get(p) ?? 0) + 1);
    }
    for (const [p, c] of count) overlap.push([c, l, p]);
  }
  overlap.sort((a, b) => b[0] - a[0] || a[2] - b[2]);
  const taken = new Set<number>();
  let kept = 0;
  for (const [, l, p] of overlap) {
    if (target.get(l) !== null || taken.has(p)) continue;
    target.set(l, p);
    taken.add(p);
    kept++;
  }
  return {
    clusters: [...rowsOf].map(([l, rows]) => ({ faceIds: rows.map((r) => (free[r] as { f: PersonFace }).f.faceId), personId: target.get(l) ?? null })),
    unassigned: free.filter((_, r) => (labels[r] as number) < 0).map(({ f }) => f.faceId),
    keep,
    named: [...namedSums.keys()],
    kept,
    persons: 0,
  };
}

/** The named person whose faces the cluster matches best on average (≥ threshold), or null. */
function joinNamed(
  rows: readonly number[],
  sub: Float32Array,
  dim: number,
  named: Map<number, Fixed>,
  photos: readonly string[],
  barred: ReadonlySet<number>,
  threshold: number,
): number | null {
  if (named.size === 0) return null;
  const sum = new Float64Array(dim);
  for (const r of rows) for (let j = 0; j < dim; j++) sum[j] = (sum[j] as number) + (sub[r * dim + j] as number);
  let best: number | null = null;
  let bestLink = threshold;
  for (const [pid, f] of named) {
    if (rows.some((r) => f.photos.has(photos[r] as string)) || [...barred].some((x) => f.faces.has(x))) continue;
    let d = 0;
    for (let j = 0; j < dim; j++) d += (sum[j] as number) * (f.sum[j] as number);
    const link = d / (rows.length * f.n);
    if (link >= bestLink) {
      best = pid;
      bestLink = link;
    }
  }
  return best;
}

/**
 * Immich's face clustering (immich `server/src/services/person.service.ts`,
 * `handleRecognizeFaces`), replayed over a neighbour graph as the benchmark's baseline:
 *
 * - search the `minFaces` nearest faces within cosine distance `maxDistance` (the face itself
 *   included, as pgvector returns it); when only the face itself matches (and minFaces > 1) it
 *   is skipped for good;
 * - a face is core when that search returns `minFaces` faces; a non-core face is deferred to a
 *   second pass on its first visit;
 * - the face takes the person of the first match that has one, else of the nearest face with a
 *   person within `maxDistance`; a core face with neither creates a new person.
 *
 * Every face's embedding exists before the jobs run (a library import), so searches see all faces.
 */
import { assertInteger, assertNumber } from '../core/index.js';
import type { NeighbourGraph } from './neighbour-graph.js';

/** Immich's settings (`machineLearning.facialRecognition`). */
export interface ImmichOptions {
  /** Cosine distance (1 − cosine); Immich's default 0.5. */
  readonly maxDistance: number;
  /** Immich's default 3. */
  readonly minFaces: number;
  /** Processing order of the faces (the job queue); default row order. */
  readonly order?: ArrayLike<number>;
}

/**
 * Immich's defaults (server `config.ts`: `maxDistance: 0.5`, `minFaces: 3`).
 *
 * @example
 * immichClustering(graph, IMMICH_DEFAULTS)
 */
export const IMMICH_DEFAULTS: Readonly<ImmichOptions> = Object.freeze({ maxDistance: 0.5, minFaces: 3 });

/**
 * Person per row (0…m−1 in creation order), −1 for faces left without a person.
 *
 * @example
 * const labels = immichClustering(graph, IMMICH_DEFAULTS)
 */
export function immichClustering(graph: NeighbourGraph, options: ImmichOptions = IMMICH_DEFAULTS): Int32Array {
  const maxDistance = assertNumber('maxDistance', options.maxDistance, 0, 2);
  const minFaces = assertInteger('minFaces', options.minFaces, 1, graph.k + 1);
  const n = graph.rows;
  const minCos = 1 - maxDistance;
  const person = new Int32Array(n).fill(-1);
  let persons = 0;
  const within = (i: number): number[] => {
    const out: number[] = [];
    for (let t = 0; t < graph.k; t++) {
      const j = graph.neighbours[i * graph.k + t] as number;
      if (j < 0 || (graph.scores[i * graph.k + t] as number) < minCos) break;
      out.push(j);
    }
    return out;
  };
  const visit = (i: number, deferred: boolean): 'done' | 'defer' => {
    if ((person[i] as number) >= 0) return 'done';
    const near = within(i);
    const matches = [i, ...near].slice(0, minFaces);
    if (minFaces > 1 && matches.length <= 1) return 'done';
    const core = matches.length >= minFaces;
    if (!core && !deferred) return 'defer';
    let p = -1;
    for (const m of matches) {
      if ((person[m] as number) >= 0) {
        p = person[m] as number;
        break;
      }
    }
    if (p < 0)
      for (const j of near)
        if ((person[j] as number) >= 0) {
          p = person[j] as number;
          break;
        }
    if (core && p < 0) p = persons++;
    if (p >= 0) person[i] = p;
    return 'done';
  };
  const order = options.order ?? Int32Array.from({ length: n }, (_, i) => i);
  const later: number[] = [];
  for (let t = 0; t < order.length; t++) if (visit(order[t] as number, false) === 'defer') later.push(order[t] as number);
  for (const i of later) visit(i, true);
  return person;
}

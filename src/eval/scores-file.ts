/**
 * Ready-made pair scores: a JSON file `{"dist": [...], "same": [...]}` (squared L2 distances of unit
 * embeddings and labels, in protocol order) or a `report.json`, whose `scores` hold the same; and
 * calibration of a threshold for a target FAR from them.
 */
import { ArcFaceError } from '../core/index.js';
import { thresholdAtFar, type FarThreshold } from './operating-points.js';
import { assertPairArrays } from './pair-arrays.js';
import { readProtocolText } from './protocol-text.js';
import { rocCurve } from './roc.js';

/** Pair distances and labels. */
export interface PairScores {
  readonly dist: readonly number[];
  readonly same: readonly boolean[];
}

/**
 * Validates parsed JSON as pair scores: either `{dist, same}` or a report with `scores: {dist, same}`.
 *
 * @example
 * const { dist, same } = parsePairScores(JSON.parse(text))
 */
export function parsePairScores(json: unknown, source = 'scores'): PairScores {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new ArcFaceError(
      'PROTOCOL_INVALID',
      `${source}: expected a JSON object {"dist": [...], "same": [...]} but received ${Array.isArray(json) ? 'an array' : String(json)}`,
    );
  }
  const o = json as Record<string, unknown>;
  const inner = typeof o.scores === 'object' && o.scores !== null ? (o.scores as Record<string, unknown>) : o;
  const { dist, same } = inner;
  if (!Array.isArray(dist) || !Array.isArray(same)) {
    throw new ArcFaceError(
      'PROTOCOL_INVALID',
      `${source}: expected arrays "dist" and "same" (or a report with "scores") but received keys ${Object.keys(o).join(', ') || 'none'}`,
    );
  }
  try {
    assertPairArrays('dist', dist as number[], same as boolean[]);
  } catch (e) {
    throw new ArcFaceError('PROTOCOL_INVALID', `${source}: ${(e as Error).message}`, { cause: e });
  }
  return { dist: dist as number[], same: same as boolean[] };
}

/**
 * Reads a scores file or a report.json.
 *
 * @example
 * const scores = await readPairScores('arcface-eval/lfw/report.json')
 */
export async function readPairScores(path: string): Promise<PairScores> {
  const text = await readProtocolText(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new ArcFaceError('PROTOCOL_INVALID', `${path}: expected JSON but parsing failed: ${(e as Error).message}`, { cause: e });
  }
  return parsePairScores(json, path);
}

/**
 * The most lenient threshold with FAR ≤ `far` on the given pairs (every distinct score considered).
 *
 * @example
 * calibrateThreshold(scores, 1e-3).cosine
 */
export function calibrateThreshold(scores: PairScores, far: number): FarThreshold {
  const roc = rocCurve(
    Float64Array.from(scores.dist, (d) => -d),
    scores.same,
    { dropIntermediate: false },
  );
  return thresholdAtFar(roc, far);
}

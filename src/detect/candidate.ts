import { type Box, type Landmarks5, ArcFaceError } from '../core/index.js';
import type { FloatTensor } from '../runtime/index.js';

/** A face as a decoder sees it: network-input pixels, before mapping back to the image. */
export interface Candidate {
  readonly box: Box;
  readonly score: number;
  readonly landmarks: Landmarks5;
}

/** What every decoder receives: the named outputs, their declared order and the padded input size. */
export interface DecodeInput {
  readonly outputs: Readonly<Record<string, FloatTensor>>;
  /** Output names in session order. */
  readonly outputNames: readonly string[];
  readonly inputWidth: number;
  readonly inputHeight: number;
  readonly scoreThreshold: number;
}

/**
 * Returns output `name` with exactly `rows × perRow` values, or raises `MODEL_CONTRACT_MISMATCH`
 * naming what was expected (the usual sign that a model was given with the wrong `kind`).
 *
 * @example
 * const cls = requireOutput(input.outputs, 'cls_8', 6400, 1, 'yunet')
 */
export function requireOutput(
  outputs: Readonly<Record<string, FloatTensor>>,
  name: string | undefined,
  rows: number,
  perRow: number,
  family: string,
): Float32Array {
  const t = name === undefined ? undefined : outputs[name];
  if (t === undefined) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected a ${family} output ${name ?? '(missing)'} but the model returned ${Object.keys(outputs).join(', ')}`,
    );
  }
  if (t.data.length !== rows * perRow) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected ${family} output ${name ?? ''} to hold ${rows}×${perRow} values but received ${t.data.length} (dims ${t.dims.join('×')})`,
    );
  }
  return t.data;
}

/**
 * Five landmark points from 10 interleaved coordinates.
 *
 * @example
 * toLandmarks([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) // [[1,2],[3,4],[5,6],[7,8],[9,10]]
 */
export function toLandmarks(xy: ArrayLike<number>): Landmarks5 {
  return [
    [xy[0] as number, xy[1] as number],
    [xy[2] as number, xy[3] as number],
    [xy[4] as number, xy[5] as number],
    [xy[6] as number, xy[7] as number],
    [xy[8] as number, xy[9] as number],
  ];
}

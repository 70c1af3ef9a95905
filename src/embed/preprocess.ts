import type { RgbImage } from '../core/index.js';
import type { ModelSpec } from '../models/index.js';

/**
 * Per-channel affine coefficients for the model's channel order: `value = pixel·mul[c] + add[c]`,
 * the same as `(pixel − mean[c]) / std[c]` with the division done once.
 */
export interface ChannelCoefficients {
  /** For model channel c, which RGB source channel feeds it. */
  readonly source: readonly [number, number, number];
  readonly mul: readonly [number, number, number];
  readonly add: readonly [number, number, number];
}

/**
 * Coefficients of a spec.
 *
 * @example
 * channelCoefficients(spec).source // [2, 1, 0] for BGR
 */
export function channelCoefficients(spec: ModelSpec): ChannelCoefficients {
  const source: [number, number, number] = spec.channelOrder === 'RGB' ? [0, 1, 2] : [2, 1, 0];
  const mul = spec.std.map((s) => 1 / s) as unknown as [number, number, number];
  const add = spec.mean.map((m, c) => -m / (spec.std[c] as number)) as unknown as [number, number, number];
  return { source, mul, add };
}

/**
 * Writes one crop into `out` at item `index` of a batch tensor, in the spec's layout and channel
 * order; `mirror` flips it left-right (for flip augmentation) without a copy.
 *
 * @example
 * writeCrop(tensor, 0, crop, spec, coeffs, false)
 */
export function writeCrop(out: Float32Array, index: number, crop: RgbImage, spec: ModelSpec, k: ChannelCoefficients, mirror: boolean): void {
  const size = spec.inputSize;
  const plane = size * size;
  const base = index * plane * 3;
  const d = crop.data;
  const [s0, s1, s2] = k.source;
  const [m0, m1, m2] = k.mul;
  const [a0, a1, a2] = k.add;
  if (spec.layout === 'NCHW') {
    for (let y = 0; y < size; y++) {
      const row = y * size;
      for (let x = 0; x < size; x++) {
        const p = (row + (mirror ? size - 1 - x : x)) * 3;
        const o = base + row + x;
        out[o] = (d[p + s0] as number) * m0 + a0;
        out[o + plane] = (d[p + s1] as number) * m1 + a1;
        out[o + 2 * plane] = (d[p + s2] as number) * m2 + a2;
      }
    }
  } else {
    for (let y = 0; y < size; y++) {
      const row = y * size;
      for (let x = 0; x < size; x++) {
        const p = (row + (mirror ? size - 1 - x : x)) * 3;
        const o = base + (row + x) * 3;
        out[o] = (d[p + s0] as number) * m0 + a0;
        out[o + 1] = (d[p + s1] as number) * m1 + a1;
        out[o + 2] = (d[p + s2] as number) * m2 + a2;
      }
    }
  }
}

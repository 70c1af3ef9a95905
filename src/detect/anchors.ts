/**
 * Anchor geometry of the three detector families, in network-input pixels. Pure functions; the
 * decoders index into the returned arrays with the output row index.
 */

/** Feature strides of YuNet and SCRFD (libfacedetection.train `yunet_n.py` / InsightFace `scrfd.py` `_feat_stride_fpn`). */
export const FPN_STRIDES: readonly number[] = Object.freeze([8, 16, 32]);

/** Anchors per grid cell of SCRFD `det_500m`/`det_2.5g`/`det_10g` (InsightFace `scrfd.py`: `_num_anchors = 2`). */
export const SCRFD_ANCHORS_PER_CELL = 2;

/** One RetinaFace prior: centre and size in pixels. */
export interface Prior {
  readonly cx: number;
  readonly cy: number;
  readonly size: number;
}

/** RetinaFace-mnet0.25 prior steps and sizes (biubug6/Pytorch_Retinaface `data/config.py` `cfg_mnet`). */
export const RETINAFACE_PRIOR_CONFIG = Object.freeze({
  steps: Object.freeze([8, 16, 32]),
  minSizes: Object.freeze([Object.freeze([16, 32]), Object.freeze([64, 128]), Object.freeze([256, 512])]),
  /** `cfg_mnet.variance`: centre and size variances of the box encoding. */
  variance: Object.freeze([0.1, 0.2]),
});

/**
 * Grid size at one stride for a padded input (`W/s × H/s`; inputs are padded to multiples of 32).
 *
 * @example
 * gridSize(640, 384, 32) // { cols: 20, rows: 12 }
 */
export function gridSize(width: number, height: number, stride: number): { cols: number; rows: number } {
  return { cols: Math.ceil(width / stride), rows: Math.ceil(height / stride) };
}

/**
 * RetinaFace priors for an input size, in the order of the model's `loc`/`conf` rows
 * (biubug6 `layers/functions/prior_box.py`: per step, rows, columns, then min sizes; centre at
 * `(j + 0.5)·step`; feature map `ceil(H/step) × ceil(W/step)`).
 *
 * @example
 * retinafacePriors(32, 32).length // 2·(4·4) + 2·(2·2) + 2·(1·1) = 42
 */
export function retinafacePriors(width: number, height: number): Prior[] {
  const priors: Prior[] = [];
  RETINAFACE_PRIOR_CONFIG.steps.forEach((step, k) => {
    const { cols, rows } = gridSize(width, height, step);
    const sizes = RETINAFACE_PRIOR_CONFIG.minSizes[k] ?? [];
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        for (const size of sizes) priors.push({ cx: (j + 0.5) * step, cy: (i + 0.5) * step, size });
      }
    }
  });
  return priors;
}

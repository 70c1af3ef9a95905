import type { Box } from '../core/index.js';

/**
 * Constant-velocity Kalman filter of one box, as in DeepSORT (`deep_sort/kalman_filter.py`, Wojke et
 * al. 2017) and ByteTrack, which copies it (`yolox/tracker/kalman_filter.py`, Zhang et al. 2022).
 *
 * State: `[cx, cy, a, h, vcx, vcy, va, vh]`: centre, aspect ratio a = w/h, height, and their velocities
 * per frame. The aspect-ratio form (DeepSORT/ByteTrack) rather than SORT's `[cx, cy, s = area, r]` is
 * chosen because its noise can be scaled by the height: faces change size as they approach the camera,
 * and a fixed pixel noise would be too loose on small faces and too tight on large ones.
 *
 * Noise, from the same files: position std 1/20 of the height, velocity std 1/160 of the height; the
 * aspect ratio gets fixed stds (1e-2 process, 1e-5 velocity, 1e-1 measurement), since a face's aspect
 * ratio barely changes. The initial covariance is 2× (position) and 10× (velocity) those stds.
 */

const NDIM = 4;
const DIM = 8;
/** DeepSORT/ByteTrack `_std_weight_position`. */
const STD_WEIGHT_POSITION = 1 / 20;
/** DeepSORT/ByteTrack `_std_weight_velocity`. */
const STD_WEIGHT_VELOCITY = 1 / 160;

/**
 * The measurement `[cx, cy, a, h]` of a box.
 *
 * @example
 * boxToXyah([0, 0, 40, 50]) // [20, 25, 0.8, 50]
 */
export function boxToXyah(box: Box): [number, number, number, number] {
  const w = box[2] - box[0];
  const h = box[3] - box[1];
  return [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2, w / h, h];
}

/**
 * The box of a state or measurement whose first four entries are `[cx, cy, a, h]`.
 *
 * @example
 * xyahToBox([20, 25, 0.8, 50]) // [0, 0, 40, 50]
 */
export function xyahToBox(s: ArrayLike<number>): Box {
  const h = Math.max(s[3] as number, 1e-6);
  const w = Math.max((s[2] as number) * h, 1e-6);
  const cx = s[0] as number;
  const cy = s[1] as number;
  return [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2];
}

function diag(stds: readonly number[]): Float64Array {
  const m = new Float64Array(stds.length * stds.length);
  stds.forEach((s, i) => {
    m[i * stds.length + i] = s * s;
  });
  return m;
}

/**
 * One box's filter: `predict()` advances a frame, `update(box)` folds in a measurement.
 *
 * @example
 * const kf = new KalmanBoxFilter([10, 10, 50, 60])
 * kf.predict()
 * kf.update([12, 10, 52, 60])
 * kf.box // the filtered estimate
 */
export class KalmanBoxFilter {
  readonly #mean = new Float64Array(DIM);
  #cov: Float64Array;

  constructor(box: Box) {
    const z = boxToXyah(box);
    z.forEach((v, i) => {
      this.#mean[i] = v;
    });
    const h = z[3];
    const p = 2 * STD_WEIGHT_POSITION * h;
    const v = 10 * STD_WEIGHT_VELOCITY * h;
    this.#cov = diag([p, p, 1e-2, p, v, v, 1e-5, v]);
  }

  /** The current estimate as a box. */
  get box(): Box {
    return xyahToBox(this.#mean);
  }

  /** A copy of the state `[cx, cy, a, h, vcx, vcy, va, vh]`. */
  get state(): Float64Array {
    return this.#mean.slice();
  }

  /**
   * Advances one frame. `freezeHeight` zeroes the height velocity first, as ByteTrack's `STrack.predict`
   * does for a track that is not currently matched (a lost face should not grow or shrink without end).
   */
  predict(freezeHeight = false): void {
    const m = this.#mean;
    if (freezeHeight) m[7] = 0;
    const h = m[3] as number;
    const sp = STD_WEIGHT_POSITION * h;
    const sv = STD_WEIGHT_VELOCITY * h;
    const q = diag([sp, sp, 1e-2, sp, sv, sv, 1e-5, sv]);
    for (let i = 0; i < NDIM; i++) m[i] = (m[i] as number) + (m[i + NDIM] as number);
    // P ← F P Fᵀ + Q with F = [[I, I], [0, I]]: add the velocity rows/columns to the position ones.
    const c = this.#cov;
    const fp = new Float64Array(DIM * DIM);
    for (let i = 0; i < DIM; i++) {
      for (let j = 0; j < DIM; j++) {
        fp[i * DIM + j] = (c[i * DIM + j] as number) + (i < NDIM ? (c[(i + NDIM) * DIM + j] as number) : 0);
      }
    }
    const out = new Float64Array(DIM * DIM);
    for (let i = 0; i < DIM; i++) {
      for (let j = 0; j < DIM; j++) {
        out[i * DIM + j] = (fp[i * DIM + j] as number) + (j < NDIM ? (fp[i * DIM + j + NDIM] as number) : 0) + (q[i * DIM + j] as number);
      }
    }
    this.#cov = out;
  }

  /** Folds in a measured box (the Kalman update with H = [I 0]). */
  update(box: Box): void {
    const z = boxToXyah(box);
    const m = this.#mean;
    const c = this.#cov;
    const h = m[3] as number;
    const sr = STD_WEIGHT_POSITION * h;
    const r = [sr * sr, sr * sr, 1e-1 * 1e-1, sr * sr];
    // S = H P Hᵀ + R is the top-left 4×4 block of P plus R; PHᵀ is P's first four columns.
    const s = new Float64Array(NDIM * NDIM);
    for (let i = 0; i < NDIM; i++) {
      for (let j = 0; j < NDIM; j++) s[i * NDIM + j] = (c[i * DIM + j] as number) + (i === j ? (r[i] as number) : 0);
    }
    const sInv = invert4(s);
    // K = P Hᵀ S⁻¹ (8×4).
    const k = new Float64Array(DIM * NDIM);
    for (let i = 0; i < DIM; i++) {
      for (let j = 0; j < NDIM; j++) {
        let acc = 0;
        for (let t = 0; t < NDIM; t++) acc += (c[i * DIM + t] as number) * (sInv[t * NDIM + j] as number);
        k[i * NDIM + j] = acc;
      }
    }
    const innovation = z.map((v, i) => v - (m[i] as number));
    for (let i = 0; i < DIM; i++) {
      let acc = 0;
      for (let j = 0; j < NDIM; j++) acc += (k[i * NDIM + j] as number) * (innovation[j] as number);
      m[i] = (m[i] as number) + acc;
    }
    // P ← P − K H P = P − K (first four rows of P).
    const out = new Float64Array(DIM * DIM);
    for (let i = 0; i < DIM; i++) {
      for (let j = 0; j < DIM; j++) {
        let acc = 0;
        for (let t = 0; t < NDIM; t++) acc += (k[i * NDIM + t] as number) * (c[t * DIM + j] as number);
        out[i * DIM + j] = (c[i * DIM + j] as number) - acc;
      }
    }
    // Symmetrise against rounding drift over long tracks.
    for (let i = 0; i < DIM; i++) {
      for (let j = i + 1; j < DIM; j++) {
        const avg = ((out[i * DIM + j] as number) + (out[j * DIM + i] as number)) / 2;
        out[i * DIM + j] = avg;
        out[j * DIM + i] = avg;
      }
    }
    this.#cov = out;
  }
}

/** Inverse of a 4×4 matrix by Gauss–Jordan elimination with partial pivoting (S is SPD, well conditioned). */
function invert4(a: Float64Array): Float64Array {
  const n = NDIM;
  const m = new Float64Array(n * 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) m[i * 2 * n + j] = a[i * n + j] as number;
    m[i * 2 * n + n + i] = 1;
  }
  for (let col = 0; col < n; col++) {
    let piv = col;
    for (let i = col + 1; i < n; i++) if (Math.abs(m[i * 2 * n + col] as number) > Math.abs(m[piv * 2 * n + col] as number)) piv = i;
    if (piv !== col) {
      for (let j = 0; j < 2 * n; j++) {
        const t = m[col * 2 * n + j] as number;
        m[col * 2 * n + j] = m[piv * 2 * n + j] as number;
        m[piv * 2 * n + j] = t;
      }
    }
    const d = m[col * 2 * n + col] as number;
    for (let j = 0; j < 2 * n; j++) m[col * 2 * n + j] = (m[col * 2 * n + j] as number) / d;
    for (let i = 0; i < n; i++) {
      if (i === col) continue;
      const f = m[i * 2 * n + col] as number;
      if (f === 0) continue;
      for (let j = 0; j < 2 * n; j++) m[i * 2 * n + j] = (m[i * 2 * n + j] as number) - f * (m[col * 2 * n + j] as number);
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = m[i * 2 * n + n + j] as number;
  return out;
}

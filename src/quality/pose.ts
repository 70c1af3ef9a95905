import { ARCFACE_TEMPLATE_112 } from '../align/index.js';
import type { Landmarks5 } from '../core/index.js';

/** Head pose in degrees, estimated from five landmarks. */
export interface FacePose {
  /** Left–right turn: positive when the nose points to image right. */
  readonly yaw: number;
  /** Up–down tilt: positive when the face looks up (nose towards image top). */
  readonly pitch: number;
  /** In-plane rotation of the eye line: positive clockwise in image coordinates (y down). */
  readonly roll: number;
}

/**
 * Depth of the nose tip in front of the plane of the eye centres and mouth corners, in ArcFace template
 * units (the template's eye centres are 35.24 units apart). From the generic 3D face of the OpenCV
 * head-pose tutorial (Mallick, "Head Pose Estimation using OpenCV and Dlib", LearnOpenCV 2016): nose tip
 * (0, 0, 0), outer eye corners (±225, 170, −135), mouth corners (±150, −150, −125), so the nose stands
 * 130 units (mean of 135 and 125) in front of eyes and mouth, 130/450 of the outer-eye-corner width.
 * That width is ≈ 90 mm and the eye-centre distance ≈ 63 mm in adults (Farkas, "Anthropometry of the
 * Head and Face", 1994; Dodgson 2004), so the depth is 0.289 × 90 / 63 = 0.413 eye distances =
 * 14.5 template units.
 */
export const NOSE_DEPTH_TEMPLATE = 14.5;

/**
 * Yaw, pitch and roll from five landmarks under a weak-perspective camera.
 *
 * Geometry: the eye centres and mouth corners are taken as one plane (the face plane) and the nose tip
 * as a point {@link NOSE_DEPTH_TEMPLATE} in front of it. An affine map fitted by least squares from the
 * four planar image points to their ArcFace template positions removes translation, scale, roll and
 * the foreshortening of the plane. Mapped through it, the image nose lands at the template nose plus
 * `(Z·tan yaw, −Z·tan pitch)` under pure yaw or pitch, so `yaw = atan(u / Z)` and
 * `pitch = atan(−v / Z)` with `(u, v)` the nose's offset from the template nose. Roll is the angle of
 * the eye line. Landmarks that span no area give yaw and pitch of 90.
 *
 * Measured with yunet-n on 400 LFW photos (`scripts/quality-lfw.ts`): yaw mean 0.0°, |yaw| median
 * 12.7°; pitch mean −9.5°, because YuNet places the nose tip lower between eyes and mouth than the
 * ArcFace template does (a detector convention, not a head tilt; `DEFAULT_QUALITY_LIMITS.maxPitch`
 * allows for it). Landmark noise is a few degrees: a photo and its mirror image give yaws that differ
 * from exact negatives by up to 10° on near-frontal faces, so yaw ranks and gates poses, it does not
 * measure them to the degree.
 *
 * @example
 * estimatePose(face.landmarks) // { yaw: -3.1, pitch: 4.7, roll: 1.2 }
 */
export function estimatePose(landmarks: Landmarks5): FacePose {
  assertLandmarks(landmarks);
  const [le, re, nose] = landmarks;
  const roll = (Math.atan2(re[1] - le[1], re[0] - le[0]) * 180) / Math.PI;
  const planarIdx = [0, 1, 3, 4] as const;
  const fit = fitAffine(
    planarIdx.map((i) => landmarks[i]),
    planarIdx.map((i) => ARCFACE_TEMPLATE_112[i]),
  );
  if (fit === undefined) return { yaw: 90, pitch: 90, roll };
  const tn = ARCFACE_TEMPLATE_112[2];
  const u = fit[0] * nose[0] + fit[1] * nose[1] + fit[2] - tn[0];
  const v = fit[3] * nose[0] + fit[4] * nose[1] + fit[5] - tn[1];
  const deg = (r: number): number => (r * 180) / Math.PI;
  return { yaw: deg(Math.atan(u / NOSE_DEPTH_TEMPLATE)), pitch: deg(Math.atan(-v / NOSE_DEPTH_TEMPLATE)), roll };
}

/**
 * Checks that `landmarks` are five finite `[x, y]` points.
 *
 * @example
 * assertLandmarks(face.landmarks)
 */
export function assertLandmarks(landmarks: unknown, name = 'landmarks'): Landmarks5 {
  if (
    !Array.isArray(landmarks) ||
    landmarks.length !== 5 ||
    !landmarks.every((p) => Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === 'number' && Number.isFinite(v)))
  ) {
    throw new TypeError(`Expected ${name} to be five finite [x, y] points but received ${JSON.stringify(landmarks)?.slice(0, 80)}`);
  }
  return landmarks as unknown as Landmarks5;
}

type Affine6 = readonly [number, number, number, number, number, number];

/** Least-squares affine `[a, b, c, d, e, f]` with `x' = a x + b y + c`, `y' = d x + e y + f`; undefined when degenerate. */
function fitAffine(src: readonly (readonly [number, number])[], dst: readonly (readonly [number, number])[]): Affine6 | undefined {
  // Centre the source points so the normal equations separate: [x y] block and the translation.
  const n = src.length;
  const mx = src.reduce((s, p) => s + p[0], 0) / n;
  const my = src.reduce((s, p) => s + p[1], 0) / n;
  const nx = dst.reduce((s, p) => s + p[0], 0) / n;
  const ny = dst.reduce((s, p) => s + p[1], 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  let bx0 = 0;
  let bx1 = 0;
  let by0 = 0;
  let by1 = 0;
  src.forEach((p, i) => {
    const x = p[0] - mx;
    const y = p[1] - my;
    const q = dst[i] as readonly [number, number];
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
    bx0 += x * (q[0] - nx);
    bx1 += y * (q[0] - nx);
    by0 += x * (q[1] - ny);
    by1 += y * (q[1] - ny);
  });
  const det = sxx * syy - sxy * sxy;
  if (!(Math.abs(det) > 1e-9 * Math.max(1, sxx * syy))) return undefined;
  const a = (bx0 * syy - bx1 * sxy) / det;
  const b = (bx1 * sxx - bx0 * sxy) / det;
  const d = (by0 * syy - by1 * sxy) / det;
  const e = (by1 * sxx - by0 * sxy) / det;
  return [a, b, nx - a * mx - b * my, d, e, ny - d * mx - e * my];
}

import type { Affine2x3, Point } from '../core/index.js';

/**
 * Least-squares similarity transform (rotation, uniform scale, translation; no reflection) taking
 * `src` points onto `dst` points: Umeyama, "Least-squares estimation of transformation parameters
 * between two point patterns", IEEE PAMI 13(4), 1991, with the reflection correction — the same
 * estimate as scikit-image `SimilarityTransform.estimate`, which InsightFace uses for alignment.
 *
 * In 2-D the SVD reduces to closed form: with centred points, let
 * `a = Σ (sx·dx + sy·dy)`, `b = Σ (sx·dy − sy·dx)`; the optimal rotation angle is atan2(b, a) and
 * the scale is √(a²+b²) / Σ|s|². A reflection is never chosen because the rotation is proper by
 * construction.
 *
 * @example
 * const m = estimateSimilarity(landmarks, ARCFACE_TEMPLATE_112)
 */
export function estimateSimilarity(src: readonly Point[], dst: readonly Point[]): Affine2x3 {
  if (src.length !== dst.length || src.length < 2) {
    throw new RangeError(`Expected two equal lists of at least 2 points but received ${src.length} and ${dst.length}`);
  }
  const n = src.length;
  let msx = 0;
  let msy = 0;
  let mdx = 0;
  let mdy = 0;
  for (let i = 0; i < n; i++) {
    const s = src[i] as Point;
    const d = dst[i] as Point;
    if (![s[0], s[1], d[0], d[1]].every(Number.isFinite)) throw new RangeError(`Expected finite coordinates but point ${i} is not`);
    msx += s[0];
    msy += s[1];
    mdx += d[0];
    mdy += d[1];
  }
  msx /= n;
  msy /= n;
  mdx /= n;
  mdy /= n;
  let a = 0;
  let b = 0;
  let varS = 0;
  for (let i = 0; i < n; i++) {
    const sx = (src[i] as Point)[0] - msx;
    const sy = (src[i] as Point)[1] - msy;
    const dx = (dst[i] as Point)[0] - mdx;
    const dy = (dst[i] as Point)[1] - mdy;
    a += sx * dx + sy * dy;
    b += sx * dy - sy * dx;
    varS += sx * sx + sy * sy;
  }
  if (varS === 0) throw new RangeError('Expected source points that are not all identical but every point is the same');
  const r = Math.hypot(a, b);
  const scale = r / varS;
  const cos = r === 0 ? 1 : a / r;
  const sin = r === 0 ? 0 : b / r;
  const m00 = scale * cos;
  const m01 = -scale * sin;
  const m10 = scale * sin;
  const m11 = scale * cos;
  return [
    [m00, m01, mdx - (m00 * msx + m01 * msy)],
    [m10, m11, mdy - (m10 * msx + m11 * msy)],
  ];
}

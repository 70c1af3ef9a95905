import { assertRgbImage, type RgbImage } from '../core/index.js';

/**
 * Sharpness as the variance of the Laplacian of the grey image (Pech-Pacheco et al., "Diatom
 * autofocusing in brightfield microscopy: a comparative study", ICPR 2000; the usual blur measure,
 * OpenCV `Laplacian(gray, CV_64F).var()`). Grey is Rec. 601 luma (0.299 R + 0.587 G + 0.114 B, OpenCV
 * `COLOR_RGB2GRAY`) on 0..255; the kernel is the 4-neighbour `[0 1 0; 1 −4 1; 0 1 0]` (OpenCV
 * `ksize = 1`), over interior pixels only. Meant for aligned crops of one fixed size (112×112), where
 * values are comparable between faces; a blurred crop scores far lower than a sharp one.
 *
 * @example
 * laplacianVariance(crop) // e.g. 900 for a sharp LFW face, under 100 once blurred
 */
export function laplacianVariance(image: RgbImage): number {
  assertRgbImage('image', image);
  const { width: w, height: h, data } = image;
  if (w < 3 || h < 3) throw new RangeError(`Expected an image of at least 3×3 for the Laplacian but received ${w}×${h}`);
  const grey = new Float64Array(w * h);
  for (let i = 0, p = 0; i < grey.length; i++, p += 3) {
    grey[i] = 0.299 * (data[p] as number) + 0.587 * (data[p + 1] as number) + 0.114 * (data[p + 2] as number);
  }
  let sum = 0;
  let sumSq = 0;
  let n = 0;
  for (let y = 1; y < h - 1; y++) {
    for (let x = 1; x < w - 1; x++) {
      const i = y * w + x;
      const l = (grey[i - 1] as number) + (grey[i + 1] as number) + (grey[i - w] as number) + (grey[i + w] as number) - 4 * (grey[i] as number);
      sum += l;
      sumSq += l * l;
      n++;
    }
  }
  const mean = sum / n;
  return sumSq / n - mean * mean;
}

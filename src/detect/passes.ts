import { planLetterbox, type Letterbox, type Region } from './letterbox.js';

/**
 * Detection passes. The primary pass fits the image into `inputSize` without enlarging it; when it
 * finds nothing, the detector tries in turn: `tiled` (large images: tiles at a finer scale, so
 * faces that shrank below the smallest anchor come back), `upscaled` (small images: enlarged to
 * `inputSize`, for faces under ~40 px) and `rescue` (the image at half `inputSize`, for faces too
 * large for the anchors, for profiles and blur). Second passes use `secondPassScoreThreshold`.
 */

/** Tiles overlap by a quarter of a tile, so any face up to that size lies whole inside one tile. */
export const TILE_OVERLAP_FRACTION = 0.25;

/** Each tiled-pass retry shrinks the image by this factor until the tile count fits `maxTiles`. */
const TILE_SHRINK_STEP = 0.8;

/** The tiled pass must look at least this much closer than the primary pass to be worth running. */
const MIN_TILE_GAIN = 1.5;

/** Rescue runs at half the primary input size: faces up to ~2× the largest anchor then fit. */
export const RESCUE_SIZE_FRACTION = 0.5;

function full(width: number, height: number): Region {
  return { x: 0, y: 0, width, height };
}

/**
 * The primary pass: the whole image, shrunk to fit `inputSize` if larger; enlarged to fit only when `enlarge`.
 *
 * @example
 * primaryPass(1920, 1080, 640).scale // 1/3
 */
export function primaryPass(width: number, height: number, inputSize: number, fixed?: readonly [number, number], enlarge = false): Letterbox {
  const fit = inputSize / Math.max(width, height);
  const scale = enlarge ? fit : Math.min(1, fit);
  return planLetterbox(full(width, height), scale, fixed);
}

/**
 * The upscaled pass for an image smaller than `inputSize`: enlarged so its longer side fills it.
 * `undefined` when the image is not smaller.
 *
 * @example
 * upscaledPass(100, 80, 640)?.scale // 6.4
 */
export function upscaledPass(width: number, height: number, inputSize: number, fixed?: readonly [number, number]): Letterbox | undefined {
  const longer = Math.max(width, height);
  if (longer >= inputSize) return undefined;
  return planLetterbox(full(width, height), inputSize / longer, fixed);
}

/**
 * The rescue pass: the whole image fitted to half `inputSize`.
 *
 * @example
 * rescuePass(250, 250, 640).scale // 1.28
 */
export function rescuePass(width: number, height: number, inputSize: number, fixed?: readonly [number, number]): Letterbox {
  const size = Math.max(32, Math.round(inputSize * RESCUE_SIZE_FRACTION));
  return planLetterbox(full(width, height), size / Math.max(width, height), fixed);
}

function tileStarts(length: number, tile: number, count: number): number[] {
  if (count <= 1) return [0];
  const starts: number[] = [];
  for (let i = 0; i < count; i++) starts.push(Math.round((i * (length - tile)) / (count - 1)));
  return starts;
}

/**
 * The tiled pass for an image larger than `inputSize`: square tiles of `inputSize` input pixels
 * overlapping by {@link TILE_OVERLAP_FRACTION}, at full resolution, or shrunk until at most
 * `maxTiles` tiles cover the image. `[]` when tiling would not look at least 1.5× closer than the
 * primary pass.
 *
 * @example
 * tiledPass(1920, 1080, 640, 16).length // 8 (4 × 2 tiles at full resolution)
 */
export function tiledPass(width: number, height: number, inputSize: number, maxTiles: number, fixed?: readonly [number, number]): Letterbox[] {
  const primaryScale = Math.min(1, inputSize / Math.max(width, height));
  const overlap = inputSize * TILE_OVERLAP_FRACTION;
  for (let scale = 1; scale >= primaryScale * MIN_TILE_GAIN; scale *= TILE_SHRINK_STEP) {
    const sw = width * scale;
    const sh = height * scale;
    const nx = sw <= inputSize ? 1 : Math.ceil((sw - overlap) / (inputSize - overlap));
    const ny = sh <= inputSize ? 1 : Math.ceil((sh - overlap) / (inputSize - overlap));
    if (nx * ny > maxTiles) continue;
    const tw = Math.min(width, Math.round(inputSize / scale));
    const th = Math.min(height, Math.round(inputSize / scale));
    const out: Letterbox[] = [];
    for (const y of tileStarts(height, th, ny)) {
      for (const x of tileStarts(width, tw, nx)) out.push(planLetterbox({ x, y, width: tw, height: th }, scale, fixed));
    }
    return out;
  }
  return [];
}

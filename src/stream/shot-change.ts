/**
 * Shot changes (hard cuts and fades) found from the frames themselves, one frame at a time, with no
 * look-ahead: the same code serves files, live streams and the browser camera (no I/O, no Node module).
 */
import { assertInteger, assertNumber, assertRgbImage, type RgbImage } from '../core/index.js';

/** Options of {@link ShotChangeDetector}. */
export interface ShotChangeOptions {
  /**
   * Content change (mean absolute difference of hue, saturation and value between consecutive frames,
   * each on PySceneDetect's 8-bit HSV scale, averaged) at or above which a frame starts a new shot
   * whatever came before. Default 27, PySceneDetect `ContentDetector`'s threshold.
   */
  readonly threshold: number;
  /**
   * A frame whose change is this many times the mean change of the `window` frames before it starts a
   * new shot, when the change is also at least `minContent`. Default 3, PySceneDetect
   * `AdaptiveDetector`'s `adaptive_threshold` (its window also looks ahead; ours looks back only).
   */
  readonly adaptiveRatio: number;
  /** The smallest change the adaptive rule counts. Default 15, `AdaptiveDetector`'s `min_content_val`. */
  readonly minContent: number;
  /** Frames averaged by the adaptive rule. Default 8. */
  readonly window: number;
  /** Frames a shot lasts at least: no cut is reported sooner after the last one. Default 8 (0.32 s at 25 fps). */
  readonly minShotFrames: number;
  /**
   * Mean value (V of HSV, 0..255) below which a frame is black: entering or leaving black is a fade.
   * Default 12, PySceneDetect `ThresholdDetector`'s default threshold.
   */
  readonly fadeLevel: number;
  /** Width of the thumbnail the measure is taken on (height follows the aspect). Default 64. */
  readonly sampleWidth: number;
}

/**
 * Default shot-change options (PySceneDetect's defaults for its content, adaptive and threshold
 * detectors; the window and minimum shot length are ours, for a causal detector).
 *
 * @example
 * new ShotChangeDetector({ ...SHOT_CHANGE_DEFAULTS, threshold: 35 })
 */
export const SHOT_CHANGE_DEFAULTS: Readonly<ShotChangeOptions> = Object.freeze({
  threshold: 27,
  adaptiveRatio: 3,
  minContent: 15,
  window: 8,
  minShotFrames: 8,
  fadeLevel: 12,
  sampleWidth: 64,
});

/** What {@link ShotChangeDetector.push} found at one frame. */
export interface ShotChange {
  /** `cut`: the content jumped; `fade`: the picture went to black or came back from it. */
  readonly kind: 'cut' | 'fade';
  /** The content change of this frame (HSV mean absolute difference, 0..255 scale). */
  readonly score: number;
  /** The score over the mean of the frames before it (Infinity when they were still). */
  readonly ratio: number;
}

/**
 * Detects shot changes in a sequence of frames: PySceneDetect's content measure (HSV difference of
 * consecutive frames) with a fixed threshold for clear cuts, an adaptive one (a jump against the recent
 * average) for cuts in busy footage, and a black-level test for fades. Each frame is box-averaged to a
 * small thumbnail first (as PySceneDetect downscales before measuring), read on a grid of about 16
 * samples per thumbnail cell, so a 640×480 frame costs well under a millisecond.
 *
 * @example
 * const shots = new ShotChangeDetector()
 * for (const frame of frames) {
 *   const change = shots.push(frame.image)
 *   if (change !== undefined) console.log(`new shot (${change.kind}) at frame ${frame.index}`)
 * }
 */
export class ShotChangeDetector {
  readonly options: Readonly<ShotChangeOptions>;
  #previous: Uint8Array | undefined;
  #previousSize = '';
  #dark = false;
  readonly #history: number[] = [];
  #sinceCut = Number.POSITIVE_INFINITY;

  constructor(options: Partial<ShotChangeOptions> = {}) {
    if (typeof options !== 'object' || options === null) throw new TypeError(`Expected shot-change options as an object but received ${String(options)}`);
    const d = SHOT_CHANGE_DEFAULTS;
    this.options = Object.freeze({
      threshold: assertNumber('threshold', options.threshold ?? d.threshold, 0, 255),
      adaptiveRatio: assertNumber('adaptiveRatio', options.adaptiveRatio ?? d.adaptiveRatio, 1, 1000),
      minContent: assertNumber('minContent', options.minContent ?? d.minContent, 0, 255),
      window: assertInteger('window', options.window ?? d.window, 1, 1000),
      minShotFrames: assertInteger('minShotFrames', options.minShotFrames ?? d.minShotFrames, 1, 100_000),
      fadeLevel: assertNumber('fadeLevel', options.fadeLevel ?? d.fadeLevel, 0, 255),
      sampleWidth: assertInteger('sampleWidth', options.sampleWidth ?? d.sampleWidth, 4, 1024),
    });
  }

  /** Measures one frame against the one before; returns the change when this frame starts a new shot. */
  push(image: RgbImage): ShotChange | undefined {
    assertRgbImage('image', image);
    const o = this.options;
    const hsv = thumbnailHsv(image, o.sampleWidth);
    const size = `${image.width}x${image.height}`;
    const before = this.#previous;
    const sameSize = size === this.#previousSize;
    this.#previous = hsv;
    this.#previousSize = size;
    this.#sinceCut++;
    const dark = meanValue(hsv) < o.fadeLevel;
    const wasDark = this.#dark;
    this.#dark = dark;
    if (before === undefined || !sameSize) {
      this.#history.length = 0;
      return undefined;
    }
    const score = hsvDifference(before, hsv);
    const mean = this.#history.length === 0 ? 0 : this.#history.reduce((a, b) => a + b, 0) / this.#history.length;
    const ratio = mean > 0 ? score / mean : score > 0 ? Number.POSITIVE_INFINITY : 0;
    this.#history.push(score);
    if (this.#history.length > o.window) this.#history.shift();
    if (dark !== wasDark) {
      this.#sinceCut = 0;
      return { kind: 'fade', score, ratio };
    }
    if (this.#sinceCut < o.minShotFrames) return undefined;
    const full = this.#history.length > o.window - 1;
    const cut = score >= o.threshold || (full && score >= o.minContent && ratio >= o.adaptiveRatio);
    if (!cut) return undefined;
    this.#sinceCut = 0;
    // The jump is not part of the new shot's baseline.
    this.#history.length = 0;
    return { kind: 'cut', score, ratio };
  }

  /** Forgets the frames seen (e.g. after a seek): the next frame is measured against nothing. */
  reset(): void {
    this.#previous = undefined;
    this.#previousSize = '';
    this.#history.length = 0;
    this.#dark = false;
    this.#sinceCut = Number.POSITIVE_INFINITY;
  }
}

/**
 * The image box-averaged to `sampleWidth` columns (height following the aspect), as H (0..179, OpenCV's
 * 8-bit hue), S and V (0..255) interleaved: the scale PySceneDetect's content values are measured on.
 * Two signatures of images of one size compare with {@link contentDifference}.
 *
 * @example
 * const change = contentDifference(contentSignature(before, 16), contentSignature(after, 16))
 */
export function contentSignature(image: RgbImage, sampleWidth: number): Uint8Array {
  return thumbnailHsv(image, sampleWidth);
}

/**
 * PySceneDetect's `content_val` with weights (1, 1, 1, 0) between two signatures of one size: the mean
 * over H, S and V of the mean absolute difference (0..255 scale).
 *
 * @example
 * contentDifference(a, b) >= SHOT_CHANGE_DEFAULTS.threshold
 */
export function contentDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length || a.length === 0)
    throw new RangeError(`Expected two content signatures of one non-zero length but received ${a.length} and ${b.length}`);
  return hsvDifference(a, b);
}

function thumbnailHsv(image: RgbImage, sampleWidth: number): Uint8Array {
  const { width, height, data } = image;
  const tw = Math.min(sampleWidth, width);
  const th = Math.max(1, Math.min(height, Math.round((height * tw) / width)));
  const sums = new Float64Array(tw * th * 3);
  const counts = new Uint32Array(tw * th);
  // About 4×4 samples per cell are enough for a mean; a large frame is read on a sparser grid.
  const step = Math.max(1, Math.floor(width / (tw * 4)));
  for (let y = 0; y < height; y += step) {
    const row = Math.min(th - 1, Math.floor((y * th) / height)) * tw;
    for (let x = 0; x < width; x += step) {
      const cell = row + Math.min(tw - 1, Math.floor((x * tw) / width));
      const p = (y * width + x) * 3;
      sums[cell * 3] = (sums[cell * 3] as number) + (data[p] as number);
      sums[cell * 3 + 1] = (sums[cell * 3 + 1] as number) + (data[p + 1] as number);
      sums[cell * 3 + 2] = (sums[cell * 3 + 2] as number) + (data[p + 2] as number);
      counts[cell] = (counts[cell] as number) + 1;
    }
  }
  const out = new Uint8Array(tw * th * 3);
  for (let c = 0; c < tw * th; c++) {
    const n = counts[c] as number;
    const [h, s, v] = rgbToHsv((sums[c * 3] as number) / n, (sums[c * 3 + 1] as number) / n, (sums[c * 3 + 2] as number) / n);
    out[c * 3] = h;
    out[c * 3 + 1] = s;
    out[c * 3 + 2] = v;
  }
  return out;
}

/** OpenCV's 8-bit RGB→HSV (H in 0..179, S and V in 0..255). */
function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const v = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  const delta = v - min;
  const s = v === 0 ? 0 : (255 * delta) / v;
  let h = 0;
  if (delta > 0) {
    if (v === r) h = (60 * (g - b)) / delta;
    else if (v === g) h = 120 + (60 * (b - r)) / delta;
    else h = 240 + (60 * (r - g)) / delta;
    if (h < 0) h += 360;
  }
  return [Math.round(h / 2) % 180, Math.round(s), Math.round(v)];
}

/** PySceneDetect's `content_val` with weights (1, 1, 1, 0): the mean over H, S and V of the mean absolute difference. */
function hsvDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs((a[i] as number) - (b[i] as number));
  return sum / a.length;
}

function meanValue(hsv: Uint8Array): number {
  let sum = 0;
  for (let i = 2; i < hsv.length; i += 3) sum += hsv[i] as number;
  return sum / (hsv.length / 3);
}

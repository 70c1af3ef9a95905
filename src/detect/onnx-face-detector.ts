import {
  ArcFaceError,
  assertRgbImage,
  type Box,
  type DetectedFace,
  type DetectionPass,
  type Landmarks5,
  type RgbImage,
  assertBoolean,
  assertInteger,
  assertNumber,
} from '../core/index.js';
import { ModelSession } from '../runtime/index.js';
import type { DetectorConfig } from './config.js';
import type { DetectOptions, FaceDetector } from './face-detector.js';
import type { DetectorFamily } from './families.js';
import { mergeMirrored, mirrorImage, unmirrorFace } from './flip.js';
import { fillTensor, type Letterbox } from './letterbox.js';
import { nms, nmsVote } from './nms.js';
import { primaryPass, rescuePass, tiledPass, upscaledPass } from './passes.js';

/**
 * Candidates down to this score vote on the box and landmarks of the face they overlap (never
 * become faces themselves). Measured on 172 deep-funneled LFW images (one per 25th person): YuNet-n
 * and SCRFD-500M landmarks agree within 10% of the eye distance on 30% of faces without voting,
 * 49% voting among faces above the score threshold, 54% voting down to 0.2 (0.5 gave 51%); YuNet-n
 * agrees with its own mirror-image run on 61% without voting, 83% with.
 */
const VOTE_SCORE_FLOOR = 0.2;

/** Faces within this many input pixels of an inner tile edge are left to the neighbouring tile. */
const TILE_EDGE_MARGIN = 4;

/** Effective settings of one call. */
interface CallSettings {
  readonly scoreThreshold: number;
  readonly nmsIou: number;
  readonly minFaceSize: number;
  readonly maxFaces: number;
  readonly secondPass: boolean;
}

interface Found {
  readonly box: Box;
  readonly score: number;
  readonly landmarks: Landmarks5;
  readonly size: number;
}

function fixedInputSize(session: ModelSession): readonly [number, number] | undefined {
  const shape = session.inputs[0]?.shape ?? [];
  const h = shape[2];
  const w = shape[3];
  return typeof h === 'number' && typeof w === 'number' && h > 0 && w > 0 ? [w, h] : undefined;
}

function checkContract(session: ModelSession, family: DetectorFamily, label: string): void {
  const input = session.inputs[0];
  if (session.inputs.length !== 1 || input === undefined || input.shape.length !== 4 || (typeof input.shape[1] === 'number' && input.shape[1] !== 3)) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected one NCHW 3-channel input for a ${family.kind} detector but ${label} declares ${session.inputs.map((i) => `${i.name}[${i.shape.join(',')}]`).join(', ')}`,
    );
  }
  const names = session.outputs.map((o) => o.name);
  const missing = (family.requiredOutputs ?? []).filter((n) => !names.includes(n));
  if (names.length !== family.outputCount || missing.length > 0) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected ${family.outputCount} outputs${family.requiredOutputs === undefined ? '' : ` (${family.requiredOutputs.join(', ')})`} ` +
        `for a ${family.kind} detector but ${label} declares ${names.length}: ${names.join(', ')}`,
    );
  }
}

/**
 * A detector running one ONNX model of a known family. Built by `createFaceDetector`.
 *
 * @example
 * const det = await OnnxFaceDetector.create(DETECTOR_FAMILIES.yunet, 'yunet_n_dynamic.onnx', resolveDetectorConfig('yunet'), 'yunet-n', {})
 */
export class OnnxFaceDetector implements FaceDetector {
  readonly name: string;
  readonly kind: DetectorFamily['kind'];
  readonly config: DetectorConfig;
  /** `[w, h]` for a fixed-size model (YuNet 2023mar: 640×640), else `undefined`. */
  readonly fixedInput: readonly [number, number] | undefined;
  /** The primary pass fits an image within this square (see `FaceDetector.fitSize`). */
  readonly fitSize: number;
  readonly #family: DetectorFamily;
  readonly #session: ModelSession;
  readonly #inputName: string;
  readonly #outputNames: readonly string[];

  private constructor(family: DetectorFamily, session: ModelSession, config: DetectorConfig, name: string) {
    this.#family = family;
    this.#session = session;
    this.kind = family.kind;
    this.config = config;
    this.name = name;
    this.fixedInput = fixedInputSize(session);
    this.fitSize = config.inputSize;
    this.#inputName = session.inputs[0]?.name ?? 'input';
    this.#outputNames = session.outputs.map((o) => o.name);
  }

  /** Loads the model and checks that its inputs and outputs match the family. */
  static async create(
    family: DetectorFamily,
    model: string | Uint8Array,
    config: DetectorConfig,
    name: string,
    runtime: Parameters<typeof ModelSession.create>[1],
  ): Promise<OnnxFaceDetector> {
    const session = await ModelSession.create(model, runtime);
    try {
      checkContract(session, family, name);
    } catch (err) {
      await session.dispose();
      throw err;
    }
    return new OnnxFaceDetector(family, session, config, name);
  }

  /**
   * Faces in original image pixels, best first. The primary pass runs first; only when it finds
   * nothing do the tiled, upscaled and rescue passes follow (each face records its pass).
   */
  async detect(image: RgbImage, options: DetectOptions = {}): Promise<DetectedFace[]> {
    assertRgbImage('image', image);
    const s = this.#settings(options);
    const { width: w, height: h } = image;
    const size = this.config.inputSize;
    const fixed = this.fixedInput;
    const plan = primaryPass(w, h, size, fixed, this.config.enlargeSmall);
    const small = options.downscaled;
    if (small !== undefined) assertRgbImage('downscaled', small);
    // A copy already at the pass's content size replaces the resampling (the mirrored run of a flip test resamples).
    const shrunk = small !== undefined && !this.config.flipTest && small.width === plan.contentWidth && small.height === plan.contentHeight ? small : undefined;
    const primary = await this.#pass(image, [plan], 'primary', s.scoreThreshold, s, shrunk);
    if (primary.length > 0 || !s.secondPass) return primary;
    const threshold = Math.min(s.scoreThreshold, this.config.secondPassScoreThreshold);
    const tiles = tiledPass(w, h, size, this.config.maxTiles, fixed);
    if (tiles.length > 0) {
      const tiled = await this.#pass(image, tiles, 'tiled', threshold, s);
      if (tiled.length > 0) return tiled;
    }
    const up = this.config.enlargeSmall ? undefined : upscaledPass(w, h, size, fixed);
    if (up !== undefined) {
      const upscaled = await this.#pass(image, [up], 'upscaled', threshold, s);
      if (upscaled.length > 0) return upscaled;
    }
    return this.#pass(image, [rescuePass(w, h, size, fixed)], 'rescue', threshold, s);
  }

  /** Releases the model session; later `detect` calls raise `INVALID_ARGUMENT`. Safe to call twice. */
  async dispose(): Promise<void> {
    await this.#session.dispose();
  }

  #settings(o: DetectOptions): CallSettings {
    if (typeof o !== 'object' || o === null) throw new TypeError(`Expected an options object for detect but received ${String(o)}`);
    const c = this.config;
    return {
      scoreThreshold: o.scoreThreshold === undefined ? c.scoreThreshold : assertNumber('scoreThreshold', o.scoreThreshold, 0, 1),
      nmsIou: o.nmsIou === undefined ? c.nmsIou : assertNumber('nmsIou', o.nmsIou, 0, 1),
      minFaceSize: o.minFaceSize === undefined ? c.minFaceSize : assertNumber('minFaceSize', o.minFaceSize, 0, 1e6),
      maxFaces: o.maxFaces === undefined ? c.maxFaces : assertInteger('maxFaces', o.maxFaces, 1, 1e6),
      secondPass: o.secondPass === undefined ? c.secondPass : assertBoolean('secondPass', o.secondPass),
    };
  }

  async #pass(
    image: RgbImage,
    boxes: readonly Letterbox[],
    kind: DetectionPass['kind'],
    threshold: number,
    s: CallSettings,
    shrunk?: RgbImage,
  ): Promise<DetectedFace[]> {
    const faces = await this.#run(image, boxes, kind, threshold, s, shrunk);
    if (!this.config.flipTest || faces.length === 0) return faces;
    const mirrored = await this.#run(
      mirrorImage(image),
      boxes.map((b) => mirrorLetterbox(b, image.width)),
      kind,
      threshold,
      s,
    );
    return mergeMirrored(
      faces,
      mirrored.map((f) => unmirrorFace(f, image.width)),
      s.nmsIou,
    );
  }

  async #run(
    image: RgbImage,
    boxes: readonly Letterbox[],
    kind: DetectionPass['kind'],
    threshold: number,
    s: CallSettings,
    shrunk?: RgbImage,
  ): Promise<DetectedFace[]> {
    const found: Found[] = [];
    for (const lb of boxes) {
      // `shrunk` is the whole image at the content size: copied as is, at scale 1.
      const data =
        shrunk === undefined
          ? fillTensor(image, lb, this.#family.pixels)
          : fillTensor(shrunk, { ...lb, region: { x: 0, y: 0, width: shrunk.width, height: shrunk.height }, scale: 1 }, this.#family.pixels);
      const outputs = await this.#session.run({ [this.#inputName]: { data, dims: [1, 3, lb.inputHeight, lb.inputWidth] } });
      const candidates = this.#family.decode({
        outputs,
        outputNames: this.#outputNames,
        inputWidth: lb.inputWidth,
        inputHeight: lb.inputHeight,
        scoreThreshold: this.config.voting ? Math.min(threshold, VOTE_SCORE_FLOOR) : threshold,
      });
      const { region } = lb;
      const sx = region.width / lb.contentWidth;
      const sy = region.height / lb.contentHeight;
      const innerLeft = region.x > 0;
      const innerTop = region.y > 0;
      const innerRight = region.x + region.width < image.width;
      const innerBottom = region.y + region.height < image.height;
      for (const c of candidates) {
        const [bx1, by1, bx2, by2] = c.box;
        if (
          (innerLeft && bx1 < TILE_EDGE_MARGIN) ||
          (innerTop && by1 < TILE_EDGE_MARGIN) ||
          (innerRight && bx2 > lb.contentWidth - TILE_EDGE_MARGIN) ||
          (innerBottom && by2 > lb.contentHeight - TILE_EDGE_MARGIN)
        ) {
          continue;
        }
        const x1 = bx1 * sx + region.x;
        const y1 = by1 * sy + region.y;
        const x2 = bx2 * sx + region.x;
        const y2 = by2 * sy + region.y;
        const size = Math.min(x2 - x1, y2 - y1);
        if (size < s.minFaceSize) continue;
        if (Math.min(x2, image.width) - Math.max(x1, 0) < 1 || Math.min(y2, image.height) - Math.max(y1, 0) < 1) continue;
        const box: Box = [x1, y1, x2, y2];
        const landmarks = mapLandmarks(c.landmarks, sx, sy, region.x, region.y);
        found.push({ box, score: c.score, landmarks, size });
      }
    }
    const inputSize: readonly [number, number] = [boxes[0]?.inputWidth ?? 0, boxes[0]?.inputHeight ?? 0];
    const pass: DetectionPass = Object.freeze({ kind, inputSize: Object.freeze(inputSize) });
    const strong = found.filter((f) => f.score >= threshold);
    const kept = this.config.voting ? nmsVote(strong, s.nmsIou, s.nmsIou, s.maxFaces, found) : nms(strong, s.nmsIou, s.maxFaces);
    const { width: w, height: h } = image;
    return kept.map((f) => ({
      box: [clamp(f.box[0], 0, w), clamp(f.box[1], 0, h), clamp(f.box[2], 0, w), clamp(f.box[3], 0, h)] as const,
      score: f.score,
      landmarks: f.landmarks,
      pass,
    }));
  }
}

function mirrorLetterbox(lb: Letterbox, width: number): Letterbox {
  return { ...lb, region: { ...lb.region, x: width - lb.region.x - lb.region.width } };
}

function mapLandmarks(l: Landmarks5, sx: number, sy: number, dx: number, dy: number): Landmarks5 {
  const p = (i: 0 | 1 | 2 | 3 | 4): readonly [number, number] => [l[i][0] * sx + dx, l[i][1] * sy + dy];
  return [p(0), p(1), p(2), p(3), p(4)];
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

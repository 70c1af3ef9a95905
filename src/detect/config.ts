import { assertBoolean, assertInteger, assertNumber, assertOneOf } from '../core/index.js';

/** Detector families whose decoding ArcFace.ts implements. */
export type DetectorKind = 'yunet' | 'scrfd' | 'retinaface';

/**
 * The detector kinds, for validation and help texts.
 *
 * @example
 * DETECTOR_KINDS.includes('scrfd') // true
 */
export const DETECTOR_KINDS: readonly DetectorKind[] = Object.freeze(['yunet', 'scrfd', 'retinaface'] as const);

/** Tunable detector settings. Per-call {@link DetectOptions} override the first four. */
export interface DetectorConfig {
  /** Minimum face score, 0..1. */
  readonly scoreThreshold: number;
  /** NMS IoU threshold, 0..1. */
  readonly nmsIou: number;
  /** Faces whose (unclipped) box has a shorter side under this many original pixels are dropped. */
  readonly minFaceSize: number;
  /** Keep at most this many faces, best first. */
  readonly maxFaces: number;
  /**
   * Longest side of the primary pass input, multiple of 32. Larger images are shrunk to fit; smaller
   * ones are run at their own size (a fixed-size model pads them).
   */
  readonly inputSize: number;
  /**
   * Enlarge images smaller than `inputSize` in the primary pass, as InsightFace `SCRFD.detect` does
   * (it always fits the image to 640). `false` runs them at their own size, as OpenCV
   * `FaceDetectorYN` does when its input size is the image size; the upscaled pass then follows.
   */
  readonly enlargeSmall: boolean;
  /** Run second passes (tiled, upscaled, rescue) when the primary pass finds nothing. */
  readonly secondPass: boolean;
  /**
   * Score-weighted box and landmark voting over the candidates each kept face suppresses (InsightFace
   * RetinaFace `bbox_vote`, IoU above the NMS threshold). Off: the single best anchor's regression.
   */
  readonly voting: boolean;
  /**
   * Also run the pass that found faces on the mirrored image and average each face with its mirror
   * (test-time flip). Twice the cost; steadier landmarks, YuNet's especially.
   */
  readonly flipTest: boolean;
  /** Most tiles the tiled pass may run; it shrinks the image as needed to stay within. */
  readonly maxTiles: number;
  /**
   * Score threshold of the second passes (tiled, upscaled, rescue), which run only when the primary
   * pass found nothing; the lower of this and the call's threshold applies.
   */
  readonly secondPassScoreThreshold: number;
}

/** The defaults every family shares (see {@link DETECTOR_DEFAULTS} for where each comes from). */
const SHARED_DEFAULTS = {
  minFaceSize: 0,
  maxFaces: 750,
  inputSize: 640,
  enlargeSmall: false,
  secondPass: true,
  voting: true,
  flipTest: false,
  maxTiles: 16,
  secondPassScoreThreshold: 0.5,
} as const;

/**
 * Defaults per family, each from its reference implementation:
 * - YuNet: OpenCV `FaceDetectorYN::create` defaults `nms_threshold = 0.3`; input 640, the size of the
 *   fixed 2023mar export and of libfacedetection.train's training crops. Score threshold 0.8, not
 *   OpenCV's 0.9: YuNet scores many clear faces 0.87–0.90, and at 0.9 YuNet-s missed the central face
 *   of 26 of 7,701 deep-funneled LFW images while keeping a background face (`scripts/lfw-detect.ts`).
 * - SCRFD: InsightFace `model_zoo/scrfd.py`: `det_thresh = 0.5`, `nms_thresh = 0.4`, `input_size = (640, 640)`.
 * - RetinaFace: biubug6/Pytorch_Retinaface `detect.py`: `--vis_thres 0.6`, `--nms_threshold 0.4`; input 640
 *   as the others, so the three are compared on equal terms.
 * `maxFaces` 750 is RetinaFace's `--keep_top_k`. `minFaceSize` 0 keeps every face the model returns.
 * `maxTiles` 16 bounds the tiled pass to 16 primary-size inferences (a 2560×2560 area at 640).
 * `secondPassScoreThreshold` 0.5 is SCRFD's reference threshold, used for every family once the primary
 * pass found nothing: YuNet scores a clean 30 px face 0.88–0.90, just under its 0.9 default
 * (measured on LFW crops pasted into flat canvases, `test/detect/scenes.test.ts`).
 *
 * @example
 * DETECTOR_DEFAULTS.scrfd.scoreThreshold // 0.5
 */
export const DETECTOR_DEFAULTS: Readonly<Record<DetectorKind, DetectorConfig>> = Object.freeze({
  yunet: Object.freeze({ ...SHARED_DEFAULTS, scoreThreshold: 0.8, nmsIou: 0.3 }),
  scrfd: Object.freeze({ ...SHARED_DEFAULTS, scoreThreshold: 0.5, nmsIou: 0.4 }),
  retinaface: Object.freeze({ ...SHARED_DEFAULTS, scoreThreshold: 0.6, nmsIou: 0.4 }),
});

/** Largest accepted `inputSize`: 4096 keeps one float32 input tensor under 200 MB. */
export const MAX_INPUT_SIZE = 4096;

/**
 * Validates the kind.
 *
 * @example
 * assertDetectorKind('scrfd')
 */
export function assertDetectorKind(value: unknown): DetectorKind {
  return assertOneOf('kind', value, DETECTOR_KINDS);
}

/**
 * Validates a partial config over the family defaults into a fresh frozen config; never mutates.
 *
 * @example
 * resolveDetectorConfig('yunet', { scoreThreshold: 0.8 })
 */
export function resolveDetectorConfig(kind: DetectorKind, partial: Partial<DetectorConfig> = {}): DetectorConfig {
  const d = DETECTOR_DEFAULTS[assertDetectorKind(kind)];
  const inputSize = partial.inputSize === undefined ? d.inputSize : assertInteger('inputSize', partial.inputSize, 32, MAX_INPUT_SIZE);
  if (inputSize % 32 !== 0) throw new RangeError(`Expected a multiple of 32 for inputSize but received ${inputSize} of type number`);
  return Object.freeze({
    scoreThreshold: partial.scoreThreshold === undefined ? d.scoreThreshold : assertNumber('scoreThreshold', partial.scoreThreshold, 0, 1),
    nmsIou: partial.nmsIou === undefined ? d.nmsIou : assertNumber('nmsIou', partial.nmsIou, 0, 1),
    minFaceSize: partial.minFaceSize === undefined ? d.minFaceSize : assertNumber('minFaceSize', partial.minFaceSize, 0, 1e6),
    maxFaces: partial.maxFaces === undefined ? d.maxFaces : assertInteger('maxFaces', partial.maxFaces, 1, 1e6),
    inputSize,
    enlargeSmall: partial.enlargeSmall === undefined ? d.enlargeSmall : assertBoolean('enlargeSmall', partial.enlargeSmall),
    secondPass: partial.secondPass === undefined ? d.secondPass : assertBoolean('secondPass', partial.secondPass),
    voting: partial.voting === undefined ? d.voting : assertBoolean('voting', partial.voting),
    flipTest: partial.flipTest === undefined ? d.flipTest : assertBoolean('flipTest', partial.flipTest),
    maxTiles: partial.maxTiles === undefined ? d.maxTiles : assertInteger('maxTiles', partial.maxTiles, 1, 1024),
    secondPassScoreThreshold:
      partial.secondPassScoreThreshold === undefined
        ? d.secondPassScoreThreshold
        : assertNumber('secondPassScoreThreshold', partial.secondPassScoreThreshold, 0, 1),
  });
}

/** A known detector model file and its family. */
export interface DetectorPreset {
  readonly kind: DetectorKind;
  /** File name as published (see shared/models/SOURCE.md for origins and licences). */
  readonly file: string;
}

/**
 * Detector models whose contract is checked by this folder's tests, by short name. The model
 * registry maps these names to files; the detectors only need `kind` and a path.
 *
 * @example
 * DETECTOR_PRESETS['yunet-n'] // { kind: 'yunet', file: 'yunet_n_dynamic.onnx' }
 */
export const DETECTOR_PRESETS: Readonly<Record<string, DetectorPreset>> = Object.freeze({
  'yunet-n': Object.freeze({ kind: 'yunet', file: 'yunet_n_dynamic.onnx' }),
  'yunet-s': Object.freeze({ kind: 'yunet', file: 'yunet_s_dynamic.onnx' }),
  'yunet-2023mar': Object.freeze({ kind: 'yunet', file: 'face_detection_yunet_2023mar.onnx' }),
  'scrfd-500m': Object.freeze({ kind: 'scrfd', file: 'det_500m.onnx' }),
  'scrfd-2.5g': Object.freeze({ kind: 'scrfd', file: 'det_2.5g.onnx' }),
  'scrfd-10g': Object.freeze({ kind: 'scrfd', file: 'det_10g.onnx' }),
  'retinaface-mnet025': Object.freeze({ kind: 'retinaface', file: 'retinaface_mbnet0.25.onnx' }),
} satisfies Record<string, DetectorPreset>);

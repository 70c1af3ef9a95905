import type { Candidate, DecodeInput } from './candidate.js';
import type { DetectorKind } from './config.js';
import { decodeRetinaface } from './decode-retinaface.js';
import { decodeScrfd } from './decode-scrfd.js';
import { decodeYunet } from './decode-yunet.js';
import type { PixelContract } from './letterbox.js';

/** What differs between detector families: pixel contract, required outputs and decoder. */
export interface DetectorFamily {
  readonly kind: DetectorKind;
  readonly pixels: PixelContract;
  /** Output names the graph must declare (`undefined`: checked by count instead). */
  readonly requiredOutputs?: readonly string[];
  readonly outputCount: number;
  readonly decode: (input: DecodeInput) => Candidate[];
}

/**
 * The three families (SOURCE.md "Inputs, outputs and preprocessing"):
 * - YuNet: BGR 0..255, no mean or scale (OpenCV `FaceDetectorYN`, `blobFromImage` without options).
 * - SCRFD: RGB, (x − 127.5)/128 (InsightFace `scrfd.py`: `input_mean = 127.5`, `input_std = 128.0`, `swapRB=True`).
 * - RetinaFace: BGR minus (104, 117, 123), no scale (biubug6 `detect.py`: `img -= (104, 117, 123)`).
 *
 * @example
 * DETECTOR_FAMILIES.scrfd.pixels.order // 'rgb'
 */
export const DETECTOR_FAMILIES: Readonly<Record<DetectorKind, DetectorFamily>> = Object.freeze({
  yunet: Object.freeze({
    kind: 'yunet',
    pixels: Object.freeze({ order: 'bgr', mean: [0, 0, 0] as const, scale: 1 }),
    requiredOutputs: Object.freeze(['cls_8', 'cls_16', 'cls_32', 'obj_8', 'obj_16', 'obj_32', 'bbox_8', 'bbox_16', 'bbox_32', 'kps_8', 'kps_16', 'kps_32']),
    outputCount: 12,
    decode: decodeYunet,
  }),
  scrfd: Object.freeze({
    kind: 'scrfd',
    pixels: Object.freeze({ order: 'rgb', mean: [127.5, 127.5, 127.5] as const, scale: 1 / 128 }),
    outputCount: 9,
    decode: decodeScrfd,
  }),
  retinaface: Object.freeze({
    kind: 'retinaface',
    pixels: Object.freeze({ order: 'bgr', mean: [104, 117, 123] as const, scale: 1 }),
    requiredOutputs: Object.freeze(['loc', 'conf', 'iou']),
    outputCount: 3,
    decode: decodeRetinaface,
  }),
} satisfies Record<DetectorKind, DetectorFamily>);

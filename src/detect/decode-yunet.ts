import { FPN_STRIDES, gridSize } from './anchors.js';
import { requireOutput, toLandmarks, type Candidate, type DecodeInput } from './candidate.js';

function clamp01(v: number): number {
  return Math.min(Math.max(v, 0), 1);
}

/**
 * Decodes YuNet outputs `cls_s`, `obj_s`, `bbox_s`, `kps_s` for s in 8, 16, 32 (OpenCV
 * `FaceDetectorYNImpl::postProcess`, 4.8+): score `sqrt(clamp01(cls)·clamp01(obj))`, centre
 * `(col + dx)·s`, size `exp(dw)·s`, landmarks `(col + kx)·s`; no half-cell offset.
 *
 * @example
 * const faces = decodeYunet({ outputs, outputNames, inputWidth: 640, inputHeight: 640, scoreThreshold: 0.9 })
 */
export function decodeYunet(input: DecodeInput): Candidate[] {
  const out: Candidate[] = [];
  const lm = new Float64Array(10);
  for (const s of FPN_STRIDES) {
    const { cols, rows } = gridSize(input.inputWidth, input.inputHeight, s);
    const n = cols * rows;
    const cls = requireOutput(input.outputs, `cls_${s}`, n, 1, 'YuNet');
    const obj = requireOutput(input.outputs, `obj_${s}`, n, 1, 'YuNet');
    const bbox = requireOutput(input.outputs, `bbox_${s}`, n, 4, 'YuNet');
    const kps = requireOutput(input.outputs, `kps_${s}`, n, 10, 'YuNet');
    for (let i = 0; i < n; i++) {
      const score = Math.sqrt(clamp01(cls[i] as number) * clamp01(obj[i] as number));
      if (score < input.scoreThreshold) continue;
      const col = i % cols;
      const row = Math.floor(i / cols);
      const cx = (col + (bbox[i * 4] as number)) * s;
      const cy = (row + (bbox[i * 4 + 1] as number)) * s;
      const w = Math.exp(bbox[i * 4 + 2] as number) * s;
      const h = Math.exp(bbox[i * 4 + 3] as number) * s;
      for (let k = 0; k < 5; k++) {
        lm[2 * k] = (col + (kps[i * 10 + 2 * k] as number)) * s;
        lm[2 * k + 1] = (row + (kps[i * 10 + 2 * k + 1] as number)) * s;
      }
      out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, landmarks: toLandmarks(lm) });
    }
  }
  return out;
}

import { RETINAFACE_PRIOR_CONFIG, retinafacePriors } from './anchors.js';
import { requireOutput, toLandmarks, type Candidate, type DecodeInput } from './candidate.js';

/**
 * Decodes RetinaFace-mnet0.25 outputs `loc`, `conf` (softmaxed, column 1 = face) and `iou` (which
 * holds the landmarks) against the priors (biubug6 `utils/box_utils.py` `decode`, `decode_landm`):
 * centre `p + l·v0·size`, size `size·exp(l·v1)`, landmarks `p + l·v0·size`.
 *
 * @example
 * const faces = decodeRetinaface({ outputs, outputNames, inputWidth: 640, inputHeight: 480, scoreThreshold: 0.6 })
 */
export function decodeRetinaface(input: DecodeInput): Candidate[] {
  const priors = retinafacePriors(input.inputWidth, input.inputHeight);
  const n = priors.length;
  const loc = requireOutput(input.outputs, 'loc', n, 4, 'RetinaFace');
  const conf = requireOutput(input.outputs, 'conf', n, 2, 'RetinaFace');
  const landm = requireOutput(input.outputs, 'iou', n, 10, 'RetinaFace');
  const [v0, v1] = RETINAFACE_PRIOR_CONFIG.variance as [number, number];
  const out: Candidate[] = [];
  const lm = new Float64Array(10);
  for (let i = 0; i < n; i++) {
    const score = conf[i * 2 + 1] as number;
    if (score < input.scoreThreshold) continue;
    const p = priors[i];
    if (p === undefined) continue;
    const cx = p.cx + (loc[i * 4] as number) * v0 * p.size;
    const cy = p.cy + (loc[i * 4 + 1] as number) * v0 * p.size;
    const w = p.size * Math.exp((loc[i * 4 + 2] as number) * v1);
    const h = p.size * Math.exp((loc[i * 4 + 3] as number) * v1);
    for (let k = 0; k < 5; k++) {
      lm[2 * k] = p.cx + (landm[i * 10 + 2 * k] as number) * v0 * p.size;
      lm[2 * k + 1] = p.cy + (landm[i * 10 + 2 * k + 1] as number) * v0 * p.size;
    }
    out.push({ box: [cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], score, landmarks: toLandmarks(lm) });
  }
  return out;
}

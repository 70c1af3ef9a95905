import { FPN_STRIDES, SCRFD_ANCHORS_PER_CELL, gridSize } from './anchors.js';
import { requireOutput, toLandmarks, type Candidate, type DecodeInput } from './candidate.js';

/**
 * Decodes SCRFD's nine outputs, in session order scores/boxes/keypoints × strides 8, 16, 32
 * (InsightFace `model_zoo/scrfd.py` `forward`, `distance2bbox`, `distance2kps`): row `i` belongs
 * to cell `⌊i/2⌋`, centre `(col·s, row·s)`, box `centre ∓ d·s`, landmark `centre + k·s`. Scores
 * are already sigmoided in the exported graph.
 *
 * @example
 * const faces = decodeScrfd({ outputs, outputNames, inputWidth: 640, inputHeight: 640, scoreThreshold: 0.5 })
 */
export function decodeScrfd(input: DecodeInput): Candidate[] {
  const out: Candidate[] = [];
  const lm = new Float64Array(10);
  const names = input.outputNames;
  const fmc = FPN_STRIDES.length;
  FPN_STRIDES.forEach((s, idx) => {
    const { cols, rows } = gridSize(input.inputWidth, input.inputHeight, s);
    const n = cols * rows * SCRFD_ANCHORS_PER_CELL;
    const scores = requireOutput(input.outputs, names[idx], n, 1, 'SCRFD');
    const boxes = requireOutput(input.outputs, names[idx + fmc], n, 4, 'SCRFD');
    const kps = requireOutput(input.outputs, names[idx + 2 * fmc], n, 10, 'SCRFD');
    for (let i = 0; i < n; i++) {
      const score = scores[i] as number;
      if (score < input.scoreThreshold) continue;
      const cell = Math.floor(i / SCRFD_ANCHORS_PER_CELL);
      const cx = (cell % cols) * s;
      const cy = Math.floor(cell / cols) * s;
      for (let k = 0; k < 5; k++) {
        lm[2 * k] = cx + (kps[i * 10 + 2 * k] as number) * s;
        lm[2 * k + 1] = cy + (kps[i * 10 + 2 * k + 1] as number) * s;
      }
      out.push({
        box: [
          cx - (boxes[i * 4] as number) * s,
          cy - (boxes[i * 4 + 1] as number) * s,
          cx + (boxes[i * 4 + 2] as number) * s,
          cy + (boxes[i * 4 + 3] as number) * s,
        ],
        score,
        landmarks: toLandmarks(lm),
      });
    }
  });
  return out;
}

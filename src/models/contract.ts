import { ArcFaceError } from '../core/index.js';
import type { TensorInfo } from '../core/index.js';
import type { ModelSpec } from './spec.js';

/** The declared inputs and outputs of a loaded model. */
export interface ModelIo {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
}

const shapeText = (s: readonly (number | string)[]): string => `[${s.map(String).join(', ')}]`;

/**
 * Checks a recogniser spec against what the ONNX graph declares, so a wrong contract fails at load
 * with a clear `MODEL_CONTRACT_MISMATCH` instead of producing garbage embeddings. Symbolic dims pass;
 * numeric dims must agree.
 *
 * @example
 * checkContract(spec, session) // throws when spec.inputName is not a graph input
 */
export function checkContract(spec: ModelSpec, io: ModelIo): void {
  const input = io.inputs.find((i) => i.name === spec.inputName);
  if (input === undefined) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected an input named "${spec.inputName}" but the model's inputs are ${io.inputs.map((i) => `"${i.name}"`).join(', ')}`,
    );
  }
  if (input.type !== 'float32')
    throw new ArcFaceError('MODEL_CONTRACT_MISMATCH', `Expected input "${input.name}" to be float32 but the model declares ${input.type}`);
  if (input.shape.length !== 4) {
    throw new ArcFaceError('MODEL_CONTRACT_MISMATCH', `Expected a 4-D ${spec.layout} image input but "${input.name}" has shape ${shapeText(input.shape)}`);
  }
  const [n, a, b, c] = input.shape;
  const [ch, h, w] = spec.layout === 'NCHW' ? [a, b, c] : [c, a, b];
  if (typeof ch === 'number' && ch !== 3) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected 3 channels in ${spec.layout} layout but input "${input.name}" has shape ${shapeText(input.shape)} (is the layout wrong?)`,
    );
  }
  for (const [dim, label] of [
    [h, 'height'],
    [w, 'width'],
  ] as const) {
    if (typeof dim === 'number' && dim !== spec.inputSize) {
      throw new ArcFaceError(
        'MODEL_CONTRACT_MISMATCH',
        `Expected input ${label} ${spec.inputSize} but input "${input.name}" has shape ${shapeText(input.shape)} in ${spec.layout}`,
      );
    }
  }
  if (typeof n === 'number' && spec.batch !== 'dynamic' && spec.batch !== n) {
    throw new ArcFaceError('MODEL_CONTRACT_MISMATCH', `Expected batch ${spec.batch} but input "${input.name}" fixes batch ${n}`);
  }
  const output = io.outputs.find((o) => o.name === spec.outputName);
  if (output === undefined) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected an output named "${spec.outputName}" but the model's outputs are ${io.outputs.map((o) => `"${o.name}"`).join(', ')}`,
    );
  }
  const last = output.shape[output.shape.length - 1];
  if (typeof last === 'number' && output.shape.length === 2 && last !== spec.embeddingSize) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected embedding size ${spec.embeddingSize} but output "${output.name}" has shape ${shapeText(output.shape)}`,
    );
  }
}

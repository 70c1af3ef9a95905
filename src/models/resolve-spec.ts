import { ArcFaceError } from '../core/index.js';
import { checkContract, type ModelIo } from './contract.js';
import type { ModelSource } from './model-source.js';
import { graphNormalisesInput, graphReordersChannels, isBatchExact, readOnnxNodes } from './onnx-graph.js';
import { validateModelSpec, type ModelSpecInput, type ResolvedModel } from './spec.js';

/**
 * InsightFace recogniser preprocessing when the graph does not normalise itself:
 * (x − 127.5) / 127.5 (`model_zoo/arcface_onnx.py`: input_mean = input_std = 127.5).
 */
const INSIGHTFACE_MEAN = 127.5;
const INSIGHTFACE_STD = 127.5;
/** ArcFace crop side when the graph leaves height and width symbolic. */
const DEFAULT_INPUT_SIZE = 112;

/**
 * Decides a recogniser's full contract. Order of authority, highest first: the user's `overrides`;
 * the NN Archive's config; inference from the ONNX graph — single input and output names, layout from
 * which axis is 3, size from the input shape, embedding size from the output's last dim, batch from
 * the first dim, and normalisation by InsightFace's rule (see `graphNormalisesInput`). The result is
 * checked against the graph.
 *
 * @example
 * const resolved = resolveRecognizerSpec(source, session, { channelOrder: 'BGR' })
 */
export function resolveRecognizerSpec(source: ModelSource, io: ModelIo, overrides: ModelSpecInput = {}): ResolvedModel {
  const notes: string[] = [];
  const inferred: Record<string, unknown> = {};
  const input = io.inputs.length === 1 ? io.inputs[0] : io.inputs.find((i) => i.name === (overrides.inputName ?? source.archive?.spec.inputName));
  if (input === undefined) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected one image input (or inputName in the spec) but the model has ${io.inputs.map((i) => i.name).join(', ')}`,
    );
  }
  inferred.inputName = input.name;
  const shape = input.shape;
  if (shape[1] === 3) inferred.layout = 'NCHW';
  else if (shape[3] === 3) inferred.layout = 'NHWC';
  else inferred.layout = 'NCHW';
  const hw = inferred.layout === 'NCHW' ? shape[2] : shape[1];
  inferred.inputSize = typeof hw === 'number' ? hw : DEFAULT_INPUT_SIZE;
  inferred.batch = typeof shape[0] === 'number' ? shape[0] : 'dynamic';
  const output = io.outputs.length === 1 ? io.outputs[0] : io.outputs.find((o) => o.name === (overrides.outputName ?? source.archive?.spec.outputName));
  if (output !== undefined) {
    inferred.outputName = output.name;
    const last = output.shape[output.shape.length - 1];
    if (typeof last === 'number') inferred.embeddingSize = last;
  }
  let resolvedSource: ResolvedModel['source'];
  if (source.archive !== undefined) {
    resolvedSource = 'nn-archive';
    notes.push(`contract from NN Archive config.json (${source.archive.name})`, ...source.archive.notes);
  } else {
    resolvedSource = 'onnx-inferred';
    const nodes = readOnnxNodes(source.onnx, 8);
    const selfNormalising = graphNormalisesInput(nodes);
    inferred.channelOrder = 'RGB';
    inferred.mean = selfNormalising ? 0 : INSIGHTFACE_MEAN;
    inferred.std = selfNormalising ? 1 : INSIGHTFACE_STD;
    notes.push(
      selfNormalising
        ? 'graph begins with Sub and Mul/Div: it normalises itself, so it is fed 0..255 (InsightFace rule)'
        : 'graph does not begin with Sub and Mul: it is fed (x − 127.5) / 127.5 (InsightFace rule)',
      'channel order RGB (InsightFace recognisers are fed RGB)',
    );
    if (graphReordersChannels(nodes)) {
      notes.push('the graph reorders channels at its input: if it is a DepthAI export it takes BGR; pass channelOrder BGR or load its NN Archive');
    }
  }
  const explicitKeys = Object.keys(overrides).filter((k) => (overrides as Record<string, unknown>)[k] !== undefined);
  if (explicitKeys.length > 0) notes.push(`explicit: ${explicitKeys.join(', ')}`);
  const merged = { ...inferred, ...(source.archive?.spec ?? {}), ...stripUndefined(overrides) } as ModelSpecInput;
  if (merged.embeddingSize === undefined) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected the output's last dimension to give the embedding size but it is symbolic; pass embeddingSize in the spec`,
    );
  }
  const spec = validateModelSpec(merged);
  checkContract(spec, io);
  const batchExact = isBatchExact(readOnnxNodes(source.onnx, Number.POSITIVE_INFINITY));
  if (!batchExact) {
    notes.push(
      'dynamic int8 quantisation (DynamicQuantizeLinear) scales activations over the whole batch: crops are embedded one per run so each matches its reference',
    );
  }
  return {
    spec,
    modelPath: source.path,
    source: explicitKeys.length > 0 && resolvedSource === 'onnx-inferred' ? 'explicit' : resolvedSource,
    notes: Object.freeze(notes),
    sha256: source.sha256,
    batchExact,
    ...(source.archiveConfig === undefined ? {} : { archiveConfig: source.archiveConfig }),
  };
}

function stripUndefined(o: ModelSpecInput): ModelSpecInput {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as ModelSpecInput;
}

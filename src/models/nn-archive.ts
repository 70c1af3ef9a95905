import { ArcFaceError } from '../core/index.js';
import type { ChannelOrder, ModelSpecInput, TensorLayout } from './spec.js';

/** NN Archive `config_version`s this reader understands (luxonis-ml `nn_archive` config v1). */
export const SUPPORTED_ARCHIVE_VERSIONS: readonly string[] = Object.freeze(['1.0']);

/**
 * Model file kinds that only run on Luxonis devices: `.blob` / `.superblob` (RVC2 Myriad X, OpenVINO
 * compiled), `.dlc` (RVC4, SNPE), `.xml`/`.bin` (OpenVINO IR), `.hef` (Hailo).
 */
const DEVICE_ONLY_FORMATS: Readonly<Record<string, string>> = Object.freeze({
  '.blob': 'an RVC2 (Myriad X) blob',
  '.superblob': 'an RVC2 superblob',
  '.dlc': 'an RVC4 SNPE DLC',
  '.xml': 'an OpenVINO IR',
  '.bin': 'an OpenVINO IR weight file',
  '.hef': 'a Hailo HEF',
});

/** What the archive's config says about the recogniser, ready to become a {@link ModelSpecInput}. */
export interface ArchiveContract {
  readonly modelFile: string;
  readonly name: string;
  readonly spec: ModelSpecInput;
  readonly notes: readonly string[];
}

type Json = Record<string, unknown>;

function obj(v: unknown, where: string): Json {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new ArcFaceError('ARCHIVE_INVALID', `Expected an object at ${where} in config.json but received ${v === null ? 'null' : typeof v}`);
  }
  return v as Json;
}

function arr(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new ArcFaceError('ARCHIVE_INVALID', `Expected an array at ${where} in config.json but received ${typeof v}`);
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.length === 0)
    throw new ArcFaceError('ARCHIVE_INVALID', `Expected a string at ${where} in config.json but received ${JSON.stringify(v)}`);
  return v;
}

function triple(v: unknown, where: string, fallback: number): [number, number, number] {
  if (v === undefined || v === null) return [fallback, fallback, fallback];
  const a = arr(v, where);
  if (a.length !== 3 || !a.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new ArcFaceError('ARCHIVE_INVALID', `Expected 3 numbers at ${where} in config.json but received ${JSON.stringify(v)}`);
  }
  return [a[0] as number, a[1] as number, a[2] as number];
}

function extOf(path: string): string {
  const m = /\.[^./]+$/.exec(path);
  return m === null ? '' : m[0].toLowerCase();
}

/**
 * Reads a Luxonis NN Archive `config.json` (config_version 1.0) into a recogniser contract, honouring
 * its preprocessing exactly: the model is fed `(x − mean[c]) / scale[c]` in the channel order given by
 * `dai_type` (`BGR888p`, `RGB888i`, …), else by the deprecated `reverse_channels` (true → RGB, false →
 * BGR, DepthAI's native order); layout from the input's `layout` (else `dai_type`'s p/i suffix, else
 * `interleaved_to_planar`). The embedding output is the one named by an `EmbeddingsParser` head, else
 * the only output.
 *
 * @example
 * const contract = parseArchiveConfig(JSON.parse(configText), new Set(['model.onnx']))
 */
export function parseArchiveConfig(raw: unknown, files: ReadonlySet<string>): ArchiveContract {
  const config = obj(raw, '(root)');
  const version = config.config_version;
  if (typeof version !== 'string' || !SUPPORTED_ARCHIVE_VERSIONS.includes(version)) {
    throw new ArcFaceError(
      'ARCHIVE_UNSUPPORTED_VERSION',
      `Expected NN Archive config_version ${SUPPORTED_ARCHIVE_VERSIONS.join(' or ')} but received ${JSON.stringify(version)}`,
    );
  }
  const model = obj(config.model, 'model');
  const metadata = obj(model.metadata, 'model.metadata');
  const modelFile = str(metadata.path, 'model.metadata.path');
  const ext = extOf(modelFile);
  const deviceOnly = DEVICE_ONLY_FORMATS[ext];
  if (deviceOnly !== undefined) {
    throw new ArcFaceError(
      'MODEL_UNSUPPORTED_FORMAT',
      `Expected an ONNX model in the NN Archive but model.metadata.path is ${modelFile}, ${deviceOnly}: that format runs only on a Luxonis device; ` +
        `download the ONNX variant of this model (the zoo's "onnx" archive) to run it here`,
    );
  }
  if (ext !== '.onnx') throw new ArcFaceError('MODEL_UNSUPPORTED_FORMAT', `Expected an .onnx model in the NN Archive but model.metadata.path is ${modelFile}`);
  if (!files.has(modelFile)) {
    throw new ArcFaceError(
      'ARCHIVE_INVALID',
      `Expected the model file ${modelFile} (model.metadata.path) inside the archive but it holds only ${[...files].join(', ')}`,
    );
  }
  const notes: string[] = [];
  const inputs = arr(model.inputs, 'model.inputs');
  const imageInputs = inputs.map((v, i) => obj(v, `model.inputs[${i}]`)).filter((i) => i.input_type === undefined || i.input_type === 'image');
  if (imageInputs.length !== 1) {
    throw new ArcFaceError('MODEL_CONTRACT_MISMATCH', `Expected exactly one image input in model.inputs but received ${imageInputs.length}`);
  }
  const input = imageInputs[0] as Json;
  const inputName = str(input.name, 'model.inputs[0].name');
  const dtype = input.dtype ?? 'float32';
  if (dtype !== 'float32') throw new ArcFaceError('MODEL_CONTRACT_MISMATCH', `Expected a float32 input but the archive declares ${String(dtype)}`);
  const pre = input.preprocessing === undefined || input.preprocessing === null ? {} : obj(input.preprocessing, 'model.inputs[0].preprocessing');
  const daiType = typeof pre.dai_type === 'string' ? pre.dai_type : undefined;
  let channelOrder: ChannelOrder;
  if (daiType !== undefined && /^(BGR|RGB)/i.test(daiType)) {
    channelOrder = daiType.slice(0, 3).toUpperCase() as ChannelOrder;
    notes.push(`channel order ${channelOrder} from dai_type ${daiType}`);
    if (typeof pre.reverse_channels === 'boolean' && (pre.reverse_channels ? 'RGB' : 'BGR') !== channelOrder) {
      notes.push(`reverse_channels=${String(pre.reverse_channels)} disagrees with dai_type; dai_type wins (reverse_channels is deprecated)`);
    }
  } else if (daiType !== undefined) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected a colour dai_type (BGR888p, RGB888p, BGR888i, RGB888i) for a face recogniser but received ${daiType}`,
    );
  } else {
    channelOrder = pre.reverse_channels === true ? 'RGB' : 'BGR';
    notes.push(`channel order ${channelOrder} from reverse_channels=${String(pre.reverse_channels ?? false)} (DepthAI frames are BGR unless reversed)`);
  }
  let layout: TensorLayout;
  if (input.layout === 'NCHW' || input.layout === 'NHWC') layout = input.layout;
  else if (daiType !== undefined && /[pi]$/i.test(daiType)) layout = daiType.toLowerCase().endsWith('i') ? 'NHWC' : 'NCHW';
  else layout = pre.interleaved_to_planar === true ? 'NHWC' : 'NCHW';
  notes.push(`layout ${layout}`);
  const shape = arr(input.shape, 'model.inputs[0].shape');
  if (shape.length !== 4) throw new ArcFaceError('MODEL_CONTRACT_MISMATCH', `Expected a 4-D image input shape but received ${JSON.stringify(shape)}`);
  const [h, w] = layout === 'NCHW' ? [shape[2], shape[3]] : [shape[1], shape[2]];
  if (typeof h !== 'number' || h !== w) {
    throw new ArcFaceError(
      'MODEL_CONTRACT_MISMATCH',
      `Expected a square input (ArcFace crops are square) but the archive declares ${JSON.stringify(shape)} ${layout}`,
    );
  }
  const mean = triple(pre.mean, 'model.inputs[0].preprocessing.mean', 0);
  const scale = triple(pre.scale, 'model.inputs[0].preprocessing.scale', 1);
  notes.push(`feed (x − [${mean.join(', ')}]) / [${scale.join(', ')}] per channel`);
  const outputs = arr(model.outputs, 'model.outputs').map((v, i) => obj(v, `model.outputs[${i}]`));
  const heads = model.heads === undefined || model.heads === null ? [] : arr(model.heads, 'model.heads').map((v, i) => obj(v, `model.heads[${i}]`));
  const embHead = heads.find((hd) => hd.parser === 'EmbeddingsParser');
  if (heads.length > 0 && embHead === undefined) {
    const parsers = heads.map((hd) => String(hd.parser)).join(', ');
    throw new ArcFaceError('MODEL_CONTRACT_MISMATCH', `Expected an EmbeddingsParser head (a face recogniser) but the archive's heads use ${parsers}`);
  }
  let outputName: string;
  if (embHead !== undefined && Array.isArray(embHead.outputs) && typeof embHead.outputs[0] === 'string') outputName = embHead.outputs[0];
  else if (outputs.length === 1) outputName = str((outputs[0] as Json).name, 'model.outputs[0].name');
  else throw new ArcFaceError('ARCHIVE_INVALID', `Expected one output or an EmbeddingsParser head naming it but found ${outputs.length} outputs`);
  const out = outputs.find((o) => o.name === outputName);
  if (out === undefined) throw new ArcFaceError('ARCHIVE_INVALID', `Expected output ${outputName} (named by the head) in model.outputs but it is not declared`);
  const outShape = out.shape === undefined ? [] : arr(out.shape, `model.outputs[${outputName}].shape`);
  const last = outShape[outShape.length - 1];
  return {
    modelFile,
    name: typeof metadata.name === 'string' ? metadata.name : modelFile,
    notes,
    spec: {
      inputName,
      outputName,
      layout,
      channelOrder,
      mean,
      std: scale,
      inputSize: h,
      ...(typeof last === 'number' ? { embeddingSize: last } : {}),
      dtype: 'float32',
    },
  };
}

import { ArcFaceError } from '../core/index.js';

/** Memory layout of an image input tensor. */
export type TensorLayout = 'NCHW' | 'NHWC';
/** Channel order the model expects. */
export type ChannelOrder = 'RGB' | 'BGR';

/**
 * The contract of a face recogniser: how to feed it and what it returns. A value fed to the model
 * for channel `c` (in the model's channel order) is `(pixel − mean[c]) / std[c]`, with pixels 0..255.
 *
 * - InsightFace ONNX exports: RGB, mean 127.5, std 127.5, NCHW, output not normalised.
 * - Luxonis NN Archive: BGR 0..255 (mean 0, std 1), from the archive's `preprocessing`.
 */
export interface ModelSpec {
  readonly inputName: string;
  readonly outputName: string;
  readonly layout: TensorLayout;
  readonly channelOrder: ChannelOrder;
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Square input side in pixels (112 for ArcFace; the alignment template is scaled to it). */
  readonly inputSize: number;
  readonly embeddingSize: number;
  readonly dtype: 'float32';
  /** `dynamic` when the batch dimension is symbolic, else the fixed batch size. */
  readonly batch: 'dynamic' | number;
}

/** Where a resolved spec came from, for `arcface models inspect`. */
export interface ResolvedModel {
  readonly spec: ModelSpec;
  /** Path of the ONNX file (inside a temporary folder for an archive) or the model bytes. */
  readonly modelPath: string;
  /** `explicit`, `onnx-inferred` (InsightFace rule), or `nn-archive`. */
  readonly source: 'explicit' | 'onnx-inferred' | 'nn-archive';
  /** Human-readable notes on how each field was decided. */
  readonly notes: readonly string[];
  /** SHA-256 of the model file, hex. */
  readonly sha256: string;
  /**
   * False when batch items influence each other (dynamic int8 quantisation): the embedder then runs
   * one crop per call so every embedding equals the reference's.
   */
  readonly batchExact: boolean;
  /** Parsed archive config, when the model came from an NN Archive. */
  readonly archiveConfig?: unknown;
}

/**
 * A stable fingerprint of a recogniser: model bytes + contract + embedding size. Galleries record it
 * and refuse embeddings from any other.
 *
 * @example
 * modelFingerprint(resolved) // 'sha256:7caa7f…|RGB|NCHW|127.5,127.5,127.5|127.5,…|112|512'
 */
export function modelFingerprint(model: Pick<ResolvedModel, 'spec' | 'sha256'>): string {
  const s = model.spec;
  return [`sha256:${model.sha256}`, s.channelOrder, s.layout, s.mean.join(','), s.std.join(','), s.inputSize, s.embeddingSize].join('|');
}

function triple(name: string, v: unknown): readonly [number, number, number] {
  if (typeof v === 'number' && Number.isFinite(v)) return [v, v, v];
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) return [v[0], v[1], v[2]];
  throw new ArcFaceError('INVALID_ARGUMENT', `Expected ${name} to be a number or 3 numbers but received ${JSON.stringify(v)}`);
}

/** A partial spec as a user may write it (e.g. in a JSON file or CLI flags). */
export type ModelSpecInput = Partial<Omit<ModelSpec, 'mean' | 'std'>> & {
  readonly mean?: number | readonly number[];
  readonly std?: number | readonly number[];
};

/**
 * Validates a complete spec; fills nothing in. Throws `INVALID_ARGUMENT` naming the bad field.
 *
 * @example
 * validateModelSpec({ inputName: 'input.1', outputName: '516', layout: 'NCHW', channelOrder: 'RGB',
 *   mean: 127.5, std: 127.5, inputSize: 112, embeddingSize: 512, dtype: 'float32', batch: 'dynamic' })
 */
export function validateModelSpec(input: ModelSpecInput): ModelSpec {
  const need = <K extends keyof ModelSpecInput>(k: K): NonNullable<ModelSpecInput[K]> => {
    const v = input[k];
    if (v === undefined || v === null) throw new ArcFaceError('INVALID_ARGUMENT', `Expected model spec field ${String(k)} but it is missing`);
    return v as NonNullable<ModelSpecInput[K]>;
  };
  const layout = need('layout');
  if (layout !== 'NCHW' && layout !== 'NHWC') throw new ArcFaceError('INVALID_ARGUMENT', `Expected layout NCHW or NHWC but received ${String(layout)}`);
  const order = need('channelOrder');
  if (order !== 'RGB' && order !== 'BGR') throw new ArcFaceError('INVALID_ARGUMENT', `Expected channelOrder RGB or BGR but received ${String(order)}`);
  const std = triple('std', need('std'));
  if (std.some((x) => x === 0)) throw new ArcFaceError('INVALID_ARGUMENT', `Expected non-zero std values but received ${std.join(', ')}`);
  const size = need('inputSize');
  if (!Number.isInteger(size) || size < 16 || size > 1024)
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected inputSize to be an integer 16..1024 but received ${String(size)}`);
  const emb = need('embeddingSize');
  if (!Number.isInteger(emb) || emb < 2 || emb > 65536)
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected embeddingSize to be an integer 2..65536 but received ${String(emb)}`);
  const batch = input.batch ?? 'dynamic';
  if (batch !== 'dynamic' && !(Number.isInteger(batch) && batch >= 1))
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected batch "dynamic" or a positive integer but received ${String(batch)}`);
  const dtype = input.dtype ?? 'float32';
  if (dtype !== 'float32') throw new ArcFaceError('INVALID_ARGUMENT', `Expected dtype float32 but received ${String(dtype)}`);
  return Object.freeze({
    inputName: String(need('inputName')),
    outputName: String(need('outputName')),
    layout,
    channelOrder: order,
    mean: triple('mean', need('mean')),
    std,
    inputSize: size,
    embeddingSize: emb,
    dtype,
    batch,
  });
}

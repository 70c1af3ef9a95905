import type { InferenceSession, Tensor } from 'onnxruntime-common';
import { ArcFaceError, type TensorInfo } from '../core/index.js';
import { RUNTIME_BACKEND } from './ort-node.js';
import { resolveRuntimeOptions, type RuntimeOptions } from './options.js';

export type { TensorInfo };

/** A dense float32 tensor. */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/**
 * One ONNX Runtime session, on the backend of this build (`ort-node.ts` or, in the browser,
 * `ort-web.ts`). This folder is the only place that imports onnxruntime; everything else sees {@link TensorInfo} and {@link FloatTensor}.
 *
 * @example
 * const s = await ModelSession.create('model.onnx', { intraOpThreads: 2 })
 * const out = await s.run({ [s.inputs[0].name]: { data, dims: [1, 3, 112, 112] } })
 * s.dispose()
 */
export class ModelSession {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  /** The execution provider the session runs on (`cpu`, `cuda`, `wasm`, `webgpu`). */
  readonly provider: string;
  /** Why the provider is not the first one asked for, when it is not (e.g. no WebGPU adapter). */
  readonly fallbackNote: string | undefined;
  #session: InferenceSession | undefined;
  readonly #tensor: (data: Float32Array, dims: readonly number[]) => Tensor;

  private constructor(
    session: InferenceSession,
    provider: string,
    fallbackNote: string | undefined,
    tensor: (data: Float32Array, dims: readonly number[]) => Tensor,
  ) {
    this.#session = session;
    this.#tensor = tensor;
    this.provider = provider;
    this.fallbackNote = fallbackNote;
    this.inputs = Object.freeze(session.inputMetadata.map(toInfo));
    this.outputs = Object.freeze(session.outputMetadata.map(toInfo));
  }

  /**
   * Loads a model from a path (a URL in the browser) or its bytes. A missing file raises
   * `MODEL_NOT_FOUND`; bytes that are not an ONNX graph raise `MODEL_INVALID`.
   */
  static async create(source: string | Uint8Array, options: RuntimeOptions = {}): Promise<ModelSession> {
    const opts = resolveRuntimeOptions(options);
    const opened = await RUNTIME_BACKEND.createSession(source, opts);
    return new ModelSession(opened.session, opened.provider, opened.fallbackNote, opened.tensor);
  }

  /** Runs the model on float32 feeds and returns the requested (default: all) outputs. */
  async run(feeds: Record<string, FloatTensor>, outputNames?: readonly string[]): Promise<Record<string, FloatTensor>> {
    const session = this.#session;
    if (session === undefined) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected a live model session but it was disposed');
    const ortFeeds: Record<string, Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = this.#tensor(t.data, t.dims);
    const results = outputNames === undefined ? await session.run(ortFeeds) : await session.run(ortFeeds, [...outputNames]);
    const out: Record<string, FloatTensor> = {};
    for (const [name, t] of Object.entries(results)) {
      if (t.type !== 'float32') {
        throw new ArcFaceError('MODEL_CONTRACT_MISMATCH', `Expected output ${name} to be float32 but the model returned ${t.type}`);
      }
      out[name] = { data: t.data as Float32Array, dims: t.dims };
    }
    return out;
  }

  /** Releases the native session. Safe to call twice. */
  async dispose(): Promise<void> {
    const s = this.#session;
    this.#session = undefined;
    if (s !== undefined) await s.release();
  }
}

function toInfo(m: InferenceSession.ValueMetadata): TensorInfo {
  if (m.isTensor) {
    return Object.freeze({ name: m.name, type: String(m.type), shape: Object.freeze([...m.shape]) });
  }
  return Object.freeze({ name: m.name, type: 'non-tensor', shape: Object.freeze([]) });
}

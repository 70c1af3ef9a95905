import * as ort from 'onnxruntime-node';
import { ArcFaceError } from '../core/errors.js';
import { resolveRuntimeOptions, type RuntimeOptions } from './options.js';

/** A model input or output as the ONNX graph declares it; symbolic dims are strings. */
export interface TensorInfo {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

/** A dense float32 tensor. */
export interface FloatTensor {
  readonly data: Float32Array;
  readonly dims: readonly number[];
}

/**
 * One ONNX Runtime session. This folder is the only place that imports onnxruntime; everything
 * else sees {@link TensorInfo} and {@link FloatTensor}.
 *
 * @example
 * const s = await ModelSession.create('model.onnx', { intraOpThreads: 2 })
 * const out = await s.run({ [s.inputs[0].name]: { data, dims: [1, 3, 112, 112] } })
 * s.dispose()
 */
export class ModelSession {
  readonly inputs: readonly TensorInfo[];
  readonly outputs: readonly TensorInfo[];
  readonly provider: string;
  #session: ort.InferenceSession | undefined;

  private constructor(session: ort.InferenceSession, provider: string) {
    this.#session = session;
    this.provider = provider;
    this.inputs = Object.freeze(session.inputMetadata.map(toInfo));
    this.outputs = Object.freeze(session.outputMetadata.map(toInfo));
  }

  /**
   * Loads a model from a path or its bytes. A missing file raises `MODEL_NOT_FOUND`; bytes that are not
   * an ONNX graph raise `MODEL_INVALID`.
   */
  static async create(source: string | Uint8Array, options: RuntimeOptions = {}): Promise<ModelSession> {
    const opts = resolveRuntimeOptions(options);
    const sessionOptions: ort.InferenceSession.SessionOptions = {
      intraOpNumThreads: opts.intraOpThreads,
      interOpNumThreads: 1,
      graphOptimizationLevel: 'all',
      executionProviders: [...opts.executionProviders],
      logSeverityLevel: opts.logSeverityLevel,
      // Idle intra-op threads sleep instead of spinning: the detector and recogniser sessions take
      // turns on the same cores, and a spinning idle pool steals CPU from the session that runs next.
      extra: { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } },
    };
    const label = typeof source === 'string' ? source : `${source.length} bytes`;
    try {
      const session =
        typeof source === 'string'
          ? await ort.InferenceSession.create(source, sessionOptions)
          : await ort.InferenceSession.create(source, sessionOptions);
      return new ModelSession(session, opts.executionProviders[0] ?? 'cpu');
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      if (/no such file|not exist|ENOENT|Load model from .* failed:.*File doesn't exist/i.test(msg)) {
        throw new ArcFaceError('MODEL_NOT_FOUND', `Expected an ONNX model at ${label} but no file is there`, { cause: err });
      }
      if (/cuda/i.test(msg) && opts.executionProviders.includes('cuda')) {
        throw new ArcFaceError(
          'MODEL_INVALID',
          `Expected the CUDA execution provider but this onnxruntime-node build has none (${msg.split('\n')[0]}); install the CUDA build (README, "GPU") or use cpu`,
          { cause: err },
        );
      }
      throw new ArcFaceError('MODEL_INVALID', `Expected a loadable ONNX model at ${label} but onnxruntime refused it: ${msg.split('\n')[0]}`, {
        cause: err,
      });
    }
  }

  /** Runs the model on float32 feeds and returns the requested (default: all) outputs. */
  async run(feeds: Record<string, FloatTensor>, outputNames?: readonly string[]): Promise<Record<string, FloatTensor>> {
    const session = this.#session;
    if (session === undefined) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected a live model session but it was disposed');
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const [name, t] of Object.entries(feeds)) ortFeeds[name] = new ort.Tensor('float32', t.data, [...t.dims]);
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

function toInfo(m: ort.InferenceSession.ValueMetadata): TensorInfo {
  if (m.isTensor) {
    return Object.freeze({ name: m.name, type: String(m.type), shape: Object.freeze([...m.shape]) });
  }
  return Object.freeze({ name: m.name, type: 'non-tensor', shape: Object.freeze([]) });
}

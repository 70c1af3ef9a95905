import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { ArcFaceError } from '../core/index.js';
import type { BackendSession, BackendSessionOptions, RuntimeBackend } from './backend.js';

/**
 * The Node.js inference backend: onnxruntime-node with the CPU provider (and CUDA with the CUDA
 * build). The browser build replaces this file with `ort-web.ts`.
 *
 * @example
 * const { session } = await RUNTIME_BACKEND.createSession('model.onnx', { intraOpThreads: 2, executionProviders: ['cpu'], logSeverityLevel: 3 })
 */
export const RUNTIME_BACKEND: RuntimeBackend = Object.freeze({
  name: 'onnxruntime-node',
  providers: Object.freeze(['cpu', 'cuda']),
  fallbackProvider: 'cpu',
  defaultThreads: (): number => availableParallelism(),
  createSession,
});

function tensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, [...dims]);
}

async function createSession(source: string | Uint8Array, opts: BackendSessionOptions): Promise<BackendSession> {
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
      typeof source === 'string' ? await ort.InferenceSession.create(source, sessionOptions) : await ort.InferenceSession.create(source, sessionOptions);
    return { session, provider: opts.executionProviders[0] ?? 'cpu', tensor };
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

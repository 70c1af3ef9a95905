import { assertInteger, assertOneOf } from '../core/index.js';
import type { RuntimeBackend } from './backend.js';
import { RUNTIME_BACKEND } from './ort-node.js';

/**
 * Execution providers ArcFace.ts knows how to ask onnxruntime for: `cpu` and `cuda` in Node.js
 * (onnxruntime-node), `wasm` and `webgpu` in the browser (onnxruntime-web).
 */
export type ExecutionProvider = 'cpu' | 'cuda' | 'wasm' | 'webgpu';

/** Inference runtime options shared by every model. */
export interface RuntimeOptions {
  /**
   * Threads one operator may use. Default: all cores (`os.availableParallelism()`) in Node.js; in the
   * browser, one fewer than `navigator.hardwareConcurrency` (at least 1, at most 4) when the page is cross-origin isolated, else 1.
   */
  readonly intraOpThreads?: number;
  /**
   * Providers in order of preference. `cuda` needs the CUDA build of onnxruntime-node (see README,
   * "GPU"); `webgpu` needs a browser with a WebGPU adapter. The always-working provider (`cpu` in
   * Node.js, `wasm` in the browser) is appended as the fallback.
   */
  readonly executionProviders?: readonly ExecutionProvider[];
  /** onnxruntime log level: 0 verbose … 4 fatal. Default 3 (errors only). */
  readonly logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
}

/** Fully resolved runtime options. */
export interface ResolvedRuntimeOptions {
  readonly intraOpThreads: number;
  readonly executionProviders: readonly ExecutionProvider[];
  readonly logSeverityLevel: 0 | 1 | 2 | 3 | 4;
}

/**
 * Validates runtime options into a fresh frozen object; never mutates its input. The providers
 * allowed are those of the backend this build runs on.
 *
 * @example
 * resolveRuntimeOptions({ intraOpThreads: 2 })
 */
export function resolveRuntimeOptions(options: RuntimeOptions = {}, backend: RuntimeBackend = RUNTIME_BACKEND): ResolvedRuntimeOptions {
  const threads = options.intraOpThreads === undefined ? backend.defaultThreads() : assertInteger('intraOpThreads', options.intraOpThreads, 1, 1024);
  const allowed = backend.providers as readonly ExecutionProvider[];
  const providers = (options.executionProviders ?? [backend.fallbackProvider]).map((p, i) => assertOneOf(`executionProviders[${i}]`, p, allowed));
  const fallback = backend.fallbackProvider as ExecutionProvider;
  if (!providers.includes(fallback)) providers.push(fallback);
  const log = options.logSeverityLevel === undefined ? 3 : assertInteger('logSeverityLevel', options.logSeverityLevel, 0, 4);
  return Object.freeze({
    intraOpThreads: threads,
    executionProviders: Object.freeze(providers),
    logSeverityLevel: log as 0 | 1 | 2 | 3 | 4,
  });
}

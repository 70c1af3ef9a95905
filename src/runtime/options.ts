import { availableParallelism } from 'node:os';
import { assertInteger, assertOneOf } from '../core/validate.js';

/** Execution providers ArcFace.ts knows how to ask onnxruntime-node for. */
export type ExecutionProvider = 'cpu' | 'cuda';

/** Inference runtime options shared by every model. */
export interface RuntimeOptions {
  /** Threads one operator may use. Default: all cores (`os.availableParallelism()`). */
  readonly intraOpThreads?: number;
  /**
   * Providers in order of preference. `cuda` needs the CUDA build of onnxruntime-node (see README,
   * "GPU"); the CPU provider is always appended as the fallback.
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
 * Validates runtime options into a fresh frozen object; never mutates its input.
 *
 * @example
 * resolveRuntimeOptions({ intraOpThreads: 2 })
 */
export function resolveRuntimeOptions(options: RuntimeOptions = {}): ResolvedRuntimeOptions {
  const threads =
    options.intraOpThreads === undefined ? availableParallelism() : assertInteger('intraOpThreads', options.intraOpThreads, 1, 1024);
  const providers = (options.executionProviders ?? ['cpu']).map((p, i) => assertOneOf(`executionProviders[${i}]`, p, ['cpu', 'cuda'] as const));
  if (!providers.includes('cpu')) providers.push('cpu');
  const log = options.logSeverityLevel === undefined ? 3 : assertInteger('logSeverityLevel', options.logSeverityLevel, 0, 4);
  return Object.freeze({
    intraOpThreads: threads,
    executionProviders: Object.freeze(providers),
    logSeverityLevel: log as 0 | 1 | 2 | 3 | 4,
  });
}

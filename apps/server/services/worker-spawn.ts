import { Worker } from 'node:worker_threads';
import type { EngineInfo } from './engine.js';
import type { WireError } from './inference-jobs.js';
import type { WorkerConfig } from './worker-pool.js';

/** Messages from an inference worker to the pool. */
export type WorkerMessage =
  | { type: 'ready'; info: EngineInfo }
  | { type: 'failed'; error: WireError }
  | { type: 'result'; id: number; ok: true; result: unknown; runMs: number }
  | { type: 'result'; id: number; ok: false; error: WireError; runMs: number };

/**
 * Starts a worker running `inference-worker`: the compiled `.js` beside this file, or under tsx
 * (tests, `npx tsx`) the `.ts` source with tsx's loader registered inside the worker: a worker
 * does not inherit the parent's `--import tsx` loader hooks on Node 20, so `execArgv` alone fails.
 *
 * @example
 * const worker = spawnInferenceWorker(config)
 */
export function spawnInferenceWorker(config: WorkerConfig): Worker {
  return spawnAppWorker('inference-worker', config);
}

/**
 * Starts a worker thread running `<name>.js` beside this file, or under tsx the `<name>.ts` source
 * (see {@link spawnInferenceWorker}), with `data` as its `workerData`.
 *
 * @example
 * const worker = spawnAppWorker('video-worker', data)
 */
export function spawnAppWorker(name: 'inference-worker' | 'video-worker', data: unknown): Worker {
  return spawnModuleWorker(new URL(`./${name}.js`, import.meta.url).href, data);
}

/**
 * Starts a worker thread running the module at `jsUrl` (a `.js` file URL of the compiled tree), or,
 * when this file runs from its TypeScript source under tsx, the `.ts` file beside that URL with tsx's
 * loader registered inside the worker (see {@link spawnInferenceWorker}). Any app may start its own
 * worker module this way.
 *
 * @example
 * const worker = spawnModuleWorker(new URL('./eval-worker.js', import.meta.url).href, data)
 */
export function spawnModuleWorker(jsUrl: string, data: unknown): Worker {
  if (import.meta.url.endsWith('.ts')) {
    const target = jsUrl.replace(/\.js$/, '.ts');
    const api = import.meta.resolve('tsx/esm/api');
    const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(target)}); });`;
    return new Worker(code, { eval: true, workerData: data, execArgv: [] });
  }
  return new Worker(new URL(jsUrl), { workerData: data, execArgv: [] });
}

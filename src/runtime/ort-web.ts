import * as ort from 'onnxruntime-web/wasm';
import { ArcFaceError } from '../core/index.js';
import { fetchModelBytes } from '../models/index.js';
import type { BackendSession, BackendSessionOptions, RuntimeBackend } from './backend.js';

/**
 * Threads one operator uses by default in a cross-origin isolated page: one core fewer than the
 * device has on a page's main thread, one per core in a worker; at most 4. The calling thread takes
 * part in every run and busy-waits for the pool instead of sleeping, so on the main thread a pool as
 * large as the core count leaves decoding, tensor filling and drawing no core: on a loaded 2-core
 * machine, 2 threads made one LFW photo (decode, yunet-n, w600k-mbf-int8) take 187 ms in Chromium
 * against 62 ms with 1 (`bench/browser.ts` profile, 12 photos). A worker leaves the page's thread free,
 * and there a thread per core is faster: on the quiet 2-core machine, 25.4 LFW photos/s in a worker
 * with 2 threads against 18.4–23.4 with 1 (32 photos, two runs). Beyond 4, the small face models gain
 * little (onnxruntime-web caps its own default at 4 too: `env.wasm.numThreads` documentation).
 */
const MAX_DEFAULT_THREADS = 4;

/** True inside a dedicated, shared or service worker. */
function inWorker(): boolean {
  const scope = (globalThis as { WorkerGlobalScope?: abstract new () => unknown }).WorkerGlobalScope;
  return scope !== undefined && globalThis instanceof scope;
}

/**
 * The default thread count for code that may use WASM threads on `cores` logical cores, on a page's
 * main thread or in a worker (by default: where this runs).
 *
 * @example
 * defaultWebThreads(2) // 1 on a main thread, 2 in a worker
 * defaultWebThreads(8) // 4
 */
export function defaultWebThreads(cores: number, worker = inWorker()): number {
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, Math.floor(cores) - (worker ? 0 : 1)));
}

/**
 * The onnxruntime-web build with the WebGPU provider. Loaded only when WebGPU is asked for: its
 * WebAssembly (the JSEP build, 28 MB) runs the CPU operators about 7 times slower than the plain
 * SIMD build (measured on YuNet-n and w600k-mbf-int8 in Chromium 156: 180 vs 28 ms, 450 vs 57 ms).
 */
async function webGpuRuntime(): Promise<typeof ort> {
  const gpu = (await import('onnxruntime-web/webgpu')) as unknown as typeof ort;
  if (ort.env.wasm.wasmPaths !== undefined) gpu.env.wasm.wasmPaths = ort.env.wasm.wasmPaths;
  return gpu;
}

/** Settings of the browser runtime that are global to onnxruntime-web, so set once per page. */
export interface WebRuntimeSettings {
  /** Folder URL of onnxruntime-web's `.wasm` and `.mjs` files. Default: next to the bundle. */
  readonly wasmBaseUrl?: string;
}

/**
 * Sets onnxruntime-web's global settings (the folder of its WASM files). Call before the first
 * model is loaded; the browser bundle of ArcFace.ts calls it with its own folder.
 *
 * @example
 * configureWebRuntime({ wasmBaseUrl: 'https://cdn.example/arcface/' })
 */
export function configureWebRuntime(settings: WebRuntimeSettings): void {
  if (settings.wasmBaseUrl !== undefined) {
    if (typeof settings.wasmBaseUrl !== 'string') throw new TypeError(`Expected wasmBaseUrl to be a URL string but received ${typeof settings.wasmBaseUrl}`);
    ort.env.wasm.wasmPaths = settings.wasmBaseUrl.endsWith('/') ? settings.wasmBaseUrl : `${settings.wasmBaseUrl}/`;
  }
}

/**
 * True when the page may use WASM threads: `SharedArrayBuffer` needs cross-origin isolation
 * (COOP `same-origin` + COEP `require-corp`), which `arcface serve` sends.
 *
 * @example
 * if (!webThreadsAvailable()) console.info('single-threaded: serve the page with COOP/COEP')
 */
export function webThreadsAvailable(): boolean {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer !== 'undefined';
}

/**
 * The browser inference backend: onnxruntime-web on WebAssembly (SIMD; threads when the page is
 * cross-origin isolated) or, when asked for and available, WebGPU. It replaces `ort-node.ts` in
 * the browser build. A model given by URL is fetched and checked by `fetchModelBytes`.
 *
 * @example
 * const { session, provider } = await RUNTIME_BACKEND.createSession('/models/yunet_n_dynamic.onnx', opts)
 */
export const RUNTIME_BACKEND: RuntimeBackend = Object.freeze({
  name: 'onnxruntime-web',
  providers: Object.freeze(['wasm', 'webgpu']),
  fallbackProvider: 'wasm',
  defaultThreads: (): number => (webThreadsAvailable() ? defaultWebThreads(globalThis.navigator?.hardwareConcurrency ?? 1) : 1),
  createSession,
});

async function createSession(source: string | Uint8Array, opts: BackendSessionOptions): Promise<BackendSession> {
  const bytes = typeof source === 'string' ? (await fetchModelBytes(source)).bytes : source;
  const label = typeof source === 'string' ? source : `${source.length} bytes`;
  let providers = [...opts.executionProviders];
  let fallbackNote: string | undefined;
  let runtime = ort;
  if (providers[0] === 'webgpu') {
    const reason = await webGpuUnavailable();
    if (reason !== undefined) {
      const threads = webThreadsAvailable() ? `${opts.intraOpThreads} threads` : 'one thread: the page is not cross-origin isolated';
      fallbackNote = `WebGPU was asked for but ${reason}; running on WebAssembly (${threads}) instead`;
      providers = providers.filter((p) => p !== 'webgpu');
      console.warn(`ArcFace.ts: ${fallbackNote}`);
    } else {
      runtime = await webGpuRuntime();
    }
  }
  // numThreads is read once, when the WASM module starts; later sessions share that module.
  runtime.env.wasm.numThreads = webThreadsAvailable() ? opts.intraOpThreads : 1;
  const tensor = (data: Float32Array, dims: readonly number[]): ort.Tensor => new runtime.Tensor('float32', data, [...dims]);
  try {
    const session = await runtime.InferenceSession.create(bytes, {
      executionProviders: providers,
      graphOptimizationLevel: 'all',
      logSeverityLevel: opts.logSeverityLevel,
    });
    return { session, provider: providers[0] ?? 'wasm', tensor, ...(fallbackNote === undefined ? {} : { fallbackNote }) };
  } catch (err) {
    const msg = err instanceof Error ? err.message : String(err);
    throw new ArcFaceError('MODEL_INVALID', `Expected a loadable ONNX model at ${label} but onnxruntime-web refused it: ${msg.split('\n')[0]}`, { cause: err });
  }
}

/** Why WebGPU cannot run here, or `undefined` when an adapter exists. */
async function webGpuUnavailable(): Promise<string | undefined> {
  const gpu = (globalThis.navigator as { gpu?: { requestAdapter(): Promise<unknown> } } | undefined)?.gpu;
  if (gpu === undefined) return 'this browser has no WebGPU (navigator.gpu is undefined)';
  try {
    return (await gpu.requestAdapter()) === null ? 'the browser found no WebGPU adapter (navigator.gpu.requestAdapter() gave null)' : undefined;
  } catch (e) {
    return `the WebGPU adapter request failed (${(e as Error).message})`;
  }
}

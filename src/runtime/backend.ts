import type { InferenceSession, Tensor } from 'onnxruntime-common';

/**
 * The one thing that differs between Node.js and the browser at inference time: which onnxruntime
 * package runs the graph. `ort-node.ts` (onnxruntime-node) and `ort-web.ts` (onnxruntime-web) each
 * export a `RUNTIME_BACKEND` of this shape; `session.ts` imports the Node file and the browser build
 * swaps it for the web file (see `scripts/build-browser.ts` and the `browser` map in package.json).
 * Both packages share the `onnxruntime-common` API, so everything above this file is the same code.
 *
 * @example
 * const { session, provider } = await RUNTIME_BACKEND.createSession(bytes, resolveRuntimeOptions())
 */
export interface RuntimeBackend {
  /** `onnxruntime-node` or `onnxruntime-web`. */
  readonly name: string;
  /** Providers a caller may ask for, best first in no particular order. */
  readonly providers: readonly string[];
  /** The provider that always works, appended when the caller's list lacks it. */
  readonly fallbackProvider: string;
  /** Threads one operator uses when the caller does not say. */
  defaultThreads(): number;
  /**
   * Opens a session on a model path (Node; a URL in the browser) or its bytes. Failures are
   * `ArcFaceError`s (`MODEL_NOT_FOUND`, `MODEL_INVALID`).
   */
  createSession(source: string | Uint8Array, options: BackendSessionOptions): Promise<BackendSession>;
}

/** What {@link RuntimeBackend.createSession} needs from the resolved runtime options. */
export interface BackendSessionOptions {
  readonly intraOpThreads: number;
  readonly executionProviders: readonly string[];
  readonly logSeverityLevel: 0 | 1 | 2 | 3 | 4;
}

/** An opened session and the provider it really runs on. */
export interface BackendSession {
  readonly session: InferenceSession;
  readonly provider: string;
  /** Wraps float32 data as a tensor of the runtime that opened the session. */
  readonly tensor: (data: Float32Array, dims: readonly number[]) => Tensor;
  /** Why the provider differs from the first one asked for (e.g. no WebGPU adapter), when it does. */
  readonly fallbackNote?: string;
}

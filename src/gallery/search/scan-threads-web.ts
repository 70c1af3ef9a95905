import type * as NodeScanThreads from './scan-threads.js';
import type { SimdKernels } from '../../core/index.js';

/**
 * The browser twin of `scan-threads.ts`: gallery scans run on the calling thread (a page's
 * galleries are small, and Node's `worker_threads` do not exist there). The browser build swaps
 * `scan-threads.ts` for this file; `FlatIndex` then takes its single-thread path.
 */
export const KERNEL: typeof NodeScanThreads.KERNEL = Object.freeze({ f32: 0, i8: 1, q8: 2 });
export type KernelId = NodeScanThreads.KernelId;
export type KernelArgs = NodeScanThreads.KernelArgs;

/**
 * One thread: the caller's.
 *
 * @example
 * defaultScanThreads() // 1
 */
export const defaultScanThreads: typeof NodeScanThreads.defaultScanThreads = () => 1;

/**
 * Never started in the browser: {@link ScanThreads.start} answers null, so scans stay on the caller.
 *
 * @example
 * ScanThreads.start(kernels, 4) // null
 */
export class ScanThreads {
  readonly threads = 1;

  /** Always null: the scans run on the calling thread. */
  static start(_kernels: SimdKernels, _threads: number): ScanThreads | null {
    return null;
  }

  run(_kernel: KernelId, parts: readonly KernelArgs[], local: (args: KernelArgs) => void): void {
    for (const p of parts) local(p);
  }

  dispose(): void {}
}

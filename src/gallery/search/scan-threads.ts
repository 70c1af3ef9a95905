import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { ArcFaceError } from '../../core/index.js';
import type { SimdKernels } from '../../core/index.js';

/** Kernels a worker can run, by index: the order of the module's exports. */
export const KERNEL = Object.freeze({ f32: 0, i8: 1, q8: 2 });
export type KernelId = (typeof KERNEL)[keyof typeof KERNEL];

/** Five i32 arguments of a kernel call (addresses may exceed 2^31; they travel as their 32 bits). */
export type KernelArgs = readonly [number, number, number, number, number];

/** Int32 slots per worker in the control array: sequence, kernel, 5 arguments, done, failed. */
const STRIDE = 16;
const SEQ = 0,
  FN = 1,
  ARGS = 2,
  DONE = 7,
  FAILED = 8;
/** A kernel call over ≤ 4 GiB takes well under a second; a worker silent this long is gone. */
const STALL_MS = 60_000;

/**
 * The worker: instantiates the module over the shared memory and runs one kernel call per bump of
 * its sequence slot, then publishes the sequence in its done slot. Kept as source text so that it
 * runs the same from the TypeScript sources and the compiled package.
 */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, slot } = workerData;
const ex = new WebAssembly.Instance(module, { env: { mem: memory } }).exports;
const fns = [ex.f32, ex.i8, ex.q8];
const c = new Int32Array(control);
const b = slot * ${STRIDE};
let seen = 0;
for (;;) {
  Atomics.wait(c, b + ${SEQ}, seen);
  const seq = Atomics.load(c, b + ${SEQ});
  if (seq === seen) continue;
  if (seq < 0) break;
  seen = seq;
  let failed = 0;
  try {
    fns[c[b + ${FN}]](c[b + ${ARGS}], c[b + ${ARGS} + 1], c[b + ${ARGS} + 2], c[b + ${ARGS} + 3], c[b + ${ARGS} + 4]);
  } catch {
    failed = 1;
  }
  Atomics.store(c, b + ${FAILED}, failed);
  Atomics.store(c, b + ${DONE}, seq);
  Atomics.notify(c, b + ${DONE});
}
`;

/** Threads that also scan when none is asked for: every core, at most 8 (memory bandwidth saturates). */
export function defaultScanThreads(): number {
  return Math.max(1, Math.min(8, availableParallelism()));
}

/**
 * Worker threads that run the WebAssembly kernels over a shared memory, so that one scan is split
 * across cores while the calling thread takes its own share and waits (synchronously, with
 * `Atomics.wait`) for the rest. Calls stay synchronous and results are identical to one thread:
 * each row is scored by the same kernel, only by another thread.
 *
 * @example
 * const t = ScanThreads.start(kernels, 2)
 * t.run(KERNEL.f32, parts)
 */
export class ScanThreads {
  /** Threads taking part in a call, the caller's included. */
  readonly threads: number;
  private readonly control: Int32Array;
  private readonly workers: Worker[];
  private seq = 0;
  private closed = false;

  private constructor(threads: number, control: Int32Array, workers: Worker[]) {
    this.threads = threads;
    this.control = control;
    this.workers = workers;
  }

  /**
   * Starts `threads − 1` workers over the kernels' shared memory; null when the memory is not
   * shared, one thread is asked for, or no worker can be started (the scans then run on the caller).
   */
  static start(kernels: SimdKernels, threads: number): ScanThreads | null {
    if (!kernels.shared || threads < 2) return null;
    const control = new Int32Array(new SharedArrayBuffer(threads * STRIDE * 4));
    const workers: Worker[] = [];
    try {
      for (let slot = 0; slot < threads - 1; slot++) {
        const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: kernels.module, memory: kernels.memory, control: control.buffer, slot } });
        w.unref();
        workers.push(w);
      }
    } catch {
      // Thread limits (or a runtime without worker threads): scan on the calling thread.
      stop({ control, workers });
      return null;
    }
    const t = new ScanThreads(threads, control, workers);
    ALIVE.register(t, { control, workers }, t);
    return t;
  }

  /**
   * Runs one call per part: parts[0..n−2] on the workers, the last on this thread, and returns when
   * all are done. There must be at most {@link threads} parts.
   */
  run(kernel: KernelId, parts: readonly KernelArgs[], local: (args: KernelArgs) => void): void {
    if (this.closed) throw new ArcFaceError('INTERNAL', 'Expected a live scan thread pool but it was disposed');
    if (parts.length > this.threads) throw new ArcFaceError('INTERNAL', `Expected at most ${this.threads} parts but received ${parts.length}`);
    const c = this.control;
    const seq = ++this.seq;
    const remote = parts.length - 1;
    for (let w = 0; w < remote; w++) {
      const b = w * STRIDE;
      c[b + FN] = kernel;
      const args = parts[w] as KernelArgs;
      for (let i = 0; i < 5; i++) c[b + ARGS + i] = args[i] as number;
      Atomics.store(c, b + SEQ, seq);
      Atomics.notify(c, b + SEQ);
    }
    if (parts.length > 0) local(parts[parts.length - 1] as KernelArgs);
    let failed = false;
    for (let w = 0; w < remote; w++) {
      const b = w * STRIDE;
      let waited = 0;
      for (;;) {
        const done = Atomics.load(c, b + DONE);
        if (done === seq) break;
        if (waited >= STALL_MS) throw new ArcFaceError('INTERNAL', `Expected scan thread ${w + 1} to finish within ${STALL_MS} ms but it did not answer`);
        Atomics.wait(c, b + DONE, done, 1000);
        waited += 1000;
      }
      failed ||= Atomics.load(c, b + FAILED) !== 0;
    }
    if (failed) throw new ArcFaceError('INTERNAL', 'Expected every scan thread to complete its rows but one raised an error');
  }

  /** Stops the workers; later calls throw. */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    ALIVE.unregister(this);
    stop({ control: this.control, workers: this.workers });
  }
}

function stop(p: { control: Int32Array; workers: Worker[] }): void {
  for (let w = 0; w < p.workers.length; w++) {
    Atomics.store(p.control, w * STRIDE + SEQ, -1);
    Atomics.notify(p.control, w * STRIDE + SEQ);
  }
  for (const w of p.workers) void w.terminate();
}

/** Pools dropped without dispose() stop their workers when collected, so their memory is freed. */
const ALIVE = new FinalizationRegistry<{ control: Int32Array; workers: Worker[] }>(stop);

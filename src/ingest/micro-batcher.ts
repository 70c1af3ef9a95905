import { assertInteger, assertNumber } from '../core/index.js';

/** Options of {@link MicroBatcher}. */
export interface MicroBatcherOptions {
  /** Items per run; a full batch runs at once. */
  readonly maxItems: number;
  /** Longest an item waits for others before a partial batch runs (ms). */
  readonly lingerMs: number;
}

interface Pending<I, O> {
  readonly item: I;
  resolve(out: O): void;
  reject(err: unknown): void;
}

/**
 * Gathers items submitted one at a time by concurrent callers (queue jobs) into batches for one
 * `run`, so a recogniser embeds several photos per model call. A batch runs when it holds
 * `maxItems` or `lingerMs` after its first item; `run` returns one output per item, in order. When
 * `run` throws, every item of that batch is rejected with the error.
 *
 * @example
 * const batcher = new MicroBatcher((imgs) => makeFaceTemplates(rec, imgs), { maxItems: 8, lingerMs: 5 })
 * const outcome = await batcher.submit(image)
 */
export class MicroBatcher<I, O> {
  readonly #run: (items: I[]) => Promise<O[]>;
  readonly #maxItems: number;
  readonly #lingerMs: number;
  #pending: Pending<I, O>[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** Batches run one after another: the model is the bottleneck, not the callers. */
  #chain: Promise<void> = Promise.resolve();

  constructor(run: (items: I[]) => Promise<O[]>, options: MicroBatcherOptions) {
    if (typeof run !== 'function') throw new TypeError(`Expected a function for run but received ${typeof run}`);
    this.#run = run;
    this.#maxItems = assertInteger('maxItems', options.maxItems, 1, 4096);
    this.#lingerMs = assertNumber('lingerMs', options.lingerMs, 0, 60_000);
  }

  /** Queues one item; resolves with its output when its batch has run. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#pending.length >= this.#maxItems) this.#flush();
      else this.#timer ??= setTimeout(() => this.#flush(), this.#lingerMs);
    });
  }

  #flush(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#pending.splice(0, this.#maxItems);
    if (this.#pending.length > 0) this.#timer = setTimeout(() => this.#flush(), this.#lingerMs);
    if (batch.length === 0) return;
    this.#chain = this.#chain.then(async () => {
      try {
        const out = await this.#run(batch.map((p) => p.item));
        if (out.length !== batch.length) throw new RangeError(`Expected ${batch.length} outputs from the batch run but received ${out.length}`);
        batch.forEach((p, i) => p.resolve(out[i] as O));
      } catch (e) {
        for (const p of batch) p.reject(e);
      }
    });
  }
}

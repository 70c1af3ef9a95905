import { KERNEL, ScanThreads, defaultScanThreads, type KernelArgs, type KernelId } from './scan-threads.js';
import { createSimdKernels, type SimdKernels } from '../../core/index.js';
import { TopK, type Neighbour } from './top-k.js';
import type { VectorIndex } from './vector-index.js';

/** Largest int8 magnitude used by the symmetric quantiser (int8 range is −128..127; 127 keeps it symmetric). */
const INT8_MAX = 127;
/** WebAssembly SIMD loads 16 bytes; regions start on 16-byte boundaries. */
const ALIGN = 16;
const align = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** Options of {@link FlatIndex.build}. */
export interface FlatIndexOptions {
  /** Also build an int8 copy and search it first, re-ranking the best `rerank` rows exactly. */
  readonly int8: boolean;
  /** Rows re-ranked exactly after the int8 scan (at least k). */
  readonly rerank: number;
  /** Use the WebAssembly SIMD kernels when available (default true; false forces the JS loops). */
  readonly simd?: boolean;
  /**
   * Threads that share each scan (default: every core, at most 8). Only SIMD scans of at least
   * {@link PARALLEL_MIN_VALUES} values are split; results are the same for any count.
   */
  readonly threads?: number;
}

/** An index whose rows are being written in place; see {@link FlatIndex.allocate}. */
export interface PendingFlatIndex {
  readonly kind: 'exact' | 'int8';
  /** The index's own float32 rows (zeroed), to fill before {@link finish}. */
  readonly matrix: Float32Array;
  /** Quantises (int8), starts the scan threads and returns the index; later calls return the same one. */
  finish(): FlatIndex;
}

/** Matrix values (rows × dim) from which a scan is split across threads: below, waking them costs more than it saves. */
export const PARALLEL_MIN_VALUES = 1 << 21;

interface Layout {
  readonly kernels: SimdKernels | null;
  readonly qf: Float32Array;
  readonly qi: Int8Array;
  /** The quantised query widened to int16, where the SIMD int8 kernel reads it (null without SIMD). */
  readonly qi16: Int16Array | null;
  readonly scores: Float32Array;
  readonly iscores: Int32Array;
  readonly matrix: Float32Array;
  readonly qmatrix: Int8Array | null;
  /** Inverse int8 scale per row (value ≈ q × inverse). */
  readonly invScale: Float32Array | null;
  readonly offsets: {
    readonly qf: number;
    readonly qi: number;
    readonly scores: number;
    readonly matrix: number;
    readonly qmatrix: number;
    readonly invScale: number;
  };
}

/**
 * A flat index: every row scanned per query. The exact mode is a float32 dot product per row; the
 * int8 mode scans a quantised copy (4× less memory traffic) and re-ranks the best rows exactly, so
 * its scores are the exact ones. With WebAssembly SIMD the matrix lives in WebAssembly memory
 * (at most 4 GiB); otherwise the scans are 4-way unrolled JavaScript loops. Large SIMD indexes
 * share that memory with worker threads ({@link ScanThreads}) that each scan a block of rows;
 * `dispose()` stops them.
 *
 * @example
 * const idx = FlatIndex.build(matrix, 512, { int8: false, rerank: 0 })
 * idx.search(query, 10)
 */
export class FlatIndex implements VectorIndex {
  readonly kind: 'exact' | 'int8';
  readonly rows: number;
  readonly dim: number;
  private readonly l: Layout;
  private readonly rerank: number;
  /** Workers sharing the scans, or null for one thread. */
  private readonly pool: ScanThreads | null;

  private constructor(kind: 'exact' | 'int8', rows: number, dim: number, l: Layout, rerank: number, pool: ScanThreads | null) {
    this.kind = kind;
    this.rows = rows;
    this.dim = dim;
    this.l = l;
    this.rerank = rerank;
    this.pool = pool;
  }

  /** Copies `matrix` (rows × dim) into the index. */
  static build(matrix: Float32Array, dim: number, opts: FlatIndexOptions): FlatIndex {
    const pending = FlatIndex.allocate(Math.floor(matrix.length / dim), dim, opts);
    pending.matrix.set(matrix.subarray(0, pending.matrix.length));
    return pending.finish();
  }

  /**
   * Reserves an index of `rows` rows whose float32 matrix the caller fills in place (a store loads
   * straight into it), then {@link PendingFlatIndex.finish} makes it searchable without a copy.
   *
   * @example
   * const p = FlatIndex.allocate(2, 512, { int8: false, rerank: 0 })
   * p.matrix.set(rows)
   * const idx = p.finish()
   */
  static allocate(rows: number, dim: number, opts: FlatIndexOptions): PendingFlatIndex {
    const threads = rows * dim >= PARALLEL_MIN_VALUES ? Math.max(1, Math.floor(opts.threads ?? defaultScanThreads())) : 1;
    const l = layout(rows, dim, opts.int8, opts.simd !== false, threads > 1);
    const kind = opts.int8 ? 'int8' : 'exact';
    let done: FlatIndex | null = null;
    return {
      kind,
      matrix: l.matrix,
      finish: () => {
        if (done !== null) return done;
        const pool = l.kernels === null ? null : ScanThreads.start(l.kernels, threads);
        done = new FlatIndex(kind, rows, dim, l, Math.max(1, opts.rerank), pool);
        if (l.qmatrix !== null) done.quantiseRows();
        return done;
      },
    };
  }

  /** Threads that share each scan (1 when the scans are not split). */
  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  search(query: Float32Array, k: number): Neighbour[] {
    if (this.kind === 'exact') return this.exactSearch(query, k);
    const kk = Math.min(k, this.rows);
    if (kk <= 0) return [];
    const cand = this.scanInt8(query, Math.min(this.rows, Math.max(kk, this.rerank)));
    const top = new TopK(kk);
    for (const c of cand) top.push(c.row, this.score(query, c.row));
    return top.sorted();
  }

  /** The exact float32 scan, whatever the index kind (an int8 index keeps the float32 rows too). */
  exactSearch(query: Float32Array, k: number): Neighbour[] {
    const kk = Math.min(k, this.rows);
    if (kk <= 0) return [];
    this.scanExact(query);
    const top = new TopK(kk);
    const s = this.l.scores;
    for (let r = 0; r < this.rows; r++) {
      const v = s[r] as number;
      if (v > top.floor) top.push(r, v);
    }
    return top.sorted();
  }

  score(query: Float32Array, row: number): number {
    const { kernels, matrix, qf, scores, offsets } = this.l;
    if (kernels !== null) {
      qf.set(query);
      kernels.f32(offsets.qf, offsets.matrix + row * this.dim * 4, 1, this.dim, offsets.scores);
      return scores[0] as number;
    }
    return dotAt(query, matrix, row * this.dim, this.dim);
  }

  /** The int8 copy and each row's inverse scale (views; do not modify), or null for an exact index. */
  int8Rows(): { readonly q: Int8Array; readonly invScale: Float32Array } | null {
    const { qmatrix, invScale } = this.l;
    return qmatrix === null || invScale === null ? null : { q: qmatrix, invScale };
  }

  /** The stored row (a view; do not modify). */
  row(r: number): Float32Array {
    return this.l.matrix.subarray(r * this.dim, (r + 1) * this.dim);
  }

  memoryBytes(): number {
    const { kernels, matrix, qmatrix, scores, invScale } = this.l;
    if (kernels !== null) return kernels.memory.buffer.byteLength;
    return matrix.byteLength + (qmatrix?.byteLength ?? 0) + scores.byteLength + (invScale?.byteLength ?? 0);
  }

  dispose(): void {
    // The memory is released with the object; only the scan threads need stopping.
    this.pool?.dispose();
  }

  /**
   * Runs a kernel over all rows, split into contiguous row ranges, one per thread. `part(start, n)`
   * gives the arguments for rows [start, start + n).
   */
  private runRows(kernels: SimdKernels, kernel: KernelId, part: (start: number, n: number) => KernelArgs): void {
    const fn = kernel === KERNEL.f32 ? kernels.f32 : kernel === KERNEL.i8 ? kernels.i8 : kernels.q8;
    const call = (a: KernelArgs): void => fn(a[0], a[1], a[2], a[3], a[4]);
    if (this.pool === null) {
      call(part(0, this.rows));
      return;
    }
    const n = this.pool.threads;
    const parts: KernelArgs[] = [];
    for (let t = 0; t < n; t++) {
      const start = Math.floor((this.rows * t) / n);
      const end = Math.floor((this.rows * (t + 1)) / n);
      if (end > start) parts.push(part(start, end - start));
    }
    this.pool.run(kernel, parts, call);
  }

  /** Fills the int8 copy and its inverse scales from the float32 rows. */
  private quantiseRows(): void {
    const { kernels, matrix, qmatrix, invScale, offsets } = this.l;
    const dim = this.dim;
    if (qmatrix === null || invScale === null) return;
    if (kernels !== null) {
      this.runRows(kernels, KERNEL.q8, (start, n) => [offsets.matrix + start * dim * 4, n, dim, offsets.qmatrix + start * dim, offsets.invScale + start * 4]);
      return;
    }
    for (let r = 0; r < this.rows; r++) invScale[r] = quantise(matrix, r * dim, dim, qmatrix);
  }

  private scanExact(query: Float32Array): void {
    const { kernels, qf, scores, matrix, offsets } = this.l;
    if (kernels !== null) {
      qf.set(query);
      const dim = this.dim;
      this.runRows(kernels, KERNEL.f32, (start, n) => [offsets.qf, offsets.matrix + start * dim * 4, n, dim, offsets.scores + start * 4]);
      return;
    }
    for (let r = 0; r < this.rows; r++) scores[r] = dotAt(query, matrix, r * this.dim, this.dim);
  }

  private scanInt8(query: Float32Array, depth: number): Neighbour[] {
    const { kernels, qi, qi16, iscores, qmatrix, offsets } = this.l;
    const qInv = quantise(query, 0, this.dim, qi);
    const inv = this.l.invScale as Float32Array;
    if (kernels !== null) {
      qi16?.set(qi);
      const dim = this.dim;
      this.runRows(kernels, KERNEL.i8, (start, n) => [offsets.qi, offsets.qmatrix + start * dim, n, dim, offsets.scores + start * 4]);
    } else {
      const m = qmatrix as Int8Array;
      for (let r = 0; r < this.rows; r++) iscores[r] = dotInt8(qi, m, r * this.dim, this.dim);
    }
    const top = new TopK(depth);
    for (let r = 0; r < this.rows; r++) {
      const v = (iscores[r] as number) * (inv[r] as number) * qInv;
      if (v > top.floor) top.push(r, v);
    }
    return top.sorted();
  }
}

function layout(rows: number, dim: number, int8: boolean, simd: boolean, shared: boolean): Layout {
  const offsets = { qf: 0, qi: align(dim * 4), scores: 0, invScale: 0, matrix: 0, qmatrix: 0 };
  offsets.scores = offsets.qi + align(dim * 2);
  offsets.invScale = offsets.scores + align(Math.max(rows, 1) * 4);
  offsets.matrix = offsets.invScale + (int8 ? align(rows * 4) : 0);
  offsets.qmatrix = offsets.matrix + align(rows * dim * 4);
  const total = offsets.qmatrix + (int8 ? align(rows * dim) : 0);
  const kernels = simd && dim % ALIGN === 0 ? createSimdKernels(total, { shared }) : null;
  if (kernels !== null) {
    const buf = kernels.memory.buffer;
    return {
      kernels,
      qf: new Float32Array(buf, offsets.qf, dim),
      qi: new Int8Array(dim),
      qi16: new Int16Array(buf, offsets.qi, dim),
      scores: new Float32Array(buf, offsets.scores, Math.max(rows, 1)),
      iscores: new Int32Array(buf, offsets.scores, Math.max(rows, 1)),
      matrix: new Float32Array(buf, offsets.matrix, rows * dim),
      qmatrix: int8 ? new Int8Array(buf, offsets.qmatrix, rows * dim) : null,
      invScale: int8 ? new Float32Array(buf, offsets.invScale, rows) : null,
      offsets,
    };
  }
  const scoreBuf = new ArrayBuffer(Math.max(rows, 1) * 4);
  return {
    kernels: null,
    qf: new Float32Array(dim),
    qi: new Int8Array(dim),
    qi16: null,
    scores: new Float32Array(scoreBuf),
    iscores: new Int32Array(scoreBuf),
    matrix: new Float32Array(rows * dim),
    qmatrix: int8 ? new Int8Array(rows * dim) : null,
    invScale: int8 ? new Float32Array(rows) : null,
    offsets,
  };
}

/** Symmetric per-vector int8 quantisation; returns the inverse scale (value ≈ q × inverse). */
function quantise(src: Float32Array, off: number, dim: number, out: Int8Array, outOff = off): number {
  let max = 0;
  for (let j = 0; j < dim; j++) {
    const a = Math.abs(src[off + j] as number);
    if (a > max) max = a;
  }
  if (max === 0) {
    out.fill(0, outOff, outOff + dim);
    return 0;
  }
  const s = INT8_MAX / max;
  for (let j = 0; j < dim; j++) out[outOff + j] = Math.round((src[off + j] as number) * s);
  return max / INT8_MAX;
}

/** Float32 dot product of `q` with `m[off..off+dim)`, 4-way unrolled. */
function dotAt(q: Float32Array, m: Float32Array, off: number, dim: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let j = 0;
  for (; j + 3 < dim; j += 4) {
    s0 += (q[j] as number) * (m[off + j] as number);
    s1 += (q[j + 1] as number) * (m[off + j + 1] as number);
    s2 += (q[j + 2] as number) * (m[off + j + 2] as number);
    s3 += (q[j + 3] as number) * (m[off + j + 3] as number);
  }
  for (; j < dim; j++) s0 += (q[j] as number) * (m[off + j] as number);
  return Math.fround(s0 + s1 + s2 + s3);
}

function dotInt8(q: Int8Array, m: Int8Array, off: number, dim: number): number {
  let s0 = 0,
    s1 = 0,
    s2 = 0,
    s3 = 0;
  let j = 0;
  for (; j + 3 < dim; j += 4) {
    s0 += (q[j] as number) * (m[off + j] as number);
    s1 += (q[j + 1] as number) * (m[off + j + 1] as number);
    s2 += (q[j + 2] as number) * (m[off + j + 2] as number);
    s3 += (q[j + 3] as number) * (m[off + j + 3] as number);
  }
  for (; j < dim; j++) s0 += (q[j] as number) * (m[off + j] as number);
  return s0 + s1 + s2 + s3;
}

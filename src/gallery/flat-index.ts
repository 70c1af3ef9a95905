import { createSimdKernels, type SimdKernels } from './simd-kernels.js';
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
}

interface Layout {
  readonly kernels: SimdKernels | null;
  readonly qf: Float32Array;
  readonly qi: Int8Array;
  readonly scores: Float32Array;
  readonly iscores: Int32Array;
  readonly matrix: Float32Array;
  readonly qmatrix: Int8Array | null;
  readonly offsets: { readonly qf: number; readonly qi: number; readonly scores: number; readonly matrix: number; readonly qmatrix: number };
}

/**
 * A flat index: every row scanned per query. The exact mode is a float32 dot product per row; the
 * int8 mode scans a quantised copy (4× less memory traffic) and re-ranks the best rows exactly, so
 * its scores are the exact ones. With WebAssembly SIMD the matrix lives in WebAssembly memory
 * (at most 4 GiB); otherwise the scans are 4-way unrolled JavaScript loops.
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
  private readonly invScale: Float32Array | null;
  private readonly rerank: number;

  private constructor(kind: 'exact' | 'int8', rows: number, dim: number, l: Layout, invScale: Float32Array | null, rerank: number) {
    this.kind = kind;
    this.rows = rows;
    this.dim = dim;
    this.l = l;
    this.invScale = invScale;
    this.rerank = rerank;
  }

  /** Copies `matrix` (rows × dim) into the index. */
  static build(matrix: Float32Array, dim: number, opts: FlatIndexOptions): FlatIndex {
    const rows = Math.floor(matrix.length / dim);
    const l = layout(rows, dim, opts.int8, opts.simd !== false);
    l.matrix.set(matrix.subarray(0, rows * dim));
    let invScale: Float32Array | null = null;
    if (l.qmatrix !== null) {
      invScale = new Float32Array(rows);
      for (let r = 0; r < rows; r++) invScale[r] = quantise(l.matrix, r * dim, dim, l.qmatrix);
    }
    return new FlatIndex(opts.int8 ? 'int8' : 'exact', rows, dim, l, invScale, Math.max(1, opts.rerank));
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

  /** The stored row (a view; do not modify). */
  row(r: number): Float32Array {
    return this.l.matrix.subarray(r * this.dim, (r + 1) * this.dim);
  }

  memoryBytes(): number {
    const { kernels, matrix, qmatrix, scores } = this.l;
    if (kernels !== null) return kernels.memory.buffer.byteLength + (this.invScale?.byteLength ?? 0);
    return matrix.byteLength + (qmatrix?.byteLength ?? 0) + scores.byteLength + (this.invScale?.byteLength ?? 0);
  }

  dispose(): void {
    // Memory is released with the object; nothing native is held.
  }

  private scanExact(query: Float32Array): void {
    const { kernels, qf, scores, matrix, offsets } = this.l;
    if (kernels !== null) {
      qf.set(query);
      kernels.f32(offsets.qf, offsets.matrix, this.rows, this.dim, offsets.scores);
      return;
    }
    for (let r = 0; r < this.rows; r++) scores[r] = dotAt(query, matrix, r * this.dim, this.dim);
  }

  private scanInt8(query: Float32Array, depth: number): Neighbour[] {
    const { kernels, qi, iscores, qmatrix, offsets } = this.l;
    const qInv = quantise(query, 0, this.dim, qi);
    const inv = this.invScale as Float32Array;
    if (kernels !== null) {
      kernels.i8(offsets.qi, offsets.qmatrix, this.rows, this.dim, offsets.scores);
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

function layout(rows: number, dim: number, int8: boolean, simd: boolean): Layout {
  const offsets = { qf: 0, qi: align(dim * 4), scores: 0, matrix: 0, qmatrix: 0 };
  offsets.scores = offsets.qi + align(dim);
  offsets.matrix = offsets.scores + align(Math.max(rows, 1) * 4);
  offsets.qmatrix = offsets.matrix + align(rows * dim * 4);
  const total = offsets.qmatrix + (int8 ? align(rows * dim) : 0);
  const kernels = simd && dim % ALIGN === 0 ? createSimdKernels(total) : null;
  if (kernels !== null) {
    const buf = kernels.memory.buffer;
    return {
      kernels,
      qf: new Float32Array(buf, offsets.qf, dim),
      qi: new Int8Array(buf, offsets.qi, dim),
      scores: new Float32Array(buf, offsets.scores, Math.max(rows, 1)),
      iscores: new Int32Array(buf, offsets.scores, Math.max(rows, 1)),
      matrix: new Float32Array(buf, offsets.matrix, rows * dim),
      qmatrix: int8 ? new Int8Array(buf, offsets.qmatrix, rows * dim) : null,
      offsets,
    };
  }
  const scoreBuf = new ArrayBuffer(Math.max(rows, 1) * 4);
  return {
    kernels: null,
    qf: new Float32Array(dim),
    qi: new Int8Array(dim),
    scores: new Float32Array(scoreBuf),
    iscores: new Int32Array(scoreBuf),
    matrix: new Float32Array(rows * dim),
    qmatrix: int8 ? new Int8Array(rows * dim) : null,
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
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
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
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
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

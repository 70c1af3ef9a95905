/**
 * Hand-assembled WebAssembly SIMD kernels for the flat scans: one row-wise float32 dot product and
 * one int8 dot product per matrix row, written into a score array. JavaScript has no SIMD; 128-bit
 * WebAssembly SIMD (shipped in V8 9.1, Node 16.4) does four float32 or sixteen int8 lanes per
 * instruction. Opcodes are from the WebAssembly SIMD proposal's binary encoding table
 * (https://github.com/WebAssembly/simd/blob/main/proposals/simd/BinarySIMD.md).
 */

const SIMD = 0xfd;
const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  void: 0x40,
  get: 0x20,
  set: 0x21,
  tee: 0x22,
  i32const: 0x41,
  i32add: 0x6a,
  i32shl: 0x74,
  i32ltu: 0x49,
  i32eqz: 0x45,
  f32add: 0x92,
  f32store: 0x38,
  i32store: 0x36,
  f32const: 0x43,
  f32div: 0x95,
  f32max: 0x97,
} as const;
/** SIMD opcodes (LEB128-encoded after the 0xfd prefix). */
const simd = {
  load: [0x00],
  const: [0x0c],
  i32x4Extract: [0x1b],
  f32x4Extract: [0x1f],
  f32x4Add: [0xe4, 0x01],
  f32x4Mul: [0xe6, 0x01],
  i32x4Add: [0xae, 0x01],
  i16x8ExtLowS: [0x87, 0x01],
  i16x8ExtHighS: [0x88, 0x01],
  i32x4DotI16x8S: [0xba, 0x01],
  store: [0x0b],
  f32x4Splat: [0x13],
  f32x4Abs: [0xe0, 0x01],
  f32x4Max: [0xe9, 0x01],
  f32x4Nearest: [0x6a],
  i32x4TruncSatF32x4S: [0xf8, 0x01],
  i16x8NarrowI32x4S: [0x85, 0x01],
  i8x16NarrowI16x8S: [0x65],
} as const;

const V128 = 0x7b;
const I32 = 0x7f;
const F32 = 0x7d;
const load = (): number[] => [SIMD, ...simd.load, 0x00, 0x00];
const zero = (): number[] => [SIMD, ...simd.const, ...new Array<number>(16).fill(0)];

/** Bytes of `f(q, base, rows, dim, out)`. Params 0..4; locals: 5 r, 6 j, 7 p, 8 bytes, 9..10 acc (int8: 11 query address, 12 row lanes). */
function body(kind: 'f32' | 'i8'): number[] {
  const [Q, BASE, ROWS, DIM, OUT, R, J, P, BYTES, A0, A1, QP, M] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const rowBytes = kind === 'f32' ? [op.get, DIM, op.i32const, 2, op.i32shl] : [op.get, DIM];
  const inner: number[] =
    kind === 'f32'
      ? [
          // acc0 += q[j..j+4] * p[j..j+4]; acc1 += q[j+16..] * p[j+16..]  (two chains hide add latency)
          op.get,
          A0,
          op.get,
          Q,
          op.get,
          J,
          op.i32add,
          ...load(),
          op.get,
          P,
          op.get,
          J,
          op.i32add,
          ...load(),
          SIMD,
          ...simd.f32x4Mul,
          SIMD,
          ...simd.f32x4Add,
          op.set,
          A0,
          op.get,
          A1,
          op.get,
          Q,
          op.get,
          J,
          op.i32add,
          SIMD,
          0x00,
          0x00,
          0x10,
          op.get,
          P,
          op.get,
          J,
          op.i32add,
          SIMD,
          0x00,
          0x00,
          0x10,
          SIMD,
          ...simd.f32x4Mul,
          SIMD,
          ...simd.f32x4Add,
          op.set,
          A1,
        ]
      : [
          // 16 int8 lanes of the row, widened to two i16x8 halves, dotted with the query, which is
          // stored already widened (i16, two loads) so each step widens only the row:
          // acc0 += dot(q16[j..j+8], lo(p)); acc1 += dot(q16[j+8..j+16], hi(p))
          op.get,
          P,
          op.get,
          J,
          op.i32add,
          ...load(),
          op.set,
          M,
          op.get,
          Q,
          op.get,
          J,
          op.i32const,
          1,
          op.i32shl,
          op.i32add,
          op.set,
          QP,
          op.get,
          A0,
          op.get,
          QP,
          ...load(),
          op.get,
          M,
          SIMD,
          ...simd.i16x8ExtLowS,
          SIMD,
          ...simd.i32x4DotI16x8S,
          SIMD,
          ...simd.i32x4Add,
          op.set,
          A0,
          op.get,
          A1,
          op.get,
          QP,
          SIMD,
          0x00,
          0x00,
          0x10,
          op.get,
          M,
          SIMD,
          ...simd.i16x8ExtHighS,
          SIMD,
          ...simd.i32x4DotI16x8S,
          SIMD,
          ...simd.i32x4Add,
          op.set,
          A1,
        ];
  const step = kind === 'f32' ? 32 : 16;
  const add = kind === 'f32' ? simd.f32x4Add : simd.i32x4Add;
  const extract = kind === 'f32' ? simd.f32x4Extract : simd.i32x4Extract;
  const scalarAdd = kind === 'f32' ? op.f32add : op.i32add;
  const store = kind === 'f32' ? op.f32store : op.i32store;
  const code = [
    ...rowBytes,
    op.set,
    BYTES,
    op.get,
    BASE,
    op.set,
    P,
    op.i32const,
    0,
    op.set,
    R,
    op.block,
    op.void,
    op.get,
    ROWS,
    op.i32eqz,
    op.brIf,
    0,
    op.loop,
    op.void,
    ...zero(),
    op.set,
    A0,
    ...zero(),
    op.set,
    A1,
    op.i32const,
    0,
    op.set,
    J,
    op.loop,
    op.void,
    ...inner,
    op.get,
    J,
    op.i32const,
    step,
    op.i32add,
    op.tee,
    J,
    op.get,
    BYTES,
    op.i32ltu,
    op.brIf,
    0,
    op.end,
    op.get,
    OUT,
    op.get,
    R,
    op.i32const,
    2,
    op.i32shl,
    op.i32add,
    op.get,
    A0,
    op.get,
    A1,
    SIMD,
    ...add,
    op.tee,
    A0,
    SIMD,
    ...extract,
    0,
    op.get,
    A0,
    SIMD,
    ...extract,
    1,
    scalarAdd,
    op.get,
    A0,
    SIMD,
    ...extract,
    2,
    scalarAdd,
    op.get,
    A0,
    SIMD,
    ...extract,
    3,
    scalarAdd,
    store,
    0x02,
    0x00,
    op.get,
    P,
    op.get,
    BYTES,
    op.i32add,
    op.set,
    P,
    op.get,
    R,
    op.i32const,
    1,
    op.i32add,
    op.tee,
    R,
    op.get,
    ROWS,
    op.i32ltu,
    op.brIf,
    0,
    op.end,
    op.end,
    op.end,
  ];
  // Locals 5..8 i32, 9..10 v128; the int8 scan adds 11 (i32) and 12 (v128).
  const locals = kind === 'f32' ? [0x02, 0x04, I32, 0x02, V128] : [0x04, 0x04, I32, 0x02, V128, 0x01, I32, 0x01, V128];
  const fn = [...locals, ...code];
  return [...leb(fn.length), ...fn];
}

/** 127 as a little-endian float32 (0x42fe0000), the int8 quantiser's full scale. */
const F32_127 = [0x00, 0x00, 0xfe, 0x42];

/**
 * Bytes of `q8(src, rows, dim, dst, scales)`: symmetric per-row int8 quantisation of float32 rows
 * (q = round-half-even(x · 127 / max|x|)), writing `max|x| / 127` per row into `scales`. An all-zero
 * row gives 0 / 0 = NaN scale factors, which the saturating truncation turns into zeros, and scale 0.
 * Params 0..4; locals: 5 r, 6 j, 7 p, 8 o, 9 ip (i32), 10 mx (f32), 11 acc, 12 sv (v128).
 */
function quantiseBody(): number[] {
  const [SRC, ROWS, DIM, DST, SCALES, R, J, P, O, IP, MX, ACC, SV] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
  const lane = (offset: number): number[] => [
    op.get,
    IP,
    SIMD,
    ...simd.load,
    0x00,
    offset,
    op.get,
    SV,
    SIMD,
    ...simd.f32x4Mul,
    SIMD,
    ...simd.f32x4Nearest,
    SIMD,
    ...simd.i32x4TruncSatF32x4S,
  ];
  const code = [
    op.block,
    op.void,
    op.get,
    ROWS,
    op.i32eqz,
    op.brIf,
    0,
    op.get,
    SRC,
    op.set,
    P,
    op.get,
    DST,
    op.set,
    O,
    op.i32const,
    0,
    op.set,
    R,
    op.loop,
    op.void,
    // acc = max over the row of |x|, four lanes at a time
    ...zero(),
    op.set,
    ACC,
    op.i32const,
    0,
    op.set,
    J,
    op.loop,
    op.void,
    op.get,
    ACC,
    op.get,
    P,
    op.get,
    J,
    op.i32add,
    ...load(),
    SIMD,
    ...simd.f32x4Abs,
    SIMD,
    ...simd.f32x4Max,
    op.set,
    ACC,
    op.get,
    J,
    op.i32const,
    16,
    op.i32add,
    op.tee,
    J,
    op.get,
    DIM,
    op.i32const,
    2,
    op.i32shl,
    op.i32ltu,
    op.brIf,
    0,
    op.end,
    op.get,
    ACC,
    SIMD,
    ...simd.f32x4Extract,
    0,
    op.get,
    ACC,
    SIMD,
    ...simd.f32x4Extract,
    1,
    op.f32max,
    op.get,
    ACC,
    SIMD,
    ...simd.f32x4Extract,
    2,
    op.f32max,
    op.get,
    ACC,
    SIMD,
    ...simd.f32x4Extract,
    3,
    op.f32max,
    op.set,
    MX,
    // scales[r] = mx / 127; sv = splat(127 / mx)
    op.get,
    SCALES,
    op.get,
    R,
    op.i32const,
    2,
    op.i32shl,
    op.i32add,
    op.get,
    MX,
    op.f32const,
    ...F32_127,
    op.f32div,
    op.f32store,
    0x02,
    0x00,
    op.f32const,
    ...F32_127,
    op.get,
    MX,
    op.f32div,
    SIMD,
    ...simd.f32x4Splat,
    op.set,
    SV,
    // 16 floats → 16 int8 per step
    op.i32const,
    0,
    op.set,
    J,
    op.loop,
    op.void,
    op.get,
    P,
    op.get,
    J,
    op.i32const,
    2,
    op.i32shl,
    op.i32add,
    op.set,
    IP,
    op.get,
    O,
    op.get,
    J,
    op.i32add,
    ...lane(0),
    ...lane(16),
    SIMD,
    ...simd.i16x8NarrowI32x4S,
    ...lane(32),
    ...lane(48),
    SIMD,
    ...simd.i16x8NarrowI32x4S,
    SIMD,
    ...simd.i8x16NarrowI16x8S,
    SIMD,
    ...simd.store,
    0x00,
    0x00,
    op.get,
    J,
    op.i32const,
    16,
    op.i32add,
    op.tee,
    J,
    op.get,
    DIM,
    op.i32ltu,
    op.brIf,
    0,
    op.end,
    op.get,
    P,
    op.get,
    DIM,
    op.i32const,
    2,
    op.i32shl,
    op.i32add,
    op.set,
    P,
    op.get,
    O,
    op.get,
    DIM,
    op.i32add,
    op.set,
    O,
    op.get,
    R,
    op.i32const,
    1,
    op.i32add,
    op.tee,
    R,
    op.get,
    ROWS,
    op.i32ltu,
    op.brIf,
    0,
    op.end,
    op.end,
    op.end,
  ];
  const locals = [0x03, 0x05, I32, 0x01, F32, 0x02, V128];
  const fn = [...locals, ...code];
  return [...leb(fn.length), ...fn];
}

function leb(n: number): number[] {
  const out: number[] = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function section(id: number, content: number[]): number[] {
  return [id, ...leb(content.length), ...content];
}

function name(s: string): number[] {
  return [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
}

/**
 * The module; `shared` imports a shared memory (limits flag 3: shared with a maximum of 4 GiB) so
 * that worker threads can run the same kernels over the same rows.
 */
function moduleBytes(shared: boolean): Uint8Array<ArrayBuffer> {
  const type = [0x01, 0x60, 0x05, I32, I32, I32, I32, I32, 0x00];
  const limits = shared ? [0x03, 0x00, ...leb(WASM_MAX_PAGES)] : [0x00, 0x00];
  const imports = [0x01, ...name('env'), ...name('mem'), 0x02, ...limits];
  const funcs = [0x03, 0x00, 0x00, 0x00];
  const exports = [0x03, ...name('f32'), 0x00, 0x00, ...name('i8'), 0x00, 0x01, ...name('q8'), 0x00, 0x02];
  const code = [0x03, ...body('f32'), ...body('i8'), ...quantiseBody()];
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, type),
    ...section(2, imports),
    ...section(3, funcs),
    ...section(7, exports),
    ...section(10, code),
  ]);
}

/** A row-scan function: scores of `rows` rows of `dim` values at `base` against the query at `q`, into `out`. */
export type ScanFn = (q: number, base: number, rows: number, dim: number, out: number) => void;
/** The quantiser: `rows` float32 rows of `dim` at `src` into int8 rows at `dst`, inverse scales (float32) at `scales`. */
export type QuantiseFn = (src: number, rows: number, dim: number, dst: number, scales: number) => void;

/** The kernels bound to one memory. */
export interface SimdKernels {
  readonly memory: WebAssembly.Memory;
  /** The compiled module, for instances in worker threads when the memory is shared. */
  readonly module: WebAssembly.Module;
  readonly shared: boolean;
  /** Float32 rows; `dim` must be a multiple of 8. */
  readonly f32: ScanFn;
  /** Int8 rows, int32 scores, the query as `dim` int16 values; `dim` must be a multiple of 16. */
  readonly i8: ScanFn;
  /** Float32 rows to int8 rows; `dim` must be a multiple of 16. */
  readonly q8: QuantiseFn;
}

/** WebAssembly page size in bytes (the WebAssembly core specification, "Memory Instances"). */
const WASM_PAGE = 65536;
/** Most pages a 32-bit WebAssembly memory may have (4 GiB). */
const WASM_MAX_PAGES = 65536;

function compile(shared: boolean): WebAssembly.Module | null {
  try {
    return new WebAssembly.Module(moduleBytes(shared));
  } catch {
    return null;
  }
}

/** The compiled modules (immutable), null where WebAssembly SIMD (or threads, for shared) is unavailable. */
const COMPILED = { plain: compile(false), shared: compile(true) };

/**
 * Instantiates the kernels over a fresh memory of `bytes` bytes, or returns null when WebAssembly
 * SIMD is unavailable or the size exceeds 4 GiB (callers fall back to JavaScript loops). A
 * `shared` memory can be handed to worker threads ({@link ScanThreads}); where shared memory is
 * unavailable an unshared one is returned.
 *
 * @example
 * const k = createSimdKernels(1 << 20)
 */
export function createSimdKernels(bytes: number, opts: { readonly shared?: boolean } = {}): SimdKernels | null {
  const pages = Math.ceil(Math.max(bytes, 1) / WASM_PAGE);
  if (pages > WASM_MAX_PAGES) return null;
  const shared = opts.shared === true && COMPILED.shared !== null;
  const module = shared ? COMPILED.shared : COMPILED.plain;
  if (module === null) return null;
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared });
  } catch {
    return null;
  }
  const inst = new WebAssembly.Instance(module, { env: { mem: memory } });
  const { f32, i8, q8 } = inst.exports as { f32: ScanFn; i8: ScanFn; q8: QuantiseFn };
  return { memory, module, shared, f32, i8, q8 };
}

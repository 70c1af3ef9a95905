import { ArcFaceError } from '../core/index.js';

/** A graph node's identity: enough to apply InsightFace's normalisation rule. */
export interface OnnxNodeInfo {
  readonly name: string;
  readonly opType: string;
}

/*
 * Minimal protobuf walk over an ONNX ModelProto (onnx/onnx.proto): ModelProto.graph = field 7,
 * GraphProto.node = field 1, NodeProto.name = field 3, NodeProto.op_type = field 4. Only these are
 * read; everything else is skipped by wire type.
 */
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const NODE_NAME = 3;
const NODE_OP_TYPE = 4;

class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
    readonly end: number,
  ) {
    this.pos = start;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new RangeError('varint runs past the end');
      const b = this.buf[this.pos++] as number;
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) return result;
      mul *= 128;
    }
    throw new RangeError('varint longer than 10 bytes');
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) {
      const len = this.varint();
      this.pos += len;
    } else if (wire === 5) this.pos += 4;
    else throw new RangeError(`unsupported wire type ${wire}`);
    if (this.pos > this.end) throw new RangeError('field runs past the end');
  }
}

const decoder = new TextDecoder();

function readNode(buf: Uint8Array, start: number, end: number): OnnxNodeInfo {
  const r = new Reader(buf, start, end);
  let name = '';
  let opType = '';
  while (r.pos < end) {
    const key = r.varint();
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if ((field === NODE_NAME || field === NODE_OP_TYPE) && wire === 2) {
      const len = r.varint();
      const s = decoder.decode(buf.subarray(r.pos, r.pos + len));
      r.pos += len;
      if (field === NODE_NAME) name = s;
      else opType = s;
    } else r.skip(wire);
  }
  return { name, opType };
}

/**
 * The first `limit` nodes (name and op type) of an ONNX model, in graph order.
 *
 * @example
 * readOnnxNodes(await readFile('w600k_mbf.onnx'), 8)
 */
export function readOnnxNodes(bytes: Uint8Array, limit = 8): OnnxNodeInfo[] {
  try {
    const top = new Reader(bytes, 0, bytes.length);
    while (top.pos < bytes.length) {
      const key = top.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (field === MODEL_GRAPH && wire === 2) {
        const len = top.varint();
        const g = new Reader(bytes, top.pos, top.pos + len);
        const nodes: OnnxNodeInfo[] = [];
        while (g.pos < g.end && nodes.length < limit) {
          const k = g.varint();
          if (Math.floor(k / 8) === GRAPH_NODE && (k & 7) === 2) {
            const nlen = g.varint();
            nodes.push(readNode(bytes, g.pos, g.pos + nlen));
            g.pos += nlen;
          } else g.skip(k & 7);
        }
        return nodes;
      }
      top.skip(wire);
    }
  } catch (err) {
    throw new ArcFaceError('MODEL_INVALID', `Expected an ONNX ModelProto but the bytes could not be parsed (${(err as Error).message})`, { cause: err });
  }
  throw new ArcFaceError('MODEL_INVALID', 'Expected an ONNX ModelProto with a graph but found none');
}

/**
 * InsightFace's rule for recognisers (`model_zoo/arcface_onnx.py`, `ArcFaceONNX.__init__`): when any of
 * the first 8 nodes is named `Sub…`/`_minus…` and any is named `Mul…`/`_mul…`, the graph normalises
 * its own input, so it is fed raw 0..255 (mean 0, std 1); otherwise it is fed (x − 127.5) / 127.5.
 * Exporters that leave node names empty are judged by op type: a `Sub` followed by `Mul` or `Div`
 * among the first 8 nodes counts as in-graph normalisation.
 *
 * @example
 * graphNormalisesInput(readOnnxNodes(bytes)) // false for w600k_mbf
 */
export function graphNormalisesInput(nodes: readonly OnnxNodeInfo[]): boolean {
  const first = nodes.slice(0, 8);
  const sub = first.some((n) => n.name.startsWith('Sub') || n.name.startsWith('_minus') || (n.name === '' && n.opType === 'Sub'));
  const mul = first.some((n) => n.name.startsWith('Mul') || n.name.startsWith('_mul') || (n.name === '' && (n.opType === 'Mul' || n.opType === 'Div')));
  return sub && mul;
}

/**
 * True when the graph starts by reordering channels (a `Gather`/`Split` before normalisation), as
 * DepthAI exports that take BGR do. Only a hint: the direction cannot be known from the graph.
 *
 * @example
 * graphReordersChannels(readOnnxNodes(bytes))
 */
export function graphReordersChannels(nodes: readonly OnnxNodeInfo[]): boolean {
  return nodes.slice(0, 4).some((n) => n.opType === 'Gather' || n.opType === 'Split');
}

/**
 * Op types whose output for one batch item depends on the other items: `DynamicQuantizeLinear`
 * computes one activation scale and zero point over the whole tensor (ORT `quantize_dynamic`), so a
 * batched crop's embedding shifts with its batch-mates.
 */
const BATCH_COUPLING_OPS: readonly string[] = Object.freeze(['DynamicQuantizeLinear']);

/**
 * True when running several crops in one batch gives each crop the same result as running it alone.
 *
 * @example
 * isBatchExact(readOnnxNodes(bytes, Infinity)) // false for a dynamically quantised int8 model
 */
export function isBatchExact(nodes: readonly OnnxNodeInfo[]): boolean {
  return !nodes.some((n) => BATCH_COUPLING_OPS.includes(n.opType));
}

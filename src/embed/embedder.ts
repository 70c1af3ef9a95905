import { ArcFaceError, assertRgbImage, type RgbImage, assertBoolean, assertInteger, l2norm, l2normalize } from '../core/index.js';
import { modelFingerprint, type ModelSpecInput, type ResolvedModel, readModelSource, resolveRecognizerSpec } from '../models/index.js';
import { ModelSession, type FloatTensor, type RuntimeOptions } from '../runtime/index.js';
import { channelCoefficients, writeCrop, type ChannelCoefficients } from './preprocess.js';

/** Embedder options. */
export interface EmbedderOptions {
  /** Crops per model run when the batch dimension is dynamic (1..256). Default 8. */
  readonly batchSize?: number;
  /**
   * Flip augmentation: embed the crop and its mirror, sum, then L2-normalise, as InsightFace's
   * `eval/verification.py` does. Doubles the cost. Default false.
   */
  readonly flip?: boolean;
  /** Contract fields that override the archive's or the inferred ones. */
  readonly spec?: ModelSpecInput;
  readonly runtime?: RuntimeOptions;
  /**
   * Batch crops even when the model's batch items influence each other (dynamic int8 quantisation),
   * trading exactness for speed. Default false: such models run one crop per call.
   */
  readonly allowInexactBatching?: boolean;
}

/** Default embedder options. */
export const EMBEDDER_DEFAULTS = Object.freeze({ batchSize: 8, flip: false });

/**
 * From aligned crops to unit-length embeddings, honouring the model's contract (layout, channel
 * order, mean/std), batched.
 *
 * @example
 * const embedder = await Embedder.create('w600k_mbf.onnx', { flip: true })
 * const [e] = await embedder.embed([crop112])
 * await embedder.dispose()
 */
export class Embedder {
  readonly model: ResolvedModel;
  readonly fingerprint: string;
  readonly batchSize: number;
  readonly flip: boolean;
  readonly #session: ModelSession;
  readonly #coeffs: ChannelCoefficients;

  private constructor(model: ResolvedModel, session: ModelSession, batchSize: number, flip: boolean, allowInexact: boolean) {
    this.model = model;
    this.fingerprint = modelFingerprint(model);
    this.#session = session;
    this.#coeffs = channelCoefficients(model.spec);
    this.batchSize = model.spec.batch !== 'dynamic' ? model.spec.batch : model.batchExact || allowInexact ? batchSize : 1;
    this.flip = flip;
  }

  /** Loads a recogniser (`.onnx` or NN Archive path) and checks its contract against the graph. */
  static async create(modelPath: string, options: EmbedderOptions = {}): Promise<Embedder> {
    const batchSize = options.batchSize === undefined ? EMBEDDER_DEFAULTS.batchSize : assertInteger('batchSize', options.batchSize, 1, 256);
    const flip = options.flip === undefined ? EMBEDDER_DEFAULTS.flip : assertBoolean('flip', options.flip);
    const source = await readModelSource(modelPath);
    const session = await ModelSession.create(source.onnx, options.runtime);
    try {
      const model = resolveRecognizerSpec(source, session, options.spec);
      return new Embedder(model, session, batchSize, flip, options.allowInexactBatching === true);
    } catch (err) {
      await session.dispose();
      throw err;
    }
  }

  /** Embedding length D. */
  get embeddingSize(): number {
    return this.model.spec.embeddingSize;
  }

  /** Side of the square crop the model takes (align to this size). */
  get inputSize(): number {
    return this.model.spec.inputSize;
  }

  /** Unit-length embeddings of aligned crops, in input order. */
  async embed(crops: readonly RgbImage[]): Promise<Float32Array[]> {
    this.#checkCrops(crops);
    const raw = await this.embedRaw(crops, this.flip);
    return raw.map(normalise);
  }

  /**
   * {@link embed} plus the norm of each raw model output before L2 normalisation, a face-quality
   * signal (a recogniser trained with a margin loss gives blurred, tiny or non-face crops a small
   * norm; MagFace, Meng et al. CVPR 2021, makes this explicit). With `flip` the raw output is the sum
   * of the crop's and its mirror's outputs; the norm given is half of that sum's, so it keeps one
   * output's scale and quality limits mean the same with and without flip.
   *
   * @example
   * const { embeddings, norms } = await embedder.embedWithNorms([crop112])
   */
  async embedWithNorms(crops: readonly RgbImage[]): Promise<{ embeddings: Float32Array[]; norms: number[] }> {
    this.#checkCrops(crops);
    const raw = await this.embedRaw(crops, this.flip);
    const perOutput = this.flip ? 0.5 : 1;
    return { embeddings: raw.map(normalise), norms: raw.map((r) => l2norm(r) * perOutput) };
  }

  /**
   * Throws unless `crop` is an RGB image of the model's input size; `name` says which input it is in
   * the message (`crops[2]`, a file name). `embed` checks every crop this way; a caller holding many
   * crops from many files checks each first, to report a bad one and embed the rest.
   *
   * @example
   * embedder.assertCrop(crop, 'face.png') // INVALID_ARGUMENT: Expected face.png to be 112×112 … but received 250×250
   */
  assertCrop(crop: RgbImage, name: string): void {
    assertRgbImage(name, crop);
    const size = this.inputSize;
    if (crop.width !== size || crop.height !== size) {
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected ${name} to be ${size}×${size} (the model's input) but received ${crop.width}×${crop.height}`);
    }
  }

  #checkCrops(crops: readonly RgbImage[]): void {
    if (!Array.isArray(crops)) throw new TypeError(`Expected an array of RgbImage crops but received ${typeof crops}`);
    crops.forEach((c, i) => this.assertCrop(c, `crops[${i}]`));
  }

  /**
   * Raw (not normalised) model outputs per crop; with `flip`, the sum of the crop's and its mirror's
   * outputs. Exposed for benchmarks and for users who need the norm (a face-quality signal).
   */
  async embedRaw(crops: readonly RgbImage[], flip = false): Promise<Float32Array[]> {
    const items: { crop: RgbImage; mirror: boolean }[] = [];
    for (const crop of crops) {
      items.push({ crop, mirror: false });
      if (flip) items.push({ crop, mirror: true });
    }
    const outs: Float32Array[] = [];
    for (let i = 0; i < items.length; i += this.batchSize) {
      outs.push(...(await this.#runBatch(items.slice(i, i + this.batchSize))));
    }
    if (!flip) return outs;
    return crops.map((_, i) => {
      const a = outs[2 * i] as Float32Array;
      const b = outs[2 * i + 1] as Float32Array;
      const sum = new Float32Array(a.length);
      for (let j = 0; j < a.length; j++) sum[j] = (a[j] as number) + (b[j] as number);
      return sum;
    });
  }

  async #runBatch(items: readonly { crop: RgbImage; mirror: boolean }[]): Promise<Float32Array[]> {
    const { spec } = this.model;
    const n = spec.batch === 'dynamic' ? items.length : spec.batch;
    const plane = spec.inputSize * spec.inputSize * 3;
    const data = new Float32Array(n * plane);
    items.forEach((it, i) => writeCrop(data, i, it.crop, spec, this.#coeffs, it.mirror));
    const dims = spec.layout === 'NCHW' ? [n, 3, spec.inputSize, spec.inputSize] : [n, spec.inputSize, spec.inputSize, 3];
    const out = (await this.#session.run({ [spec.inputName]: { data, dims } }, [spec.outputName]))[spec.outputName] as FloatTensor;
    const per = out.data.length / n;
    if (out.dims[0] !== n || per !== spec.embeddingSize) {
      throw new ArcFaceError(
        'MODEL_CONTRACT_MISMATCH',
        `Expected output "${spec.outputName}" of shape [${n}, ${spec.embeddingSize}] but the model returned [${out.dims.join(', ')}]`,
      );
    }
    const result: Float32Array[] = [];
    for (let i = 0; i < items.length; i++) result.push(out.data.slice(i * per, (i + 1) * per));
    return result;
  }

  /** Releases the model session. */
  async dispose(): Promise<void> {
    await this.#session.dispose();
  }
}

/** A unit-length copy; a zero or non-finite embedding means the model is not what its spec says. */
function normalise(v: Float32Array): Float32Array {
  const n = l2norm(v);
  if (n === 0 || !Number.isFinite(n)) {
    throw new ArcFaceError('MODEL_CONTRACT_MISMATCH', `Expected a finite non-zero embedding but the model returned one of norm ${n}`);
  }
  return l2normalize(v);
}

import { normCrop } from '../align/index.js';
import { ArcFaceError, type DetectedFace, type RgbImage, assertOneOf } from '../core/index.js';
import { createFaceDetector, type FaceDetectorSpec, type DetectOptions, type FaceDetector } from '../detect/index.js';
import { Embedder } from '../embed/index.js';
import { decodeImage, readImageBytes, type DecodeOptions } from '../image/index.js';
import {
  findKnownModel,
  findKnownModelByFileName,
  modelLocationsFromEnv,
  resolveModelPath,
  validateModelLocations,
  type KnownModel,
  type ModelLocations,
  type ModelSpecInput,
} from '../models/index.js';
import { faceQuality, type FaceQuality } from '../quality/index.js';
import type { RuntimeOptions } from '../runtime/index.js';
import { compareImages, type CompareOptions, type CompareResult } from './compare.js';
import { selectFaceIndices } from './select.js';
import type { FaceSelection, RecognitionResult, RecognizedFace } from './types.js';

/** Options of {@link FaceRecognizer.create}. */
export interface FaceRecognizerOptions {
  /** Detector registry name, path of a known detector file, or `{kind, modelPath}`. Default `yunet-n`. */
  readonly detector?: string | FaceDetectorSpec;
  /** Recogniser registry name, `.onnx` path or NN Archive path. Default `w600k-mbf-int8`. */
  readonly recognizer?: string;
  /**
   * Where names are looked up (see `resolveModelPath`); either field may be left out. Default: as
   * the `arcface` command finds models, from `ARCFACE_MODELS` and `ARCFACE_HOME`
   * (`modelLocationsFromEnv(process.env)`).
   */
  readonly locations?: Partial<ModelLocations>;
  /** In the browser: URL of the folder holding the model files (short for `locations: {home: url, dirs: []}`). */
  readonly modelBaseUrl?: string;
  /** Flip augmentation in the embedder. Default false. */
  readonly flip?: boolean;
  readonly batchSize?: number;
  /** Recogniser contract overrides. */
  readonly spec?: ModelSpecInput;
  readonly runtime?: RuntimeOptions;
  readonly decode?: DecodeOptions;
  readonly detect?: DetectOptions;
}

/** Per-call options of {@link FaceRecognizer.recognize}. */
export interface RecognizeOptions {
  /** Which faces to embed. Default `all`. */
  readonly select?: FaceSelection;
  /** Return each aligned crop. Default false. */
  readonly includeCrops?: boolean;
  readonly detect?: DetectOptions;
}

/** No model folders: names resolve nowhere, paths as given (a page without `modelBaseUrl`). */
const NO_LOCATIONS: ModelLocations = Object.freeze({ home: '', dirs: Object.freeze([]) });

/** The default models: YuNet-n (MIT) and the staged MobileFaceNet ArcFace recogniser. */
export const RECOGNIZER_DEFAULTS = Object.freeze({ detector: 'yunet-n', recognizer: 'w600k-mbf-int8' });

/**
 * One call from image bytes to every face with box, score, landmarks, aligned crop and embedding:
 * decode → detect → align (ArcFace template at the recogniser's input size) → embed (batched).
 *
 * @example
 * const fr = await FaceRecognizer.create() // models from ARCFACE_MODELS / ARCFACE_HOME, as the CLI
 * const fr2 = await FaceRecognizer.create({ locations: { dirs: ['/srv/models'] } })
 * const { faces } = await fr.recognizeFile('group.jpg')
 * await fr.dispose()
 */
export class FaceRecognizer {
  readonly detector: FaceDetector;
  readonly embedder: Embedder;
  /** Registry entry of the recogniser, when it is a known model. */
  readonly recognizerInfo: KnownModel | undefined;
  readonly #decode: DecodeOptions;
  readonly #detect: DetectOptions;

  private constructor(detector: FaceDetector, embedder: Embedder, info: KnownModel | undefined, decode: DecodeOptions, detect: DetectOptions) {
    this.detector = detector;
    this.embedder = embedder;
    this.recognizerInfo = info;
    this.#decode = decode;
    this.#detect = detect;
  }

  /** Loads both models. Unknown names raise `MODEL_UNKNOWN_NAME`, missing files `MODEL_NOT_FOUND`. */
  static async create(options: FaceRecognizerOptions = {}): Promise<FaceRecognizer> {
    // The one read of the environment in src/: a library user who gives no locations gets the
    // command line's lookup, as the README promises; given locations are used as they are. A page
    // (no `process`) names its model folder with `modelBaseUrl`.
    const locations =
      options.modelBaseUrl !== undefined
        ? { home: options.modelBaseUrl, dirs: [] }
        : options.locations !== undefined
          ? validateModelLocations(options.locations)
          : typeof process === 'undefined'
            ? NO_LOCATIONS
            : modelLocationsFromEnv(process.env);
    const recName = options.recognizer ?? RECOGNIZER_DEFAULTS.recognizer;
    const recPath = resolveModelPath(recName, locations);
    const info = findKnownModel(recName) ?? findKnownModelByFileName(recPath);
    if (info !== undefined && info.task !== 'recognizer') {
      throw new ArcFaceError('MODEL_CONTRACT_MISMATCH', `Expected a recogniser but ${recName} is a ${info.task} face detector`);
    }
    const detSpec = resolveDetectorSpec(options.detector ?? RECOGNIZER_DEFAULTS.detector, locations);
    const detector = await createFaceDetector(detSpec, options.runtime ?? {});
    try {
      const embedder = await Embedder.create(recPath, {
        ...(options.flip === undefined ? {} : { flip: options.flip }),
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.spec === undefined ? {} : { spec: options.spec }),
        ...(options.runtime === undefined ? {} : { runtime: options.runtime }),
      });
      return new FaceRecognizer(detector, embedder, info, options.decode ?? {}, options.detect ?? {});
    } catch (err) {
      await detector.dispose();
      throw err;
    }
  }

  /** Recogniser fingerprint (model SHA-256 + contract + size); galleries key on it. */
  get fingerprint(): string {
    return this.embedder.fingerprint;
  }

  get embeddingSize(): number {
    return this.embedder.embeddingSize;
  }

  /** The recogniser's calibrated cosine threshold, when the registry records one. */
  get threshold(): number | undefined {
    return this.recognizerInfo?.threshold?.cosine;
  }

  /** Decodes image bytes with this recogniser's limits. */
  async decode(bytes: Uint8Array): Promise<RgbImage> {
    return decodeImage(bytes, this.#decode);
  }

  /** Detects faces only. */
  async detect(input: Uint8Array | RgbImage, options: DetectOptions = {}): Promise<{ image: RgbImage; faces: DetectedFace[] }> {
    const image = input instanceof Uint8Array ? await this.decode(input) : input;
    const faces = await this.detector.detect(image, { ...this.#detect, ...options });
    return { image, faces };
  }

  /** Every face of an image (or the selected one), aligned and embedded. */
  async recognize(input: Uint8Array | RgbImage, options: RecognizeOptions = {}): Promise<RecognitionResult> {
    const select = options.select === undefined ? 'all' : assertOneOf('select', options.select, ['all', 'largest', 'central'] as const);
    const { image, faces } = await this.detect(input, options.detect);
    const picked = selectFaceIndices(faces, select, image.width, image.height);
    const embedded = await this.embedFaces(
      image,
      picked.map((i) => faces[i] as DetectedFace),
      options.includeCrops === true,
    );
    return { width: image.width, height: image.height, faces: embedded.map((f, k) => ({ ...f, faceIndex: picked[k] as number })), facesFound: faces.length };
  }

  /**
   * 1:1: are the selected faces of two photos (paths, bytes or decoded images) the same person?
   * The largest face by default; an unreadable photo and `NO_FACE` say which (first or second, and
   * the file name of a path).
   *
   * @example
   * const { similarity, same, faces } = await fr.compare('a.jpg', 'b.jpg')
   */
  async compare(a: string | Uint8Array | RgbImage, b: string | Uint8Array | RgbImage, options: CompareOptions = {}): Promise<CompareResult> {
    const input = async (x: string | Uint8Array | RgbImage): Promise<{ image: Uint8Array | RgbImage; name?: string }> =>
      typeof x === 'string' ? { image: await readImageBytes(x), name: x } : { image: x };
    return compareImages(this, await input(a), await input(b), options);
  }

  /** {@link recognize} on a file. */
  async recognizeFile(path: string, options: RecognizeOptions = {}): Promise<RecognitionResult> {
    return this.recognize(await readImageBytes(path), options);
  }

  /**
   * Aligns and embeds the given faces of an image in one batch, each with its {@link FaceQuality}
   * (from box, score, landmarks, the crop's sharpness and the embedder's per-output embedding norm).
   */
  async embedFaces(image: RgbImage, faces: readonly DetectedFace[], includeCrops = false): Promise<RecognizedFace[]> {
    const crops = faces.map((f) => normCrop(image, f.landmarks, this.embedder.inputSize).crop);
    const { embeddings, norms } = await this.embedder.embedWithNorms(crops);
    return faces.map((f, i) => ({
      box: f.box,
      score: f.score,
      landmarks: f.landmarks,
      ...(f.pass === undefined ? {} : { pass: f.pass }),
      embedding: embeddings[i] as Float32Array,
      ...(includeCrops ? { crop: crops[i] as RgbImage } : {}),
      quality: faceQuality(f, crops[i] as RgbImage, norms[i] as number),
    }));
  }

  /** Embeds crops that are already aligned to the recogniser's input size. */
  async embedAligned(crops: readonly RgbImage[]): Promise<Float32Array[]> {
    return this.embedder.embed(crops);
  }

  /** Releases both model sessions. */
  async dispose(): Promise<void> {
    await Promise.all([this.detector.dispose(), this.embedder.dispose()]);
  }
}

/**
 * Turns a detector name or path into a `{kind, modelPath}` spec through the registry. A path to a file
 * the registry does not know needs an explicit kind: the family is never guessed from tensor shapes.
 *
 * @example
 * resolveDetectorSpec('scrfd-500m', locations) // { kind: 'scrfd', modelPath: '/…/det_500m.onnx', name: 'scrfd-500m' }
 */
export function resolveDetectorSpec(detector: string | FaceDetectorSpec, locations: ModelLocations): FaceDetectorSpec {
  if (typeof detector !== 'string') return detector;
  const path = resolveModelPath(detector, locations);
  const info = findKnownModel(detector) ?? findKnownModelByFileName(path);
  if (info === undefined) {
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected a known detector name or file (yunet-n, scrfd-500m, …) but ${detector} is not in the registry; pass {kind: 'yunet'|'scrfd'|'retinaface', modelPath} so its decoding is declared`,
    );
  }
  if (info.task === 'recognizer') throw new ArcFaceError('MODEL_CONTRACT_MISMATCH', `Expected a face detector but ${detector} is a recogniser`);
  return { kind: info.task, modelPath: path, name: info.name };
}

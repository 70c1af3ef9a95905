import { ArcFaceError, assertString } from '../core/index.js';
import type { RuntimeOptions } from '../runtime/index.js';
import { DETECTOR_KINDS, DETECTOR_PRESETS, assertDetectorKind, resolveDetectorConfig, type DetectorConfig, type DetectorKind } from './config.js';
import type { FaceDetector } from './face-detector.js';
import { DETECTOR_FAMILIES } from './families.js';
import { OnnxFaceDetector } from './onnx-face-detector.js';

/** A detector model given by family and file, with optional settings over the family defaults. */
export interface FaceDetectorSpec extends Partial<DetectorConfig> {
  readonly kind: DetectorKind;
  /** Path of the ONNX file, or its bytes. */
  readonly modelPath: string | Uint8Array;
  /** Name reported by `detector.name` (default: the file name or the preset name). */
  readonly name?: string;
}

/** Runtime options, plus the folder where preset names are looked up. */
export interface CreateFaceDetectorOptions extends RuntimeOptions {
  /** Folder holding the preset files (e.g. `yunet_n_dynamic.onnx`); needed only for a name or kind. */
  readonly modelDir?: string;
}

/** The model a bare kind stands for: the smallest accurate one of its family. */
const DEFAULT_PRESET: Readonly<Record<DetectorKind, string>> = Object.freeze({
  yunet: 'yunet-n',
  scrfd: 'scrfd-500m',
  retinaface: 'retinaface-mnet025',
});

function specFromName(nameOrKind: string, modelDir: string | undefined): FaceDetectorSpec {
  const presetName = (DETECTOR_KINDS as readonly string[]).includes(nameOrKind) ? DEFAULT_PRESET[nameOrKind as DetectorKind] : nameOrKind;
  const preset = DETECTOR_PRESETS[presetName];
  if (preset === undefined) {
    throw new ArcFaceError(
      'MODEL_UNKNOWN_NAME',
      `Expected a detector kind (${DETECTOR_KINDS.join(', ')}) or name (${Object.keys(DETECTOR_PRESETS).join(', ')}) but received "${nameOrKind}"`,
    );
  }
  if (modelDir === undefined) {
    throw new ArcFaceError(
      'INVALID_ARGUMENT',
      `Expected modelDir (the folder holding ${preset.file}) to load detector "${nameOrKind}" by name, or a {kind, modelPath} spec, but received no modelDir`,
    );
  }
  // A plain join, so this file runs in the browser too (there modelDir is a URL).
  return { kind: preset.kind, modelPath: `${modelDir.replace(/[\\/]+$/, '')}/${preset.file}`, name: presetName };
}

/**
 * Creates a face detector. Give `{kind, modelPath, ...config}` (the model registry resolves names to
 * that), or a kind/preset name with `options.modelDir`. A missing file raises `MODEL_NOT_FOUND`, a
 * file that is not ONNX `MODEL_INVALID`, a model of another family `MODEL_CONTRACT_MISMATCH`.
 *
 * @example
 * const det = await createFaceDetector({ kind: 'yunet', modelPath: 'models/yunet_n_dynamic.onnx' }, { intraOpThreads: 2 })
 * const faces = await det.detect(await decodeImageFile('group.jpg'))
 * await det.dispose()
 */
export async function createFaceDetector(spec: string | FaceDetectorSpec, options: CreateFaceDetectorOptions = {}): Promise<FaceDetector> {
  if (typeof options !== 'object' || options === null) throw new TypeError(`Expected an options object but received ${String(options)}`);
  const modelDir = options.modelDir === undefined ? undefined : assertString('modelDir', options.modelDir);
  const full = typeof spec === 'string' ? specFromName(spec, modelDir) : spec;
  if (typeof full !== 'object' || full === null) {
    throw new TypeError(`Expected a detector name or a {kind, modelPath} object but received ${String(full)}`);
  }
  const kind = assertDetectorKind(full.kind);
  if (!(full.modelPath instanceof Uint8Array)) assertString('modelPath', full.modelPath);
  const { kind: _k, modelPath, name, ...partial } = full;
  const config = resolveDetectorConfig(kind, partial);
  const label = name ?? (typeof modelPath === 'string' ? (modelPath.split(/[\\/]/).pop() ?? modelPath) : `${kind} model`);
  const { modelDir: _d, ...runtime } = options;
  return OnnxFaceDetector.create(DETECTOR_FAMILIES[kind], modelPath, config, label, runtime);
}

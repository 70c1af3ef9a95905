import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { ArcFaceError } from '../core/index.js';
import { parseArchiveConfig, type ArchiveContract } from './nn-archive.js';
import { readTarFiles, sniffCompression } from './tar.js';

/** A model file read into memory: plain ONNX, or the ONNX inside an NN Archive with its contract. */
export interface ModelSource {
  readonly path: string;
  readonly kind: 'onnx' | 'nn-archive';
  /** The ONNX bytes (from inside the archive for an NN Archive). */
  readonly onnx: Uint8Array;
  /** SHA-256 (hex) of the file as given: the archive for an NN Archive. */
  readonly sha256: string;
  readonly archive?: ArchiveContract;
  readonly archiveConfig?: unknown;
}

const ARCHIVE_NAME = /\.(tar|tar\.gz|tgz|tar\.xz|txz)$/i;
const DEVICE_ONLY = /\.(blob|superblob|dlc|hef)$/i;
const ONNX_NAME = /\.onnx$/i;

/**
 * Reads a recogniser model from disk: an `.onnx` file or a Luxonis NN Archive (`.tar.xz`, `.tar.gz`,
 * `.tar`), whose `config.json` is validated and whose ONNX file is extracted in memory.
 *
 * @example
 * const src = await readModelSource('arcface-mbf-luxonis.tar.xz')
 */
export async function readModelSource(path: string): Promise<ModelSource> {
  if (DEVICE_ONLY.test(path)) {
    throw new ArcFaceError(
      'MODEL_UNSUPPORTED_FORMAT',
      `Expected an ONNX model or an NN Archive but ${path} is a device-only format (RVC2 blob / RVC4 DLC / Hailo HEF): it runs on the accelerator, not here; use the ONNX variant of the model`,
    );
  }
  let bytes: Uint8Array;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new Error('not a regular file');
    bytes = await readFile(path);
  } catch (err) {
    throw new ArcFaceError(
      'MODEL_NOT_FOUND',
      `Expected a model file at ${path} but it could not be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      {
        cause: err,
      },
    );
  }
  if (bytes.length === 0) throw new ArcFaceError('MODEL_INVALID', `Expected model bytes in ${path} but the file is empty`);
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (ARCHIVE_NAME.test(path) || sniffCompression(bytes) !== 'none') {
    const files = await readTarFiles(bytes, path);
    const configText = files.get('config.json');
    if (configText === undefined) {
      throw new ArcFaceError('ARCHIVE_INVALID', `Expected config.json in the NN Archive ${path} but it holds ${[...files.keys()].join(', ')}`);
    }
    let config: unknown;
    try {
      config = JSON.parse(new TextDecoder().decode(configText));
    } catch (err) {
      throw new ArcFaceError('ARCHIVE_INVALID', `Expected valid JSON in ${path}/config.json but parsing failed: ${(err as Error).message}`, { cause: err });
    }
    const archive = parseArchiveConfig(config, new Set(files.keys()));
    const onnx = files.get(archive.modelFile) as Uint8Array;
    return { path, kind: 'nn-archive', onnx, sha256, archive, archiveConfig: config };
  }
  if (!ONNX_NAME.test(path)) {
    throw new ArcFaceError('MODEL_UNSUPPORTED_FORMAT', `Expected a .onnx file or an NN Archive (.tar.xz, .tar.gz, .tar) but received ${path}`);
  }
  return { path, kind: 'onnx', onnx: bytes, sha256 };
}

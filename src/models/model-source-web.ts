import { ArcFaceError } from '../core/index.js';
import { fetchModelBytes } from './model-fetch.js';
import type * as NodeModelSource from './model-source.js';

/**
 * The browser twin of `model-source.ts`: a recogniser is fetched by URL and checked against the
 * registry (`fetchModelBytes`). NN Archives are read in Node.js only (their xz needs a native
 * decoder); a page loads the `.onnx` file. The browser build swaps `model-source.ts` for this file.
 */
export type ModelSource = NodeModelSource.ModelSource;

/**
 * Fetches a recogniser `.onnx` by URL.
 *
 * @example
 * const src = await readModelSource('/models/w600k_mbf_int8.onnx')
 */
export const readModelSource: typeof NodeModelSource.readModelSource = async (url: string): Promise<ModelSource> => {
  if (/\.(tar|tar\.gz|tgz|tar\.xz|txz|blob|superblob|dlc|hef)$/i.test(url)) {
    throw new ArcFaceError(
      'MODEL_UNSUPPORTED_FORMAT',
      `Expected an .onnx model URL in the browser but received ${url}; NN Archives and device formats load in Node.js only`,
    );
  }
  const fetched = await fetchModelBytes(url);
  return { path: url, kind: 'onnx', onnx: fetched.bytes, sha256: fetched.sha256 };
};

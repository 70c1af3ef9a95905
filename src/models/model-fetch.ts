import { ArcFaceError, sha256Hex } from '../core/index.js';
import type { KnownModel } from './known-model.js';
import { findKnownModelByFileName } from './known-models.js';

/** Cache Storage bucket of model files; the suffix changes when the cached layout does. */
export const MODEL_CACHE_NAME = 'arcface-models-v1';

/** A model file fetched by URL and checked. */
export interface FetchedModel {
  readonly url: string;
  readonly bytes: Uint8Array;
  readonly sha256: string;
  /** The registry entry the file name matched, whose size and SHA-256 were checked. */
  readonly known: KnownModel | undefined;
  /** True when the bytes came from Cache Storage rather than the network. */
  readonly fromCache: boolean;
}

/** Options of {@link fetchModelBytes}. */
export interface FetchModelOptions {
  /** Keep a copy in Cache Storage (when the page may use it). Default true. */
  readonly cache?: boolean;
  /** The fetch to use. Default `globalThis.fetch`. */
  readonly fetch?: typeof fetch;
}

/**
 * Fetches a model file by URL for the browser backend. When its file name is in the registry, the
 * size and SHA-256 must match the registry's (a truncated or substituted file is refused with
 * `MODEL_CHECKSUM_MISMATCH`); an unreachable URL or an HTTP error is `MODEL_DOWNLOAD_FAILED`. A checked
 * file is kept in Cache Storage, and a cached copy is checked again before use.
 *
 * @example
 * const { bytes } = await fetchModelBytes('/models/w600k_mbf_int8.onnx')
 */
export async function fetchModelBytes(url: string, options: FetchModelOptions = {}): Promise<FetchedModel> {
  if (typeof url !== 'string' || url.length === 0) throw new TypeError(`Expected a model URL but received ${JSON.stringify(url) ?? typeof url}`);
  const fileName = new URL(url, 'http://x/').pathname.split('/').pop() ?? '';
  const known = findKnownModelByFileName(decodeURIComponent(fileName));
  const useCache = options.cache !== false && typeof caches !== 'undefined';
  if (useCache) {
    const hit = await cachedBytes(url);
    if (hit !== undefined) {
      const sha256 = await digest(hit);
      if (problem(hit, sha256, known) === undefined) return { url, bytes: hit, sha256, known, fromCache: true };
      await (await caches.open(MODEL_CACHE_NAME)).delete(url);
    }
  }
  const doFetch = options.fetch ?? globalThis.fetch;
  let response: Response;
  try {
    response = await doFetch(url);
  } catch (cause) {
    throw new ArcFaceError('MODEL_DOWNLOAD_FAILED', `Expected to download the model ${url} but the server cannot be reached (${(cause as Error).message})`, {
      cause,
      details: { url },
    });
  }
  if (!response.ok) {
    throw new ArcFaceError('MODEL_DOWNLOAD_FAILED', `Expected the model ${url} but the server answered HTTP ${response.status} ${response.statusText}`.trim(), {
      details: { url, status: response.status },
    });
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await response.arrayBuffer());
  } catch (cause) {
    throw new ArcFaceError('MODEL_DOWNLOAD_FAILED', `Expected the whole model ${url} but the download broke off (${(cause as Error).message})`, { cause });
  }
  const sha256 = await digest(bytes);
  const why = problem(bytes, sha256, known);
  if (why !== undefined) throw new ArcFaceError('MODEL_CHECKSUM_MISMATCH', `Expected ${url} to be ${why}`, { details: { url, sha256 } });
  if (bytes.length === 0) throw new ArcFaceError('MODEL_INVALID', `Expected model bytes at ${url} but the file is empty`);
  if (useCache && known?.sha256 !== undefined) {
    try {
      await (await caches.open(MODEL_CACHE_NAME)).put(url, new Response(bytes.slice().buffer, { headers: { 'content-type': 'application/octet-stream' } }));
    } catch {
      // A full or forbidden cache costs a download next time, nothing more.
    }
  }
  return { url, bytes, sha256, known, fromCache: false };
}

async function cachedBytes(url: string): Promise<Uint8Array | undefined> {
  try {
    const hit = await (await caches.open(MODEL_CACHE_NAME)).match(url);
    return hit === undefined ? undefined : new Uint8Array(await hit.arrayBuffer());
  } catch {
    return undefined;
  }
}

/** Why the bytes are not the registry's file, or `undefined` when they are (or the file is unknown). */
function problem(bytes: Uint8Array, sha256: string, known: KnownModel | undefined): string | undefined {
  if (known === undefined) return undefined;
  if (known.size !== undefined && bytes.length < known.size) {
    return `${known.name} (${known.size} bytes) but it is truncated: ${bytes.length} bytes arrived`;
  }
  if (known.size !== undefined && bytes.length !== known.size) return `${known.name} (${known.size} bytes) but it has ${bytes.length} bytes`;
  if (known.sha256 !== undefined && sha256 !== known.sha256) {
    return `${known.name} with SHA-256 ${known.sha256} but its SHA-256 is ${sha256}: a different or damaged file`;
  }
  return undefined;
}

/** SHA-256 hex: `crypto.subtle` where the page is a secure context, the portable hash elsewhere. */
async function digest(bytes: Uint8Array): Promise<string> {
  const subtle = globalThis.crypto?.subtle;
  if (subtle === undefined) return sha256Hex(bytes);
  const d = new Uint8Array(await subtle.digest('SHA-256', bytes.slice().buffer));
  let hex = '';
  for (const b of d) hex += b.toString(16).padStart(2, '0');
  return hex;
}

import { createHash } from 'node:crypto';
import { open, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArcFaceError, isArcFaceError, assertInteger } from '../core/index.js';
import { ensureModelHome, removeQuietly, removeStaleParts, sha256File, tempPathIn } from './cache.js';
import type { KnownModel, ModelOrigin } from './known-model.js';
import { findKnownModel, KNOWN_MODELS } from './known-models.js';
import { searchFolders, validateModelLocations, type ModelLocations } from './registry.js';
import { extractZipEntry } from './zip-entry.js';

/** A progress event of {@link pullModel}. `totalBytes` is absent when the server sends no length. */
export interface PullProgress {
  readonly phase: 'download' | 'extract' | 'done';
  readonly url: string;
  readonly receivedBytes: number;
  readonly totalBytes?: number;
}

/** The `fetch` signature `pullModel` needs; the global `fetch` by default, injectable for tests. */
export type FetchLike = (url: string, init: { signal: AbortSignal; redirect: 'follow' }) => Promise<Response>;

/** Options of {@link pullModel}. */
export interface PullOptions {
  readonly fetch?: FetchLike;
  readonly onProgress?: (event: PullProgress) => void;
  /** Download even when a verified copy is already present. */
  readonly force?: boolean;
  readonly signal?: AbortSignal;
  /** Abort a download that receives nothing for this long, in ms; default {@link PULL_DEFAULTS}. */
  readonly idleTimeoutMs?: number;
  /** Catalog to look names up in; {@link KNOWN_MODELS} by default. */
  readonly catalog?: readonly KnownModel[];
}

/** What {@link pullModel} did. */
export interface PulledModel {
  readonly name: string;
  /** Absolute path of the model file. */
  readonly path: string;
  readonly sha256: string;
  readonly size: number;
  /** False when a good copy was already present. */
  readonly downloaded: boolean;
  /** True when the SHA-256 matched the registry; false when the registry records none. */
  readonly verified: boolean;
  /** URL it came from, when downloaded. */
  readonly url?: string;
}

/**
 * Defaults of {@link pullModel}. A stalled connection is given up after 60 s without data: long
 * enough for slow mirrors, short enough for a CLI user waiting on it.
 */
export const PULL_DEFAULTS = Object.freeze({ idleTimeoutMs: 60_000 });
/** Longest idle timeout accepted: one hour. */
const MAX_IDLE_TIMEOUT_MS = 3_600_000;
/** Minimum gap between two `download` progress events, so a fast local transfer does not flood the caller. */
const PROGRESS_INTERVAL_MS = 100;

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function manualHelp(model: KnownModel): string {
  const where = model.sources.map((s) => (s.kind === 'zip-entry' ? `${s.url} (extract ${s.entry})` : s.url));
  const from = where.length > 0 ? ` Get it from ${where.join(' or ')}` : ' Get the file';
  return `${from}, then add it with \`arcface models add FILE\` or put its folder in ARCFACE_MODELS.`;
}

function failed(url: string, what: string, cause?: unknown): ArcFaceError {
  return new ArcFaceError('MODEL_DOWNLOAD_FAILED', `Expected to download ${url} but ${what}`, { cause, details: { url } });
}

async function download(url: string, dest: string, options: PullOptions, fetchImpl: FetchLike): Promise<{ sha256: string; size: number }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (e) {
    throw failed(url, 'it is not a valid URL', e);
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && LOOPBACK_HOSTS.has(parsed.hostname))) {
    throw failed(url, 'only HTTPS URLs are fetched (plain HTTP only from this machine)');
  }
  const controller = new AbortController();
  const idleMs = options.idleTimeoutMs ?? PULL_DEFAULTS.idleTimeoutMs;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(new Error(`no data for ${idleMs} ms`)), idleMs);
  };
  const onAbort = (): void => controller.abort(options.signal?.reason);
  if (options.signal?.aborted === true) onAbort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  let complete = false;
  const hash = createHash('sha256');
  let received = 0;
  let total: number | undefined;
  const fh = await open(dest, 'w');
  try {
    arm();
    let response: Response;
    try {
      response = await fetchImpl(url, { signal: controller.signal, redirect: 'follow' });
    } catch (e) {
      throw failed(url, `the server could not be reached (${describeError(e)})`, e);
    }
    if (!response.ok || response.body === null) throw failed(url, `the server answered HTTP ${response.status} ${response.statusText}`.trimEnd());
    // With a content encoding, fetch decodes the body and content-length counts the encoded bytes.
    const encoded = (response.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
    const length = Number(response.headers.get('content-length'));
    total = !encoded && Number.isSafeInteger(length) && length > 0 ? length : undefined;
    const reader = response.body.getReader();
    let last = 0;
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw failed(url, `the connection was lost after ${received} bytes (${describeError(e)})`, e);
      }
      if (chunk.done) break;
      arm();
      hash.update(chunk.value);
      await fh.write(chunk.value);
      received += chunk.value.length;
      const now = Date.now();
      if (now - last >= PROGRESS_INTERVAL_MS) {
        last = now;
        options.onProgress?.({ phase: 'download', url, receivedBytes: received, ...(total === undefined ? {} : { totalBytes: total }) });
      }
    }
    if (total !== undefined && received !== total) throw failed(url, `the body ended after ${received} of ${total} bytes`);
    options.onProgress?.({ phase: 'download', url, receivedBytes: received, ...(total === undefined ? {} : { totalBytes: total }) });
    complete = true;
    return { sha256: hash.digest('hex'), size: received };
  } finally {
    clearTimeout(timer);
    // Release the connection of a failed transfer now rather than when it is collected.
    if (!complete) controller.abort();
    options.signal?.removeEventListener('abort', onAbort);
    await fh.close();
  }
}

function describeError(e: unknown): string {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
  return `${e.message}${cause}`;
}

function mismatch(model: KnownModel, what: string, expected: string, actual: string, url: string): ArcFaceError {
  return new ArcFaceError('MODEL_CHECKSUM_MISMATCH', `Expected ${what} SHA-256 ${expected} for ${model.name} from ${url} but received ${actual}`, {
    details: { name: model.name, url, expected, actual },
  });
}

async function fetchSource(
  model: KnownModel,
  source: Exclude<ModelOrigin, { kind: 'page' }>,
  home: string,
  options: PullOptions,
  fetchImpl: FetchLike,
): Promise<PulledModel> {
  const target = join(home, model.fileName);
  const tmp = tempPathIn(home, model.fileName);
  const zipTmp = source.kind === 'zip-entry' ? tempPathIn(home, `${model.fileName}.zip`) : undefined;
  try {
    let got: { sha256: string; size: number };
    if (zipTmp === undefined || source.kind !== 'zip-entry') {
      got = await download(source.url, tmp, options, fetchImpl);
    } else {
      const zip = await download(source.url, zipTmp, options, fetchImpl);
      if (source.archiveSha256 !== undefined && zip.sha256 !== source.archiveSha256)
        throw mismatch(model, 'archive', source.archiveSha256, zip.sha256, source.url);
      options.onProgress?.({ phase: 'extract', url: source.url, receivedBytes: zip.size, totalBytes: zip.size });
      got = await extractZipEntry(zipTmp, source.entry, tmp);
    }
    if (model.sha256 !== undefined && got.sha256 !== model.sha256) throw mismatch(model, 'file', model.sha256, got.sha256, source.url);
    await rename(tmp, target);
    options.onProgress?.({ phase: 'done', url: source.url, receivedBytes: got.size, totalBytes: got.size });
    return { name: model.name, path: target, sha256: got.sha256, size: got.size, downloaded: true, verified: model.sha256 !== undefined, url: source.url };
  } finally {
    await removeQuietly(tmp);
    if (zipTmp !== undefined) await removeQuietly(zipTmp);
  }
}

async function presentCopy(model: KnownModel, locations: ModelLocations): Promise<PulledModel | undefined> {
  for (const folder of searchFolders(locations)) {
    const path = join(folder, model.fileName);
    const info = await stat(path).catch(() => undefined);
    if (info?.isFile() !== true || (model.size !== undefined && info.size !== model.size)) continue;
    const sha256 = await sha256File(path);
    if (model.sha256 !== undefined && sha256 !== model.sha256) continue;
    return { name: model.name, path, sha256, size: info.size, downloaded: false, verified: model.sha256 !== undefined };
  }
  return undefined;
}

/**
 * Downloads a known model into `locations.home`. Sources are tried in order; each streams to a
 * hidden temporary file in the cache folder, is checked against the registry's SHA-256 (when it
 * records one) and is renamed into place, so a failed or interrupted pull never leaves a partial
 * file. Zip packs (InsightFace "buffalo") are downloaded whole and the one entry is extracted.
 * A good copy already in `dirs` or `home` is returned without downloading unless `force` is set.
 *
 * Throws `MODEL_UNKNOWN_NAME`, `MODEL_DOWNLOAD_FAILED` (unreachable, HTTP error, cut connection,
 * no direct download; the message says how to add the file by hand), `MODEL_CHECKSUM_MISMATCH`,
 * `ARCHIVE_INVALID` or `MODEL_CACHE_UNWRITABLE`.
 *
 * @example
 * const { path } = await pullModel('yunet-n', locations, { onProgress: (e) => bar.update(e.receivedBytes) })
 */
export async function pullModel(nameOrModel: string | KnownModel, locations: ModelLocations, options: PullOptions = {}): Promise<PulledModel> {
  const catalog = options.catalog ?? KNOWN_MODELS;
  const model = typeof nameOrModel === 'string' ? findKnownModel(nameOrModel, catalog) : nameOrModel;
  if (model === undefined) {
    throw new ArcFaceError(
      'MODEL_UNKNOWN_NAME',
      `Expected a known model name but received "${String(nameOrModel)}". Known names: ${catalog.map((m) => m.name).join(', ')}`,
    );
  }
  const loc = validateModelLocations(locations);
  if (options.idleTimeoutMs !== undefined) assertInteger('idleTimeoutMs', options.idleTimeoutMs, 1, MAX_IDLE_TIMEOUT_MS);
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') {
    throw new TypeError(`Expected a function for onProgress but received ${typeof options.onProgress}`);
  }
  if (options.force !== true) {
    const present = await presentCopy(model, loc);
    if (present !== undefined) return present;
  }
  const downloadable = model.sources.filter((s): s is Exclude<ModelOrigin, { kind: 'page' }> => s.kind !== 'page');
  if (downloadable.length === 0) {
    const notes = model.sources.map((s) => s.note).filter((n): n is string => n !== undefined);
    throw new ArcFaceError(
      'MODEL_DOWNLOAD_FAILED',
      `Expected a direct download for ${model.name} but none is published.${notes.length > 0 ? ` ${notes.join(' ')}` : ''}${manualHelp(model)}`,
      { details: { name: model.name } },
    );
  }
  await ensureModelHome(loc.home);
  await removeStaleParts(loc.home, model.fileName, MAX_IDLE_TIMEOUT_MS);
  const fetchImpl: FetchLike = options.fetch ?? ((url, init) => fetch(url, init));
  const errors: ArcFaceError[] = [];
  for (const source of downloadable) {
    try {
      return await fetchSource(model, source, loc.home, options, fetchImpl);
    } catch (e) {
      if (options.signal?.aborted === true) throw failed(source.url, 'the download was cancelled', e);
      errors.push(isArcFaceError(e) ? e : failed(source.url, describeError(e), e));
    }
  }
  const last = errors[errors.length - 1];
  const code = last !== undefined && last.code !== 'MODEL_DOWNLOAD_FAILED' && errors.every((e) => e.code === last.code) ? last.code : 'MODEL_DOWNLOAD_FAILED';
  throw new ArcFaceError(
    code,
    `Expected to pull ${model.name} but every source failed:\n${errors.map((e) => `  - ${e.message}`).join('\n')}\n${manualHelp(model).trim()}`,
    {
      cause: last,
      details: { name: model.name, attempts: errors.map((e) => e.toJSON()) },
    },
  );
}

import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { ArcFaceError } from '../core/index.js';
import type { KnownModel } from './known-model.js';
import { findKnownModel, findKnownModelByFileName, KNOWN_MODELS } from './known-models.js';

/**
 * Where models are looked up. Apps build it from `ARCFACE_HOME` / `ARCFACE_MODELS` with
 * `modelLocationsFromEnv`; `FaceRecognizer.create` does the same when given no locations.
 */
export interface ModelLocations {
  /** Cache folder that `pullModel` and `addModel` write to; `''` for none (lookups use `dirs` only). */
  readonly home: string;
  /** Extra read-only folders, searched before `home`. */
  readonly dirs: readonly string[];
}

/** File name endings of model files: ONNX and NN Archives (the endings the archive reader accepts). */
const MODEL_FILE_ENDINGS = ['.onnx', '.tar.xz', '.txz', '.tar.gz', '.tgz', '.tar'] as const;

/**
 * Checks a {@link ModelLocations} value and returns a frozen copy with absolute paths.
 *
 * @example
 * const locations = validateModelLocations({ home: '/tmp/arcface', dirs: ['/models'] })
 */
export function validateModelLocations(value: unknown): ModelLocations {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`Expected model locations {home, dirs} but received ${value === null ? 'null' : typeof value}`);
  }
  const given = value as { home?: unknown; dirs?: unknown };
  // Either field may be left out: `{ dirs }` searches those folders only, `{ home }` the cache only.
  const home = given.home ?? '';
  const dirs = given.dirs ?? [];
  if (typeof home !== 'string') {
    throw new TypeError(`Expected a string for locations.home but received ${JSON.stringify(home) ?? typeof home}`);
  }
  if (!Array.isArray(dirs) || !dirs.every((d): d is string => typeof d === 'string' && d.length > 0)) {
    throw new TypeError(`Expected an array of non-empty strings for locations.dirs but received ${JSON.stringify(dirs) ?? typeof dirs}`);
  }
  return Object.freeze({ home: home === '' ? '' : resolve(home), dirs: Object.freeze(dirs.map((d) => resolve(d))) });
}

/**
 * Folders searched for a model file, in order: `dirs`, then `home`.
 *
 * @example
 * searchFolders({ home: '/cache', dirs: ['/a', '/b'] }) // ['/a', '/b', '/cache']
 */
export function searchFolders(locations: ModelLocations): readonly string[] {
  return locations.home === '' ? [...locations.dirs] : [...locations.dirs, locations.home];
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function looksLikePath(s: string): boolean {
  return isAbsolute(s) || s.includes('/') || s.includes('\\') || MODEL_FILE_ENDINGS.some((e) => s.toLowerCase().endsWith(e));
}

function notFoundMessage(what: string, fileName: string, folders: readonly string[], model: KnownModel | undefined): string {
  const where = folders.length > 0 ? folders.map((f) => `  ${f}`).join('\n') : '  (no folders)';
  const pull = model?.sources.some((s) => s.kind !== 'page') ? `Download it with \`arcface models pull ${model.name}\`, or add` : 'Add';
  return (
    `Expected model ${what} but no file ${fileName} was found. Looked in:\n${where}\n` +
    `${pull} the file by hand with \`arcface models add FILE\`, or put its folder in ARCFACE_MODELS.`
  );
}

/**
 * Finds a model file. A path to an existing file is returned as is (made absolute). A registry
 * name (e.g. `w600k-mbf-int8`) or a bare file name (e.g. `det_500m.onnx`) is looked up by file
 * name in `locations.dirs`, then `locations.home`. Where the registry records a size, a file of
 * another size is skipped as damaged or different.
 *
 * Throws `MODEL_UNKNOWN_NAME` (the message lists the known names), `MODEL_NOT_FOUND` (the message
 * says where it looked and how to pull or add the file) or `MODEL_CHECKSUM_MISMATCH` when only
 * files of the wrong size were found.
 *
 * @example
 * const path = resolveModelPath('w600k-mbf-int8', { home: '/home/me/.cache/arcface', dirs: ['/srv/models'] })
 */
export function resolveModelPath(nameOrPath: string, locations: ModelLocations, catalog: readonly KnownModel[] = KNOWN_MODELS): string {
  if (typeof nameOrPath !== 'string' || nameOrPath.length === 0) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected a model name or path but received ${JSON.stringify(nameOrPath) ?? typeof nameOrPath}`);
  }
  const loc = validateModelLocations(locations);
  if (isFile(nameOrPath)) return resolve(nameOrPath);

  const byName = findKnownModel(nameOrPath, catalog);
  const isBareName = !nameOrPath.includes('/') && !nameOrPath.includes('\\');
  const model = byName ?? (isBareName ? findKnownModelByFileName(nameOrPath, catalog) : undefined);
  if (model === undefined && !looksLikePath(nameOrPath)) {
    throw new ArcFaceError(
      'MODEL_UNKNOWN_NAME',
      `Expected a known model name or a path to a model file but received "${nameOrPath}". Known names: ${catalog.map((m) => m.name).join(', ')}`,
      { details: { name: nameOrPath } },
    );
  }
  if (model === undefined && !isBareName) {
    throw new ArcFaceError('MODEL_NOT_FOUND', `Expected a model file at ${resolve(nameOrPath)} but there is no such file`, {
      details: { path: resolve(nameOrPath) },
    });
  }
  const fileName = model?.fileName ?? nameOrPath;
  const folders = searchFolders(loc);
  const wrongSize: string[] = [];
  for (const folder of folders) {
    const candidate = join(folder, fileName);
    if (!isFile(candidate)) continue;
    if (model?.size !== undefined && statSync(candidate).size !== model.size) {
      wrongSize.push(candidate);
      continue;
    }
    return candidate;
  }
  if (wrongSize.length > 0 && model !== undefined) {
    throw new ArcFaceError(
      'MODEL_CHECKSUM_MISMATCH',
      `Expected ${fileName} of ${model.size} bytes for model ${model.name} but found only files of another size: ` +
        `${wrongSize.join(', ')}. Remove them and run \`arcface models pull ${model.name}\` or \`arcface models add FILE\`, ` +
        'or pass the file path itself to use a different version on purpose.',
      { details: { name: model.name, paths: wrongSize } },
    );
  }
  throw new ArcFaceError('MODEL_NOT_FOUND', notFoundMessage(model === undefined ? `"${nameOrPath}"` : model.name, fileName, folders, model), {
    details: { name: model?.name ?? nameOrPath, fileName, folders },
  });
}

/** One row of {@link listModels}. */
export interface ModelListing {
  /** Registry name, or the file name for a file the registry does not know. */
  readonly name: string;
  readonly fileName: string;
  readonly known: boolean;
  readonly task?: KnownModel['task'];
  readonly nonCommercial?: boolean;
  /** Absolute path of the first copy found, in search order; `undefined` when missing. */
  readonly path?: string;
  /** Size of the file found, in bytes. */
  readonly size?: number;
  /** Size the registry records, when known. */
  readonly expectedSize?: number;
  /** `missing`, `found`, or `size-mismatch` (the file's size differs from the registry's). */
  readonly status: 'missing' | 'found' | 'size-mismatch';
}

function modelFilesIn(folder: string): string[] {
  if (!existsSync(folder)) return [];
  try {
    return readdirSync(folder, { withFileTypes: true })
      .filter((e) => e.isFile() && !e.name.startsWith('.') && MODEL_FILE_ENDINGS.some((end) => e.name.endsWith(end)))
      .map((e) => e.name)
      .sort();
  } catch {
    return [];
  }
}

/**
 * Every known model with where it was found (first folder in search order) and its size, then any
 * other model files (`.onnx`, `.tar.xz`, `.tar`) lying in the searched folders. Reads sizes only;
 * {@link verifyModels} checks contents.
 *
 * @example
 * for (const m of listModels(locations)) console.log(m.name, m.status, m.path ?? '-')
 */
export function listModels(locations: ModelLocations, catalog: readonly KnownModel[] = KNOWN_MODELS): ModelListing[] {
  const loc = validateModelLocations(locations);
  const folders = searchFolders(loc);
  const rows: ModelListing[] = catalog.map((m) => {
    const base = { name: m.name, fileName: m.fileName, known: true, task: m.task, nonCommercial: m.licence.nonCommercial, expectedSize: m.size };
    for (const folder of folders) {
      const path = join(folder, m.fileName);
      if (!isFile(path)) continue;
      const size = statSync(path).size;
      return { ...base, path, size, status: m.size !== undefined && m.size !== size ? 'size-mismatch' : 'found' } as const;
    }
    return { ...base, status: 'missing' } as const;
  });
  const seen = new Set(catalog.map((m) => m.fileName));
  for (const folder of folders) {
    for (const name of modelFilesIn(folder)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const path = join(folder, name);
      rows.push({ name: basename(name), fileName: name, known: false, path, size: statSync(path).size, status: 'found' });
    }
  }
  return rows;
}

import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ArcFaceError } from '../core/index.js';
import type { KnownModel } from './known-model.js';
import { findKnownModel, findKnownModelByFileName, findKnownModelBySha256, KNOWN_MODELS } from './known-models.js';
import { listModels, searchFolders, validateModelLocations, type ModelLocations } from './registry.js';

/**
 * SHA-256 of a file, lower-case hex, read as a stream (models can be hundreds of MB).
 *
 * @example
 * const hex = await sha256File('/models/det_500m.onnx')
 */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (e) {
    throw new ArcFaceError(
      'FILE_NOT_FOUND',
      `Expected a readable file at ${path} but it could not be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      {
        cause: e,
        details: { path },
      },
    );
  }
  return hash.digest('hex');
}

/**
 * A fresh hidden temporary path beside `fileName` in `dir`, for writing before an atomic rename.
 * The `.part` ending and leading dot keep it out of `listModels`.
 *
 * @example
 * const tmp = tempPathIn(home, 'det_500m.onnx') // '<home>/.det_500m.onnx.3f2a9c1e.part'
 */
export function tempPathIn(dir: string, fileName: string): string {
  return join(dir, `.${fileName}.${randomUUID().slice(0, 8)}.part`);
}

/**
 * Removes a file if present; never throws (used on failure paths).
 *
 * @example
 * await removeQuietly(tmp)
 */
export async function removeQuietly(path: string): Promise<void> {
  await rm(path, { force: true }).catch(() => undefined);
}

/**
 * Removes temporary `.part` files of `fileName` in `dir` untouched for longer than `olderThanMs`:
 * leftovers of a pull that was killed before it could clean up. A live transfer writes far more
 * often than that, so it is never touched.
 *
 * @example
 * await removeStaleParts(home, 'w600k_r50.onnx', 3_600_000)
 */
export async function removeStaleParts(dir: string, fileName: string, olderThanMs: number): Promise<number> {
  const names = await readdir(dir).catch(() => [] as string[]);
  let removed = 0;
  for (const name of names) {
    if (!name.startsWith(`.${fileName}.`) || !name.endsWith('.part')) continue;
    const path = join(dir, name);
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > olderThanMs) {
      await removeQuietly(path);
      removed++;
    }
  }
  return removed;
}

/**
 * Creates the model cache folder if needed; throws `MODEL_CACHE_UNWRITABLE` when no folder is set
 * (`''`) or it cannot be created (a file in the way, no permission, read-only disk).
 *
 * @example
 * await ensureModelHome(locations.home)
 */
export async function ensureModelHome(home: string): Promise<void> {
  if (home === '') {
    throw new ArcFaceError('MODEL_CACHE_UNWRITABLE', 'Expected a model folder to write to but none is set: set ARCFACE_HOME (or pass locations.home)');
  }
  try {
    await mkdir(home, { recursive: true });
  } catch (e) {
    throw new ArcFaceError(
      'MODEL_CACHE_UNWRITABLE',
      `Expected a writable model folder at ${home} but it could not be created (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}). Set ARCFACE_HOME to a writable folder.`,
      { cause: e, details: { home } },
    );
  }
}

/** What {@link addModel} did. */
export interface AddedModel {
  /** Absolute path of the file in the cache. */
  readonly path: string;
  /** Registry name when the file is a known model, else `undefined`. */
  readonly name: string | undefined;
  readonly sha256: string;
  readonly size: number;
  /** False when an identical file was already in the cache. */
  readonly copied: boolean;
}

/** Options of {@link addModel}. */
export interface AddModelOptions {
  /** Store the file as this known model (for models without a recorded checksum, e.g. a downloaded zoo archive). */
  readonly as?: string;
  readonly catalog?: readonly KnownModel[];
}

/**
 * Copies a model file into `locations.home`. A file whose SHA-256 matches a known model is stored
 * under that model's registry file name; any other file under its own name. A file named like a
 * known model but with other contents is refused (`MODEL_CHECKSUM_MISMATCH`), so the cache never
 * holds a file that `verifyModels` would reject. The copy is atomic: temp file, then rename.
 *
 * @example
 * const added = await addModel('./Downloads/w600k_mbf.onnx', locations) // added.name === 'w600k-mbf'
 */
export async function addModel(file: string, locations: ModelLocations, options: AddModelOptions = {}): Promise<AddedModel> {
  if (typeof file !== 'string' || file.length === 0) {
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected a path to a model file but received ${JSON.stringify(file) ?? typeof file}`);
  }
  const loc = validateModelLocations(locations);
  const catalog = options.catalog ?? KNOWN_MODELS;
  const source = resolve(file);
  const info = await stat(source).catch(() => undefined);
  if (info === undefined || !info.isFile()) {
    throw new ArcFaceError('FILE_NOT_FOUND', `Expected a model file at ${source} but there is no such file`, { details: { path: source } });
  }
  const sha256 = await sha256File(source);
  let model: KnownModel | undefined;
  if (options.as !== undefined) {
    model = findKnownModel(options.as, catalog);
    if (model === undefined) {
      throw new ArcFaceError(
        'MODEL_UNKNOWN_NAME',
        `Expected a known model name for "as" but received "${options.as}". Known names: ${catalog.map((m) => m.name).join(', ')}`,
      );
    }
    if (model.sha256 !== undefined && model.sha256 !== sha256) {
      throw new ArcFaceError('MODEL_CHECKSUM_MISMATCH', `Expected SHA-256 ${model.sha256} for ${model.name} but ${source} has ${sha256}`, {
        details: { name: model.name, expected: model.sha256, actual: sha256 },
      });
    }
  } else {
    model = findKnownModelBySha256(sha256, catalog);
    const sameName = findKnownModelByFileName(source, catalog);
    if (model === undefined && sameName?.sha256 !== undefined) {
      throw new ArcFaceError(
        'MODEL_CHECKSUM_MISMATCH',
        `Expected ${basename(source)} to be model ${sameName.name} with SHA-256 ${sameName.sha256} but it has ${sha256}. ` +
          'The file is damaged or a different model: rename it to add it as a custom model.',
        { details: { name: sameName.name, expected: sameName.sha256, actual: sha256 } },
      );
    }
    model ??= sameName;
  }
  const fileName = model?.fileName ?? basename(source);
  if (loc.home === '') await ensureModelHome(loc.home);
  const target = join(loc.home, fileName);
  if (target === source) return { path: target, name: model?.name, sha256, size: info.size, copied: false };
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isFile() === true && existing.size === info.size && (await sha256File(target)) === sha256) {
    return { path: target, name: model?.name, sha256, size: info.size, copied: false };
  }
  await ensureModelHome(loc.home);
  const tmp = tempPathIn(loc.home, fileName);
  try {
    await copyFile(source, tmp);
    await rename(tmp, target);
  } catch (e) {
    await removeQuietly(tmp);
    throw new ArcFaceError('MODEL_CACHE_UNWRITABLE', `Expected to copy ${source} into ${loc.home} but it failed: ${(e as Error).message}`, { cause: e });
  }
  return { path: target, name: model?.name, sha256, size: info.size, copied: true };
}

/** One row of {@link verifyModels}. */
export interface VerifiedModel {
  /** Registry name, or the file name for a file the registry does not know. */
  readonly name: string;
  readonly path: string;
  readonly size: number;
  readonly sha256: string;
  readonly expectedSha256?: string;
  /**
   * `ok` (matches the registry), `mismatch` (differs: damaged or another model), `unverifiable`
   * (a known model with no recorded checksum), `unknown` (a file the registry does not know).
   */
  readonly status: 'ok' | 'mismatch' | 'unverifiable' | 'unknown';
}

/**
 * Hashes every model file found in the searched folders (every copy of a known model, and other
 * model files) and compares it with the registry. Never throws on a mismatch: callers decide.
 *
 * @example
 * const bad = (await verifyModels(locations)).filter((r) => r.status === 'mismatch')
 */
export async function verifyModels(
  locations: ModelLocations,
  options: { catalog?: readonly KnownModel[]; onFile?: (path: string) => void } = {},
): Promise<VerifiedModel[]> {
  const loc = validateModelLocations(locations);
  const catalog = options.catalog ?? KNOWN_MODELS;
  const paths = new Set<string>();
  for (const folder of searchFolders(loc)) {
    for (const m of catalog) {
      const p = join(folder, m.fileName);
      if ((await stat(p).catch(() => undefined))?.isFile() === true) paths.add(p);
    }
  }
  for (const row of listModels(loc, catalog)) if (!row.known && row.path !== undefined) paths.add(row.path);
  const out: VerifiedModel[] = [];
  for (const path of paths) {
    options.onFile?.(path);
    const model = findKnownModelByFileName(path, catalog);
    const [sha256, info] = await Promise.all([sha256File(path), stat(path)]);
    const base = { name: model?.name ?? basename(path), path, size: info.size, sha256 };
    if (model === undefined) out.push({ ...base, status: 'unknown' });
    else if (model.sha256 === undefined) out.push({ ...base, status: 'unverifiable' });
    else out.push({ ...base, expectedSha256: model.sha256, status: model.sha256 === sha256 ? 'ok' : 'mismatch' });
  }
  return out;
}

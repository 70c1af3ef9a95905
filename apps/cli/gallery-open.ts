import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArcFaceError, isArcFaceError } from '../../src/core/index.js';
import {
  isPostgresLocation,
  localKeyEncryptionKey,
  openGallery,
  parseKeyMaterial,
  SqliteGalleryStore,
  type Gallery,
  type GalleryOptions,
  type KeyEncryptionKey,
} from '../../src/gallery/index.js';
import { PEOPLE_FORGET_STEP } from '../../src/people/index.js';
import { SIGHTINGS_FORGET_STEP } from '../../src/sightings/index.js';
import { knownModelOfFingerprint } from '../../src/models/index.js';
import { RECOGNIZER_DEFAULTS } from '../../src/pipeline/index.js';
import type { CliContext } from './context.js';

/** Whether a command may create the gallery it names (enrol, import) or needs it to exist. */
export type GalleryAccess = 'create' | 'existing';

/**
 * The gallery location: `--gallery`, else `ARCFACE_GALLERY`, else `gallery.db` in the model home.
 *
 * @example
 * galleryLocation(ctx, undefined) // '/home/me/.cache/arcface/gallery.db'
 */
export function galleryLocation(ctx: CliContext, given: string | undefined): string {
  return given ?? ctx.env.ARCFACE_GALLERY ?? join(ctx.locations.home, 'gallery.db');
}

/**
 * `FILE_NOT_FOUND` for a SQLite gallery that does not exist: a mistyped `--gallery` must not turn
 * into an empty gallery that answers "unknown" to every face. Only enrol and import create one.
 *
 * @example
 * assertGalleryExists('people.db')
 */
export function assertGalleryExists(location: string): void {
  if (isPostgresLocation(location) || existsSync(location)) return;
  throw new ArcFaceError(
    'FILE_NOT_FOUND',
    `Expected a gallery at ${location} but none exists (only \`arcface enroll\` and \`arcface gallery import\` create one)`,
  );
}

/**
 * The recogniser to load for a command on a gallery: the one given, else the registry model the
 * existing gallery was built with, else the default.
 *
 * @example
 * await recognizerFor(ctx, 'people.db', undefined) // 'w600k-mbf-int8'
 */
export async function recognizerFor(location: string, given: string | undefined): Promise<string> {
  if (given !== undefined) return given;
  if (!isPostgresLocation(location) && !existsSync(location)) return RECOGNIZER_DEFAULTS.recognizer;
  let fingerprint: string;
  if (isPostgresLocation(location)) {
    let g: Gallery;
    try {
      g = await openGallery(location);
    } catch (e) {
      // A database without a gallery yet: it opens only with a model, so the default one creates it.
      if (isArcFaceError(e, 'INVALID_ARGUMENT')) return RECOGNIZER_DEFAULTS.recognizer;
      throw e;
    }
    fingerprint = g.fingerprint;
    await g.close();
  } else {
    fingerprint = (await SqliteGalleryStore.inspect(location)).fingerprint;
  }
  return knownModelOfFingerprint(fingerprint)?.name ?? RECOGNIZER_DEFAULTS.recognizer;
}

/**
 * The key-encryption key of a sealed gallery: the key file `file` (`--kek-file`), else the key in
 * `ARCFACE_GALLERY_KEK` (64 hex digits or base64 of 32 bytes), else none.
 *
 * @example
 * const kek = await readKek(ctx, o.kekFile)
 */
export async function readKek(ctx: CliContext, file: string | undefined): Promise<KeyEncryptionKey | undefined> {
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new ArcFaceError('FILE_NOT_FOUND', `Expected a key file at ${file} but it cannot be read`, { cause });
    }
    return localKeyEncryptionKey(parseKeyMaterial(text, file));
  }
  const env = ctx.env.ARCFACE_GALLERY_KEK;
  return env === undefined || env === '' ? undefined : localKeyEncryptionKey(parseKeyMaterial(env, 'ARCFACE_GALLERY_KEK'));
}

/**
 * Opens the gallery of a command: `existing` refuses a missing SQLite file; `create` says on stderr
 * when it creates one. Without `options.kek`, the key of `ARCFACE_GALLERY_KEK` opens a sealed
 * gallery. People discovery's forget step is registered, so `gallery forget` removes its faces.
 *
 * @example
 * const g = await openCommandGallery(ctx, 'people.db', 'create', { fingerprint, embeddingSize: 512 })
 */
export async function openCommandGallery(ctx: CliContext, location: string, access: GalleryAccess, options: GalleryOptions): Promise<Gallery> {
  const isNew = !isPostgresLocation(location) && !existsSync(location);
  if (access === 'existing') assertGalleryExists(location);
  const kek = options.kek ?? (await readKek(ctx, undefined));
  const g = await openGallery(location, kek === undefined ? options : { ...options, kek });
  g.registerForgetStep(PEOPLE_FORGET_STEP);
  g.registerForgetStep(SIGHTINGS_FORGET_STEP);
  if (isNew && !ctx.json) ctx.stderr.write(`arcface: created gallery ${location}\n`);
  else if (isNew) ctx.stderr.write(`${JSON.stringify({ notice: 'GALLERY_CREATED', location })}\n`);
  return g;
}

/** What {@link withModelGallery} needs of a loaded recogniser. */
export interface GalleryModel {
  readonly fingerprint: string;
  readonly embeddingSize: number;
  dispose(): Promise<void>;
}

/**
 * Opens the command's gallery for a loaded recogniser, runs `fn`, then closes the gallery and disposes
 * of the recogniser (also when `threshold` or the open throws). `threshold` picks the decision
 * threshold from the recogniser (and may refuse with a coded error).
 *
 * @example
 * await withModelGallery(ctx, 'people.db', 'create', fr, (f) => f.threshold, (g) => g.list())
 */
export async function withModelGallery<M extends GalleryModel, T>(
  ctx: CliContext,
  location: string,
  access: GalleryAccess,
  model: M,
  threshold: (model: M) => number | undefined,
  fn: (g: Gallery) => Promise<T>,
  kek?: KeyEncryptionKey,
): Promise<T> {
  try {
    const t = threshold(model);
    const options = {
      fingerprint: model.fingerprint,
      embeddingSize: model.embeddingSize,
      ...(t === undefined ? {} : { threshold: t }),
      ...(kek === undefined ? {} : { kek }),
    };
    const g = await openCommandGallery(ctx, location, access, options);
    try {
      return await fn(g);
    } finally {
      await g.close();
    }
  } finally {
    await model.dispose();
  }
}

/**
 * Help of `--kek-file`.
 *
 * @example
 * cmd.option('--kek-file <path>', KEK_FILE_HELP)
 */
export const KEK_FILE_HELP =
  'key-encryption key of a sealed gallery: a file holding 64 hex digits or base64 of 32 bytes (default $ARCFACE_GALLERY_KEK, the key itself)';

/** Options every `gallery` subcommand takes. */
export type GOpts = { gallery?: string; json?: boolean; kekFile?: string };

/**
 * Adds the options of every `gallery` subcommand: `--gallery`, `--kek-file`, `--json`.
 *
 * @example
 * manage(gallery.command('list'))
 */
export function manage(cmd: Command): Command {
  return cmd
    .option('-g, --gallery <path|postgres://url>', 'gallery (default $ARCFACE_GALLERY, else gallery.db in ARCFACE_HOME)')
    .option('--kek-file <path>', KEK_FILE_HELP)
    .option('--json', 'compact JSON for machines');
}

/**
 * Opens an existing gallery with the model it records (no model is loaded), with the key of
 * `--kek-file` or `ARCFACE_GALLERY_KEK` when given, runs `fn` and closes it.
 *
 * @example
 * await withGallery(ctx, o, async (g) => printJson(ctx, await g.list()))
 */
export async function withGallery<T>(ctx: CliContext, o: GOpts, fn: (g: Gallery) => Promise<T>): Promise<T> {
  ctx.json = o.json === true;
  const kek = await readKek(ctx, o.kekFile);
  const g = await openCommandGallery(ctx, galleryLocation(ctx, o.gallery), 'existing', kek === undefined ? {} : { kek });
  try {
    return await fn(g);
  } finally {
    await g.close();
  }
}

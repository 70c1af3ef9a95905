import type { Stats } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { ArcFaceError, asArcFaceError, isArcFaceError } from '../../src/core/index.js';
import { findKnownModel, findKnownModelByFileName, licenceNoticeOnce, modelLocationsFromEnv, type ModelLocations } from '../../src/models/index.js';
import { IMAGE_EXTENSIONS } from '../../src/image/index.js';

/** What every command gets: where models are, output streams, and the JSON switch. */
export interface CliContext {
  readonly locations: ModelLocations;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly env: NodeJS.ProcessEnv;
  /** Machine output: JSON only on stdout, no decoration, no progress. */
  json: boolean;
  /** Exit code a command chose without failing (many-file commands, see `FileOutcomes`). */
  exitCode?: number;
}

/**
 * The context of the running process (environment read here, in apps/).
 *
 * @example
 * const ctx = contextFromProcess()
 */
export function contextFromProcess(): CliContext {
  return { locations: modelLocationsFromEnv(process.env), stdout: process.stdout, stderr: process.stderr, env: process.env, json: false };
}

/** Exit codes, documented in the README. */
export const EXIT = Object.freeze({ ok: 0, usage: 1, badInput: 2, model: 3, noFace: 4 });

/**
 * Writes a value as JSON on stdout: compact for `--json`, indented otherwise.
 *
 * @example
 * printJson(ctx, { similarity: 0.71 })
 */
export function printJson(ctx: CliContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, ctx.json ? undefined : 2)}\n`);
}

/**
 * Prints an error to stderr (`arcface: CODE: message`, or `{code, message}` as JSON with --json) and
 * returns its exit code.
 *
 * @example
 * process.exitCode = reportError(ctx, err)
 */
export function reportError(ctx: CliContext, err: unknown): number {
  const e = asArcFaceError(err);
  ctx.stderr.write(ctx.json ? `${JSON.stringify(e.toJSON())}\n` : `arcface: ${e.code}: ${e.message}\n`);
  return isArcFaceError(err) ? e.exitCode : EXIT.usage;
}

/**
 * A warning on stderr that does not change the exit code: `arcface: warning: …`, or with `--json`
 * one line `{"warning": CODE, "message"}`.
 *
 * @example
 * warn(ctx, 'NO_IMAGES', 'photos/ holds no image files')
 */
export function warn(ctx: Pick<CliContext, 'stderr' | 'json'>, code: string, message: string): void {
  ctx.stderr.write(ctx.json ? `${JSON.stringify({ warning: code, message })}\n` : `arcface: warning: ${message}\n`);
}

/**
 * Expands arguments into image files: files are kept as given, directories are walked recursively
 * for image extensions, sorted. A path that does not exist raises `FILE_NOT_FOUND`; given `ctx`, a
 * folder without images is a warning on stderr.
 *
 * @example
 * await expandImageArgs(['a.jpg', 'photos/'])
 */
export async function expandImageArgs(args: readonly string[], ctx?: Pick<CliContext, 'stderr' | 'json'>): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    let st: Stats;
    try {
      st = await stat(arg);
    } catch (err) {
      throw new ArcFaceError('FILE_NOT_FOUND', `Expected an image file or a folder at ${arg} but nothing is there`, { cause: err });
    }
    if (!st.isDirectory()) {
      out.push(arg);
      continue;
    }
    const found = await walk(arg);
    if (found.length === 0 && ctx !== undefined) warn(ctx, 'NO_IMAGES', `${arg} holds no image files (${IMAGE_EXTENSIONS.join(' ')})`);
    out.push(...found);
  }
  return out;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files.push(...(await walk(p)));
    else if (IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) files.push(p);
  }
  return files;
}

/**
 * Prints the licence notice of a non-commercial model to stderr the first time it is used from this
 * model home.
 *
 * @example
 * await noticeLicence(ctx, 'w600k-mbf-int8', '/models/w600k_mbf_int8.onnx')
 */
export async function noticeLicence(ctx: CliContext, name: string, path?: string): Promise<void> {
  const model = findKnownModel(name) ?? (path === undefined ? undefined : findKnownModelByFileName(path));
  if (model === undefined) return;
  try {
    const notice = await licenceNoticeOnce(model, ctx.locations);
    if (notice !== undefined) ctx.stderr.write(`${notice}\n`);
  } catch {
    // A read-only model home must not stop the command; the notice is advisory.
  }
}

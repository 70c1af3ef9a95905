import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (the folder holding package.json). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The shared models/data/goldens folder: `ARCFACE_SHARED`, else `../shared` beside the repository.
 * Tests that need it fail loudly when it is missing; they never skip.
 */
export function sharedDir(): string {
  const dir = process.env.ARCFACE_SHARED ?? resolve(REPO_ROOT, '..', 'shared');
  if (!existsSync(dir)) {
    throw new Error(`Shared test material not found at ${dir}: set ARCFACE_SHARED or place it at ../shared beside the repository`);
  }
  return dir;
}

/** Absolute path of a file under the shared folder; throws when it is missing. */
export function sharedPath(...parts: string[]): string {
  const p = join(sharedDir(), ...parts);
  if (!existsSync(p)) throw new Error(`Required shared file missing: ${p}`);
  return p;
}

/** A fresh scratch folder under test-output/ for files a test writes. */
export function testOutputDir(name: string): string {
  return join(REPO_ROOT, 'test-output', name);
}

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { testOutputDir } from '../helpers/shared.js';
import { near, rng, syntheticPeople } from './synthetic.js';

/** A fingerprint in the shape of `modelFingerprint()`; tests of stores need no real model. */
export const FP = 'sha256:0f0e|RGB|NCHW|127.5,127.5,127.5|127.5,127.5,127.5|112|512';
export const OTHER_FP = 'sha256:beef|RGB|NCHW|127.5,127.5,127.5|127.5,127.5,127.5|112|512';
export const DIM = 512;

/** A fresh, empty scratch folder. */
export function scratch(name: string): string {
  const dir = testOutputDir(join('gallery', name));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** `people` synthetic identities: a base direction each, `perPerson` templates at cosine 0.7 to it. */
export function people(seed: number, count: number, perPerson: number): { id: string; base: Float32Array; templates: Float32Array[] }[] {
  return syntheticPeople(seed, count, perPerson, DIM);
}

/** Another photo of a person: cosine 0.7 to their base. */
export function probe(seed: number, base: Float32Array): Float32Array {
  return near(rng(seed), base, 0.7);
}

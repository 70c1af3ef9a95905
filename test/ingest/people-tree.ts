import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedPath } from '../helpers/shared.js';

/** Bytes that start like a JPEG and then hold nothing decodable: `IMAGE_TRUNCATED` when decoded. */
export const CORRUPT_JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 0x5a)]);

/** People of the shared LFW copy with at least `min` photos, by name order (deterministic). */
export function lfwPeople(count: number, min: number): string[] {
  const root = sharedPath('data', 'faces', 'lfw');
  const out: string[] = [];
  for (const name of readdirSync(root).sort()) {
    if (out.length === count) break;
    if (readdirSync(join(root, name)).filter((f) => f.endsWith('.jpg')).length >= min) out.push(name);
  }
  if (out.length < count) throw new Error(`Expected ${count} LFW people with ${min}+ photos in ${root} but found ${out.length}`);
  return out;
}

/**
 * A people folder (`dir/Name/photo.jpg`) with `perPerson` LFW photos of each of `people`; returns
 * the photo paths written, by person.
 */
export function makePeopleTree(dir: string, people: readonly string[], perPerson: number): Map<string, string[]> {
  const root = sharedPath('data', 'faces', 'lfw');
  const out = new Map<string, string[]>();
  for (const name of people) {
    mkdirSync(join(dir, name), { recursive: true });
    const files = readdirSync(join(root, name))
      .filter((f) => f.endsWith('.jpg'))
      .sort()
      .slice(0, perPerson);
    out.set(
      name,
      files.map((f) => {
        copyFileSync(join(root, name, f), join(dir, name, f));
        return join(dir, name, f);
      }),
    );
  }
  return out;
}

/** Writes a corrupt photo into a person folder and returns its path. */
export function writeCorrupt(dir: string, person: string, name = 'corrupt.jpg'): string {
  const p = join(dir, person, name);
  writeFileSync(p, CORRUPT_JPEG);
  return p;
}

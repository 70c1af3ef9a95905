/**
 * The "people folder": one sub-folder per person, named after them, holding that person's photos
 * (`George_W_Bush/George_W_Bush_0001.jpg`). It is the layout of LFW and the one DeepFace's `db_path`
 * and face_recognition's examples use, so most users already have their gallery in this shape.
 */
import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { ArcFaceError, type ErrorCode } from '../core/index.js';
import { assertIdentityId } from '../gallery/index.js';
import { IMAGE_EXTENSIONS } from '../image/index.js';

/** One person's folder: the identity it enrols and its photos. */
export interface PersonFolder {
  /** Identity id: the folder name (Unicode NFC). */
  readonly id: string;
  /** Display name: the folder name with underscores as spaces. */
  readonly name: string;
  /** Absolute path of the folder. */
  readonly folder: string;
  /** Absolute paths of its image files, sorted. */
  readonly files: readonly string[];
}

/** A sub-folder that enrols nothing, with why. */
export interface RefusedFolder {
  readonly folder: string;
  readonly code: ErrorCode;
  readonly message: string;
}

/** What {@link scanPeopleFolder} found. */
export interface PeopleFolderScan {
  readonly root: string;
  readonly people: readonly PersonFolder[];
  /** Sub-folders whose name is no valid identity id, or that hold no image. */
  readonly refused: readonly RefusedFolder[];
  /** Image files directly in the root: they belong to no person and are not enrolled. */
  readonly strayFiles: readonly string[];
}

/**
 * The display name of a person folder: underscores become spaces (`George_W_Bush` → `George W Bush`).
 *
 * @example
 * personNameFromFolder('Ada_Lovelace') // 'Ada Lovelace'
 */
export function personNameFromFolder(folder: string): string {
  if (typeof folder !== 'string') throw new TypeError(`Expected a folder name but received ${typeof folder}`);
  const name = folder.normalize('NFC').replace(/_+/g, ' ').replace(/\s+/g, ' ').trim();
  return name.length > 0 ? name : folder;
}

async function isDirectory(path: string, entry: Dirent): Promise<boolean> {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  return (await stat(path).catch(() => null))?.isDirectory() === true;
}

async function isFile(path: string, entry: Dirent): Promise<boolean> {
  if (entry.isFile()) return true;
  if (!entry.isSymbolicLink()) return false;
  return (await stat(path).catch(() => null))?.isFile() === true;
}

/**
 * Lists a people folder: each sub-folder is a person (id from its name, see {@link PersonFolder}),
 * its image files their photos. Hidden entries (`.name`) are ignored; a sub-folder whose name the
 * gallery refuses as an id (control characters, over 200 characters) or that holds no image is
 * returned in `refused` with the reason, so one odd folder never stops a bulk enrolment. A root that
 * is missing or no folder raises `FILE_NOT_FOUND`.
 *
 * @example
 * const { people, refused } = await scanPeopleFolder('lfw')
 * // people[0]: { id: 'Aaron_Eckhart', name: 'Aaron Eckhart', files: ['…/Aaron_Eckhart_0001.jpg'] }
 */
export async function scanPeopleFolder(dir: string, opts: { extensions?: readonly string[] } = {}): Promise<PeopleFolderScan> {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new TypeError(`Expected a folder path but received ${typeof dir === 'string' ? 'an empty string' : typeof dir}`);
  const extensions = new Set((opts.extensions ?? IMAGE_EXTENSIONS).map((e) => e.toLowerCase()));
  const root = resolve(dir);
  let entries: Dirent[];
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (cause) {
    throw new ArcFaceError('FILE_NOT_FOUND', `Expected a folder of person folders (Name/photo.jpg) at ${dir} but it cannot be read as a folder`, { cause });
  }
  const people: PersonFolder[] = [];
  const refused: RefusedFolder[] = [];
  const strayFiles: string[] = [];
  const isImage = (name: string): boolean => extensions.has(extname(name).toLowerCase());
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(root, entry.name);
    if (await isDirectory(path, entry)) {
      const id = entry.name.normalize('NFC');
      try {
        assertIdentityId(`the identity id of folder ${JSON.stringify(entry.name.slice(0, 40))}`, id);
      } catch (e) {
        refused.push({ folder: path, code: 'INVALID_ARGUMENT', message: `${(e as Error).message}; rename the folder to enrol it` });
        continue;
      }
      const files: string[] = [];
      for (const f of await readdir(path, { withFileTypes: true })) {
        const p = join(path, f.name);
        if (!f.name.startsWith('.') && isImage(f.name) && (await isFile(p, f))) files.push(p);
      }
      if (files.length === 0) {
        refused.push({
          folder: path,
          code: 'FILE_NOT_FOUND',
          message: `Expected image files (${[...extensions].join(' ')}) in person folder ${path} but found none`,
        });
        continue;
      }
      people.push({ id, name: personNameFromFolder(entry.name), folder: path, files: files.sort() });
    } else if (isImage(entry.name) && (await isFile(path, entry))) {
      strayFiles.push(path);
    }
  }
  return { root, people, refused, strayFiles };
}

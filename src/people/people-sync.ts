/**
 * Keeps people discovery in step with folders on disk: new photos are added, photos deleted from
 * disk take their faces with them, and moved or renamed files are followed by content. A re-scan of
 * unchanged files reads nothing: a file whose path, size and mtime match a known photo is taken as
 * that photo; any other file is read and known by the SHA-256 of its bytes. Deletions only reach
 * photos last seen under the scanned folders, so scanning one folder never drops another's faces.
 */
import { readFile, stat } from 'node:fs/promises';
import { resolve, sep } from 'node:path';
import { ArcFaceError, sha256Digest } from '../core/index.js';
import type { QualityLimits } from '../quality/index.js';
import { addImages, type ClusterProgress, type PeopleRecognizer, type SkippedFace } from './people-images.js';
import type { People } from './people.js';

/** What a sync found and did (with `dryRun`, what it would do). */
export interface SyncSummary {
  /** Image files found under the folders. */
  readonly files: number;
  /** Files taken as known photos by path, size and mtime (not read). */
  readonly unchanged: number;
  /** New photos: added (or, in a dry run, to add). */
  readonly added: readonly string[];
  /** Faces added. */
  readonly faces: number;
  /** Known photos found at a new path. */
  readonly moved: readonly { readonly from: string; readonly to: string }[];
  /** Files whose content is a photo known at another path that still exists (a copy): nothing added. */
  readonly copies: readonly { readonly file: string; readonly of: string }[];
  /** Photos gone from disk: their faces were removed. */
  readonly removed: readonly { readonly file: string; readonly faces: number }[];
  readonly skipped: readonly SkippedFace[];
  readonly dryRun: boolean;
}

/** Options of {@link syncFolders}. */
export interface SyncOptions {
  /** Report what would change without writing. */
  readonly dryRun?: boolean;
  readonly limits?: Partial<QualityLimits>;
  readonly onProgress?: (p: ClusterProgress) => void;
}

const within = (path: string, roots: readonly string[]): boolean => {
  const p = resolve(path);
  return roots.some((r) => p === r || p.startsWith(r.endsWith(sep) ? r : r + sep));
};

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Brings `people` in step with `files`, the image files found under the folders `roots`.
 *
 * @example
 * const files = await listImages(['Photos'])
 * const summary = await syncFolders(people, recognizer, ['Photos'], files, { dryRun: true })
 */
export async function syncFolders(
  people: People,
  recognizer: PeopleRecognizer,
  roots: readonly string[],
  files: readonly string[],
  opts: SyncOptions = {},
): Promise<SyncSummary> {
  if (!Array.isArray(roots) || roots.length === 0) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected at least one folder to sync but received none');
  const dryRun = opts.dryRun === true;
  const scope = roots.map((r) => resolve(r));
  const photos = await people.photos();
  const byPath = new Map(photos.map((p) => [resolve(p.path), p]));
  const bySha = new Map(photos.map((p) => [p.sha256, p]));
  const listed = new Set(files.map((f) => resolve(f)));
  const seen = new Set<string>();
  const fresh: string[] = [];
  const moved: { from: string; to: string }[] = [];
  const copies: { file: string; of: string }[] = [];
  /** Paths read in this scan and the photo each holds now. */
  const content = new Map<string, string>();
  let unchanged = 0;
  for (const file of files) {
    // A file deleted since the folders were listed is not there: the deletion step below decides.
    const st = await stat(file).catch(() => null);
    if (st === null) {
      listed.delete(resolve(file));
      continue;
    }
    const same = byPath.get(resolve(file));
    if (same !== undefined && same.size === st.size && same.mtimeMs === st.mtimeMs) {
      seen.add(same.sha256);
      unchanged++;
      continue;
    }
    const bytes = await readFile(file).catch(() => null);
    if (bytes === null) {
      listed.delete(resolve(file));
      continue;
    }
    const sha = sha256Digest(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    content.set(resolve(file), sha);
    const held = bySha.get(sha);
    if (held === undefined) {
      fresh.push(file);
      continue;
    }
    seen.add(sha);
    const before = resolve(held.path);
    if (before === resolve(file)) {
      if (!dryRun) await people.seePhoto(sha, file, { size: st.size, mtimeMs: st.mtimeMs });
    } else if (listed.has(before) || (!within(before, scope) && (await exists(before)))) {
      copies.push({ file, of: held.path });
    } else {
      moved.push({ from: held.path, to: file });
      if (!dryRun) await people.seePhoto(sha, file, { size: st.size, mtimeMs: st.mtimeMs });
      byPath.set(resolve(file), { ...held, path: file });
    }
  }
  // Gone: not seen anywhere, last seen under the folders, and its file is missing or now holds another photo.
  const gone: typeof photos = [];
  for (const p of photos) {
    if (seen.has(p.sha256) || !within(p.path, scope)) continue;
    const now = content.get(resolve(p.path));
    if (now !== undefined ? now !== p.sha256 : !listed.has(resolve(p.path)) && !(await exists(p.path))) gone.push(p);
  }
  const removed = gone.map((p) => ({ file: p.path, faces: p.faces }));
  if (!dryRun && gone.length > 0) await people.removePhotos(gone.map((p) => p.sha256));
  if (dryRun) return { files: files.length, unchanged, added: fresh, faces: 0, moved, copies, removed, skipped: [], dryRun };
  const r = await addImages(people, recognizer, fresh, {
    ...(opts.limits === undefined ? {} : { limits: opts.limits }),
    ...(opts.onProgress === undefined ? {} : { onProgress: opts.onProgress }),
  });
  return {
    files: files.length,
    unchanged,
    added: r.images.map((i) => i.file),
    faces: r.images.reduce((n, i) => n + i.faces.length, 0),
    moved,
    copies,
    removed,
    skipped: r.skipped,
    dryRun,
  };
}

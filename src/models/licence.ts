import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { KnownModel } from './known-model.js';
import { findKnownModel, findKnownModelByFileName, KNOWN_MODELS } from './known-models.js';
import { licenceNotice } from './licence-notice.js';
import { validateModelLocations, type ModelLocations } from './registry.js';

export { licenceNotice } from './licence-notice.js';

/** Folder inside `home` holding one empty marker file per model whose notice has been shown. */
export const LICENCE_MARKER_DIR = '.licence-notices';

/**
 * Returns the licence notice of a non-commercial model the first time it is asked for in a given
 * home folder, and `undefined` afterwards (and always for freely usable or unknown models). It
 * records a marker file in `home/.licence-notices/`; when there is no home folder (`''`) or it
 * cannot be written, the notice is returned every time rather than lost. `model` may be a registry name, a model file path
 * (matched on its file name) or a {@link KnownModel}.
 *
 * @example
 * const notice = licenceNoticeOnce('w600k-mbf-int8', locations)
 * if (notice) process.stderr.write(`${notice}\n`)
 */
export function licenceNoticeOnce(model: string | KnownModel, locations: ModelLocations, catalog: readonly KnownModel[] = KNOWN_MODELS): string | undefined {
  const loc = validateModelLocations(locations);
  const known = typeof model === 'string' ? (findKnownModel(model, catalog) ?? findKnownModelByFileName(model, catalog)) : model;
  if (known === undefined) return undefined;
  const notice = licenceNotice(known);
  if (notice === undefined) return undefined;
  if (loc.home === '') return notice;
  const dir = join(loc.home, LICENCE_MARKER_DIR);
  const marker = join(dir, known.name);
  if (existsSync(marker)) return undefined;
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(marker, `${new Date().toISOString()}\n`, { flag: 'wx' });
  } catch (e) {
    // Another process recorded it first: it printed the notice, so this one stays quiet.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
  }
  return notice;
}

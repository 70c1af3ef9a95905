import { basename } from 'node:path';
import { assertInteger, isArcFaceError, type ErrorCode } from '../core/index.js';
import type { Gallery } from '../gallery/index.js';
import { readImageBytes } from '../image/index.js';
import type { EnrolFaceChoice } from './face-choice.js';
import { enrolTemplates, type TemplateWithThumbnail } from './enrol-templates.js';
import { imageSha256, isBadInput, makeFaceTemplates, type IngestImage, type IngestRecognizer } from './face-templates.js';
import type { PersonFolder } from './people-folder.js';

/** Options of {@link enrolPeople}. */
export interface EnrolPeopleOptions {
  /** Photos embedded together and written in one transaction. Default {@link ENROL_PEOPLE_DEFAULTS}. */
  readonly batchSize?: number;
  /** Which face of a photo to enrol. Default `dominant`. */
  readonly face?: EnrolFaceChoice;
  /** Called once per photo, when it is enrolled, found a duplicate or skipped (progress bars). */
  readonly onImage?: (outcome: PhotoOutcome) => void;
}

/** What became of one photo. */
export interface PhotoOutcome {
  readonly identityId: string;
  /** Path of the photo. */
  readonly file: string;
  /** `duplicate`: the identity already held this photo (same SHA-256). */
  readonly status: 'enrolled' | 'duplicate' | 'skipped';
  readonly templateId?: number;
  readonly code?: ErrorCode;
  readonly message?: string;
}

/** Totals of an {@link enrolPeople} run. */
export interface EnrolPeopleSummary {
  /** People folders processed. */
  readonly identities: number;
  /** Identities that did not exist before. */
  readonly newIdentities: number;
  readonly images: number;
  readonly enrolled: number;
  readonly duplicates: number;
  /** Photos skipped, with the code and reason (unreadable, no face, several faces). */
  readonly skipped: readonly PhotoOutcome[];
}

/**
 * Photos per batch: 16 fills two runs of the embedder's default batch of 8 and keeps a transaction
 * short (16 rows); larger batches gained nothing measurable on CPU.
 *
 * @example
 * await enrolPeople(g, rec, people, { batchSize: ENROL_PEOPLE_DEFAULTS.batchSize })
 */
export const ENROL_PEOPLE_DEFAULTS = Object.freeze({ batchSize: 16 });

/**
 * Enrols people folders into a gallery, here, in this process: each photo's chosen face becomes a
 * template of the folder's identity (created when absent, named after the folder). Idempotent: a
 * photo whose SHA-256 the identity already holds is not embedded again and not written twice (the
 * gallery re-checks inside its write transaction). Bad photos (unreadable, no face, several faces)
 * are skipped and reported; model and gallery failures are thrown.
 *
 * @example
 * const { people } = await scanPeopleFolder('lfw')
 * const summary = await enrolPeople(gallery, recognizer, people, { onImage: () => bar.tick() })
 */
export async function enrolPeople(
  gallery: Gallery,
  rec: IngestRecognizer,
  people: readonly PersonFolder[],
  opts: EnrolPeopleOptions = {},
): Promise<EnrolPeopleSummary> {
  const batchSize = assertInteger('batchSize', opts.batchSize ?? ENROL_PEOPLE_DEFAULTS.batchSize, 1, 1024);
  const totals = { identities: 0, newIdentities: 0, images: 0, enrolled: 0, duplicates: 0 };
  const skipped: PhotoOutcome[] = [];
  const report = (o: PhotoOutcome): void => {
    totals.images++;
    if (o.status === 'enrolled') totals.enrolled++;
    else if (o.status === 'duplicate') totals.duplicates++;
    else skipped.push(o);
    opts.onImage?.(o);
  };
  for (const person of people) {
    totals.identities++;
    const existing = await gallery.templates(person.id).catch((e: unknown) => {
      if (isArcFaceError(e, 'IDENTITY_NOT_FOUND')) return null;
      throw e;
    });
    const held = new Set((existing ?? []).flatMap((t) => (t.sourceSha256 === null ? [] : [t.sourceSha256])));
    // The name only names a new identity: a later run never overwrites a name changed since.
    const name = existing === null ? person.name : undefined;
    let created = existing !== null;
    for (let start = 0; start < person.files.length; start += batchSize) {
      const images: (IngestImage & { path: string })[] = [];
      for (const path of person.files.slice(start, start + batchSize)) {
        let bytes: Uint8Array;
        try {
          bytes = await readImageBytes(path);
        } catch (e) {
          if (!isBadInput(e) || !isArcFaceError(e)) throw e;
          report({ identityId: person.id, file: path, status: 'skipped', code: e.code, message: e.message });
          continue;
        }
        const sha256 = imageSha256(bytes);
        if (held.has(sha256)) {
          report({ identityId: person.id, file: path, status: 'duplicate' });
          continue;
        }
        held.add(sha256);
        images.push({ bytes, fileName: basename(path), sha256, path });
      }
      const made = await makeFaceTemplates(rec, images, opts.face === undefined ? {} : { face: opts.face });
      const good: TemplateWithThumbnail[] = [];
      made.forEach((m, i) => {
        const img = images[i] as (typeof images)[number];
        if (m.ok) good.push(m);
        else report({ identityId: person.id, file: img.path, status: 'skipped', code: m.error.code, message: m.error.message });
      });
      const ids = await enrolTemplates(gallery, person.id, created ? undefined : name, good);
      if (!created && ids.some((t) => t !== null)) {
        created = true;
        totals.newIdentities++;
      }
      let k = 0;
      made.forEach((m, i) => {
        if (!m.ok) return;
        const templateId = ids[k++] ?? null;
        const file = (images[i] as (typeof images)[number]).path;
        report(templateId === null ? { identityId: person.id, file, status: 'duplicate' } : { identityId: person.id, file, status: 'enrolled', templateId });
      });
    }
  }
  return { ...totals, skipped };
}

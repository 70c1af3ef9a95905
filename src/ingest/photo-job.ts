import { basename } from 'node:path';
import { ArcFaceError, assertString } from '../core/index.js';
import { assertIdentityId, type Gallery } from '../gallery/index.js';
import { readImageBytes } from '../image/index.js';
import { enrolTemplates } from './enrol-templates.js';
import { imageSha256, type IngestImage, type TemplateOutcome } from './face-templates.js';

/** One photo to enrol, as a queue job carries it: where the file is and what it held when it was queued. */
export interface PhotoJob {
  readonly identityId: string;
  /** Display name of the identity (named after its folder). */
  readonly name: string;
  /** Absolute path on storage every worker mounts at the same place. */
  readonly path: string;
  /** SHA-256 (hex) of the file's bytes when the job was queued. */
  readonly sha256: string;
}

/** What {@link enrolPhotoJob} did: the new template, or null when the identity already held the photo. */
export interface PhotoJobResult {
  readonly templateId: number | null;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Checks a job's fields (a queue is a boundary: its payloads come from other processes).
 *
 * @example
 * const job = assertPhotoJob(queued.data)
 */
export function assertPhotoJob(value: unknown): PhotoJob {
  if (typeof value !== 'object' || value === null)
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected a photo job object but received ${value === null ? 'null' : typeof value}`);
  const v = value as Record<string, unknown>;
  const sha256 = assertString('sha256', v.sha256);
  if (!SHA256_HEX.test(sha256))
    throw new ArcFaceError('INVALID_ARGUMENT', `Expected sha256 as 64 lower-case hex digits but received ${JSON.stringify(sha256.slice(0, 70))}`);
  return { identityId: assertIdentityId('identityId', v.identityId), name: assertString('name', v.name), path: assertString('path', v.path), sha256 };
}

/**
 * Runs one photo job: reads the file, refuses it when it is gone (`FILE_NOT_FOUND`) or no longer the
 * photo that was queued (`SOURCE_CHANGED`: enrolling other bytes than the ones the job names would
 * break its idempotency key), makes the template with `make` and appends it to the identity
 * idempotently (see `enrolTemplates`); the job's name names only an identity that does not exist yet. Bad photos throw
 * their coded error.
 *
 * @example
 * const { templateId } = await enrolPhotoJob(gallery, (img) => batcher.submit(img), job)
 */
export async function enrolPhotoJob(gallery: Gallery, make: (image: IngestImage) => Promise<TemplateOutcome>, job: PhotoJob): Promise<PhotoJobResult> {
  const bytes = await readImageBytes(job.path);
  const sha256 = imageSha256(bytes);
  if (sha256 !== job.sha256) {
    throw new ArcFaceError(
      'SOURCE_CHANGED',
      `Expected ${job.path} to hold the photo queued (SHA-256 ${job.sha256.slice(0, 12)}…) but it now holds ${sha256.slice(0, 12)}…; queue it again`,
    );
  }
  const made = await make({ bytes, fileName: basename(job.path), sha256 });
  if (!made.ok) throw made.error;
  // The folder's name only names a new identity: a name changed since (by hand, by an operator) is kept.
  const isNew = (await gallery.store.getIdentity(job.identityId)) === null;
  const [templateId] = await enrolTemplates(gallery, job.identityId, isNew ? job.name : undefined, [made]);
  return { templateId: templateId ?? null };
}

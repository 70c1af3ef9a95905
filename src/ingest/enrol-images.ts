import { ArcFaceError, type ErrorCode } from '../core/index.js';
import { assertGalleryModel, readGalleryImage, type Gallery, type GalleryImage } from '../gallery/index.js';
import type { EnrolFaceChoice } from './face-choice.js';
import { type IngestRecognizer, makeFaceTemplates } from './face-templates.js';

/** An image enrolment skipped, with why. */
export interface SkippedImage {
  readonly fileName: string;
  readonly code: ErrorCode;
  readonly message: string;
}

/** An image whose photo the identity held already: nothing was enrolled for it. */
export interface HeldImage {
  readonly fileName: string;
  /** The template that holds the photo (null: removed meanwhile). */
  readonly templateId: number | null;
}

/**
 * Enrols one face of each image under `id` (one transaction for all). Images are known by content:
 * one whose photo (SHA-256 of its bytes) the identity holds already adds nothing and is listed in
 * `known`, so repeating an enrolment, with or without `append`, changes nothing. By default the clearly
 * dominant face (see `chooseEnrolmentFace`), or the face `opts.face` names (`largest`, `central`, a
 * box). Images without a face, with several comparable faces (`MULTIPLE_FACES`) or that fail to
 * decode are skipped and reported; when none yields a face, `MULTIPLE_FACES` if every image was
 * skipped for that, else `NO_FACE`. Templates, thumbnails and SHA-256 come from the one enrolment path
 * (`makeFaceTemplates`), as for bulk enrolment, the queue worker and the server.
 *
 * @example
 * const { templateIds, skipped } = await enrollImages(gallery, recognizer, 'ada', ['ada1.jpg', 'ada2.jpg'], { name: 'Ada' })
 */
export async function enrollImages(
  gallery: Gallery,
  recognizer: IngestRecognizer,
  id: string,
  images: readonly GalleryImage[],
  opts: { name?: string; metadata?: Record<string, unknown>; append?: boolean; face?: EnrolFaceChoice } = {},
): Promise<{ id: string; templateIds: number[]; known: HeldImage[]; skipped: SkippedImage[] }> {
  assertGalleryModel(gallery, recognizer);
  const loaded: { bytes: Uint8Array; fileName: string }[] = [];
  for (const image of images) loaded.push(await readGalleryImage(image));
  const outcomes = await makeFaceTemplates(recognizer, loaded, opts.face === undefined ? {} : { face: opts.face });
  const made = outcomes.flatMap((o, i) => (o.ok ? [{ ...o, fileName: (loaded[i] as { fileName: string }).fileName }] : []));
  const skipped = outcomes.flatMap((o, i) =>
    o.ok ? [] : [{ fileName: (loaded[i] as { fileName: string }).fileName, code: o.error.code, message: o.error.message }],
  );
  if (made.length === 0 && skipped.length > 0 && skipped.every((k) => k.code === 'MULTIPLE_FACES')) {
    throw new ArcFaceError(
      'MULTIPLE_FACES',
      `Expected one clearly dominant face in at least one of ${images.length} image(s) for "${id}" but each holds several comparable faces: ${skipped[0]?.message}`,
      { details: { skipped } },
    );
  }
  if (made.length === 0) {
    throw new ArcFaceError('NO_FACE', `Expected a face in at least one of ${images.length} image(s) for "${id}" but found none`, { details: { skipped } });
  }
  const { face: _face, ...enrollOpts } = opts;
  const out = await gallery.enroll(
    id,
    made.map((m) => m.template),
    { ...enrollOpts, skipHeldSources: true },
  );
  const jpegs = out.results.flatMap((r, i) =>
    r.known || r.templateId === null ? [] : [{ templateId: r.templateId, jpeg: (made[i] as { thumbnail: Uint8Array }).thumbnail }],
  );
  if (jpegs.length > 0) await gallery.putThumbnails(jpegs);
  const known = out.results.flatMap((r, i) => (r.known ? [{ fileName: (made[i] as { fileName: string }).fileName, templateId: r.templateId }] : []));
  return { id: out.id, templateIds: out.templateIds, known, skipped };
}

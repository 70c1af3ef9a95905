import type { Gallery, NewTemplate } from '../gallery/index.js';

/** A template to enrol with the JPEG of its aligned face. */
export interface TemplateWithThumbnail {
  readonly template: NewTemplate;
  readonly thumbnail: Uint8Array;
}

/**
 * Appends templates to an identity (created when absent) idempotently: inside the write transaction
 * the gallery leaves out every template whose source SHA-256 the identity already holds, so running
 * the same enrolment twice, or two workers running one job, adds each photo once. Thumbnails are
 * stored for the templates written, and for a held template that has none (its writer died between
 * the two writes). Returns, for each item, its new template id, or null when the identity already
 * held its photo.
 *
 * @example
 * const [id] = await enrolTemplates(gallery, 'ada', 'Ada', [{ template, thumbnail }]) // null the second time
 */
export async function enrolTemplates(gallery: Gallery, id: string, name: string | undefined, items: readonly TemplateWithThumbnail[]): Promise<(number | null)[]> {
  if (items.length === 0) return [];
  const { results } = await gallery.enroll(id, items.map((i) => i.template), { append: true, skipHeldSources: true, ...(name === undefined ? {} : { name }) });
  const jpegs: { templateId: number; jpeg: Uint8Array }[] = [];
  for (const [i, r] of results.entries()) {
    const jpeg = (items[i] as TemplateWithThumbnail).thumbnail;
    if (r.templateId === null) continue;
    // A held template may lack its thumbnail: the process that wrote it died before storing it.
    if (!r.known || (await gallery.thumbnail(r.templateId)) === null) jpegs.push({ templateId: r.templateId, jpeg });
  }
  if (jpegs.length > 0) await gallery.putThumbnails(jpegs);
  return results.map((r) => (r.known ? null : r.templateId));
}

import type { Gallery, NewTemplate } from '../gallery/index.js';

/** A template to enrol with the JPEG of its aligned face (when one was made). */
export interface TemplateWithThumbnail {
  readonly template: NewTemplate;
  readonly thumbnail?: Uint8Array;
}

/** What enrolling one template did: its template id (null: removed meanwhile) and whether the identity held its photo already. */
export interface EnrolledTemplateResult {
  readonly templateId: number | null;
  readonly known: boolean;
}

/**
 * Appends templates to an identity (created when absent) idempotently, with their thumbnails: inside
 * the write transaction the gallery leaves out every template whose source SHA-256 the identity
 * already holds, so running the same enrolment twice, or two workers running one job, adds each photo
 * once. Thumbnails are stored, in the gallery's store, for the templates written and for a held
 * template that has none (its writer died between the two writes). Returns, per item, its template
 * and whether it was held already.
 *
 * @example
 * const [r] = await enrolTemplateResults(gallery, 'ada', 'Ada', [{ template, thumbnail }]) // r.known the second time
 */
export async function enrolTemplateResults(
  gallery: Gallery,
  id: string,
  name: string | undefined,
  items: readonly TemplateWithThumbnail[],
): Promise<EnrolledTemplateResult[]> {
  if (items.length === 0) return [];
  const { results } = await gallery.enroll(
    id,
    items.map((i) => i.template),
    { append: true, skipHeldSources: true, ...(name === undefined ? {} : { name }) },
  );
  const held = await gallery.thumbnailIds(results.flatMap((r) => (r.known && r.templateId !== null ? [r.templateId] : [])));
  const jpegs: { templateId: number; jpeg: Uint8Array }[] = [];
  for (const [i, r] of results.entries()) {
    const jpeg = (items[i] as TemplateWithThumbnail).thumbnail;
    if (r.templateId === null || jpeg === undefined) continue;
    // A held template may lack its thumbnail: the process that wrote it died before storing it.
    if (!r.known || !held.has(r.templateId)) jpegs.push({ templateId: r.templateId, jpeg });
  }
  if (jpegs.length > 0) await gallery.putThumbnails(jpegs);
  return results.map((r) => ({ templateId: r.templateId, known: r.known }));
}

/**
 * {@link enrolTemplateResults}, answering per item its new template id, or null when the identity
 * already held its photo.
 *
 * @example
 * const [id] = await enrolTemplates(gallery, 'ada', 'Ada', [{ template, thumbnail }]) // null the second time
 */
export async function enrolTemplates(
  gallery: Gallery,
  id: string,
  name: string | undefined,
  items: readonly TemplateWithThumbnail[],
): Promise<(number | null)[]> {
  return (await enrolTemplateResults(gallery, id, name, items)).map((r) => (r.known ? null : r.templateId));
}

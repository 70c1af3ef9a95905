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
 * stored for the templates written. Returns, for each item, its new template id, or null when the
 * identity already held its photo.
 *
 * @example
 * const [id] = await enrolTemplates(gallery, 'ada', 'Ada', [{ template, thumbnail }]) // null the second time
 */
export async function enrolTemplates(gallery: Gallery, id: string, name: string | undefined, items: readonly TemplateWithThumbnail[]): Promise<(number | null)[]> {
  if (items.length === 0) return [];
  const templates = items.map((i) => i.template);
  const { templateIds } = await gallery.enroll(id, templates, { append: true, skipHeldSources: true, ...(name === undefined ? {} : { name }) });
  let ids: (number | null)[];
  if (templateIds.length === items.length) {
    ids = templateIds;
  } else {
    // Some photos were held already: find which template each new id holds by its source SHA-256.
    const written = new Set(templateIds);
    const bySha = new Map<string, number>();
    for (const t of await gallery.templates(id)) if (written.has(t.templateId) && t.sourceSha256 !== null) bySha.set(t.sourceSha256, t.templateId);
    const unhashed = templateIds.filter((t) => ![...bySha.values()].includes(t));
    ids = templates.map((t) => {
      if (t.sourceSha256 === null || t.sourceSha256 === undefined) return unhashed.shift() ?? null;
      const tid = bySha.get(t.sourceSha256);
      bySha.delete(t.sourceSha256);
      return tid ?? null;
    });
  }
  const jpegs = ids.flatMap((templateId, i) => (templateId === null ? [] : [{ templateId, jpeg: (items[i] as TemplateWithThumbnail).thumbnail }]));
  if (jpegs.length > 0) await gallery.putThumbnails(jpegs);
  return ids;
}

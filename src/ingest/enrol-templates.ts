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
  const templates = items.map((i) => i.template);
  const { templateIds } = await gallery.enroll(id, templates, { append: true, skipHeldSources: true, ...(name === undefined ? {} : { name }) });
  if (templateIds.length === items.length) {
    await gallery.putThumbnails(templateIds.map((templateId, i) => ({ templateId, jpeg: (items[i] as TemplateWithThumbnail).thumbnail })));
    return templateIds;
  }
  // Some photos were held already: find which template each new id holds by its source SHA-256.
  const written = new Set(templateIds);
  const fresh = new Map<string, number>();
  const held = new Map<string, number>();
  for (const t of await gallery.templates(id)) {
    if (t.sourceSha256 !== null) (written.has(t.templateId) ? fresh : held).set(t.sourceSha256, t.templateId);
  }
  const unhashed = templateIds.filter((t) => ![...fresh.values()].includes(t));
  const jpegs: { templateId: number; jpeg: Uint8Array }[] = [];
  const ids = await Promise.all(items.map(async ({ template: t, thumbnail: jpeg }) => {
    const sha = t.sourceSha256;
    const tid = sha === null || sha === undefined ? (unhashed.shift() ?? null) : (fresh.get(sha) ?? null);
    if (sha !== null && sha !== undefined) fresh.delete(sha);
    if (tid !== null) jpegs.push({ templateId: tid, jpeg });
    // A held template may lack its thumbnail: the process that wrote it died before storing it.
    const heldId = sha === null || sha === undefined ? undefined : held.get(sha);
    if (tid === null && heldId !== undefined && (await gallery.thumbnail(heldId)) === null) jpegs.push({ templateId: heldId, jpeg });
    return tid;
  }));
  if (jpegs.length > 0) await gallery.putThumbnails(jpegs);
  return ids;
}

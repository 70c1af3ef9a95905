import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { ArcFaceError } from '../../../src/core/index.js';
import type { ForgetReceipt, Gallery, IdentitySummary, TemplateRecord, ThresholdChoice } from '../../../src/gallery/index.js';
import { enrolTemplateResults } from '../../../src/ingest/index.js';
import { People, PEOPLE_FORGET_STEP } from '../../../src/people/index.js';
import { Sightings, SIGHTINGS_FORGET_STEP } from '../../../src/sightings/index.js';
import type { ReplicaLock } from './replica-lock.js';
import type { AuditFlag, Candidate, GalleryPort, NewFace, SubjectAudit, SubjectFace, SubjectSummary } from './gallery-port.js';

function toSubject(s: IdentitySummary): SubjectSummary {
  return { id: s.id, name: s.name, metadata: s.metadata, createdAt: s.createdAt, updatedAt: s.updatedAt, faceCount: s.templateCount };
}

/**
 * The server's {@link GalleryPort} over a `src/gallery` {@link Gallery}; face thumbnails live in the
 * gallery's own store, with their template, whoever enrolled them (CLI, server, page). It reaches the gallery only through `Gallery`'s public methods, so every write is validated there,
 * once, as for the CLI. It holds no state of its own about the gallery: counts, lists and faces are
 * read from the store on each call, and the search index follows the store's generation counter, so
 * server replicas on one PostgreSQL database see each other's writes at once.
 *
 * @example
 * const port = GalleryAdapter.create(await openGallery('people.db', opts))
 */
export class GalleryAdapter implements GalleryPort {
  readonly #g: Gallery;
  readonly #peopleLock: ReplicaLock | undefined;
  #peopleQueue: Promise<unknown> = Promise.resolve();

  private constructor(gallery: Gallery, peopleLock: ReplicaLock | undefined) {
    this.#g = gallery;
    this.#peopleLock = peopleLock;
  }

  /**
   * Wraps an open gallery. `peopleLock` orders people discovery's writes among servers (closed with
   * the adapter).
   *
   * @example
   * const port = GalleryAdapter.create(gallery)
   */
  static create(gallery: Gallery, options: { peopleLock?: ReplicaLock } = {}): GalleryAdapter {
    gallery.registerForgetStep(PEOPLE_FORGET_STEP);
    gallery.registerForgetStep(SIGHTINGS_FORGET_STEP);
    return new GalleryAdapter(gallery, options.peopleLock);
  }

  peopleWrite<T>(fn: () => Promise<T>): Promise<T> {
    const lock = this.#peopleLock;
    if (lock !== undefined) return lock.run(fn);
    const next = this.#peopleQueue.then(fn, fn);
    this.#peopleQueue = next.catch(() => undefined);
    return next;
  }

  get fingerprint(): string {
    return this.#g.fingerprint;
  }

  get embeddingSize(): number {
    return this.#g.embeddingSize;
  }

  async count(): Promise<{ subjects: number; faces: number }> {
    const { identities, templates } = await this.#g.count();
    return { subjects: identities, faces: templates };
  }

  async listSubjects(): Promise<SubjectSummary[]> {
    return (await this.#g.list()).map(toSubject);
  }

  async getSubject(id: string): Promise<SubjectSummary> {
    return toSubject(await this.#g.get(id));
  }

  async createSubject(id: string, fields: { name?: string; metadata?: Record<string, unknown> }): Promise<SubjectSummary> {
    const name = fields.name === undefined || fields.name === '' ? undefined : fields.name;
    return toSubject(
      await this.#g.create(id, { ...(name === undefined ? {} : { name }), ...(fields.metadata === undefined ? {} : { metadata: fields.metadata }) }),
    );
  }

  async updateSubject(id: string, change: { newId?: string; name?: string }): Promise<SubjectSummary> {
    await this.#g.rename(id, change);
    return this.getSubject(change.newId ?? id);
  }

  async removeSubject(id: string): Promise<void> {
    await this.#g.remove(id);
    // The sightings naming it and its "not X" negatives go with it.
    await this.sightingsWrite((s) => s.forgetIdentity(id));
  }

  async forgetSubject(id: string, opts: { vacuum?: boolean } = {}): Promise<ForgetReceipt> {
    // People discovery's writes are ordered; forgetting deletes its rows too, so it waits its turn.
    return this.peopleWrite(() => this.#g.forget(id, opts));
  }

  async addFaces(subjectId: string, faces: readonly NewFace[], options: { create: boolean }): Promise<{ faceId: number; known: boolean }[]> {
    if (!options.create) await this.getSubject(subjectId);
    const results = await enrolTemplateResults(
      this.#g,
      subjectId,
      undefined,
      faces.map(({ thumbnail, ...t }) => (thumbnail === undefined ? { template: t } : { template: t, thumbnail })),
    );
    return results.flatMap((r) => (r.templateId === null ? [] : [{ faceId: r.templateId, known: r.known }]));
  }

  /** The faces of these templates, with whether each has a thumbnail (one lookup for all). */
  async #faces(templates: readonly TemplateRecord[], thumbs?: ReadonlySet<number>): Promise<SubjectFace[]> {
    const withThumb = thumbs ?? (await this.#g.thumbnailIds(templates.map((t) => t.templateId)));
    return templates.map((t) => ({
      faceId: t.templateId,
      subjectId: t.identityId,
      createdAt: t.createdAt,
      sourceFile: t.sourceFile,
      detScore: t.detScore,
      faceSize: t.faceSize,
      hasThumbnail: withThumb.has(t.templateId),
    }));
  }

  async #face(t: TemplateRecord): Promise<SubjectFace> {
    return (await this.#faces([t]))[0] as SubjectFace;
  }

  async listFaces(subjectId?: string): Promise<SubjectFace[]> {
    const ids = subjectId === undefined ? (await this.#g.list()).map((s) => s.id) : [subjectId];
    const out: SubjectFace[] = [];
    for (const id of ids) {
      let templates: TemplateRecord[];
      try {
        templates = await this.#g.templates(id);
      } catch (err) {
        // A subject removed meanwhile (or never there) has no faces.
        if (err instanceof ArcFaceError && err.code === 'IDENTITY_NOT_FOUND') continue;
        throw err;
      }
      out.push(...(await this.#faces(templates)));
    }
    return out;
  }

  async getFace(faceId: number): Promise<SubjectFace & { readonly embedding: Float32Array }> {
    const t = await this.#g.template(faceId);
    if (t === null) throw new ArcFaceError('NOT_FOUND', `Expected an enrolled face with id ${faceId} but there is none`);
    return { ...(await this.#face(t)), embedding: t.embedding };
  }

  async removeFace(subjectId: string, faceId: number): Promise<SubjectFace> {
    const t = await this.#g.template(faceId);
    const face = t === null ? undefined : await this.#face(t);
    // Gallery.removeTemplate checks that the subject owns the face and refreshes the search index.
    await this.#g.removeTemplate(subjectId, faceId);
    if (face === undefined) throw new ArcFaceError('NOT_FOUND', `Expected an enrolled face with id ${faceId} but there is none`);
    return face;
  }

  async removeFaces(faceIds: readonly number[]): Promise<SubjectFace[]> {
    // Whether each face had a thumbnail is read (one query) before the removal takes it away.
    const had = await this.#g.thumbnailIds(faceIds.filter((id) => Number.isSafeInteger(id) && id > 0));
    return this.#faces(await this.#g.removeTemplates(faceIds), had);
  }

  async thumbnail(faceId: number): Promise<Uint8Array | undefined> {
    return (await this.#g.thumbnail(faceId)) ?? undefined;
  }

  async identify(embedding: Float32Array, k: number): Promise<Candidate[]> {
    const r = await this.#g.identify(embedding, { topK: k });
    return r.candidates.map((c) => ({ subjectId: c.id, name: c.name, similarity: c.score }));
  }

  async identifyMany(embeddings: readonly Float32Array[], k: number): Promise<Candidate[][]> {
    const out: Candidate[][] = [];
    for (const e of embeddings) {
      out.push(await this.identify(e, k));
      // One search at a time, then the event loop: health checks and other requests are answered
      // between the vectors of a large batch instead of after all of them.
      await yieldToEventLoop();
    }
    return out;
  }

  async identificationThreshold(opts: { threshold?: number; fpir?: number }): Promise<ThresholdChoice> {
    return this.#g.identificationThreshold(opts);
  }

  async audit(subjectId: string): Promise<SubjectAudit> {
    const subject = await this.getSubject(subjectId);
    if (subject.faceCount === 0) return { subjectId, faceCount: 0, flags: [] };
    const findings = (await this.#g.audit()).filter((f) => f.id === subjectId);
    const flags: AuditFlag[] = findings.map((f) => ({
      kind: 'outlier',
      message:
        `Face ${f.templateId}${f.sourceFile === null ? '' : ` (${f.sourceFile})`} scores ${f.score.toFixed(3)} against the subject's main group of faces, ` +
        'below the threshold: a different person or an unusable photo?',
      faceIds: [f.templateId],
      score: f.score,
    }));
    return { subjectId, faceCount: subject.faceCount, flags };
  }

  #people: Promise<People> | undefined;

  async people(): Promise<People> {
    this.#people ??= People.open(this.#g);
    return this.#people;
  }

  #sightings: Promise<Sightings> | undefined;
  #sightingsQueue: Promise<unknown> = Promise.resolve();

  async sightings(): Promise<Sightings> {
    this.#sightings ??= Sightings.open(this.#g);
    return this.#sightings;
  }

  sightingsWrite<T>(fn: (s: Sightings) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => fn(await this.sightings());
    const next = this.#sightingsQueue.then(run, run);
    this.#sightingsQueue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    if (this.#people !== undefined) await (await this.#people).close();
    if (this.#sightings !== undefined) {
      await this.#sightingsQueue;
      await (await this.#sightings).close();
    }
    await this.#peopleLock?.close();
    await this.#g.close();
  }
}

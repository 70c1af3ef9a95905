import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { ArcFaceError } from '../../src/core/index.js';
import { type Gallery, type IdentitySummary, type TemplateRecord, type ThresholdChoice, ensurePrivateFile } from '../../src/gallery/index.js';
import { People } from '../../src/people/index.js';
import type { AuditFlag, Candidate, GalleryPort, NewFace, SubjectAudit, SubjectFace, SubjectSummary } from './gallery-port.js';

function toSubject(s: IdentitySummary): SubjectSummary {
  return { id: s.id, name: s.name, metadata: s.metadata, createdAt: s.createdAt, updatedAt: s.updatedAt, faceCount: s.templateCount };
}

/**
 * The server's {@link GalleryPort} over a `src/gallery` {@link Gallery}, plus a small SQLite file of
 * face thumbnails (the gallery stores embeddings, not pictures). It reaches the gallery only through
 * `Gallery`'s public methods, so every write is validated there, once, as for the CLI.
 *
 * @example
 * const port = GalleryAdapter.create(await openGallery('people.db', opts), 'people.db.thumbs')
 */
export class GalleryAdapter implements GalleryPort {
  readonly #g: Gallery;
  readonly #thumbs: Database.Database;

  private constructor(gallery: Gallery, thumbs: Database.Database) {
    this.#g = gallery;
    this.#thumbs = thumbs;
    thumbs.pragma('journal_mode = WAL');
    thumbs.exec('CREATE TABLE IF NOT EXISTS thumbnails (face_id INTEGER PRIMARY KEY, jpeg BLOB NOT NULL)');
  }

  /**
   * Wraps an open gallery; thumbnails go to `thumbnailsPath` (`:memory:` for none kept on disk).
   *
   * @example
   * const port = GalleryAdapter.create(gallery, ':memory:')
   */
  static create(gallery: Gallery, thumbnailsPath: string): GalleryAdapter {
    ensurePrivateFile(thumbnailsPath);
    return new GalleryAdapter(gallery, new Database(thumbnailsPath));
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
    return toSubject(await this.#g.create(id, { ...(name === undefined ? {} : { name }), ...(fields.metadata === undefined ? {} : { metadata: fields.metadata }) }));
  }

  async updateSubject(id: string, change: { newId?: string; name?: string }): Promise<SubjectSummary> {
    await this.#g.rename(id, change);
    return this.getSubject(change.newId ?? id);
  }

  async removeSubject(id: string): Promise<void> {
    const faces = await this.#g.templates(id);
    await this.#g.remove(id);
    this.#dropThumbs(faces.map((f) => f.templateId));
  }

  async addFaces(subjectId: string, faces: readonly NewFace[], options: { create: boolean }): Promise<number[]> {
    if (!options.create) await this.getSubject(subjectId);
    const { templateIds } = await this.#g.enroll(
      subjectId,
      faces.map((f) => ({
        embedding: f.embedding,
        sourceFile: f.sourceFile ?? null,
        sourceSha256: f.sourceSha256 ?? null,
        detScore: f.detScore ?? null,
        faceSize: f.faceSize ?? null,
      })),
      { append: true },
    );
    const put = this.#thumbs.prepare('INSERT OR REPLACE INTO thumbnails (face_id, jpeg) VALUES (?, ?)');
    this.#thumbs.transaction(() => {
      faces.forEach((f, i) => {
        if (f.thumbnail !== undefined && templateIds[i] !== undefined) put.run(templateIds[i], Buffer.from(f.thumbnail));
      });
    })();
    return templateIds;
  }

  #face(t: TemplateRecord): SubjectFace {
    const has = this.#thumbs.prepare('SELECT 1 FROM thumbnails WHERE face_id = ?').get(t.templateId) !== undefined;
    return { faceId: t.templateId, subjectId: t.identityId, createdAt: t.createdAt, sourceFile: t.sourceFile, detScore: t.detScore, faceSize: t.faceSize, hasThumbnail: has };
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
      for (const t of templates) out.push(this.#face(t));
    }
    return out;
  }

  async getFace(faceId: number): Promise<SubjectFace & { readonly embedding: Float32Array }> {
    const t = await this.#g.template(faceId);
    if (t === null) throw new ArcFaceError('NOT_FOUND', `Expected an enrolled face with id ${faceId} but there is none`);
    return { ...this.#face(t), embedding: t.embedding };
  }

  async removeFace(subjectId: string, faceId: number): Promise<SubjectFace> {
    const t = await this.#g.template(faceId);
    const face = t === null ? undefined : this.#face(t);
    // Gallery.removeTemplate checks that the subject owns the face and refreshes the search index.
    await this.#g.removeTemplate(subjectId, faceId);
    if (face === undefined) throw new ArcFaceError('NOT_FOUND', `Expected an enrolled face with id ${faceId} but there is none`);
    this.#dropThumbs([faceId]);
    return face;
  }

  async removeFaces(faceIds: readonly number[]): Promise<SubjectFace[]> {
    const removed = (await this.#g.removeTemplates(faceIds)).map((t) => this.#face(t));
    this.#dropThumbs(removed.map((f) => f.faceId));
    return removed;
  }

  #dropThumbs(ids: readonly number[]): void {
    const del = this.#thumbs.prepare('DELETE FROM thumbnails WHERE face_id = ?');
    this.#thumbs.transaction(() => ids.forEach((id) => del.run(id)))();
  }

  async thumbnail(faceId: number): Promise<Uint8Array | undefined> {
    const row = this.#thumbs.prepare('SELECT jpeg FROM thumbnails WHERE face_id = ?').get(faceId) as { jpeg: Buffer } | undefined;
    return row === undefined ? ((await this.#g.thumbnail(faceId)) ?? undefined) : new Uint8Array(row.jpeg);
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

  async close(): Promise<void> {
    if (this.#people !== undefined) await (await this.#people).close();
    if (this.#thumbs.open) this.#thumbs.close();
    await this.#g.close();
  }
}

/**
 * People discovery over a gallery: faces of unlabelled photos are clustered into persons,
 * incrementally as photos arrive ({@link IncrementalClusterer}) or all at once ({@link averageLinkage}),
 * and persons can be named (which enrols their faces as a gallery identity, so `identify` knows
 * them), merged, split and hidden. Person ids come from the database and are never reused; a full
 * re-cluster gives each new cluster the id of the old person it shares most faces with.
 */
import { ArcFaceError, assertInteger } from '../core/index.js';
import { FULL_DEFAULTS, INCREMENTAL_DEFAULTS, IncrementalClusterer, type IncrementalOptions } from '../cluster/index.js';
import { migrateRoom, type EnrolledTemplate, type Gallery } from '../gallery/index.js';
import { PeopleStore, type FaceConstraint, type KnownPhoto, type NewPersonFace, type PersonFace, type PersonSummary } from './people-store.js';
import { hashPhoto, planRecluster } from './recluster-plan.js';
import { PEOPLE_MIGRATIONS } from './people-schema.js';

/** Options of {@link People.open}. */
export interface PeopleOptions extends IncrementalOptions {
  /** Average cosine at which the full re-cluster merges (and its margin for small clusters, see {@link averageLinkage}). */
  readonly fullThreshold: number;
  readonly fullSmallMargin: number;
}

/**
 * Defaults: see {@link INCREMENTAL_DEFAULTS} and {@link FULL_DEFAULTS}.
 *
 * @example
 * await People.open(gallery, { ...PEOPLE_DEFAULTS, minFaces: 3 })
 */
export const PEOPLE_DEFAULTS: Readonly<PeopleOptions> = Object.freeze({
  ...INCREMENTAL_DEFAULTS,
  fullThreshold: FULL_DEFAULTS.threshold,
  fullSmallMargin: FULL_DEFAULTS.smallMargin,
});

/** A hand edit that binds one of a person's faces, as shown with the person. */
export interface PersonConstraint {
  /** `must`: kept with the person by hand; `cannot`: never in one person with `other`. */
  readonly kind: FaceConstraint['kind'];
  /** The person's face. */
  readonly face: number;
  readonly other: number;
  /** Where the other face is now (null: no person). */
  readonly otherPerson: number | null;
  /** merge, split, move, name or not-this-person. */
  readonly edit: string;
  readonly createdAt: number;
}

/** A person with its faces and the hand edits that bind them. */
export interface PersonDetails extends PersonSummary {
  readonly faces: PersonFace[];
  readonly constraints: PersonConstraint[];
}

/** Where each face of an added photo went. */
export interface AddedFace {
  readonly faceId: number;
  readonly personId: number | null;
  /** The photo was known already (an earlier run, a copy, a concurrent writer): nothing was added. */
  readonly known: boolean;
}

/** Where a photo's bytes were read: its content hash (its identity) and the file's size and mtime. */
export interface PhotoSource {
  readonly sha256?: string | undefined;
  readonly size?: number | undefined;
  readonly mtimeMs?: number | undefined;
}

/** The incremental clusterer and how its face and person numbers map to database ids. */
interface ClusterState {
  stamp: string;
  readonly clusterer: IncrementalClusterer;
  readonly faceIds: number[];
  readonly pids: number[];
  readonly index: Map<number, number>;
}

/** Outcome of a full re-cluster. */
export interface ReclusterResult {
  readonly persons: number;
  readonly assigned: number;
  readonly unassigned: number;
  /** Persons that kept their id from before. */
  readonly kept: number;
}

/**
 * Persons over a gallery. One instance keeps an in-memory clusterer: call its writing methods one at
 * a time (the server queues them); other processes' writes are noticed and reloaded.
 *
 * @example
 * const people = await People.open(gallery)
 * await people.addPhoto('beach.jpg', faces)        // faces: [{ photo, box, detScore, embedding, thumbnail }]
 * const [top] = await people.list()
 * await people.name(top.personId, 'Ada Lovelace', { id: 'ada' })
 * await gallery.identify(embedding)                // now knows "ada"
 */
export class People {
  readonly gallery: Gallery;
  readonly store: PeopleStore;
  readonly options: Readonly<PeopleOptions>;
  #state: ClusterState | null = null;

  private constructor(gallery: Gallery, store: PeopleStore, options: PeopleOptions) {
    this.gallery = gallery;
    this.store = store;
    this.options = options;
  }

  /**
   * People discovery on an open gallery (SQLite file or PostgreSQL; `STORE_UNSUPPORTED` for one in
   * IndexedDB). The people tables are created, adopted or migrated here, by the people room itself.
   */
  static async open(gallery: Gallery, options: Partial<PeopleOptions> = {}): Promise<People> {
    const o = { ...PEOPLE_DEFAULTS, ...options };
    new IncrementalClusterer(gallery.embeddingSize, o);
    const s = gallery.store;
    const sql = s.roomSql('people');
    try {
      await migrateRoom(sql, 'people', PEOPLE_MIGRATIONS);
    } catch (e) {
      await sql.close();
      throw e;
    }
    // Faces and crops are sealed with the gallery's own codec when it is sealed (SQLite).
    return new People(gallery, new PeopleStore(sql, s.rowCodec?.()), Object.freeze(o));
  }

  /**
   * Adds the faces of one photo and places each incrementally (no re-cluster); faces of named
   * persons are enrolled into their identity. A photo is known by `source.sha256` (without one, by
   * its name): inside the write transaction a known photo adds nothing, notes its new path, and
   * its stored faces come back marked `known`, so re-runs and concurrent writers never double it.
   */
  async addPhoto(photo: string, faces: readonly Omit<NewPersonFace, 'photo' | 'photoSha256'>[], source: PhotoSource = {}): Promise<AddedFace[]> {
    if (typeof photo !== 'string' || photo.length === 0)
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected a photo name but received ${JSON.stringify(photo)}`);
    faces.forEach((f, i) => {
      if (!(f.embedding instanceof Float32Array) || f.embedding.length !== this.gallery.embeddingSize) {
        throw new ArcFaceError(
          'EMBEDDING_SIZE_MISMATCH',
          `Expected a ${this.gallery.embeddingSize}-d embedding for face ${i} of ${photo} but received ${f.embedding?.length}`,
        );
      }
    });
    const sha = source.sha256;
    if (sha !== undefined && !/^[0-9a-f]{64}$/.test(sha))
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected a lower-case hex SHA-256 for ${photo} but received ${JSON.stringify(sha)}`);
    const st = await this.#load();
    const known: KnownPhoto = { sha256: sha ?? '', path: photo, size: source.size ?? null, mtimeMs: source.mtimeMs ?? null, faces: faces.length };
    const written = await this.store.sql.transaction(async (q): Promise<{ ids: number[] } | { known: PersonFace[]; adopted?: boolean }> => {
      if (sha === undefined) {
        const held = await this.store.facesOfPhoto({ name: photo }, q);
        if (held.length > 0) return { known: held };
      } else if (!(await this.store.claimPhoto(q, known))) {
        return { known: await this.store.facesOfPhoto({ sha256: sha }, q) };
      } else {
        const adopted = await this.store.adoptLegacyFaces(q, photo, sha);
        if (adopted > 0) {
          await this.store.setPhotoFaces(q, sha, adopted);
          return { known: await this.store.facesOfPhoto({ sha256: sha }, q), adopted: true };
        }
      }
      return {
        ids: await this.store.insertFaces(
          q,
          faces.map((f) => ({ ...f, photo, photoSha256: sha })),
        ),
      };
    });
    if ('known' in written) {
      // Adopted faces now carry the photo's hash, which the clusterer's same-photo rule reads.
      if (written.adopted === true) this.#state = null;
      return written.known.map((f) => ({ faceId: f.faceId, personId: f.personId, known: true }));
    }
    const { ids } = written;
    const photoNo = hashPhoto(sha ?? photo);
    const changes = faces.flatMap((f, i) => {
      st.faceIds.push(ids[i] as number);
      return st.clusterer.add(f.embedding, photoNo);
    });
    await this.#persist(changes, st);
    st.stamp = await this.store.stamp();
    const latest = new Map(changes.map((c) => [st.faceIds[c.face] as number, c.person]));
    return ids.map((faceId) => {
      const p = latest.get(faceId) ?? -1;
      return { faceId, personId: p < 0 ? null : (st.pids[p] as number), known: false };
    });
  }

  /** A photo known by its SHA-256, or null. */
  async knownPhoto(sha256: string): Promise<KnownPhoto | null> {
    return this.store.photo(sha256);
  }

  /** The faces of a photo known by its SHA-256, marked known (as {@link addPhoto} returns them), or null for a new photo. */
  async knownPhotoFaces(sha256: string): Promise<AddedFace[] | null> {
    if ((await this.store.photo(sha256)) === null) return null;
    return (await this.store.facesOfPhoto({ sha256 })).map((f) => ({ faceId: f.faceId, personId: f.personId, known: true }));
  }

  /** Every photo known by content, by path. */
  async photos(): Promise<KnownPhoto[]> {
    return this.store.photos();
  }

  /** Notes that a known photo was seen at `path` (moved or renamed): its faces follow. */
  async seePhoto(sha256: string, path: string, source: { size?: number; mtimeMs?: number } = {}): Promise<void> {
    await this.store.sql.transaction((q) => this.store.seePhoto(q, { sha256, path, size: source.size ?? null, mtimeMs: source.mtimeMs ?? null }));
  }

  /**
   * Forgets photos (deleted from disk): their faces leave their persons, templates made from them
   * leave the gallery, and their constraints go. Returns the faces removed.
   */
  async removePhotos(sha256s: readonly string[]): Promise<number> {
    let removed = 0;
    for (const sha of sha256s) {
      const faces = await this.store.facesOfPhoto({ sha256: sha });
      const templates = faces.map((f) => f.templateId).filter((t): t is number => t !== null);
      if (templates.length > 0) await this.gallery.store.removeTemplates(templates);
      await this.store.sql.transaction((q) => this.store.removePhoto(q, sha));
      removed += faces.length;
    }
    this.#state = null;
    return removed;
  }

  /** Re-clusters every face not fixed by hand (locked faces and named persons keep theirs). */
  async recluster(): Promise<ReclusterResult> {
    const dim = this.gallery.embeddingSize;
    const { faces, matrix } = await this.store.loadFaces(dim);
    const persons = await this.store.listPersons(true);
    const cannot = (await this.store.constraints()).filter((c) => c.kind === 'cannot').map((c) => [c.faceA, c.faceB] as const);
    const plan = planRecluster(faces, matrix, dim, persons, {
      threshold: this.options.fullThreshold,
      smallMargin: this.options.fullSmallMargin,
      cannotLink: cannot,
    });
    let assigned = 0;
    await this.store.sql.transaction(async (q) => {
      const used = new Set<number>();
      for (const c of plan.clusters) {
        const p = c.personId ?? (await this.store.createPerson(q));
        used.add(p);
        await this.store.assign(q, c.faceIds, p);
        assigned += c.faceIds.length;
      }
      await this.store.assign(q, plan.unassigned, null);
      for (const p of persons) {
        if (p.identityId === null && !used.has(p.personId) && !plan.keep.has(p.personId)) await this.store.deletePerson(q, p.personId);
      }
      plan.persons = used.size;
    });
    await this.#enrolNamed(plan.named);
    this.#state = null;
    return { persons: plan.persons, assigned, unassigned: plan.unassigned.length, kept: plan.kept };
  }

  /** Persons, most faces first; hidden ones only when asked. */
  async list(opts: { hidden?: boolean } = {}): Promise<PersonSummary[]> {
    return (await this.store.listPersons(opts.hidden === true)).filter((p) => p.faceCount > 0 || p.identityId !== null);
  }

  /** One person with its faces; `PERSON_NOT_FOUND` when absent. */
  async show(personId: number): Promise<PersonDetails> {
    const p = await this.store.person(checkId('personId', personId));
    const faces = await this.store.facesOf(personId);
    const own = new Set(faces.map((f) => f.faceId));
    const edits = await this.store.constraints(faces.map((f) => f.faceId));
    const others = await this.store.faces([...new Set(edits.flatMap((c) => [c.faceA, c.faceB]).filter((f) => !own.has(f)))]);
    const personOf = new Map<number, number | null>([...faces, ...others].map((f) => [f.faceId, f.personId]));
    const constraints = edits.flatMap((c): PersonConstraint[] => {
      const pairs: [number, number][] = own.has(c.faceA) ? [[c.faceA, c.faceB]] : [];
      if (own.has(c.faceB)) pairs.push([c.faceB, c.faceA]);
      return pairs.map(([face, other]) => ({ kind: c.kind, face, other, otherPerson: personOf.get(other) ?? null, edit: c.edit, createdAt: c.createdAt }));
    });
    return { ...p, coverFaceId: faces[0]?.faceId ?? null, faces, constraints };
  }

  /**
   * Names a person: its faces become templates of the gallery identity `id` (created, or extended
   * when it exists), so the gallery identifies the person from now on.
   */
  async name(personId: number, name: string, opts: { id?: string } = {}): Promise<{ personId: number; identityId: string }> {
    if (typeof name !== 'string' || name.trim().length === 0)
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected a non-empty name but received ${JSON.stringify(name)}`);
    const person = await this.store.person(checkId('personId', personId));
    const id = opts.id ?? person.identityId ?? `person-${personId}`;
    if (person.identityId !== null && person.identityId !== id) {
      await this.gallery.rename(person.identityId, { newId: id, name });
    } else if (person.identityId === id) {
      await this.gallery.rename(id, { name });
    }
    const faces = (await this.store.facesOf(personId)).filter((f) => f.templateId === null);
    if (person.identityId === null) {
      const dim = this.gallery.embeddingSize;
      const templates = [];
      for (const f of faces)
        templates.push({ embedding: await this.store.embedding(f.faceId, dim), sourceFile: f.photo, sourceSha256: f.photoSha256, detScore: f.detScore });
      if (templates.length === 0) throw new ArcFaceError('INVALID_ARGUMENT', `Expected person ${personId} to have faces to name but it has none`);
      // A photo the identity holds already (enrolled apart) links to that template: never a second one.
      const { results } = await this.gallery.enroll(id, templates, { name, append: true });
      await this.#linkTemplates(faces, results, personId, id);
    }
    const all = (await this.store.facesOf(personId)).map((f) => f.faceId);
    await this.store.sql.transaction(async (q) => {
      await this.store.assign(q, all, personId, true);
      await this.store.addConstraints(q, 'must', pairsWith(all, all[0]), 'name');
    });
    this.#state = null;
    return { personId, identityId: id };
  }

  /** Moves every face of `from` into `into` and removes `from`; named identities merge too. */
  async merge(from: number, into: number): Promise<void> {
    const a = await this.store.person(checkId('from', from));
    const b = await this.store.person(checkId('into', into));
    if (from === into) throw new ArcFaceError('INVALID_ARGUMENT', `Expected two different persons to merge but received ${from} twice`);
    if (a.identityId !== null && b.identityId !== null) await this.gallery.merge(a.identityId, b.identityId);
    const faces = (await this.store.facesOf(from)).map((f) => f.faceId);
    const held = (await this.store.facesOf(into)).map((f) => f.faceId);
    await this.store.sql.transaction(async (q) => {
      // Both persons' faces are locked together: a re-cluster (incremental or full) keeps them one person.
      await this.store.assign(q, [...faces, ...held], into, true);
      await this.store.dropConstraints(q, 'cannot', faces, held);
      await this.store.addConstraints(q, 'must', pairsWith(faces, held[0] ?? faces[0]), 'merge');
      if (a.identityId !== null && b.identityId === null) await this.store.setIdentity(q, into, a.identityId);
      await this.store.deletePerson(q, from);
    });
    const named = b.identityId ?? a.identityId;
    if (named !== null) await this.#enrolNamed([into]);
    this.#state = null;
  }

  /**
   * Moves faces to person `into` (default: a new person). Moved faces are locked: a re-cluster
   * keeps them where they were put. Their templates leave the old person's identity.
   */
  async split(faceIds: readonly number[], into?: number): Promise<{ personId: number }> {
    if (!Array.isArray(faceIds) || faceIds.length === 0) throw new ArcFaceError('INVALID_ARGUMENT', 'Expected at least one face id to split but received none');
    const faces = await this.store.faces(faceIds.map((f) => checkId('faceId', f)));
    const missing = faceIds.filter((id) => !faces.some((f) => f.faceId === id));
    if (missing.length > 0) throw new ArcFaceError('FACE_NOT_FOUND', `Expected faces ${missing.join(', ')} to exist but they do not`);
    if (into !== undefined) await this.store.person(checkId('into', into));
    const moved = faces.map((f) => f.faceId);
    // "Not the person it was in": each moved face is cannot-linked with the faces it leaves behind.
    const cannot: [number, number][] = [];
    for (const source of new Set(faces.map((f) => f.personId))) {
      if (source === null || source === into) continue;
      const left = (await this.store.facesOf(source)).map((f) => f.faceId).filter((f) => !moved.includes(f));
      for (const f of faces) if (f.personId === source) for (const o of left) cannot.push([f.faceId, o]);
    }
    const joined = into === undefined ? [] : (await this.store.facesOf(into)).map((f) => f.faceId).filter((f) => !moved.includes(f));
    const templates = faces.map((f) => f.templateId).filter((t): t is number => t !== null);
    if (templates.length > 0) await this.gallery.store.removeTemplates(templates);
    const personId = await this.store.sql.transaction(async (q) => {
      const p = into ?? (await this.store.createPerson(q));
      for (const f of faces) await this.store.setTemplate(q, f.faceId, null);
      await this.store.assign(q, moved, p, true);
      await this.store.dropConstraints(q, 'cannot', moved, joined);
      await this.store.addConstraints(q, 'cannot', cannot, into === undefined ? 'split' : 'move');
      await this.store.addConstraints(q, 'must', pairsWith(moved, joined[0] ?? moved[0]), into === undefined ? 'split' : 'move');
      return p;
    });
    await this.#enrolNamed([personId]);
    this.#state = null;
    return { personId };
  }

  /**
   * "Not this person": the face leaves its person (and that person's identity) and is cannot-linked
   * with every face the person still holds, so no re-cluster puts it back; it may join another.
   */
  async reject(faceId: number): Promise<{ faceId: number; personId: number }> {
    const [face] = await this.store.faces([checkId('faceId', faceId)]);
    if (face === undefined) throw new ArcFaceError('FACE_NOT_FOUND', `Expected face ${faceId} to exist but it does not`);
    if (face.personId === null) throw new ArcFaceError('INVALID_ARGUMENT', `Expected face ${faceId} to be in a person but it is in none`);
    const personId = face.personId;
    const others = (await this.store.facesOf(personId)).map((f) => f.faceId).filter((f) => f !== faceId);
    if (face.templateId !== null) await this.gallery.store.removeTemplates([face.templateId]);
    await this.store.sql.transaction(async (q) => {
      await this.store.setTemplate(q, faceId, null);
      await this.store.assign(q, [faceId], null, false);
      await this.store.dropConstraints(q, 'must', [faceId], others);
      await this.store.addConstraints(
        q,
        'cannot',
        others.map((o) => [faceId, o] as const),
        'not-this-person',
      );
      await this.store.touchPerson(q, personId);
    });
    this.#state = null;
    return { faceId, personId };
  }

  /** Hides (or shows again) a person in lists. */
  async hide(personId: number, hidden = true): Promise<void> {
    await this.store.person(checkId('personId', personId));
    await this.store.sql.transaction((q) => this.store.setHidden(q, personId, hidden));
  }

  /** JPEG of a clustered face, or null when it was stored without one. */
  async faceThumbnail(faceId: number): Promise<Uint8Array | null> {
    return this.store.faceThumbnail(checkId('faceId', faceId));
  }

  async close(): Promise<void> {
    await this.store.sql.close();
  }

  /** Enrols faces without a template of named persons into their identity. */
  async #enrolNamed(personIds: readonly number[]): Promise<void> {
    const dim = this.gallery.embeddingSize;
    for (const pid of personIds) {
      const p = await this.store.person(pid).catch(() => null);
      if (p === null || p.identityId === null) continue;
      const faces = (await this.store.facesOf(pid)).filter((f) => f.templateId === null);
      if (faces.length === 0) continue;
      const templates = [];
      for (const f of faces)
        templates.push({ embedding: await this.store.embedding(f.faceId, dim), sourceFile: f.photo, sourceSha256: f.photoSha256, detScore: f.detScore });
      const { results } = await this.gallery.enroll(p.identityId, templates, { append: true });
      await this.#linkTemplates(faces, results);
    }
  }

  /** Records each face's new template and copies its thumbnail to the template. */
  async #linkTemplates(faces: readonly PersonFace[], results: readonly EnrolledTemplate[], personId?: number, identityId?: string): Promise<void> {
    const jpegs = await Promise.all(faces.map((f) => this.store.faceThumbnail(f.faceId)));
    await this.store.sql.transaction(async (q) => {
      for (const [i, f] of faces.entries()) await this.store.setTemplate(q, f.faceId, results[i]?.templateId ?? null);
      if (personId !== undefined && identityId !== undefined) await this.store.setIdentity(q, personId, identityId);
    });
    await this.gallery.putThumbnails(
      faces.flatMap((_, i) => {
        const jpeg = jpegs[i];
        const r = results[i];
        return jpeg === null || jpeg === undefined || r === undefined || r.known || r.templateId === null ? [] : [{ templateId: r.templateId, jpeg }];
      }),
    );
  }

  /** The in-memory clusterer, rebuilt from the database when another writer changed it. */
  async #load(): Promise<ClusterState> {
    const stamp = await this.store.stamp();
    if (this.#state !== null && this.#state.stamp === stamp) return this.#state;
    const dim = this.gallery.embeddingSize;
    const { faces, matrix } = await this.store.loadFaces(dim);
    const pids: number[] = [];
    const index = new Map<number, number>();
    const labels = faces.map((f) => {
      if (f.personId === null) return -1;
      let i = index.get(f.personId);
      if (i === undefined) {
        i = pids.length;
        pids.push(f.personId);
        index.set(f.personId, i);
      }
      return i;
    });
    const clusterer = new IncrementalClusterer(dim, this.options);
    const row = new Map(faces.map((f, i) => [f.faceId, i]));
    const cannot = (await this.store.constraints()).flatMap((c) => {
      const a = row.get(c.faceA);
      const b = row.get(c.faceB);
      return c.kind === 'cannot' && a !== undefined && b !== undefined ? [[a, b] as const] : [];
    });
    clusterer.load(
      matrix,
      labels,
      faces.map((f) => hashPhoto(f.photoSha256 ?? f.photo)),
      cannot,
    );
    // Named persons, and persons holding faces put there by hand, are never absorbed into another
    // by an incremental merge: a face moved by hand moves again only by hand.
    const pinned = new Set(faces.flatMap((f) => (f.locked && f.personId !== null ? [f.personId] : [])));
    for (const p of await this.store.listPersons(true)) if (p.identityId !== null) pinned.add(p.personId);
    for (const pid of pinned) {
      const i = index.get(pid);
      if (i !== undefined) clusterer.pin(i);
    }
    this.#state = { stamp, clusterer, faceIds: faces.map((f) => f.faceId), pids, index };
    return this.#state;
  }

  async #persist(changes: readonly { face: number; person: number }[], st: ClusterState): Promise<void> {
    if (changes.length === 0) return;
    const touched = new Set<number>();
    await this.store.sql.transaction(async (q) => {
      for (const c of changes) {
        if (c.person < 0) continue;
        while (st.pids.length <= c.person) {
          const pid = await this.store.createPerson(q);
          st.index.set(pid, st.pids.length);
          st.pids.push(pid);
        }
        const pid = st.pids[c.person] as number;
        await this.store.assign(q, [st.faceIds[c.face] as number], pid);
        touched.add(pid);
      }
    });
    await this.#enrolNamed([...touched]);
  }
}

/** Each face paired with `anchor` (none when there is no anchor). */
function pairsWith(faces: readonly number[], anchor: number | undefined): [number, number][] {
  return anchor === undefined ? [] : faces.filter((f) => f !== anchor).map((f) => [f, anchor]);
}

function checkId(name: string, v: unknown): number {
  try {
    return assertInteger(name, v, 1, Number.MAX_SAFE_INTEGER);
  } catch (e) {
    throw new ArcFaceError('INVALID_ARGUMENT', (e as Error).message, { cause: e });
  }
}

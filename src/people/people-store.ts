/**
 * Rows of people discovery in the gallery database (tables of schema version 2): persons, the
 * clustered faces with their person, and thumbnails. Plain reads and writes; the decisions are
 * in {@link People}.
 */
import { ArcFaceError } from '../core/index.js';
import { decodeFloat32LE, encodeFloat32LE, PLAIN_CODEC, type RoomSql, type RowCodec } from '../gallery/index.js';

/** A face to store: where it is, its embedding and (optionally) a JPEG thumbnail of the aligned crop. */
export interface NewPersonFace {
  /** The photo the face is in (a path or a content hash): faces of one photo never share a person. */
  readonly photo: string;
  readonly box: readonly [number, number, number, number];
  readonly detScore: number;
  readonly embedding: Float32Array;
  readonly thumbnail?: Uint8Array | undefined;
  /** SHA-256 of the photo's bytes: its identity (the photo name is where it was last seen). */
  readonly photoSha256?: string | undefined;
}

/** A photo known by content: where it was last seen and how many faces it gave. */
export interface KnownPhoto {
  readonly sha256: string;
  readonly path: string;
  readonly size: number | null;
  readonly mtimeMs: number | null;
  readonly faces: number;
}

/** How a hand edit constrains two faces. */
export type ConstraintKind = 'must' | 'cannot';

/** A recorded hand edit between two faces. */
export interface FaceConstraint {
  readonly kind: ConstraintKind;
  readonly faceA: number;
  readonly faceB: number;
  /** The edit that made it: merge, split, move, name or not-this-person. */
  readonly edit: string;
  readonly createdAt: number;
}

/** A stored face. */
export interface PersonFace {
  readonly faceId: number;
  readonly photo: string;
  /** SHA-256 of the photo, or null for faces stored before photos were known by content. */
  readonly photoSha256: string | null;
  readonly box: readonly [number, number, number, number];
  readonly detScore: number | null;
  readonly personId: number | null;
  /** Moved by hand: a full re-cluster keeps its person. */
  readonly locked: boolean;
  /** The gallery template made from it when its person was named. */
  readonly templateId: number | null;
  readonly hasThumbnail: boolean;
}

/** A person as listed. */
export interface PersonSummary {
  readonly personId: number;
  /** Gallery identity of a named person, else null. */
  readonly identityId: string | null;
  readonly name: string | null;
  readonly hidden: boolean;
  readonly faceCount: number;
  /** A face to show for the person (its highest detector score). */
  readonly coverFaceId: number | null;
}

interface FaceRow {
  face_id: number | string;
  photo: string;
  photo_sha256: string | null;
  box: string;
  det_score: number | null;
  person_id: number | string | null;
  locked: number;
  template_id: number | string | null;
  has_thumb: number | boolean;
}
interface PhotoRow {
  sha256: string;
  path: string;
  size: number | string | null;
  mtime_ms: number | null;
  faces: number | string;
}
interface ConstraintRow {
  kind: ConstraintKind;
  face_a: number | string;
  face_b: number | string;
  edit: string;
  created_at: number | string;
}
interface PersonRow {
  person_id: number | string;
  identity_id: string | null;
  name: string | null;
  hidden: number;
  n: number | string;
  cover: number | string | null;
}

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/**
 * Row access for people discovery. Face embeddings and crops go through the gallery's row codec:
 * float32 little-endian and JPEG bytes as they are, or sealed when the gallery is (see the gallery's
 * row-codec.ts; they belong to no identity, so their associated data binds kind and model only).
 *
 * @example
 * const store = new PeopleStore(gallery.store.roomSql('people'))
 * await store.listPersons()
 */
export class PeopleStore {
  readonly sql: RoomSql;
  readonly #t: { persons: string; faces: string; identities: string; photos: string; constraints: string };
  readonly #codec: RowCodec;

  constructor(sql: RoomSql, codec: RowCodec = PLAIN_CODEC) {
    this.sql = sql;
    this.#codec = codec;
    this.#t = {
      persons: sql.table('persons'),
      faces: sql.table('person_faces'),
      identities: sql.table('identities'),
      photos: sql.table('people_photos'),
      constraints: sql.table('person_constraints'),
    };
  }

  /**
   * Records a photo by content inside the caller's write transaction; returns false when it was
   * known already (another run or writer added it), after noting where it was seen now.
   */
  async claimPhoto(q: RoomSql, p: KnownPhoto): Promise<boolean> {
    const r = await q.all<{ sha256: string }>(
      `INSERT INTO ${this.#t.photos} (sha256, path, size, mtime_ms, faces, seen_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING RETURNING sha256`,
      [p.sha256, p.path, p.size, p.mtimeMs, p.faces, Date.now()],
    );
    if (r.length > 0) return true;
    await this.seePhoto(q, p);
    return false;
  }

  /** Notes where a known photo is now (path, size, mtime); its faces follow the path. */
  async seePhoto(q: RoomSql, p: Omit<KnownPhoto, 'faces'>): Promise<void> {
    await q.all(`UPDATE ${this.#t.photos} SET path = ?, size = ?, mtime_ms = ?, seen_at = ? WHERE sha256 = ?`, [
      p.path,
      p.size,
      p.mtimeMs,
      Date.now(),
      p.sha256,
    ]);
    await q.all(`UPDATE ${this.#t.faces} SET photo = ? WHERE photo_sha256 = ? AND photo <> ?`, [p.path, p.sha256, p.path]);
  }

  /** Sets the face count of a claimed photo. */
  async setPhotoFaces(q: RoomSql, sha256: string, faces: number): Promise<void> {
    await q.all(`UPDATE ${this.#t.photos} SET faces = ? WHERE sha256 = ?`, [faces, sha256]);
  }

  /** Faces stored before photos were known by content, under this photo name; they take the hash. */
  async adoptLegacyFaces(q: RoomSql, photo: string, sha256: string): Promise<number> {
    const r = await q.all<{ face_id: number | string }>(`SELECT face_id FROM ${this.#t.faces} WHERE photo_sha256 IS NULL AND photo = ?`, [photo]);
    if (r.length > 0) await q.all(`UPDATE ${this.#t.faces} SET photo_sha256 = ? WHERE photo_sha256 IS NULL AND photo = ?`, [sha256, photo]);
    return r.length;
  }

  /** A known photo by its SHA-256, or null. */
  async photo(sha256: string, q: RoomSql = this.sql): Promise<KnownPhoto | null> {
    const r = await q.all<PhotoRow>(`SELECT sha256, path, size, mtime_ms, faces FROM ${this.#t.photos} WHERE sha256 = ?`, [sha256]);
    return r[0] === undefined ? null : toPhoto(r[0]);
  }

  /** Every known photo. */
  async photos(): Promise<KnownPhoto[]> {
    return (await this.sql.all<PhotoRow>(`SELECT sha256, path, size, mtime_ms, faces FROM ${this.#t.photos} ORDER BY path`)).map(toPhoto);
  }

  /** Faces of one photo: by its hash, or by name for faces stored without one. */
  async facesOfPhoto(photo: { sha256?: string | undefined; name?: string }, q: RoomSql = this.sql): Promise<PersonFace[]> {
    const by = photo.sha256 !== undefined ? ['photo_sha256 = ?', photo.sha256] : ['photo_sha256 IS NULL AND photo = ?', photo.name ?? ''];
    const rows = await q.all<FaceRow>(
      `SELECT face_id, photo, photo_sha256, box, det_score, person_id, locked, template_id, (thumbnail IS NOT NULL) AS has_thumb FROM ${this.#t.faces} WHERE ${by[0]} ORDER BY face_id`,
      [by[1]],
    );
    return rows.map(toFace);
  }

  /** Forgets a photo and its faces (their constraints go with them). */
  async removePhoto(q: RoomSql, sha256: string): Promise<void> {
    await q.all(`DELETE FROM ${this.#t.faces} WHERE photo_sha256 = ?`, [sha256]);
    await q.all(`DELETE FROM ${this.#t.photos} WHERE sha256 = ?`, [sha256]);
  }

  /** Records constraints between pairs of faces. */
  async addConstraints(q: RoomSql, kind: ConstraintKind, pairs: readonly (readonly [number, number])[], edit: string): Promise<void> {
    const now = Date.now();
    for (const [a, b] of pairs) {
      if (a === b) continue;
      await q.all(`INSERT INTO ${this.#t.constraints} (kind, face_a, face_b, edit, created_at) VALUES (?, ?, ?, ?, ?)`, [
        kind,
        Math.min(a, b),
        Math.max(a, b),
        edit,
        now,
      ]);
    }
  }

  /** Removes constraints of `kind` between any face of `a` and any face of `b` (a later edit overrules them). */
  async dropConstraints(q: RoomSql, kind: ConstraintKind, a: readonly number[], b: readonly number[]): Promise<void> {
    const sb = new Set(b);
    for (const c of await this.constraints(a, q)) {
      if (c.kind !== kind) continue;
      const other = a.includes(c.faceA) ? c.faceB : c.faceA;
      if (sb.has(other)) await q.all(`DELETE FROM ${this.#t.constraints} WHERE kind = ? AND face_a = ? AND face_b = ?`, [kind, c.faceA, c.faceB]);
    }
  }

  /** Constraints touching these faces (every constraint when omitted), oldest first. */
  async constraints(faceIds?: readonly number[], q: RoomSql = this.sql): Promise<FaceConstraint[]> {
    const cols = `SELECT kind, face_a, face_b, edit, created_at FROM ${this.#t.constraints}`;
    const rows: ConstraintRow[] = [];
    if (faceIds === undefined) rows.push(...(await q.all<ConstraintRow>(`${cols} ORDER BY constraint_id`)));
    else {
      const seen = new Set<string>();
      for (const id of faceIds) {
        for (const r of await q.all<ConstraintRow & { constraint_id?: number }>(`${cols} WHERE face_a = ? OR face_b = ? ORDER BY constraint_id`, [id, id])) {
          const key = `${r.kind}:${r.face_a}:${r.face_b}:${r.created_at}:${r.edit}`;
          if (!seen.has(key)) {
            seen.add(key);
            rows.push(r);
          }
        }
      }
    }
    return rows.map((r) => ({ kind: r.kind, faceA: Number(r.face_a), faceB: Number(r.face_b), edit: r.edit, createdAt: Number(r.created_at) }));
  }

  /** Inserts faces (unassigned); returns their ids in order. */
  async insertFaces(q: RoomSql, faces: readonly NewPersonFace[]): Promise<number[]> {
    const ids: number[] = [];
    const now = Date.now();
    await this.#assertSealState(q);
    for (const f of faces) {
      const r = await q.all<{ face_id: number | string }>(
        `INSERT INTO ${this.#t.faces} (photo, photo_sha256, box, det_score, embedding, thumbnail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING face_id`,
        [
          f.photo,
          f.photoSha256 ?? null,
          JSON.stringify(f.box),
          f.detScore,
          this.#codec.seal('personFace', '', encodeFloat32LE(f.embedding)),
          f.thumbnail === undefined ? null : this.#codec.seal('personCrop', '', f.thumbnail),
          now,
        ],
      );
      ids.push(Number(r[0]?.face_id));
    }
    return ids;
  }

  /** Every face with its embedding, by face id. */
  async loadFaces(dim: number): Promise<{ faces: PersonFace[]; matrix: Float32Array }> {
    const rows = await this.sql.all<FaceRow & { embedding: Uint8Array }>(
      `SELECT face_id, photo, photo_sha256, box, det_score, person_id, locked, template_id, embedding, (thumbnail IS NOT NULL) AS has_thumb FROM ${this.#t.faces} ORDER BY face_id`,
    );
    const matrix = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => this.#readEmbedding(r.face_id, r.embedding, dim, matrix, i * dim));
    return { faces: rows.map(toFace), matrix };
  }

  /** Faces by id (missing ids are absent from the result). */
  async faces(ids: readonly number[]): Promise<PersonFace[]> {
    const out: PersonFace[] = [];
    for (const id of ids) {
      const r = await this.sql.all<FaceRow>(
        `SELECT face_id, photo, photo_sha256, box, det_score, person_id, locked, template_id, (thumbnail IS NOT NULL) AS has_thumb FROM ${this.#t.faces} WHERE face_id = ?`,
        [id],
      );
      if (r[0] !== undefined) out.push(toFace(r[0]));
    }
    return out;
  }

  /** Faces of one person, best detector score first. */
  async facesOf(personId: number): Promise<PersonFace[]> {
    const rows = await this.sql.all<FaceRow>(
      `SELECT face_id, photo, photo_sha256, box, det_score, person_id, locked, template_id, (thumbnail IS NOT NULL) AS has_thumb FROM ${this.#t.faces} ` +
        'WHERE person_id = ? ORDER BY det_score DESC, face_id',
      [personId],
    );
    return rows.map(toFace);
  }

  /** Embedding of one face. */
  async embedding(faceId: number, dim: number): Promise<Float32Array> {
    const r = await this.sql.all<{ embedding: Uint8Array }>(`SELECT embedding FROM ${this.#t.faces} WHERE face_id = ?`, [faceId]);
    if (r[0] === undefined) throw new ArcFaceError('FACE_NOT_FOUND', `Expected face ${faceId} to exist but it does not`);
    return this.#readEmbedding(faceId, r[0].embedding, dim, new Float32Array(dim), 0);
  }

  /** Sets faces' persons (and optionally their lock). */
  async assign(q: RoomSql, faceIds: readonly number[], personId: number | null, locked?: boolean): Promise<void> {
    for (const id of faceIds) {
      if (locked === undefined) await q.all(`UPDATE ${this.#t.faces} SET person_id = ? WHERE face_id = ?`, [personId, id]);
      else await q.all(`UPDATE ${this.#t.faces} SET person_id = ?, locked = ? WHERE face_id = ?`, [personId, locked ? 1 : 0, id]);
    }
    if (personId !== null) await q.all(`UPDATE ${this.#t.persons} SET updated_at = ? WHERE person_id = ?`, [Date.now(), personId]);
  }

  /** Marks a person as changed (other processes reload). */
  async touchPerson(q: RoomSql, personId: number): Promise<void> {
    await q.all(`UPDATE ${this.#t.persons} SET updated_at = ? WHERE person_id = ?`, [Date.now(), personId]);
  }

  /** Records the template made from a face. */
  async setTemplate(q: RoomSql, faceId: number, templateId: number | null): Promise<void> {
    await q.all(`UPDATE ${this.#t.faces} SET template_id = ? WHERE face_id = ?`, [templateId, faceId]);
  }

  /** A new person; returns its id (never reused). */
  async createPerson(q: RoomSql): Promise<number> {
    const now = Date.now();
    const r = await q.all<{ person_id: number | string }>(
      `INSERT INTO ${this.#t.persons} (hidden, created_at, updated_at) VALUES (0, ?, ?) RETURNING person_id`,
      [now, now],
    );
    return Number(r[0]?.person_id);
  }

  async deletePerson(q: RoomSql, personId: number): Promise<void> {
    await q.all(`DELETE FROM ${this.#t.persons} WHERE person_id = ?`, [personId]);
  }

  async setIdentity(q: RoomSql, personId: number, identityId: string | null): Promise<void> {
    await q.all(`UPDATE ${this.#t.persons} SET identity_id = ?, updated_at = ? WHERE person_id = ?`, [identityId, Date.now(), personId]);
  }

  async setHidden(q: RoomSql, personId: number, hidden: boolean): Promise<void> {
    await q.all(`UPDATE ${this.#t.persons} SET hidden = ?, updated_at = ? WHERE person_id = ?`, [hidden ? 1 : 0, Date.now(), personId]);
  }

  /** Every person (hidden ones too when asked), most faces first. */
  async listPersons(includeHidden: boolean): Promise<PersonSummary[]> {
    const t = this.#t;
    const rows = await this.sql.all<PersonRow>(
      `SELECT p.person_id, p.identity_id, i.name, p.hidden,
         (SELECT COUNT(*) FROM ${t.faces} f WHERE f.person_id = p.person_id) AS n,
         (SELECT f.face_id FROM ${t.faces} f WHERE f.person_id = p.person_id ORDER BY f.det_score DESC, f.face_id LIMIT 1) AS cover
       FROM ${t.persons} p LEFT JOIN ${t.identities} i ON i.id = p.identity_id ${includeHidden ? '' : 'WHERE p.hidden = 0'}
       ORDER BY n DESC, p.person_id`,
    );
    return rows.map((r) => ({
      personId: Number(r.person_id),
      identityId: r.identity_id,
      name: r.name,
      hidden: Number(r.hidden) === 1,
      faceCount: Number(r.n),
      coverFaceId: num(r.cover),
    }));
  }

  /** One person, or `PERSON_NOT_FOUND`. */
  async person(personId: number): Promise<PersonSummary> {
    const all = await this.sql.all<PersonRow>(
      `SELECT p.person_id, p.identity_id, i.name, p.hidden, (SELECT COUNT(*) FROM ${this.#t.faces} f WHERE f.person_id = p.person_id) AS n, NULL AS cover
       FROM ${this.#t.persons} p LEFT JOIN ${this.#t.identities} i ON i.id = p.identity_id WHERE p.person_id = ?`,
      [personId],
    );
    const r = all[0];
    if (r === undefined) throw new ArcFaceError('PERSON_NOT_FOUND', `Expected person ${personId} to exist but it does not`);
    return {
      personId: Number(r.person_id),
      identityId: r.identity_id,
      name: r.name,
      hidden: Number(r.hidden) === 1,
      faceCount: Number(r.n),
      coverFaceId: null,
    };
  }

  /** A cheap fingerprint of the people tables, to notice writes by other processes. */
  async stamp(): Promise<string> {
    const r = await this.sql.all<{
      a: number | string;
      b: number | string | null;
      c: number | string;
      d: number | string | null;
      e: number | string;
      f: number | string | null;
    }>(
      `SELECT (SELECT COUNT(*) FROM ${this.#t.faces}) AS a, (SELECT MAX(face_id) FROM ${this.#t.faces}) AS b,
         (SELECT COUNT(*) FROM ${this.#t.persons}) AS c, (SELECT MAX(updated_at) FROM ${this.#t.persons}) AS d,
         (SELECT COUNT(*) FROM ${this.#t.constraints}) AS e, (SELECT MAX(constraint_id) FROM ${this.#t.constraints}) AS f`,
    );
    const x = r[0];
    return x === undefined ? '' : `${x.a}:${x.b}:${x.c}:${x.d}:${x.e}:${x.f}`;
  }

  /** JPEG thumbnail of a clustered face, or null. */
  async faceThumbnail(faceId: number): Promise<Uint8Array | null> {
    const r = await this.sql.all<{ thumbnail: Uint8Array | null }>(`SELECT thumbnail FROM ${this.#t.faces} WHERE face_id = ?`, [faceId]);
    if (r[0] === undefined) throw new ArcFaceError('FACE_NOT_FOUND', `Expected face ${faceId} to exist but it does not`);
    return r[0].thumbnail === null ? null : this.#codec.open('personCrop', '', r[0].thumbnail);
  }

  /** A stored face embedding (opened when sealed) into `out` at `offset`; `GALLERY_CORRUPT` for a wrong size. */
  #readEmbedding(faceId: number | string, stored: Uint8Array, dim: number, out: Float32Array, offset: number): Float32Array {
    const b = this.#codec.open('personFace', '', stored);
    if (b.byteLength !== dim * 4)
      throw new ArcFaceError('GALLERY_CORRUPT', `Expected ${dim}-d face embeddings but face ${faceId} holds ${b.byteLength / 4} values`);
    return decodeFloat32LE(b, dim, out, offset);
  }

  /**
   * Refuses to write a face when the gallery's sealing changed since this store opened (another
   * process sealed it): plain and sealed faces must never mix. SQLite only (PostgreSQL is never sealed).
   */
  async #assertSealState(q: RoomSql): Promise<void> {
    if (this.sql.dialect !== 'sqlite') return;
    const sealed = Number((await q.all<{ n: number }>('SELECT COUNT(*) AS n FROM gallery_keys'))[0]?.n ?? 0) > 0;
    if (sealed !== this.#codec.sealed) {
      throw new ArcFaceError(
        sealed ? 'GALLERY_SEALED' : 'GALLERY_NOT_SEALED',
        `Expected the gallery's sealing to be as when people discovery opened it but it changed: reopen it`,
      );
    }
  }
}

function toPhoto(r: PhotoRow): KnownPhoto {
  return { sha256: r.sha256, path: r.path, size: num(r.size), mtimeMs: r.mtime_ms === null ? null : Number(r.mtime_ms), faces: Number(r.faces) };
}

function toFace(r: FaceRow): PersonFace {
  return {
    faceId: Number(r.face_id),
    photo: r.photo,
    photoSha256: r.photo_sha256,
    box: JSON.parse(r.box) as [number, number, number, number],
    detScore: r.det_score,
    personId: num(r.person_id),
    locked: Number(r.locked) === 1,
    templateId: num(r.template_id),
    hasThumbnail: Boolean(Number(r.has_thumb)),
  };
}

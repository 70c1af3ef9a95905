/**
 * Rows of people discovery in the gallery database (tables of schema version 2): persons, the
 * clustered faces with their person, and thumbnails. Plain reads and writes; the decisions are
 * in {@link People}.
 */
import { ArcFaceError } from '../core/index.js';
import type { PeopleSql } from './sql-runner.js';

/** A face to store: where it is, its embedding and (optionally) a JPEG thumbnail of the aligned crop. */
export interface NewPersonFace {
  /** The photo the face is in (a path or a content hash): faces of one photo never share a person. */
  readonly photo: string;
  readonly box: readonly [number, number, number, number];
  readonly detScore: number;
  readonly embedding: Float32Array;
  readonly thumbnail?: Uint8Array | undefined;
}

/** A stored face. */
export interface PersonFace {
  readonly faceId: number;
  readonly photo: string;
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
  box: string;
  det_score: number | null;
  person_id: number | string | null;
  locked: number;
  template_id: number | string | null;
  has_thumb: number | boolean;
}
interface PersonRow { person_id: number | string; identity_id: string | null; name: string | null; hidden: number; n: number | string; cover: number | string | null }

const num = (v: number | string | null): number | null => (v === null ? null : Number(v));

/** Float32 little-endian bytes of an embedding. */
function bytesOf(e: Float32Array): Buffer {
  const b = Buffer.alloc(e.length * 4);
  e.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}

/**
 * Row access for people discovery.
 *
 * @example
 * const store = new PeopleStore(sqlitePeopleSql('people.db'))
 * await store.listPersons()
 */
export class PeopleStore {
  readonly sql: PeopleSql;
  readonly #t: { persons: string; faces: string; identities: string };

  constructor(sql: PeopleSql) {
    this.sql = sql;
    this.#t = { persons: sql.table('persons'), faces: sql.table('person_faces'), identities: sql.table('identities') };
  }

  /** Inserts faces (unassigned); returns their ids in order. */
  async insertFaces(q: PeopleSql, faces: readonly NewPersonFace[]): Promise<number[]> {
    const ids: number[] = [];
    const now = Date.now();
    for (const f of faces) {
      const r = await q.all<{ face_id: number | string }>(
        `INSERT INTO ${this.#t.faces} (photo, box, det_score, embedding, thumbnail, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING face_id`,
        [f.photo, JSON.stringify(f.box), f.detScore, bytesOf(f.embedding), f.thumbnail === undefined ? null : Buffer.from(f.thumbnail), now]);
      ids.push(Number(r[0]?.face_id));
    }
    return ids;
  }

  /** Every face with its embedding, by face id. */
  async loadFaces(dim: number): Promise<{ faces: PersonFace[]; matrix: Float32Array }> {
    const rows = await this.sql.all<FaceRow & { embedding: Uint8Array }>(
      `SELECT face_id, photo, box, det_score, person_id, locked, template_id, embedding, (thumbnail IS NOT NULL) AS has_thumb FROM ${this.#t.faces} ORDER BY face_id`);
    const matrix = new Float32Array(rows.length * dim);
    rows.forEach((r, i) => {
      const b = Buffer.from(r.embedding.buffer, r.embedding.byteOffset, r.embedding.byteLength);
      if (b.length !== dim * 4) throw new ArcFaceError('GALLERY_CORRUPT', `Expected ${dim}-d face embeddings but face ${r.face_id} holds ${b.length / 4} values`);
      for (let j = 0; j < dim; j++) matrix[i * dim + j] = b.readFloatLE(j * 4);
    });
    return { faces: rows.map(toFace), matrix };
  }

  /** Faces by id (missing ids are absent from the result). */
  async faces(ids: readonly number[]): Promise<PersonFace[]> {
    const out: PersonFace[] = [];
    for (const id of ids) {
      const r = await this.sql.all<FaceRow>(
        `SELECT face_id, photo, box, det_score, person_id, locked, template_id, (thumbnail IS NOT NULL) AS has_thumb FROM ${this.#t.faces} WHERE face_id = ?`,
        [id],
      );
      if (r[0] !== undefined) out.push(toFace(r[0]));
    }
    return out;
  }

  /** Faces of one person, best detector score first. */
  async facesOf(personId: number): Promise<PersonFace[]> {
    const rows = await this.sql.all<FaceRow>(
      `SELECT face_id, photo, box, det_score, person_id, locked, template_id, (thumbnail IS NOT NULL) AS has_thumb FROM ${this.#t.faces} ` +
        'WHERE person_id = ? ORDER BY det_score DESC, face_id',
      [personId],
    );
    return rows.map(toFace);
  }

  /** Embedding of one face. */
  async embedding(faceId: number, dim: number): Promise<Float32Array> {
    const r = await this.sql.all<{ embedding: Uint8Array }>(`SELECT embedding FROM ${this.#t.faces} WHERE face_id = ?`, [faceId]);
    if (r[0] === undefined) throw new ArcFaceError('FACE_NOT_FOUND', `Expected face ${faceId} to exist but it does not`);
    const b = Buffer.from(r[0].embedding.buffer, r[0].embedding.byteOffset, r[0].embedding.byteLength);
    return Float32Array.from({ length: dim }, (_, j) => b.readFloatLE(j * 4));
  }

  /** Sets faces' persons (and optionally their lock). */
  async assign(q: PeopleSql, faceIds: readonly number[], personId: number | null, locked?: boolean): Promise<void> {
    for (const id of faceIds) {
      if (locked === undefined) await q.all(`UPDATE ${this.#t.faces} SET person_id = ? WHERE face_id = ?`, [personId, id]);
      else await q.all(`UPDATE ${this.#t.faces} SET person_id = ?, locked = ? WHERE face_id = ?`, [personId, locked ? 1 : 0, id]);
    }
    if (personId !== null) await q.all(`UPDATE ${this.#t.persons} SET updated_at = ? WHERE person_id = ?`, [Date.now(), personId]);
  }

  /** Records the template made from a face. */
  async setTemplate(q: PeopleSql, faceId: number, templateId: number | null): Promise<void> {
    await q.all(`UPDATE ${this.#t.faces} SET template_id = ? WHERE face_id = ?`, [templateId, faceId]);
  }

  /** A new person; returns its id (never reused). */
  async createPerson(q: PeopleSql): Promise<number> {
    const now = Date.now();
    const r = await q.all<{ person_id: number | string }>(`INSERT INTO ${this.#t.persons} (hidden, created_at, updated_at) VALUES (0, ?, ?) RETURNING person_id`, [now, now]);
    return Number(r[0]?.person_id);
  }

  async deletePerson(q: PeopleSql, personId: number): Promise<void> {
    await q.all(`DELETE FROM ${this.#t.persons} WHERE person_id = ?`, [personId]);
  }

  async setIdentity(q: PeopleSql, personId: number, identityId: string | null): Promise<void> {
    await q.all(`UPDATE ${this.#t.persons} SET identity_id = ?, updated_at = ? WHERE person_id = ?`, [identityId, Date.now(), personId]);
  }

  async setHidden(q: PeopleSql, personId: number, hidden: boolean): Promise<void> {
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
       ORDER BY n DESC, p.person_id`);
    return rows.map((r) => ({
      personId: Number(r.person_id), identityId: r.identity_id, name: r.name, hidden: Number(r.hidden) === 1, faceCount: Number(r.n), coverFaceId: num(r.cover),
    }));
  }

  /** One person, or `PERSON_NOT_FOUND`. */
  async person(personId: number): Promise<PersonSummary> {
    const all = await this.sql.all<PersonRow>(
      `SELECT p.person_id, p.identity_id, i.name, p.hidden, (SELECT COUNT(*) FROM ${this.#t.faces} f WHERE f.person_id = p.person_id) AS n, NULL AS cover
       FROM ${this.#t.persons} p LEFT JOIN ${this.#t.identities} i ON i.id = p.identity_id WHERE p.person_id = ?`, [personId]);
    const r = all[0];
    if (r === undefined) throw new ArcFaceError('PERSON_NOT_FOUND', `Expected person ${personId} to exist but it does not`);
    return { personId: Number(r.person_id), identityId: r.identity_id, name: r.name, hidden: Number(r.hidden) === 1, faceCount: Number(r.n), coverFaceId: null };
  }

  /** A cheap fingerprint of the people tables, to notice writes by other processes. */
  async stamp(): Promise<string> {
    const r = await this.sql.all<{ a: number | string; b: number | string | null; c: number | string; d: number | string | null }>(
      `SELECT (SELECT COUNT(*) FROM ${this.#t.faces}) AS a, (SELECT MAX(face_id) FROM ${this.#t.faces}) AS b,
         (SELECT COUNT(*) FROM ${this.#t.persons}) AS c, (SELECT MAX(updated_at) FROM ${this.#t.persons}) AS d`);
    const x = r[0];
    return x === undefined ? '' : `${x.a}:${x.b}:${x.c}:${x.d}`;
  }

  /**
   * Whether faces of a photo whose name ends in `#<digest>` are stored (the server names uploaded
   * photos `<file>#<first 16 hex digits of their SHA-256>`), so the same bytes are not added twice.
   */
  async hasPhotoDigest(digest: string): Promise<boolean> {
    if (!/^[0-9a-f]{16,64}$/.test(digest)) throw new TypeError(`Expected a hex digest of 16 to 64 characters but received ${JSON.stringify(digest).slice(0, 80)}`);
    const r = await this.sql.all<{ one: number }>(`SELECT 1 AS one FROM ${this.#t.faces} WHERE photo LIKE ? LIMIT 1`, [`%#${digest}`]);
    return r.length > 0;
  }

  /** JPEG thumbnail of a clustered face, or null. */
  async faceThumbnail(faceId: number): Promise<Uint8Array | null> {
    const r = await this.sql.all<{ thumbnail: Uint8Array | null }>(`SELECT thumbnail FROM ${this.#t.faces} WHERE face_id = ?`, [faceId]);
    if (r[0] === undefined) throw new ArcFaceError('FACE_NOT_FOUND', `Expected face ${faceId} to exist but it does not`);
    return r[0].thumbnail === null ? null : new Uint8Array(r[0].thumbnail);
  }
}

function toFace(r: FaceRow): PersonFace {
  return {
    faceId: Number(r.face_id), photo: r.photo, box: JSON.parse(r.box) as [number, number, number, number], detScore: r.det_score,
    personId: num(r.person_id), locked: Number(r.locked) === 1, templateId: num(r.template_id), hasThumbnail: Boolean(Number(r.has_thumb)),
  };
}

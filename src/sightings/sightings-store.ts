/**
 * Rows of the sightings room: plain reads and writes; the decisions are in {@link Sightings}.
 */
import { ArcFaceError } from '../core/index.js';
import type { RoomSql } from '../gallery/index.js';
import type { FaceQuality } from '../quality/index.js';
import { embeddingBytes, embeddingOf } from './codec.js';

/** How a sighting's decision was made: by the stream, a re-decision, a hand teach or a hand rejection. */
export type DecidedBy = 'stream' | 'reprocess' | 'taught' | 'rejected';

/** A stored sighting, as listed. */
export interface Sighting {
  readonly sightingId: number;
  readonly source: string;
  readonly trackId: number;
  /** Media time of the track's first and last frame, seconds. */
  readonly ptsFrom: number;
  readonly ptsTo: number;
  /** Identity it names, or null (unknown). */
  readonly identity: string | null;
  readonly score: number;
  readonly decidedBy: DecidedBy;
  /** Visitor id of an unknown sighting (shown as `visitor-N`), else null. */
  readonly visitorId: number | null;
  /** Best face's `quality.overall`. */
  readonly quality: number;
  /** Milliseconds since the epoch when the track ended. */
  readonly seenAt: number;
  readonly faceCount: number;
  /** Faces above the learning limits (offered for "this is X"). */
  readonly learnableCount: number;
  /** Id of the best face (its thumbnail), or null. */
  readonly coverFaceId: number | null;
}

/** One stored face of a sighting. */
export interface SightingFaceRow {
  readonly faceId: number;
  readonly sightingId: number;
  readonly rank: number;
  readonly quality: FaceQuality;
  readonly learnable: boolean;
}

/** A sighting to store. */
export interface NewSighting {
  readonly source: string;
  readonly trackId: number;
  readonly ptsFrom: number;
  readonly ptsTo: number;
  readonly identity: string | null;
  readonly score: number;
  readonly quality: number;
  readonly embedding: Float32Array;
  readonly seenAt: number;
  readonly faces: readonly { readonly jpeg: Uint8Array; readonly embedding: Float32Array; readonly quality: FaceQuality; readonly learnable: boolean }[];
}

/** Which sightings to list; newest first. */
export interface SightingFilter {
  readonly source?: string;
  readonly unknownOnly?: boolean;
  readonly identity?: string;
  readonly visitorId?: number;
  /** Milliseconds since the epoch, inclusive. */
  readonly since?: number;
  readonly until?: number;
  readonly limit?: number;
}

interface SightingRow {
  sighting_id: number | string;
  source: string;
  track_id: number | string;
  pts_from: number;
  pts_to: number;
  identity_id: string | null;
  score: number;
  decided_by: DecidedBy;
  visitor_id: number | string | null;
  quality: number;
  seen_at: number | string;
  n: number | string;
  learnable: number | string | null;
  cover: number | string | null;
}

/**
 * Row access for sightings.
 *
 * @example
 * const store = new SightingsStore(await openRoom(gallery.store, 'sightings', schemaMigrations(SIGHTINGS_SCHEMA)))
 * await store.list({ unknownOnly: true })
 */
export class SightingsStore {
  readonly sql: RoomSql;
  readonly #t: { sightings: string; faces: string; visitors: string; negatives: string };

  constructor(sql: RoomSql) {
    this.sql = sql;
    this.#t = {
      sightings: sql.table('sightings'),
      faces: sql.table('sighting_faces'),
      visitors: sql.table('visitors'),
      negatives: sql.table('sighting_negatives'),
    };
  }

  /** Stores a sighting and its faces; returns its id. */
  async insert(q: RoomSql, s: NewSighting): Promise<number> {
    const r = await q.all<{ sighting_id: number | string }>(
      `INSERT INTO ${this.#t.sightings} (source, track_id, pts_from, pts_to, identity_id, score, decided_by, quality, embedding, seen_at)
       VALUES (?, ?, ?, ?, ?, ?, 'stream', ?, ?, ?) RETURNING sighting_id`,
      [s.source, s.trackId, s.ptsFrom, s.ptsTo, s.identity, s.score, s.quality, embeddingBytes(s.embedding), s.seenAt],
    );
    const id = Number(r[0]?.sighting_id);
    for (const [rank, f] of s.faces.entries()) {
      await q.all(`INSERT INTO ${this.#t.faces} (sighting_id, rank, jpeg, embedding, quality, learnable) VALUES (?, ?, ?, ?, ?, ?)`, [
        id,
        rank,
        Buffer.from(f.jpeg),
        embeddingBytes(f.embedding),
        JSON.stringify(f.quality),
        f.learnable ? 1 : 0,
      ]);
    }
    return id;
  }

  /** Sightings matching `filter`, newest first. */
  async list(filter: SightingFilter = {}): Promise<Sighting[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const when = (clause: string, value?: unknown): void => {
      where.push(clause);
      if (value !== undefined) params.push(value);
    };
    if (filter.source !== undefined) when('s.source = ?', filter.source);
    if (filter.unknownOnly === true) when('s.identity_id IS NULL');
    if (filter.identity !== undefined) when('s.identity_id = ?', filter.identity);
    if (filter.visitorId !== undefined) when('s.visitor_id = ?', filter.visitorId);
    if (filter.since !== undefined) when('s.seen_at >= ?', filter.since);
    if (filter.until !== undefined) when('s.seen_at <= ?', filter.until);
    params.push(filter.limit ?? 100);
    const clause = where.length === 0 ? '' : `WHERE ${where.join(' AND ')}`;
    const rows = await this.sql.all<SightingRow>(`${this.#select()} ${clause} ORDER BY s.seen_at DESC, s.sighting_id DESC LIMIT ?`, params);
    return rows.map(toSighting);
  }

  /** One sighting, or `SIGHTING_NOT_FOUND`. */
  async get(id: number, q: RoomSql = this.sql): Promise<Sighting> {
    const r = await q.all<SightingRow>(`${this.#select()} WHERE s.sighting_id = ?`, [id]);
    if (r[0] === undefined)
      throw new ArcFaceError('SIGHTING_NOT_FOUND', `Expected sighting ${id} to exist but it does not (never recorded, or removed by retention)`);
    return toSighting(r[0]);
  }

  #select(): string {
    const t = this.#t;
    return `SELECT s.sighting_id, s.source, s.track_id, s.pts_from, s.pts_to, s.identity_id, s.score, s.decided_by, s.visitor_id, s.quality, s.seen_at,
      (SELECT COUNT(*) FROM ${t.faces} f WHERE f.sighting_id = s.sighting_id) AS n,
      (SELECT SUM(f.learnable) FROM ${t.faces} f WHERE f.sighting_id = s.sighting_id) AS learnable,
      (SELECT f.face_id FROM ${t.faces} f WHERE f.sighting_id = s.sighting_id ORDER BY f.rank LIMIT 1) AS cover FROM ${t.sightings} s`;
  }

  /** The track embedding of a sighting. */
  async embedding(id: number, dim: number): Promise<Float32Array> {
    const r = await this.sql.all<{ embedding: Uint8Array }>(`SELECT embedding FROM ${this.#t.sightings} WHERE sighting_id = ?`, [id]);
    if (r[0] === undefined) throw new ArcFaceError('SIGHTING_NOT_FOUND', `Expected sighting ${id} to exist but it does not`);
    return embeddingOf(r[0].embedding, dim, `sighting ${id}`);
  }

  /** Faces of a sighting, best first, with their embeddings. */
  async faces(id: number, dim: number): Promise<(SightingFaceRow & { embedding: Float32Array; jpeg: Uint8Array })[]> {
    const rows = await this.sql.all<{ face_id: number | string; rank: number; quality: string; learnable: number; embedding: Uint8Array; jpeg: Uint8Array }>(
      `SELECT face_id, rank, quality, learnable, embedding, jpeg FROM ${this.#t.faces} WHERE sighting_id = ? ORDER BY rank`,
      [id],
    );
    return rows.map((r) => ({
      faceId: Number(r.face_id),
      sightingId: id,
      rank: Number(r.rank),
      quality: JSON.parse(r.quality) as FaceQuality,
      learnable: Number(r.learnable) === 1,
      embedding: embeddingOf(r.embedding, dim, `face ${r.face_id}`),
      jpeg: new Uint8Array(r.jpeg),
    }));
  }

  /** The JPEG of a sighting's face, or `NOT_FOUND`. */
  async faceJpeg(faceId: number): Promise<Uint8Array> {
    const r = await this.sql.all<{ jpeg: Uint8Array }>(`SELECT jpeg FROM ${this.#t.faces} WHERE face_id = ?`, [faceId]);
    if (r[0] === undefined) throw new ArcFaceError('NOT_FOUND', `Expected sighting face ${faceId} to exist but it does not`);
    return new Uint8Array(r[0].jpeg);
  }

  /** Sets a sighting's decision. */
  async decide(q: RoomSql, id: number, identity: string | null, score: number, by: DecidedBy): Promise<void> {
    // A named sighting leaves its visitor; an unknown one keeps it until the clusterer places it.
    if (identity === null) await q.all(`UPDATE ${this.#t.sightings} SET identity_id = NULL, score = ?, decided_by = ? WHERE sighting_id = ?`, [score, by, id]);
    else
      await q.all(`UPDATE ${this.#t.sightings} SET identity_id = ?, score = ?, decided_by = ?, visitor_id = NULL WHERE sighting_id = ?`, [
        identity,
        score,
        by,
        id,
      ]);
  }

  /** Unknown sightings with their visitor and embedding, in id order (the visitor clusterer's input). */
  async unknownEmbeddings(dim: number): Promise<{ sightingId: number; visitorId: number | null; embedding: Float32Array }[]> {
    const rows = await this.sql.all<{ sighting_id: number | string; visitor_id: number | string | null; embedding: Uint8Array }>(
      `SELECT sighting_id, visitor_id, embedding FROM ${this.#t.sightings} WHERE identity_id IS NULL ORDER BY sighting_id`,
    );
    return rows.map((r) => ({
      sightingId: Number(r.sighting_id),
      visitorId: r.visitor_id === null ? null : Number(r.visitor_id),
      embedding: embeddingOf(r.embedding, dim, `sighting ${r.sighting_id}`),
    }));
  }

  /** A new visitor; returns its id (never reused). */
  async createVisitor(q: RoomSql, at: number): Promise<number> {
    const r = await q.all<{ visitor_id: number | string }>(`INSERT INTO ${this.#t.visitors} (created_at, seen_at) VALUES (?, ?) RETURNING visitor_id`, [
      at,
      at,
    ]);
    return Number(r[0]?.visitor_id);
  }

  /** Puts sightings in a visitor and notes when it was last seen. */
  async setVisitor(q: RoomSql, sightingIds: readonly number[], visitorId: number | null, at?: number): Promise<void> {
    for (const id of sightingIds) await q.all(`UPDATE ${this.#t.sightings} SET visitor_id = ? WHERE sighting_id = ?`, [visitorId, id]);
    if (visitorId !== null && at !== undefined) await q.all(`UPDATE ${this.#t.visitors} SET seen_at = ? WHERE visitor_id = ?`, [at, visitorId]);
  }

  /** Names the person a visitor turned out to be. */
  async setVisitorIdentity(q: RoomSql, visitorId: number, identity: string | null): Promise<void> {
    await q.all(`UPDATE ${this.#t.visitors} SET identity_id = ? WHERE visitor_id = ?`, [identity, visitorId]);
  }

  /** Visitors with at least one sighting, last seen first. */
  async visitors(): Promise<
    { visitorId: number; identity: string | null; createdAt: number; seenAt: number; sightings: number; sources: string[]; coverFaceId: number | null }[]
  > {
    const t = this.#t;
    const rows = await this.sql.all<{
      visitor_id: number | string;
      identity_id: string | null;
      created_at: number;
      seen_at: number;
      n: number | string;
      cover: number | string | null;
    }>(
      `SELECT v.visitor_id, v.identity_id, v.created_at, v.seen_at, (SELECT COUNT(*) FROM ${t.sightings} s WHERE s.visitor_id = v.visitor_id) AS n,
        (SELECT f.face_id FROM ${t.faces} f JOIN ${t.sightings} s ON s.sighting_id = f.sighting_id WHERE s.visitor_id = v.visitor_id ORDER BY s.quality DESC, f.rank LIMIT 1) AS cover
       FROM ${t.visitors} v ORDER BY v.seen_at DESC`,
    );
    const out = [];
    for (const r of rows) {
      if (Number(r.n) === 0) continue;
      const sources = await this.sql.all<{ source: string }>(`SELECT DISTINCT source FROM ${t.sightings} WHERE visitor_id = ? ORDER BY source`, [r.visitor_id]);
      out.push({
        visitorId: Number(r.visitor_id),
        identity: r.identity_id,
        createdAt: Number(r.created_at),
        seenAt: Number(r.seen_at),
        sightings: Number(r.n),
        sources: sources.map((s) => s.source),
        coverFaceId: r.cover === null ? null : Number(r.cover),
      });
    }
    return out;
  }

  /** Sightings of a visitor since `since` (ms). */
  async visitorCount(visitorId: number, since = 0): Promise<number> {
    const r = await this.sql.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${this.#t.sightings} WHERE visitor_id = ? AND seen_at >= ?`, [
      visitorId,
      since,
    ]);
    return Number(r[0]?.n ?? 0);
  }

  /** Records negatives ("not X") for an identity. */
  async addNegatives(q: RoomSql, identity: string, sightingId: number, embeddings: readonly Float32Array[], at: number): Promise<void> {
    for (const e of embeddings) {
      await q.all(`INSERT INTO ${this.#t.negatives} (identity_id, sighting_id, embedding, created_at) VALUES (?, ?, ?, ?)`, [
        identity,
        sightingId,
        embeddingBytes(e),
        at,
      ]);
    }
  }

  /** Drops the negatives of an identity that came from these sightings (a later "this is X" overrules them). */
  async dropNegatives(q: RoomSql, identity: string, sightingIds: readonly number[]): Promise<void> {
    for (const id of sightingIds) await q.all(`DELETE FROM ${this.#t.negatives} WHERE identity_id = ? AND sighting_id = ?`, [identity, id]);
  }

  /** Every negative, by identity. */
  async negatives(dim: number): Promise<Map<string, Float32Array[]>> {
    const rows = await this.sql.all<{ identity_id: string; embedding: Uint8Array; negative_id: number | string }>(
      `SELECT negative_id, identity_id, embedding FROM ${this.#t.negatives} ORDER BY negative_id`,
    );
    const out = new Map<string, Float32Array[]>();
    for (const r of rows) {
      const list = out.get(r.identity_id) ?? [];
      list.push(embeddingOf(r.embedding, dim, `negative ${r.negative_id}`));
      out.set(r.identity_id, list);
    }
    return out;
  }

  /** A cheap fingerprint of the negatives (count and newest id), to reload them when another process wrote. */
  async negativesStamp(): Promise<string> {
    const r = await this.sql.all<{ n: number | string; m: number | string | null }>(`SELECT COUNT(*) AS n, MAX(negative_id) AS m FROM ${this.#t.negatives}`);
    return `${r[0]?.n}:${r[0]?.m}`;
  }

  /** A cheap fingerprint of the unknown sightings, to notice other processes' writes. */
  async unknownStamp(): Promise<string> {
    const r = await this.sql.all<{ n: number | string; m: number | string | null; v: number | string | null }>(
      `SELECT COUNT(*) AS n, MAX(sighting_id) AS m, SUM(visitor_id) AS v FROM ${this.#t.sightings} WHERE identity_id IS NULL`,
    );
    return `${r[0]?.n}:${r[0]?.m}:${r[0]?.v}`;
  }

  /** Deletes sightings of a source older than `before`, then all but its newest `keep`; returns how many went. */
  async prune(q: RoomSql, source: string, before: number, keep: number): Promise<number> {
    const t = this.#t.sightings;
    const old = await q.all<{ sighting_id: number | string }>(
      `SELECT sighting_id FROM ${t} WHERE source = ? AND (seen_at < ? OR sighting_id NOT IN (SELECT sighting_id FROM ${t} WHERE source = ? ORDER BY seen_at DESC, sighting_id DESC LIMIT ?))`,
      [source, before, source, keep],
    );
    for (const r of old) await q.all(`DELETE FROM ${t} WHERE sighting_id = ?`, [r.sighting_id]);
    return old.length;
  }

  /** Deletes the sightings naming an identity and its negatives; its visitors forget the name. Returns the sightings deleted. */
  async forgetIdentity(q: RoomSql, identity: string): Promise<number> {
    const t = this.#t;
    const n = await q.all<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${t.sightings} WHERE identity_id = ?`, [identity]);
    await q.all(`DELETE FROM ${t.sightings} WHERE identity_id = ?`, [identity]);
    await q.all(`DELETE FROM ${t.negatives} WHERE identity_id = ?`, [identity]);
    await q.all(`UPDATE ${t.visitors} SET identity_id = NULL WHERE identity_id = ?`, [identity]);
    return Number(n[0]?.n ?? 0);
  }
}

function toSighting(r: SightingRow): Sighting {
  return {
    sightingId: Number(r.sighting_id),
    source: r.source,
    trackId: Number(r.track_id),
    ptsFrom: Number(r.pts_from),
    ptsTo: Number(r.pts_to),
    identity: r.identity_id,
    score: Number(r.score),
    decidedBy: r.decided_by,
    visitorId: r.visitor_id === null ? null : Number(r.visitor_id),
    quality: Number(r.quality),
    seenAt: Number(r.seen_at),
    faceCount: Number(r.n),
    learnableCount: Number(r.learnable ?? 0),
    coverFaceId: r.cover === null ? null : Number(r.cover),
  };
}

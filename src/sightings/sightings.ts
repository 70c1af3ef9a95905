/**
 * The camera user's loop: every track that ends becomes a sighting (time, source, decision, its best
 * aligned faces); unknown sightings gather into persistent visitors; "this is X" enrols a sighting's
 * or a visitor's good faces into X through the enrolment door, "not X" records a negative template
 * of X, and `reprocess` re-decides recent sightings after the gallery changed.
 */
import { ArcFaceError, dot, l2normalize, sha256Digest } from '../core/index.js';
import { assertIdentityId, openRoom, schemaMigrations, type Gallery } from '../gallery/index.js';
import { enrolTemplates, faceThumbnail } from '../ingest/index.js';
import { qualityRejection } from '../quality/index.js';
import type { StreamGallery, TrackSighting } from '../stream/index.js';
import type { SightingEvent } from './events.js';
import { visitorLabel, type Culprit, type SightingDetails, type StillFace, type VisitorSummary } from './views.js';
import { NegativeCache, withoutNegatives } from './negatives.js';
import { resolveSightingsOptions, type SightingsOptions } from './options.js';
import { SIGHTINGS_SCHEMA } from './schema.js';
import { SightingsStore, type NewSighting, type Sighting, type SightingFilter } from './sightings-store.js';
import { VisitorClusters } from './visitors.js';

/**
 * How far back "this is X" re-decides the unknown sightings, and "not X" the sightings of X (7 days, at
 * most 1,000 of them): other tracks of the same person, without re-deciding a whole history per click.
 */
const TEACH_REPROCESS_MS = 7 * 86_400_000;

/** What a decision over the gallery gave. */
interface Decision {
  readonly identity: string | null;
  readonly score: number;
}

/**
 * Sightings over a gallery (SQLite file or PostgreSQL). One instance keeps the visitor clusterer:
 * call its writing methods one at a time (the server queues them); other processes' writes are noticed.
 *
 * @example
 * const sightings = await Sightings.open(gallery)
 * const { events } = await sightings.record('door', trackSighting)   // from FrameResult.sightings
 * await sightings.teach({ visitorId: 1 }, { id: 'ada', name: 'Ada' })
 */
export class Sightings {
  readonly gallery: Gallery;
  readonly store: SightingsStore;
  readonly options: Readonly<SightingsOptions>;
  readonly negatives: NegativeCache;
  readonly #visitors: VisitorClusters;

  private constructor(gallery: Gallery, store: SightingsStore, options: Readonly<SightingsOptions>) {
    this.gallery = gallery;
    this.store = store;
    this.options = options;
    this.negatives = new NegativeCache(store, gallery.embeddingSize);
    this.#visitors = new VisitorClusters(store, gallery.embeddingSize, options.visitors);
  }

  /** Sightings on an open gallery; `STORE_UNSUPPORTED` where the store has no SQL database (IndexedDB). */
  static async open(gallery: Gallery, options: Parameters<typeof resolveSightingsOptions>[0] = {}): Promise<Sightings> {
    const o = resolveSightingsOptions(options);
    return new Sightings(gallery, new SightingsStore(await openRoom(gallery.store, 'sightings', schemaMigrations(SIGHTINGS_SCHEMA))), o);
  }

  /** A gallery for a face stream that turns away the look-alikes recorded by "not X". */
  guard(gallery: StreamGallery = this.gallery): StreamGallery {
    return this.negatives.guard(gallery);
  }

  /**
   * Stores a track that ended (with its faces) and places an unknown one in a visitor; applies the
   * retention of its source. A track never embedded is no sighting (null).
   */
  async record(source: string, t: TrackSighting, at = Date.now()): Promise<{ sighting: Sighting; events: SightingEvent[] } | null> {
    if (t.faces.length === 0) return null;
    const faces: StillFace[] = [];
    for (const f of t.faces) faces.push({ jpeg: await faceThumbnail(f.crop), embedding: f.embedding, quality: f.quality });
    const e = t.ended;
    return this.#store(source, { trackId: e.trackId, ptsFrom: e.firstPts, ptsTo: e.lastPts, identity: e.identity, score: e.score }, faces, at);
  }

  /**
   * Stores a face of a still photo (the Identify page, `/v1/identify?record=true`) as a one-face
   * sighting with the decision it was given; an unknown one joins a visitor.
   */
  recordStill(
    source: string,
    face: StillFace,
    decision: { identity: string | null; score: number },
    at = Date.now(),
  ): Promise<{ sighting: Sighting; events: SightingEvent[] }> {
    return this.#store(source, { trackId: 0, ptsFrom: 0, ptsTo: 0, ...decision }, [face], at);
  }

  async #store(
    source: string,
    track: Pick<NewSighting, 'trackId' | 'ptsFrom' | 'ptsTo' | 'identity' | 'score'>,
    stills: readonly StillFace[],
    at: number,
  ): Promise<{ sighting: Sighting; events: SightingEvent[] }> {
    if (typeof source !== 'string' || source.length === 0 || source.length > 200)
      throw new TypeError(`Expected a source name of 1 to 200 characters but received ${JSON.stringify(source)}`);
    const dim = this.gallery.embeddingSize;
    const mean = new Float32Array(dim);
    for (const f of stills) for (let j = 0; j < dim; j++) mean[j] = (mean[j] as number) + (f.embedding[j] as number);
    const embedding = l2normalize(mean);
    const faces = stills.map((f) => ({ ...f, learnable: qualityRejection(f.quality, this.options.learnLimits) === undefined }));
    const { identity } = track;
    await this.#visitors.ready();
    const placed = await this.store.sql.transaction(async (q) => {
      const id = await this.store.insert(q, { source, ...track, quality: stills[0]?.quality.overall ?? 0, embedding, seenAt: at, faces });
      const visitor = identity === null ? await this.#visitors.place(q, id, embedding, at) : undefined;
      return { id, visitor };
    });
    await this.#visitors.settle();
    if ((await this.store.prune(this.store.sql, source, at - this.options.maxAgeDays * 86_400_000, this.options.maxPerSource)) > 0) this.#visitors.invalidate();
    const sighting = await this.store.get(placed.id);
    const events: SightingEvent[] = [
      {
        type: 'sighting.recorded',
        sightingId: sighting.sightingId,
        source,
        trackId: track.trackId,
        identity,
        score: track.score,
        visitor: placed.visitor === undefined ? null : visitorLabel(placed.visitor.visitorId),
        faces: sighting.faceCount,
        learnable: sighting.learnableCount,
        at,
      },
    ];
    if (placed.visitor !== undefined) events.push(...(await this.#visitorEvents(placed.visitor.visitorId, placed.visitor.created, sighting, at)));
    return { sighting, events };
  }

  async #visitorEvents(visitorId: number, first: boolean, s: Sighting, at: number): Promise<SightingEvent[]> {
    const visitor = visitorLabel(visitorId);
    const events: SightingEvent[] = [
      { type: 'visitor.seen', visitor, visitorId, sightingId: s.sightingId, source: s.source, sightings: await this.store.visitorCount(visitorId), first, at },
    ];
    const windowSeconds = this.options.recurringWindowSeconds;
    const count = await this.store.visitorCount(visitorId, at - windowSeconds * 1000);
    if (count === this.options.recurringCount)
      events.push({ type: 'visitor.recurring', visitor, visitorId, sightingId: s.sightingId, source: s.source, count, windowSeconds, at });
    return events;
  }

  /** Sightings, newest first. */
  list(filter: SightingFilter = {}): Promise<Sighting[]> {
    return this.store.list(filter);
  }

  /** One sighting with its faces (quality, whether each is offered for learning). */
  async details(sightingId: number): Promise<SightingDetails> {
    const s = await this.store.get(sightingId);
    const faces = (await this.store.faces(sightingId, this.gallery.embeddingSize)).map((f) => ({
      faceId: f.faceId,
      quality: f.quality,
      learnable: f.learnable,
    }));
    return { ...s, faces };
  }

  /** Visitors with sightings, last seen first. */
  async visitors(): Promise<VisitorSummary[]> {
    return (await this.store.visitors()).map((v) => ({ ...v, label: visitorLabel(v.visitorId) }));
  }

  /**
   * "This is X": enrols the best faces of a sighting, or of every sighting of a visitor, into
   * identity `id` (created when new) through the enrolment door; those sightings now name it, its
   * earlier "not X" negatives from them are dropped, and the unknown sightings of the last 7 days are re-decided.
   * Faces below the learning limits are left out unless `includeLowQuality`.
   */
  async teach(
    target: { sightingId: number } | { visitorId: number },
    identity: { id: string; name?: string },
    opts: { includeLowQuality?: boolean } = {},
  ): Promise<{ identity: string; templateIds: number[]; sightings: number[]; redecided: number }> {
    const id = assertIdentityId('identity.id', identity?.id);
    const sightings = 'visitorId' in target ? await this.store.list({ visitorId: target.visitorId, limit: 10_000 }) : [await this.store.get(target.sightingId)];
    if (sightings.length === 0)
      throw new ArcFaceError('NOT_FOUND', `Expected visitor ${'visitorId' in target ? target.visitorId : ''} to have sightings but it has none`);
    const dim = this.gallery.embeddingSize;
    const faces = [];
    for (const s of sightings) for (const f of await this.store.faces(s.sightingId, dim)) if (f.learnable || opts.includeLowQuality === true) faces.push(f);
    faces.sort((a, b) => b.quality.overall - a.quality.overall);
    const chosen = faces.slice(0, this.options.teachFaces);
    if (chosen.length === 0) {
      const which = sightings.map((s) => s.sightingId).join(', ');
      throw new ArcFaceError(
        'INVALID_ARGUMENT',
        `Expected a face above the quality limits to learn "${id}" from but sighting(s) ${which} have none (pass includeLowQuality to use them anyway)`,
      );
    }
    const written = await enrolTemplates(
      this.gallery,
      id,
      identity.name,
      chosen.map((f) => ({
        template: {
          embedding: f.embedding,
          sourceFile: `sighting-${f.sightingId}-face-${f.faceId}.jpg`,
          sourceSha256: sha256Digest(f.jpeg),
          detScore: f.quality.score,
          faceSize: Math.round(f.quality.size),
        },
        thumbnail: f.jpeg,
      })),
    );
    const ids = sightings.map((s) => s.sightingId);
    const scores: number[] = [];
    for (const s of sightings) {
      const e = await this.store.embedding(s.sightingId, dim);
      scores.push(Math.max(...chosen.map((f) => dot(f.embedding, e))));
    }
    await this.store.sql.transaction(async (q) => {
      for (const [i, s] of sightings.entries()) await this.store.decide(q, s.sightingId, id, scores[i] as number, 'taught');
      await this.store.dropNegatives(q, id, ids);
      if ('visitorId' in target) await this.store.setVisitorIdentity(q, target.visitorId, id);
    });
    this.#visitors.invalidate();
    const { changed } = await this.reprocess({ unknownOnly: true, since: Date.now() - TEACH_REPROCESS_MS, limit: 1000 });
    return { identity: id, templateIds: written.filter((t): t is number => t !== null), sightings: ids, redecided: changed.length };
  }

  /**
   * "Not X": the sighting (and any look-alike closer to it than to X's templates) is not X. Records
   * its faces as negatives of X, re-decides it and X's other sightings of the last 7 days that the
   * negatives now turn away, and returns the templates of X that caused the match, closest first.
   */
  async reject(
    sightingId: number,
    identityId?: string,
  ): Promise<{ identity: string; culprits: Culprit[]; negatives: number; sighting: Sighting; redecided: number }> {
    const s = await this.store.get(sightingId);
    const identity = identityId ?? s.identity;
    if (identity === null)
      throw new ArcFaceError('INVALID_ARGUMENT', `Expected sighting ${sightingId} to name an identity to reject (or one given) but it is unknown`);
    assertIdentityId('identity', identity);
    const dim = this.gallery.embeddingSize;
    const mean = await this.store.embedding(sightingId, dim);
    const culprits = (await this.gallery.templates(identity))
      .map((t) => ({ templateId: t.templateId, score: dot(t.embedding, mean), sourceFile: t.sourceFile }))
      .sort((a, b) => b.score - a.score)
      .slice(0, 3);
    const negatives = [mean, ...(await this.store.faces(sightingId, dim)).map((f) => f.embedding)];
    await this.store.sql.transaction((q) => this.store.addNegatives(q, identity, sightingId, negatives, Date.now()));
    await this.negatives.current(true);
    // The rejected sighting itself is re-decided however old it is, then X's recent ones.
    const own = s.identity === identity ? await this.#redecide(s, mean, 'rejected') : undefined;
    const { changed } = await this.reprocess({ identity, onlyTurnedAway: true, since: Date.now() - TEACH_REPROCESS_MS, limit: 1000 });
    return {
      identity,
      culprits,
      negatives: negatives.length,
      sighting: await this.store.get(sightingId),
      redecided: changed.length + (own === undefined ? 0 : 1),
    };
  }

  /** The decision for a probe now: the gallery's, less the candidates its negatives turn away. */
  async decide(probe: Float32Array): Promise<Decision> {
    const r = await this.gallery.identify(probe, { topK: 7 });
    const kept = withoutNegatives(probe, r.candidates, await this.negatives.current(true));
    const top = kept[0];
    return top !== undefined && top.score >= r.threshold ? { identity: top.id, score: top.score } : { identity: null, score: top?.score ?? 0 };
  }

  /**
   * Re-decides recent sightings (not those taught by hand) against the gallery as it is now; a
   * sighting that became unknown joins a visitor. `onlyTurnedAway` changes only sightings whose
   * identity the negatives now turn away. Returns the sightings whose identity changed.
   */
  async reprocess(
    filter: SightingFilter & { onlyTurnedAway?: boolean } = {},
  ): Promise<{ checked: number; changed: { sightingId: number; from: string | null; to: string | null }[] }> {
    const list = (await this.store.list({ limit: 10_000, ...filter })).filter((s) => s.decidedBy !== 'taught');
    const dim = this.gallery.embeddingSize;
    const changed: { sightingId: number; from: string | null; to: string | null }[] = [];
    for (const s of list) {
      const e = await this.store.embedding(s.sightingId, dim);
      if (filter.onlyTurnedAway === true && !(await this.#turnedAway(e, s.identity))) continue;
      const to = await this.#redecide(s, e, filter.onlyTurnedAway === true ? 'rejected' : 'reprocess');
      if (to !== undefined) changed.push({ sightingId: s.sightingId, from: s.identity, to });
    }
    if (changed.length > 0) this.#visitors.invalidate();
    return { checked: list.length, changed };
  }

  /** Decides a sighting again; stores a changed decision (an unknown one joins a visitor) and returns it, else undefined. */
  async #redecide(s: Sighting, probe: Float32Array, by: 'rejected' | 'reprocess'): Promise<string | null | undefined> {
    const d = await this.decide(probe);
    if (d.identity === s.identity) return undefined;
    await this.#visitors.ready();
    const now = Date.now();
    await this.store.sql.transaction(async (q) => {
      await this.store.decide(q, s.sightingId, d.identity, d.score, by);
      if (d.identity === null) await this.#visitors.place(q, s.sightingId, probe, now);
    });
    await this.#visitors.settle();
    return d.identity;
  }

  /** Whether the negatives of `identity` now turn this probe away from it (it is not among the top candidates at all, or closer to a negative). */
  async #turnedAway(probe: Float32Array, identity: string | null): Promise<boolean> {
    if (identity === null) return false;
    const c = (await this.gallery.identify(probe, { topK: 7 })).candidates.find((x) => x.id === identity);
    return c === undefined || withoutNegatives(probe, [c], await this.negatives.current()).length === 0;
  }

  /** Deletes the sightings naming an identity and its negatives (call when the identity is deleted). */
  async forgetIdentity(identity: string): Promise<number> {
    const n = await this.store.sql.transaction((q) => this.store.forgetIdentity(q, identity));
    this.#visitors.invalidate();
    return n;
  }

  /** Applies the retention policy to every source now; returns the sightings deleted. */
  async prune(at = Date.now()): Promise<number> {
    const sources = await this.store.sql.all<{ source: string }>(`SELECT DISTINCT source FROM ${this.store.sql.table('sightings')}`);
    let n = 0;
    for (const { source } of sources) n += await this.store.prune(this.store.sql, source, at - this.options.maxAgeDays * 86_400_000, this.options.maxPerSource);
    if (n > 0) this.#visitors.invalidate();
    return n;
  }

  /** Closes the room's connection (the gallery stays open). */
  async close(): Promise<void> {
    await this.store.sql.close();
  }
}

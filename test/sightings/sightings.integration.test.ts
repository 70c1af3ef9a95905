import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { isArcFaceError, type ErrorCode, type RgbImage } from '../../src/core/index.js';
import { IndexedDbGalleryStore } from '../../src/gallery/stores/indexeddb-store.js';
import { Gallery, openGallery, PostgresGalleryStore, pgliteClient, type GalleryStore } from '../../src/gallery/index.js';
import { faceQuality, type FaceQuality } from '../../src/quality/index.js';
import { resolveSightingsOptions, Sightings, withoutNegatives } from '../../src/sightings/index.js';
import { FaceStream, type TrackSighting } from '../../src/stream/index.js';
import { DIM, FP, scratch } from '../gallery/fixtures.js';
import { near, randomUnit, rng } from '../gallery/synthetic.js';

const code = (c: ErrorCode) => (e: unknown) => isArcFaceError(e, c);

/** A 112×112 crop with some texture (sharp enough to pass the blur limit). */
function crop(seed: number): RgbImage {
  const r = rng(seed);
  const data = new Uint8Array(112 * 112 * 3);
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(r() * 256);
  return { width: 112, height: 112, data };
}

/** The quality of a frontal detected face of `size` px (landmarks of the ArcFace template, scaled). */
function quality(size: number, c: RgbImage): FaceQuality {
  const s = size / 112;
  const lm = [
    [38.29, 51.7],
    [73.53, 51.5],
    [56.03, 71.74],
    [41.55, 92.37],
    [70.73, 92.2],
  ].map(([x, y]) => [(x as number) * s, (y as number) * s] as [number, number]);
  return faceQuality({ box: [0, 0, size, size], score: 0.95, landmarks: lm as never }, c);
}

/** An ended track of `base`'s person with three faces. */
function track(r: () => number, base: Float32Array, identity: string | null, trackId: number, size = 100): TrackSighting {
  const faces = [0, 1, 2].map((i) => {
    const c = crop(trackId * 10 + i);
    return { crop: c, embedding: near(r, base, 0.85), quality: quality(size, c) };
  });
  return {
    ended: {
      type: 'track.ended',
      trackId,
      frame: 10,
      pts: 1,
      firstFrame: 0,
      lastFrame: 10,
      firstPts: 0,
      lastPts: 1,
      identity,
      name: identity,
      label: identity ?? 'unknown',
      score: identity === null ? 0.1 : 0.5,
      embeddings: 3,
      hits: 10,
    },
    faces,
  };
}

function suite(name: string, open: () => Promise<{ gallery: Gallery; close: () => Promise<void> }>): void {
  describe(`Sightings on ${name}`, () => {
    let gallery: Gallery;
    let sightings: Sightings;
    let close: () => Promise<void>;
    const r = rng(11);
    const ada = randomUnit(r, DIM);
    const stranger = randomUnit(r, DIM);
    const bob = randomUnit(r, DIM);
    before(async () => {
      ({ gallery, close } = await open());
      await gallery.enroll('ada', [near(r, ada, 0.9), near(r, ada, 0.9)], { name: 'Ada' });
      await gallery.enroll('bob', [near(r, bob, 0.9)], { name: 'Bob' });
      sightings = await Sightings.open(gallery, { recurringCount: 2 });
    });
    after(async () => {
      await sightings?.close();
      await close?.();
    });

    it('records ended tracks; an unknown person seen twice is one visitor, seen again (and recurring), across a reopen', async () => {
      const first = await sightings.record('door', track(r, stranger, null, 1));
      assert.ok(first !== null);
      assert.deepEqual(
        first.events.map((e) => e.type),
        ['sighting.recorded', 'visitor.seen'],
      );
      const seen = first.events[1];
      assert.ok(seen?.type === 'visitor.seen' && seen.first && seen.sightings === 1);
      await sightings.close();
      sightings = await Sightings.open(gallery, { recurringCount: 2 });
      const second = await sightings.record('hall', track(r, stranger, null, 2));
      const again = second?.events[1];
      assert.ok(again?.type === 'visitor.seen' && !again.first && again.sightings === 2 && again.visitor === seen.visitor, JSON.stringify(second?.events));
      assert.equal(second?.events[2]?.type, 'visitor.recurring');
      const known = await sightings.record('door', track(r, ada, 'ada', 3));
      assert.deepEqual(
        known?.events.map((e) => e.type),
        ['sighting.recorded'],
      );
      const visitors = await sightings.visitors();
      assert.equal(visitors.length, 1);
      assert.deepEqual(visitors[0]?.sources, ['door', 'hall']);
      assert.equal((await sightings.list({ unknownOnly: true })).length, 2);
      assert.equal((await sightings.list({ source: 'door' })).length, 2);
      const d = await sightings.details(first.sighting.sightingId);
      assert.equal(d.faces.length, 3);
      assert.ok(d.faces.every((f) => f.learnable));
      assert.equal((await sightings.store.faceJpeg(d.faces[0]?.faceId as number))[0], 0xff);
    });

    it('"this is X" on a visitor enrols its faces into a new identity and renames its sightings; the next sighting is decided by the gallery', async () => {
      const [v] = await sightings.visitors();
      const taught = await sightings.teach({ visitorId: v?.visitorId as number }, { id: 'carol', name: 'Carol' });
      assert.equal(taught.templateIds.length, 5);
      assert.equal(taught.sightings.length, 2);
      assert.equal((await gallery.get('carol')).templateCount, 5);
      assert.ok((await sightings.list({ identity: 'carol' })).every((s) => s.decidedBy === 'taught'));
      assert.equal((await sightings.decide(near(r, stranger, 0.85))).identity, 'carol');
    });

    it('faces below the quality limits are never offered for learning by default', async () => {
      const tiny = await sightings.record('door', track(r, randomUnit(r, DIM), null, 4, 16));
      assert.equal(tiny?.sighting.learnableCount, 0);
      await assert.rejects(sightings.teach({ sightingId: tiny?.sighting.sightingId as number }, { id: 'dave' }), code('INVALID_ARGUMENT'));
      const forced = await sightings.teach({ sightingId: tiny?.sighting.sightingId as number }, { id: 'dave' }, { includeLowQuality: true });
      assert.equal(forced.templateIds.length, 3);
    });

    it('"not X" on a planted false match turns the look-alike away from X only, and shows the templates that matched', async () => {
      // A look-alike planted close to Ada: the gallery names it Ada.
      const planted = near(r, ada, 0.45);
      const probe = (): Float32Array => near(r, planted, 0.9);
      assert.equal((await sightings.decide(probe())).identity, 'ada');
      const wrong = await sightings.record('door', {
        ...track(r, planted, 'ada', 5),
        faces: track(r, planted, 'ada', 5).faces.map((f) => ({ ...f, embedding: probe() })),
      });
      const bobBefore = await sightings.decide(near(r, bob, 0.85));
      const rejected = await sightings.reject(wrong?.sighting.sightingId as number);
      assert.equal(rejected.identity, 'ada');
      assert.equal(rejected.culprits.length, 2);
      assert.ok((rejected.culprits[0]?.score as number) >= (rejected.culprits[1]?.score as number));
      assert.equal(rejected.sighting.identity, null);
      assert.notEqual(rejected.sighting.visitorId, null);
      for (let i = 0; i < 5; i++) assert.equal((await sightings.decide(probe())).identity, null);
      for (let i = 0; i < 5; i++) assert.equal((await sightings.decide(near(r, ada, 0.85))).identity, 'ada');
      assert.deepEqual(await sightings.decide(near(r, bob, 0.85)).then((d) => d.identity), bobBefore.identity);
      const guarded = sightings.guard();
      assert.equal(
        (await guarded.identify(probe(), { topK: 3 })).candidates.some((c) => c.id === 'ada'),
        false,
      );
      assert.deepEqual(withoutNegatives(probe(), [{ id: 'bob', score: 0.1 }], await sightings.negatives.current()), [{ id: 'bob', score: 0.1 }]);
    });

    it('reprocess re-decides recent sightings after the gallery changed', async () => {
      const eve = randomUnit(r, DIM);
      const s = await sightings.record('door', track(r, eve, null, 6));
      await gallery.enroll('eve', [near(r, eve, 0.9)]);
      const out = await sightings.reprocess({ unknownOnly: true });
      assert.deepEqual(
        out.changed.filter((c) => c.sightingId === s?.sighting.sightingId),
        [{ sightingId: s?.sighting.sightingId, from: null, to: 'eve' }],
      );
    });

    it('retention deletes old sightings and keeps the newest per source; deleting an identity deletes its sightings', async () => {
      const now = Date.now();
      await sightings.record('old', track(r, randomUnit(r, DIM), null, 7), now - 40 * 86_400_000);
      await sightings.record('old', track(r, randomUnit(r, DIM), null, 8), now);
      assert.equal((await sightings.list({ source: 'old' })).length, 1);
      const capped = await Sightings.open(gallery, { maxPerSource: 2 });
      try {
        assert.ok((await capped.prune()) > 0);
        assert.ok((await capped.list({ source: 'door', limit: 100 })).length <= 2);
      } finally {
        await capped.close();
      }
      await sightings.record('hall', track(r, bob, 'bob', 9));
      assert.equal(await sightings.forgetIdentity('bob'), (await sightings.list({ identity: 'bob' })).length + 1);
      assert.equal((await sightings.list({ identity: 'bob' })).length, 0);
      await assert.rejects(sightings.details(999_999), code('SIGHTING_NOT_FOUND'));
    });
  });
}

suite('a SQLite gallery file', async () => {
  const gallery = await openGallery(join(scratch('sightings'), 'g.db'), { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
  return { gallery, close: () => gallery.close() };
});

suite('PostgreSQL (PGlite + pgvector)', async () => {
  const db = await PGlite.create({ extensions: { vector } });
  const store = await PostgresGalleryStore.open(pgliteClient(db), { fingerprint: FP, embeddingSize: DIM, location: 'pglite' });
  const gallery = Gallery.fromStore(store, { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
  return {
    gallery,
    close: async () => {
      await gallery.close();
      await db.close();
    },
  };
});

describe('Sightings options and the stream hook refuse invalid parameters', () => {
  it('says what was expected', async () => {
    assert.throws(() => resolveSightingsOptions({ maxPerSource: 0 }), /maxPerSource/);
    assert.throws(() => resolveSightingsOptions({ recurringCount: 1 }), /recurringCount/);
    assert.throws(() => resolveSightingsOptions({ learnLimits: { minSize: -1 } }), /minSize/);
    const recognizer = { detector: { detect: async () => [] }, embedder: { inputSize: 112, embedWithNorms: async () => ({ embeddings: [], norms: [] }) } };
    assert.throws(() => new FaceStream({ recognizer, sightingFaces: 33 }), /sightingFaces/);
    const g = await openGallery(join(scratch('sightings-params'), 'g.db'), { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    const s = await Sightings.open(g);
    try {
      await assert.rejects(
        s.record('', { ended: {} as TrackSighting['ended'], faces: [{ crop: crop(1), embedding: randomUnit(rng(1), DIM), quality: quality(100, crop(1)) }] }),
        TypeError,
      );
      await assert.rejects(s.teach({ sightingId: 1 }, { id: '' }), code('INVALID_ARGUMENT'));
      await assert.rejects(s.reject(12345), code('SIGHTING_NOT_FOUND'));
      assert.equal(await s.record('door', { ended: {} as TrackSighting['ended'], faces: [] }), null);
    } finally {
      await s.close();
      await g.close();
    }
  });
});

describe('Sightings on a store without SQL', () => {
  it('is refused with STORE_UNSUPPORTED (an IndexedDB gallery in the browser)', async () => {
    const g = await openGallery(join(scratch('sightings-nosql'), 'g.db'), { fingerprint: FP, embeddingSize: DIM, threshold: 0.3 });
    try {
      const store = g.store;
      // The IndexedDB store's own roomSql, on a stand-in for the browser store.
      const idbRoomSql = (): unknown => IndexedDbGalleryStore.prototype.roomSql.call({ location: 'indexeddb:faces' } as IndexedDbGalleryStore, 'sightings');
      const noSql: GalleryStore = new Proxy(store, { get: (t, k) => (k === 'roomSql' ? idbRoomSql : k === 'kind' ? 'indexeddb' : Reflect.get(t, k, t)) });
      await assert.rejects(Sightings.open(Gallery.fromStore(noSql, { fingerprint: FP, embeddingSize: DIM })), code('STORE_UNSUPPORTED'));
    } finally {
      await g.close();
    }
  });
});

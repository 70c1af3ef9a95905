import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dot, l2norm, l2normalize } from '../../src/core/index.js';
import type { FaceQuality } from '../../src/quality/index.js';
import { TRACK_IDENTITY_DEFAULTS, TrackIdentity, UnknownLabeler, type IdentityCandidate } from '../../src/track/index.js';
import { gauss, rng } from './sequences.js';

/** A quality record as faceQuality makes it, with chosen values. */
function quality(overall: number, over: Partial<FaceQuality> = {}): FaceQuality {
  return { size: 100, score: 0.93, yaw: 5, pitch: 5, roll: 0, frontalness: 0.99, sharpness: 120, embeddingNorm: 23, overall, ...over };
}

function randomUnit(r: () => number, d = 64): Float32Array {
  return l2normalize(Array.from({ length: d }, () => gauss(r)));
}

/** A unit vector at cosine `c` to the unit vector `base`. */
function atCosine(base: Float32Array, c: number, r: () => number): Float32Array {
  const n = randomUnit(r, base.length);
  const proj = dot(n, base);
  const ortho = l2normalize(n.map((v, i) => v - proj * base[i]!));
  return l2normalize(base.map((v, i) => c * v + Math.sqrt(1 - c * c) * ortho[i]!));
}

const T = 0.249;

describe('TrackIdentity decisions', () => {
  it('a stable track never flickers: scores oscillating around the threshold within the band change nothing', () => {
    const who = new TrackIdentity();
    const h = TRACK_IDENTITY_DEFAULTS.hysteresis;
    const first = who.decide([{ id: 'alice', score: T + 0.01 }], T, 0);
    assert.deepEqual(first, { identity: 'alice', score: T + 0.01, changed: true, previous: null });
    const r = rng(21);
    let changes = 0;
    for (let i = 1; i <= 500; i++) {
      // alice wanders in [T − h, T + h]; bob, second, stays within h of her.
      const a = T - h + 2 * h * r();
      const b = Math.min(a, T - h + 2 * h * r()) + (h - 1e-6) * r();
      const cands: IdentityCandidate[] = [
        { id: 'alice', score: a },
        { id: 'bob', score: Math.min(b, a + h - 1e-6) },
      ].sort((x, y) => y.score - x.score);
      if (who.decide(cands, T, i * 0.1).changed) changes++;
    }
    assert.equal(changes, 0);
    assert.equal(who.identity, 'alice');
  });

  it('a clear switch does switch, and a clear fall makes the track unknown', () => {
    const who = new TrackIdentity({ hysteresis: 0.05 });
    who.decide([{ id: 'alice', score: 0.5 }], T, 0);
    assert.equal(
      who.decide(
        [
          { id: 'bob', score: 0.54 },
          { id: 'alice', score: 0.5 },
        ],
        T,
        1,
      ).changed,
      false,
      'within the margin',
    );
    const d = who.decide(
      [
        { id: 'bob', score: 0.6 },
        { id: 'alice', score: 0.3 },
      ],
      T,
      2,
    );
    assert.deepEqual(d, { identity: 'bob', score: 0.6, changed: true, previous: 'alice' });
    const gone = who.decide([{ id: 'bob', score: T - 0.06 }], T, 3);
    assert.deepEqual(gone, { identity: null, score: T - 0.06, changed: true, previous: 'bob' });
    assert.equal(who.decide([], T, 4).identity, null);
    assert.equal(who.score, -1);
    assert.equal(who.decidedAt, 4);
    // A named track whose identity drops out of the top-k altogether loses it.
    who.decide([{ id: 'carol', score: 0.7 }], T, 5);
    assert.equal(who.decide([{ id: 'dave', score: 0.2 }], T, 6).identity, null);
  });
});

describe('TrackIdentity embedding policy', () => {
  it('embeds the first acceptable face, then on quality gain or every redecideSeconds, never too often', () => {
    const who = new TrackIdentity({ redecideSeconds: 2, minEmbedIntervalSeconds: 0.2, minQualityGain: 0.05 });
    const e = randomUnit(rng(1));
    assert.equal(who.wantsEmbedding(quality(0.9, { size: 10 }), 0), false, 'too small: never embedded');
    assert.equal(who.wantsEmbedding(quality(0.8), 0), true);
    who.addEmbedding(e, quality(0.8), 0);
    assert.equal(who.wantsEmbedding(quality(0.99), 0.1), false, 'within the minimum interval');
    assert.equal(who.wantsEmbedding(quality(0.82), 0.5), false, 'gain too small');
    assert.equal(who.wantsEmbedding(quality(0.86), 0.5), true, 'clear gain');
    assert.equal(who.wantsEmbedding(quality(0.7), 1.9), false, 'worse face before the interval');
    assert.equal(who.wantsEmbedding(quality(0.7), 2.0), true, 'redecide interval reached');
    assert.equal(who.wantsEmbedding(quality(0.7, { sharpness: 3 }), 5), false, 'blurry faces never embedded');
    assert.equal(who.embeddings, 1);
  });

  it('counts every recogniser call but keeps only faces within the limits and the best maxTemplates', () => {
    const r = rng(3);
    const who = new TrackIdentity({ maxTemplates: 3 });
    const es = Array.from({ length: 6 }, () => randomUnit(r));
    const overall = [0.5, 0.9, 0.6, 0.95, 0.7, 0.4];
    es.forEach((e, i) => assert.equal(who.addEmbedding(e, quality(overall[i]!), i), true));
    assert.equal(who.addEmbedding(randomUnit(r), quality(0.99, { embeddingNorm: 2 }), 7), false, 'low norm: not kept');
    assert.equal(who.embeddings, 7);
    assert.equal(who.bestQuality, 0.95);
    // Template = normalised mean of the three best (0.95, 0.9, 0.7).
    const want = l2normalize(es[3]!.map((v, i) => v + es[1]![i]! + es[4]![i]!));
    const got = who.template!;
    assert.ok(Math.abs(l2norm(got) - 1) < 1e-6);
    for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 1e-6);
  });

  it('a template of several faces of one person beats any single noisy face', () => {
    const r = rng(5);
    const person = randomUnit(r, 128);
    const who = new TrackIdentity();
    const singles: number[] = [];
    for (let i = 0; i < 5; i++) {
      const e = atCosine(person, 0.5, r);
      singles.push(dot(e, person));
      who.addEmbedding(e, quality(0.9), i);
    }
    assert.ok(dot(who.template!, person) > Math.max(...singles) + 0.1, `${dot(who.template!, person)} vs ${Math.max(...singles)}`);
  });
});

describe('UnknownLabeler', () => {
  it('re-finds earlier unknowns and keeps labels distinct for distinct people', () => {
    const r = rng(9);
    const a = randomUnit(r, 128);
    const b = randomUnit(r, 128);
    const u = new UnknownLabeler({ threshold: 0.4 });
    assert.equal(u.label(atCosine(a, 0.7, r)), 'unknown-1');
    assert.equal(u.label(atCosine(b, 0.7, r)), 'unknown-2');
    for (let i = 0; i < 10; i++) {
      assert.equal(u.label(atCosine(a, 0.7, r)), 'unknown-1');
      assert.equal(u.label(atCosine(b, 0.7, r)), 'unknown-2');
    }
    assert.equal(u.size, 2);
    assert.equal(u.label(randomUnit(r, 128)), 'unknown-3');
  });

  it('forgets the least recently seen beyond maxUnknowns and never reuses a label', () => {
    const r = rng(10);
    const people = Array.from({ length: 3 }, () => randomUnit(r, 128));
    const u = new UnknownLabeler({ threshold: 0.5, maxUnknowns: 2 });
    assert.equal(u.label(people[0]!), 'unknown-1');
    assert.equal(u.label(people[1]!), 'unknown-2');
    assert.equal(u.label(people[0]!), 'unknown-1');
    assert.equal(u.label(people[2]!), 'unknown-3', 'forgets unknown-2, the least recently seen');
    assert.equal(u.label(people[1]!), 'unknown-4');
    assert.equal(u.size, 2);
  });
});

describe('TrackIdentity and UnknownLabeler invalid parameters', () => {
  it('rejects bad options and arguments', () => {
    assert.throws(() => new TrackIdentity({ maxTemplates: 0 }), RangeError);
    assert.throws(() => new TrackIdentity({ hysteresis: -0.1 }), RangeError);
    assert.throws(() => new TrackIdentity({ redecideSeconds: Number.NaN }), TypeError);
    assert.throws(() => new TrackIdentity({ limits: { minSize: -1 } }), /Expected a number between 0 and 100000 for minSize/);
    const who = new TrackIdentity();
    assert.throws(() => who.addEmbedding([1, 0] as unknown as Float32Array, quality(0.9), 0), TypeError);
    who.addEmbedding(new Float32Array([1, 0]), quality(0.9), 0);
    assert.throws(() => who.addEmbedding(new Float32Array([1, 0, 0]), quality(0.9), 1), RangeError);
    assert.throws(() => who.wantsEmbedding(quality(0.9), Number.NaN), TypeError);
    assert.throws(
      () =>
        who.decide(
          [
            { id: 'a', score: 0.1 },
            { id: 'b', score: 0.5 },
          ],
          T,
          0,
        ),
      /Expected candidates sorted by score/,
    );
    assert.throws(() => who.decide([{ id: '', score: 0.1 }], T, 0), TypeError);
    assert.throws(() => who.decide([], 2, 0), RangeError);
    assert.throws(() => new UnknownLabeler({ threshold: 3 }), RangeError);
    assert.throws(() => new UnknownLabeler({ maxUnknowns: 0 }), RangeError);
    const u = new UnknownLabeler();
    u.label(new Float32Array([1, 0]));
    assert.throws(() => u.label(new Float32Array([1, 0, 0])), RangeError);
    assert.throws(() => u.label('x' as unknown as Float32Array), TypeError);
  });
});

describe('TrackIdentity off-frontal faces', () => {
  const profile = (overall: number): FaceQuality => quality(overall, { yaw: 60, frontalness: 0.5 });

  it('embeds faces beyond the frontal yaw gate up to offFrontalMaxYaw, and none when it is 0', () => {
    assert.equal(new TrackIdentity().accepts(profile(0.6)), true);
    assert.equal(new TrackIdentity().isFrontal(profile(0.6)), false);
    assert.equal(new TrackIdentity().wantsEmbedding(profile(0.6), 0), true);
    assert.equal(new TrackIdentity({ offFrontalMaxYaw: 0 }).wantsEmbedding(profile(0.6), 0), false);
    assert.equal(new TrackIdentity({ offFrontalMaxYaw: 50 }).accepts(profile(0.6)), false);
    // Other limits still hold for off-frontal faces.
    assert.equal(new TrackIdentity().accepts(quality(0.6, { yaw: 60, size: 10 })), false);
  });

  it('a track seen only off-frontal is named only after offFrontalAgreement faces in a row chose the same identity', () => {
    const r = rng(5);
    const base = randomUnit(r);
    const who = new TrackIdentity();
    const cands = [{ id: 'alice', score: 0.5 }];
    who.addEmbedding(atCosine(base, 0.9, r), profile(0.6), 0);
    assert.equal(who.offFrontalOnly, true);
    who.vote('alice');
    assert.equal(who.decide(cands, T, 0).identity, null, 'one vote is not enough');
    who.addEmbedding(atCosine(base, 0.9, r), profile(0.6), 0.2);
    who.vote('bob');
    who.addEmbedding(atCosine(base, 0.9, r), profile(0.6), 0.4);
    who.vote('alice');
    assert.equal(who.decide(cands, T, 0.4).identity, null, 'a disagreeing vote among the last three');
    who.vote('alice');
    assert.equal(who.decide(cands, T, 0.6).identity, null, 'bob is still among the last three');
    who.vote('alice');
    assert.equal(who.decide(cands, T, 0.8).identity, 'alice');
    // Below the threshold the votes do not help.
    const low = new TrackIdentity();
    low.addEmbedding(base, profile(0.6), 0);
    for (let i = 0; i < 3; i++) low.vote('alice');
    assert.equal(low.decide([{ id: 'alice', score: T - 0.01 }], T, 0).identity, null);
  });

  it('one frontal face names a track at once, and from then on the template is frontal only', () => {
    const r = rng(6);
    const base = randomUnit(r);
    const who = new TrackIdentity();
    who.addEmbedding(atCosine(base, 0.2, r), profile(0.6), 0);
    const frontal = atCosine(base, 0.95, r);
    who.addEmbedding(frontal, quality(0.9), 0.2);
    assert.equal(who.offFrontalOnly, false);
    assert.ok(dot(who.template!, l2normalize(frontal)) > 0.999, 'the template is the frontal face');
    assert.equal(who.decide([{ id: 'alice', score: 0.5 }], T, 0.2).identity, 'alice');
  });

  it('an unnamed off-frontal track gathers faces at the fastest pace; countEmbedding spends a call without keeping the face', () => {
    const who = new TrackIdentity();
    const r = rng(7);
    who.addEmbedding(randomUnit(r), profile(0.6), 0);
    assert.equal(who.wantsEmbedding(profile(0.6), 0.1), false, 'never faster than minEmbedIntervalSeconds');
    assert.equal(who.wantsEmbedding(profile(0.6), 0.2), true);
    const calls = who.embeddings;
    who.countEmbedding(0.2);
    assert.equal(who.embeddings, calls + 1);
    assert.equal(who.wantsEmbedding(profile(0.6), 0.3), false);
  });

  it('rejects invalid off-frontal options and votes', () => {
    assert.throws(() => new TrackIdentity({ offFrontalMaxYaw: 91 }), RangeError);
    assert.throws(() => new TrackIdentity({ offFrontalAgreement: 0 }), RangeError);
    assert.throws(() => new TrackIdentity().vote(3 as unknown as string), TypeError);
  });
});

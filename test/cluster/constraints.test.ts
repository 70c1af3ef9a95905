import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { averageLinkage, buildNeighbourGraph, cannotLinkTags, IncrementalClusterer, leaveOneOutLinks, secondLook } from '../../src/cluster/index.js';
import { near, randomUnit, rng } from '../gallery/synthetic.js';

const DIM = 64;

function rows(vs: readonly Float32Array[]): Float32Array {
  const m = new Float32Array(vs.length * DIM);
  vs.forEach((v, i) => m.set(v, i * DIM));
  return m;
}

describe('cannot-link constraints and the second look', () => {
  it('average linkage never puts two cannot-linked rows in one cluster', () => {
    const r = rng(3);
    const base = randomUnit(r, DIM);
    const m = rows(Array.from({ length: 6 }, () => near(r, base, 0.9)));
    const g = buildNeighbourGraph(m, DIM, { k: 8, minScore: 0 });
    const free = averageLinkage(m, DIM, g, { threshold: 0.5 });
    assert.equal(new Set(free).size, 1, 'one cluster without constraints');
    const tied = averageLinkage(m, DIM, g, {
      threshold: 0.5,
      cannotLink: [
        [0, 5],
        [1, 5],
      ],
    });
    assert.notEqual(tied[0], tied[5]);
    assert.notEqual(tied[1], tied[5]);
    assert.equal(tied[0], tied[1]);
    assert.throws(() => averageLinkage(m, DIM, g, { threshold: 0.5, cannotLink: [[0, 6]] }), RangeError);
    assert.deepEqual(
      cannotLinkTags(3, [[0, 2]]),
      new Map([
        [0, [2 ** 31]],
        [2, [2 ** 31]],
      ]),
    );
  });

  it('the incremental clusterer keeps a cannot-linked face out of the person, and never merges across a pair', () => {
    const r = rng(5);
    const base = randomUnit(r, DIM);
    const faces = Array.from({ length: 4 }, () => near(r, base, 0.9));
    const c = new IncrementalClusterer(DIM, { maxDistance: 0.6, minFaces: 2, joinThreshold: 0.3, mergeThreshold: 0.3, smallMargin: 0 });
    // Faces 0 and 1 in person 0; face 2 in person 1 by hand; face 3 waits; 3 and 2 cannot be with 0.
    c.load(
      rows(faces),
      [0, 0, 1, -1],
      [10, 11, 12, 13],
      [
        [3, 0],
        [2, 0],
      ],
    );
    const changes = c.add(near(r, base, 0.9), 14);
    const labels = c.labels();
    assert.ok(changes.length > 0);
    assert.notEqual(labels[3], labels[0], 'the waiting face joined the person it is cannot-linked with');
    assert.notEqual(labels[2], labels[0], 'two persons holding a cannot-linked pair merged');
  });

  it('the second look leaves out a face that matches its cluster poorly', () => {
    const r = rng(7);
    const base = randomUnit(r, DIM);
    const faces = [...Array.from({ length: 4 }, () => near(r, base, 0.9)), randomUnit(r, DIM)];
    const m = rows(faces);
    const links = leaveOneOutLinks(m, DIM, [0, 0, 0, 0, 0]);
    assert.ok((links[4] as number) < 0.3 && (links[0] as number) > 0.6, `${[...links].map((x) => x.toFixed(2)).join(' ')}`);
    assert.deepEqual([...secondLook(m, DIM, [0, 0, 0, 0, 0], { minLink: 0.3 })], [0, 0, 0, 0, -1]);
    assert.deepEqual([...secondLook(m, DIM, [0, 0, -1, 1, 1], { minLink: 0.3 })], [0, 0, -1, 1, 1], 'clusters below minSize are left alone');
    assert.ok(Number.isNaN(leaveOneOutLinks(m, DIM, [0, 0, -1, 1, 2])[4] as number));
    assert.throws(() => secondLook(m, DIM, [0, 0, 0, 0, 0], { minLink: 2 }), RangeError);
    assert.throws(() => leaveOneOutLinks(m, DIM, [0, 0]), RangeError);
  });
});

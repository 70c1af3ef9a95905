import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterTemplates, findOutliers } from '../../src/gallery/index.js';
import { DIM } from './fixtures.js';
import { near, randomUnit, rng } from './synthetic.js';

const opts = { maxSubCenters: 3, joinThreshold: 0.3, minSupport: 2, minTemplatesToPrune: 3 };

describe('sub-centres', () => {
  const r = rng(42);
  const a = randomUnit(r, DIM);
  const b = randomUnit(r, DIM);
  const c = randomUnit(r, DIM);

  it('groups templates by person: the largest group is dominant, singletons are untrusted', () => {
    const embs = [near(r, a, 0.8), near(r, b, 0.8), near(r, a, 0.8), near(r, a, 0.8), near(r, b, 0.8), near(r, c, 0.8), near(r, a, 0.8)];
    const subs = clusterTemplates(embs, opts);
    assert.deepEqual(
      subs.map((s) => s.members),
      [[0, 2, 3, 6], [1, 4], [5]],
    );
    assert.deepEqual(
      subs.map((s) => [s.dominant, s.trusted]),
      [
        [true, true],
        [false, true],
        [false, false],
      ],
    );
    subs.forEach((s) => assert.ok(Math.abs(s.mean.reduce((x, v) => x + v * v, 0) - 1) < 1e-5));
    const out = findOutliers(embs, subs, 0.3);
    assert.deepEqual(out.map((o) => o.index).sort(), [1, 4, 5]);
    assert.ok(out.every((o) => o.score < 0.3 && o.subCenter > 0));
    assert.deepEqual(
      out.map((o) => o.score),
      [...out.map((o) => o.score)].sort((x, y) => x - y),
    );
  });

  it('keeps at most K trusted sub-centres and trusts everything below minTemplatesToPrune', () => {
    const dirs = Array.from({ length: 5 }, () => randomUnit(r, DIM));
    const embs = dirs.flatMap((d) => [near(r, d, 0.8), near(r, d, 0.8)]);
    const subs = clusterTemplates(embs, opts);
    assert.equal(subs.length, 5);
    assert.equal(subs.filter((s) => s.trusted).length, 3);
    const two = clusterTemplates([near(r, a, 0.8), near(r, b, 0.8)], opts);
    assert.deepEqual(
      two.map((s) => s.trusted),
      [true, true],
    );
    assert.deepEqual(findOutliers([a], clusterTemplates([a], opts), 0.3), []);
    assert.deepEqual(clusterTemplates([], opts), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  averageLinkage,
  buildNeighbourGraph,
  chineseWhispers,
  GrowingIndex,
  immichClustering,
  IncrementalClusterer,
  scoreClustering,
  type NeighbourGraph,
} from '../../src/cluster/index.js';
import { bruteForce, near, randomUnit, rng } from '../gallery/synthetic.js';

const DIM = 64;

/** `people` directions with `per` faces each at cosine `cos` to the direction; rows grouped by person. */
function clustered(people: number, per: number, cos: number, seed: number): { matrix: Float32Array; truth: Int32Array } {
  const r = rng(seed);
  const matrix = new Float32Array(people * per * DIM);
  const truth = new Int32Array(people * per);
  for (let p = 0; p < people; p++) {
    const c = randomUnit(r, DIM);
    for (let i = 0; i < per; i++) {
      near(r, c, cos, matrix, (p * per + i) * DIM);
      truth[p * per + i] = p;
    }
  }
  return { matrix, truth };
}

/** A graph given by hand: row i's neighbours with scores. */
function graphOf(lists: [number, number][][], k = 8): NeighbourGraph {
  const n = lists.length;
  const neighbours = new Int32Array(n * k).fill(-1);
  const scores = new Float32Array(n * k);
  lists.forEach((l, i) =>
    [...l]
      .sort((a, b) => b[1] - a[1])
      .forEach(([j, s], t) => {
        neighbours[i * k + t] = j;
        scores[i * k + t] = s;
      }),
  );
  return { rows: n, k, neighbours, scores };
}

describe('scoreClustering', () => {
  it('computes BCubed and pairwise scores as defined (worked by hand)', () => {
    const s = scoreClustering([0, 0, 1, -1], [5, 5, 5, 7]);
    assert.equal(s.bcubedPrecision, 1);
    // recall per item: 2/3, 2/3, 1/3, 1 → mean 2/3
    assert.ok(Math.abs(s.bcubedRecall - 2 / 3) < 1e-12);
    assert.equal(s.pairwisePrecision, 1);
    assert.ok(Math.abs(s.pairwiseRecall - 1 / 3) < 1e-12);
    assert.equal(s.persons, 1);
    assert.equal(s.unassigned, 2);
    assert.equal(s.trueLabels, 2);
    assert.equal(s.trueLabelsWithTwo, 1);
    assert.equal(s.trueSingletons, 1);
    assert.equal(scoreClustering([0, 0, 0], [1, 1, 2]).mixedPersons, 1);
  });
  it('refuses label arrays of different lengths', () => {
    assert.throws(() => scoreClustering([0], [0, 1]), RangeError);
  });
});

describe('buildNeighbourGraph', () => {
  const { matrix } = clustered(40, 6, 0.7, 3);
  const rows = matrix.length / DIM;
  it("exact mode returns each row's true nearest neighbours with exact cosines", () => {
    const g = buildNeighbourGraph(matrix, DIM, { k: 5 });
    for (const i of [0, 17, rows - 1]) {
      const q = matrix.subarray(i * DIM, (i + 1) * DIM);
      const truth = bruteForce(matrix, DIM, q, 6)
        .filter((h) => h.row !== i)
        .slice(0, 5);
      assert.deepEqual(
        Array.from(g.neighbours.subarray(i * 5, i * 5 + 5)),
        truth.map((h) => h.row),
      );
      truth.forEach((h, t) => assert.ok(Math.abs((g.scores[i * 5 + t] as number) - h.score) < 1e-5));
    }
  });
  it('approximate mode finds almost all true neighbours of clustered data and scores them exactly', () => {
    const exact = buildNeighbourGraph(matrix, DIM, { k: 5 });
    // A 64-d toy is harder for a random projection than 512-d embeddings: 32 dims and 6 probes.
    const approx = buildNeighbourGraph(matrix, DIM, { k: 5, exactMaxRows: 0, projectDim: 32, probes: 6, candidates: 32 });
    let found = 0;
    for (let i = 0; i < rows; i++) {
      const want = new Set(exact.neighbours.subarray(i * 5, i * 5 + 5));
      for (let t = 0; t < 5; t++) {
        const j = approx.neighbours[i * 5 + t] as number;
        if (want.has(j)) found++;
        let d = 0;
        for (let c = 0; c < DIM; c++) d += (matrix[i * DIM + c] as number) * (matrix[j * DIM + c] as number);
        assert.ok(Math.abs(d - (approx.scores[i * 5 + t] as number)) < 1e-5);
      }
    }
    assert.ok(found / (rows * 5) > 0.9, `recall ${found / (rows * 5)}`);
  });
  it('keeps only neighbours at or above minScore', () => {
    const g = buildNeighbourGraph(matrix, DIM, { k: 10, minScore: 0.4 });
    for (let t = 0; t < g.scores.length; t++) if ((g.neighbours[t] as number) >= 0) assert.ok((g.scores[t] as number) >= 0.4);
    assert.ok(Array.from(g.neighbours).includes(-1));
  });
  it('validates its parameters', () => {
    assert.throws(() => buildNeighbourGraph(matrix, 60), /multiple of 8/);
    assert.throws(() => buildNeighbourGraph(matrix.subarray(1), DIM), /whole 64-d rows/);
    assert.throws(() => buildNeighbourGraph(matrix, DIM, { k: 0 }), RangeError);
    assert.throws(() => buildNeighbourGraph(matrix, DIM, { minScore: 2 }), RangeError);
  });
});

describe('averageLinkage', () => {
  it('recovers planted people', () => {
    const { matrix, truth } = clustered(30, 5, 0.75, 11);
    const g = buildNeighbourGraph(matrix, DIM, { k: 10, minScore: 0.3 });
    const s = scoreClustering(averageLinkage(matrix, DIM, g, { threshold: 0.3 }), truth);
    assert.equal(s.bcubedF1, 1);
  });
  it('does not chain two people through one lookalike pair, where single linkage would', () => {
    // Two tight groups A (rows 0–3) and B (rows 4–7); rows 3 and 4 are a lookalike pair (cosine 0.6).
    const r = rng(5);
    const a = randomUnit(r, DIM);
    const b = randomUnit(r, DIM);
    const m = new Float32Array(8 * DIM);
    for (let i = 0; i < 3; i++) near(r, a, 0.9, m, i * DIM);
    for (let i = 5; i < 8; i++) near(r, b, 0.9, m, i * DIM);
    const mid = new Float32Array(DIM);
    for (let j = 0; j < DIM; j++) mid[j] = (a[j] as number) + (b[j] as number);
    near(
      r,
      Float32Array.from(mid, (v) => v / Math.hypot(...mid)),
      0.92,
      m,
      3 * DIM,
    );
    near(
      r,
      Float32Array.from(mid, (v) => v / Math.hypot(...mid)),
      0.92,
      m,
      4 * DIM,
    );
    const g = buildNeighbourGraph(m, DIM, { k: 7 });
    const labels = averageLinkage(m, DIM, g, { threshold: 0.55 });
    assert.notEqual(labels[0], labels[7]);
    const single = immichClustering(g, { maxDistance: 0.45, minFaces: 2 });
    assert.equal(single[0], single[7], 'nearest-neighbour joining chains the two groups (the failure average linkage avoids)');
  });
  it('never puts two faces of one photo in one person', () => {
    const { matrix } = clustered(1, 4, 0.95, 2);
    const g = buildNeighbourGraph(matrix, DIM, { k: 3 });
    assert.equal(new Set(averageLinkage(matrix, DIM, g, { threshold: 0.3 })).size, 1);
    const labels = averageLinkage(matrix, DIM, g, { threshold: 0.3, photos: [7, 7, 8, 9] });
    assert.notEqual(labels[0], labels[1]);
  });
  it('leaves clusters under minSize unassigned and validates', () => {
    const { matrix } = clustered(3, 1, 0.75, 4);
    const g = buildNeighbourGraph(matrix, DIM, { k: 2 });
    assert.deepEqual(Array.from(averageLinkage(matrix, DIM, g, { threshold: 0.5, minSize: 2 })), [-1, -1, -1]);
    assert.throws(() => averageLinkage(matrix, DIM, g, { threshold: 1.5 }), RangeError);
    assert.throws(() => averageLinkage(matrix.subarray(DIM), DIM, g, { threshold: 0.5 }), RangeError);
    assert.throws(() => averageLinkage(matrix, DIM, g, { threshold: 0.5, photos: [1] }), RangeError);
  });
});

describe('chineseWhispers (dlib semantics)', () => {
  it('labels two cliques apart, reproducibly for a seed', () => {
    const { matrix, truth } = clustered(2, 6, 0.8, 8);
    const g = buildNeighbourGraph(matrix, DIM, { k: 11 });
    const a = chineseWhispers(g, { distance: 1.0, seed: 3 });
    assert.equal(scoreClustering(a, truth).bcubedF1, 1);
    assert.deepEqual(chineseWhispers(g, { distance: 1.0, seed: 3 }), a);
  });
  it('treats distance as Euclidean on unit vectors and validates', () => {
    // cosine 0.5 ⇔ distance 1: an edge at cosine 0.55 exists below 1.0 and not below 0.9.
    const g = graphOf([[[1, 0.55]], [[0, 0.55]]]);
    assert.equal(new Set(chineseWhispers(g, { distance: 1.0 })).size, 1);
    assert.equal(new Set(chineseWhispers(g, { distance: 0.9 })).size, 2);
    assert.throws(() => chineseWhispers(g, { distance: -1 }), RangeError);
    assert.throws(() => chineseWhispers(g, { distance: 1, iterations: 0 }), RangeError);
  });
});

describe('immichClustering (Immich semantics)', () => {
  it('needs minFaces faces counting the face itself, defers non-core faces and lets them join', () => {
    // 0,1,2 are mutually close (core at minFaces 3); 3 is close to 2 only (non-core: joins 2's person on the deferred pass);
    // 4,5 are a pair (never core at minFaces 3): unassigned.
    const g = graphOf([
      [
        [1, 0.9],
        [2, 0.8],
      ],
      [
        [0, 0.9],
        [2, 0.85],
      ],
      [
        [1, 0.85],
        [0, 0.8],
        [3, 0.7],
      ],
      [[2, 0.7]],
      [[5, 0.9]],
      [[4, 0.9]],
    ]);
    const labels = immichClustering(g, { maxDistance: 0.5, minFaces: 3, order: [3, 4, 5, 0, 1, 2] });
    assert.deepEqual(Array.from(labels), [0, 0, 0, 0, -1, -1]);
    assert.deepEqual(Array.from(immichClustering(g, { maxDistance: 0.5, minFaces: 2 })).slice(4), [1, 1]);
    assert.throws(() => immichClustering(g, { maxDistance: 3, minFaces: 3 }), RangeError);
    assert.throws(() => immichClustering(g, { maxDistance: 0.5, minFaces: 0 }), RangeError);
  });
});

describe('IncrementalClusterer', () => {
  it('recovers planted people whatever the arrival order', () => {
    const { matrix, truth } = clustered(20, 5, 0.75, 21);
    const order = Array.from(truth.keys()).sort((a, b) => ((a * 7919) % 97) - ((b * 7919) % 97));
    const c = new IncrementalClusterer(DIM, { maxDistance: 0.6, joinThreshold: 0.3, minFaces: 2 });
    for (const r of order) c.add(matrix.subarray(r * DIM, (r + 1) * DIM), r);
    const byFace = c.labels();
    const labels = new Int32Array(truth.length);
    order.forEach((r, f) => (labels[r] = byFace[f] as number));
    assert.equal(scoreClustering(labels, truth).bcubedF1, 1);
    assert.equal(c.persons, 20);
  });
  it('keeps a lone face waiting until a neighbour arrives, then both join one person', () => {
    const { matrix } = clustered(1, 2, 0.9, 1);
    const c = new IncrementalClusterer(DIM, { minFaces: 2 });
    assert.deepEqual(c.add(matrix.subarray(0, DIM), 0), [{ face: 0, person: -1 }]);
    const changes = c.add(matrix.subarray(DIM, 2 * DIM), 1);
    assert.deepEqual(changes.map((x) => x.face).sort(), [0, 1]);
    assert.equal(new Set(changes.map((x) => x.person)).size, 1);
  });
  it('never joins a face to a person holding a face of the same photo', () => {
    const { matrix } = clustered(1, 3, 0.95, 9);
    const c = new IncrementalClusterer(DIM, { minFaces: 2 });
    c.addPhoto([matrix.subarray(0, DIM), matrix.subarray(DIM, 2 * DIM)], 1);
    c.add(matrix.subarray(2 * DIM, 3 * DIM), 2);
    const l = c.labels();
    assert.notEqual(l[0], l[1]);
  });
  it('adds a new face to the right loaded person without re-clustering', () => {
    const { matrix, truth } = clustered(10, 6, 0.75, 33);
    const n = truth.length;
    const c = new IncrementalClusterer(DIM);
    const keep = n - 1;
    c.load(
      matrix.subarray(0, keep * DIM),
      truth.subarray(0, keep),
      Int32Array.from({ length: keep }, (_, i) => i),
    );
    const changes = c.add(matrix.subarray(keep * DIM), 999);
    assert.deepEqual(changes, [{ face: keep, person: truth[keep] }]);
    assert.throws(() => c.load(matrix.subarray(0, DIM), [0, 1], [0]), RangeError);
  });
  it('merges two persons of one face when a face between them arrives, unless both are pinned', () => {
    const r = rng(12);
    const u = randomUnit(r, DIM);
    const w = randomUnit(r, DIM);
    let d = 0;
    for (let j = 0; j < DIM; j++) d += (u[j] as number) * (w[j] as number);
    const wo = Float32Array.from(w, (x, j) => x - d * (u[j] as number));
    const n = Math.hypot(...wo);
    const v = Float32Array.from(u, (x, j) => 0.3 * x + Math.sqrt(1 - 0.3 ** 2) * ((wo[j] as number) / n));
    const mid = Float32Array.from(u, (x, j) => x + (v[j] as number));
    const m = Math.hypot(...mid);
    const between = Float32Array.from(mid, (x) => x / m);
    for (const pinned of [false, true]) {
      const c = new IncrementalClusterer(DIM, { maxDistance: 0.6, joinThreshold: 0.25, mergeThreshold: 0.3, smallMargin: 0.1 });
      let photo = 0;
      for (const base of [u, u, v, v]) c.add(near(r, base, 0.97), photo++);
      const before = c.labels();
      assert.equal(before[0], before[1]);
      assert.equal(before[2], before[3]);
      assert.notEqual(before[0], before[2], 'two persons before the bridge');
      if (pinned) {
        c.pin(before[0] as number);
        c.pin(before[2] as number);
      }
      c.add(near(r, between, 0.99), photo++);
      const after = c.labels();
      assert.equal(after[0] === after[2], !pinned);
    }
  });
  it('validates options', () => {
    assert.throws(() => new IncrementalClusterer(DIM, { mergeThreshold: 3 }), RangeError);
    assert.throws(() => new IncrementalClusterer(DIM, { smallMargin: -1 }), RangeError);
    assert.throws(() => new IncrementalClusterer(DIM, { minFaces: 0 }), RangeError);
    assert.throws(() => new IncrementalClusterer(DIM, { joinThreshold: 2 }), RangeError);
    assert.throws(() => new IncrementalClusterer(DIM, { maxDistance: -1 }), RangeError);
    assert.throws(() => new IncrementalClusterer(12), RangeError);
  });
});

describe('GrowingIndex', () => {
  it('grows past its capacity and searches exactly', () => {
    const { matrix } = clustered(5, 10, 0.7, 2);
    const idx = new GrowingIndex(DIM, 16);
    for (let i = 0; i < 50; i++) idx.add(matrix.subarray(i * DIM, (i + 1) * DIM));
    const q = matrix.subarray(20 * DIM, 21 * DIM);
    const want = bruteForce(matrix, DIM, q, 4);
    assert.deepEqual(
      idx.search(q, 4, -1).map((h) => h.row),
      want.map((h) => h.row),
    );
    assert.deepEqual(
      idx.search(q, 3, -1, 20).map((h) => h.row),
      want.slice(1).map((h) => h.row),
    );
    assert.deepEqual(Array.from(idx.row(3)), Array.from(matrix.subarray(3 * DIM, 4 * DIM)));
    assert.throws(() => idx.add(new Float32Array(3)), RangeError);
    assert.throws(() => idx.search(new Float32Array(3), 1, 0), RangeError);
  });
});

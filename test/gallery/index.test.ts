import assert from 'node:assert/strict';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ArcFaceError } from '../../src/core/index.js';
import { FlatIndex, HnswIndex, PARALLEL_MIN_VALUES, TopK } from '../../src/gallery/index.js';
import { testOutputDir } from '../helpers/shared.js';
import { bruteForce, near, randomMatrix, rng } from './synthetic.js';

const DIM = 512;

function queries(matrix: Float32Array, n: number, seed: number): Float32Array[] {
  const r = rng(seed);
  const rows = matrix.length / DIM;
  return Array.from({ length: n }, () => {
    const row = Math.floor(r() * rows);
    return near(r, matrix.slice(row * DIM, (row + 1) * DIM), 0.8);
  });
}

describe('TopK', () => {
  it('keeps the k best, best first, ties by lower row', () => {
    const h = new TopK(3);
    [
      [0, 0.1],
      [1, 0.9],
      [2, 0.5],
      [3, 0.9],
      [4, 0.2],
      [5, 0.7],
    ].forEach(([r, s]) => h.push(r as number, s as number));
    assert.deepEqual(h.sorted(), [
      { row: 1, score: 0.9 },
      { row: 3, score: 0.9 },
      { row: 5, score: 0.7 },
    ]);
  });
});

describe('FlatIndex', () => {
  const matrix = randomMatrix(1, 3000, DIM);
  const qs = queries(matrix, 20, 2);

  it('exact scan (SIMD) matches float64 brute force in order and within float32 rounding', () => {
    const idx = FlatIndex.build(matrix, DIM, { int8: false, rerank: 0 });
    for (const q of qs) {
      const got = idx.search(q, 10);
      const want = bruteForce(matrix, DIM, q, 10);
      assert.deepEqual(
        got.map((h) => h.row),
        want.map((h) => h.row),
      );
      got.forEach((h, i) => assert.ok(Math.abs(h.score - (want[i] as { score: number }).score) < 1e-5));
    }
  });

  it('the JavaScript fallback gives the same rows as the SIMD scan', () => {
    const simd = FlatIndex.build(matrix, DIM, { int8: false, rerank: 0 });
    const js = FlatIndex.build(matrix, DIM, { int8: false, rerank: 0, simd: false });
    for (const q of qs)
      assert.deepEqual(
        js.search(q, 10).map((h) => h.row),
        simd.search(q, 10).map((h) => h.row),
      );
  });

  it('int8 scan with exact re-ranking returns exactly the exact scan results, SIMD and JS', () => {
    for (const simd of [true, false]) {
      const exact = FlatIndex.build(matrix, DIM, { int8: false, rerank: 0, simd });
      const int8 = FlatIndex.build(matrix, DIM, { int8: true, rerank: 64, simd });
      assert.equal(int8.kind, 'int8');
      for (const q of qs) assert.deepEqual(int8.search(q, 10), exact.search(q, 10));
    }
  });

  it('handles k larger than the index, an empty index, and odd dimensions', () => {
    const small = FlatIndex.build(randomMatrix(3, 4, 12), 12, { int8: true, rerank: 8 });
    assert.equal(small.search(new Float32Array(12).fill(1 / Math.sqrt(12)), 10).length, 4);
    assert.deepEqual(FlatIndex.build(new Float32Array(0), DIM, { int8: false, rerank: 0 }).search(qs[0] as Float32Array, 5), []);
  });
});

describe('FlatIndex across threads', () => {
  // 6,000 × 512 values is above PARALLEL_MIN_VALUES, so scans and quantisation are split.
  const rows = 6000;
  const matrix = randomMatrix(7, rows, DIM);
  matrix.fill(0, 5 * DIM, 6 * DIM); // an all-zero row must quantise to zeros, not NaN
  const qs = queries(matrix, 12, 8);

  it('is large enough to be split, and splits', () => {
    assert.ok(rows * DIM >= PARALLEL_MIN_VALUES);
    const idx = FlatIndex.build(matrix, DIM, { int8: true, rerank: 64, threads: 2 });
    assert.equal(idx.threads, 2);
    assert.equal(FlatIndex.build(matrix, DIM, { int8: true, rerank: 64, threads: 1 }).threads, 1);
    idx.dispose();
    assert.throws(
      () => idx.search(qs[0] as Float32Array, 3),
      (e: unknown) => e instanceof ArcFaceError && e.code === 'INTERNAL',
    );
  });

  it('gives the single-thread results, scores and all, for exact and int8 scans', () => {
    const one = FlatIndex.build(matrix, DIM, { int8: true, rerank: 64, threads: 1 });
    const two = FlatIndex.build(matrix, DIM, { int8: true, rerank: 64, threads: 2 });
    const three = FlatIndex.build(matrix, DIM, { int8: true, rerank: 64, threads: 3 });
    const js = FlatIndex.build(matrix, DIM, { int8: true, rerank: 64, simd: false });
    for (const q of qs) {
      const want = one.exactSearch(q, 10);
      assert.deepEqual(two.exactSearch(q, 10), want);
      assert.deepEqual(three.exactSearch(q, 10), want);
      assert.deepEqual(two.search(q, 10), want);
      assert.deepEqual(three.search(q, 10), want);
      assert.deepEqual(
        js.search(q, 10).map((h) => h.row),
        want.map((h) => h.row),
      );
    }
    for (const i of [one, two, three, js]) i.dispose();
  });

  it('the SIMD quantiser agrees with the JavaScript one within one step, with the same scales', () => {
    const simd = FlatIndex.build(matrix, DIM, { int8: true, rerank: 64, threads: 2 });
    const js = FlatIndex.build(matrix, DIM, { int8: true, rerank: 64, simd: false });
    const a = simd.int8Rows() as { q: Int8Array; invScale: Float32Array };
    const b = js.int8Rows() as { q: Int8Array; invScale: Float32Array };
    let differ = 0;
    for (let i = 0; i < a.q.length; i++) {
      const d = Math.abs((a.q[i] as number) - (b.q[i] as number));
      assert.ok(d <= 1, `value ${i}: ${a.q[i]} vs ${b.q[i]}`);
      differ += d;
    }
    // Differences come only from ties and float32 vs float64 products: a tiny fraction.
    assert.ok(differ < a.q.length * 1e-3, `${differ} values differ`);
    for (let r = 0; r < rows; r++) assert.ok(Math.abs((a.invScale[r] as number) - (b.invScale[r] as number)) <= 1e-7 * (b.invScale[r] as number));
    assert.equal(a.invScale[5], 0);
    assert.ok(a.q.subarray(5 * DIM, 6 * DIM).every((v) => v === 0));
    simd.dispose();
    js.dispose();
  });

  it('an index filled in place equals one built by copying', () => {
    const pending = FlatIndex.allocate(rows, DIM, { int8: true, rerank: 64 });
    assert.ok(pending.matrix.every((v) => v === 0));
    pending.matrix.set(matrix);
    const inPlace = pending.finish();
    assert.equal(pending.finish(), inPlace);
    const copied = FlatIndex.build(matrix, DIM, { int8: true, rerank: 64 });
    for (const q of qs) assert.deepEqual(inPlace.search(q, 5), copied.search(q, 5));
    inPlace.dispose();
    copied.dispose();
  });
});

describe('HnswIndex', () => {
  const matrix = randomMatrix(4, 2000, DIM);
  const qs = queries(matrix, 50, 5);
  const hopts = { m: 16, efConstruction: 100, efSearch: 64, seed: 100 };

  it('finds the exact top-1 for near-duplicate queries (recall@1 ≥ 0.99) with exact scores', () => {
    const h = HnswIndex.build(matrix, DIM, hopts);
    const exact = FlatIndex.build(matrix, DIM, { int8: false, rerank: 0 });
    let hits = 0;
    for (const q of qs) {
      const a = h.search(q, 1)[0];
      const b = exact.search(q, 1)[0];
      if (a?.row === b?.row) {
        hits++;
        assert.equal(a?.score, b?.score);
      }
    }
    assert.ok(hits / qs.length >= 0.99, `recall@1 ${hits / qs.length}`);
  });

  it('persists beside a gallery, reloads while the key matches and rebuilds when stale', () => {
    const dir = testOutputDir('gallery-hnsw');
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'g.db.hnsw');
    const key = { generation: 7, rows: 2000, dim: DIM, fingerprint: 'fp', m: 16, efConstruction: 100 };
    const a = HnswIndex.loadOrBuild(path, key, matrix, hopts);
    assert.equal(a.origin, 'built');
    assert.ok(statSync(path).size > 2000 * DIM * 4);
    const b = HnswIndex.loadOrBuild(path, key, matrix, hopts);
    assert.equal(b.origin, 'loaded');
    assert.deepEqual(b.search(qs[0] as Float32Array, 5), a.search(qs[0] as Float32Array, 5));
    const c = HnswIndex.loadOrBuild(path, { ...key, generation: 8 }, matrix, hopts);
    assert.equal(c.origin, 'built');
  });
});

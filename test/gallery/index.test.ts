import assert from 'node:assert/strict';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FlatIndex, HnswIndex, TopK } from '../../src/gallery/index.js';
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
    [[0, 0.1], [1, 0.9], [2, 0.5], [3, 0.9], [4, 0.2], [5, 0.7]].forEach(([r, s]) => h.push(r as number, s as number));
    assert.deepEqual(h.sorted(), [{ row: 1, score: 0.9 }, { row: 3, score: 0.9 }, { row: 5, score: 0.7 }]);
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
      assert.deepEqual(got.map((h) => h.row), want.map((h) => h.row));
      got.forEach((h, i) => assert.ok(Math.abs(h.score - (want[i] as { score: number }).score) < 1e-5));
    }
  });

  it('the JavaScript fallback gives the same rows as the SIMD scan', () => {
    const simd = FlatIndex.build(matrix, DIM, { int8: false, rerank: 0 });
    const js = FlatIndex.build(matrix, DIM, { int8: false, rerank: 0, simd: false });
    for (const q of qs) assert.deepEqual(js.search(q, 10).map((h) => h.row), simd.search(q, 10).map((h) => h.row));
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

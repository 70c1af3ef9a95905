import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HnswIndex } from '../../src/gallery/index.js';

describe('HnswIndex.memoryBytes', () => {
  it('counts the level-0 links of the M the graph was built with', () => {
    const rows = 50;
    const dim = 8;
    const matrix = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) matrix[r * dim + (r % dim)] = 1;
    const small = HnswIndex.build(matrix, dim, { m: 8, efConstruction: 50, efSearch: 16, seed: 1 });
    const large = HnswIndex.build(matrix, dim, { m: 32, efConstruction: 50, efSearch: 16, seed: 1 });
    try {
      assert.equal(small.m, 8);
      // 2·M links of 4 bytes per row at level 0 (hnswlib hnswalg.h maxM0_ = 2·M).
      assert.equal(large.memoryBytes() - small.memoryBytes(), rows * 2 * (32 - 8) * 4);
    } finally {
      small.dispose();
      large.dispose();
    }
  });
});

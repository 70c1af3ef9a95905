import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultWebThreads } from '../../src/runtime/ort-web.js';

describe('browser default thread count', () => {
  it('leaves one core to the page, at least 1 and at most 4 threads', () => {
    assert.deepEqual([1, 2, 3, 4, 5, 8, 16].map(defaultWebThreads), [1, 1, 2, 3, 4, 4, 4]);
  });
});

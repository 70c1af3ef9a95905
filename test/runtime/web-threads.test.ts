import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultWebThreads } from '../../src/runtime/ort-web.js';

describe('browser default thread count', () => {
  it('leaves one core to a page on its main thread, at least 1 and at most 4 threads', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 8, 16].map((cores) => defaultWebThreads(cores, false)),
      [1, 1, 2, 3, 4, 4, 4],
    );
  });
  it('takes a thread per core in a worker, at most 4', () => {
    assert.deepEqual(
      [1, 2, 3, 4, 5, 8, 16].map((cores) => defaultWebThreads(cores, true)),
      [1, 2, 3, 4, 4, 4, 4],
    );
  });
  it('tells where it runs: here, no worker scope', () => {
    assert.equal(defaultWebThreads(2), 1);
  });
});

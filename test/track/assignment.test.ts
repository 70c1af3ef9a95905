import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { linearAssignment, solveAssignment } from '../../src/track/index.js';
import { rng } from './sequences.js';

function permutations(n: number, k: number): number[][] {
  // All injective maps of k items into n slots.
  if (k === 0) return [[]];
  const out: number[][] = [];
  for (const rest of permutations(n, k - 1)) for (let j = 0; j < n; j++) if (!rest.includes(j)) out.push([...rest, j]);
  return out;
}

function bruteForceFull(cost: number[][]): number {
  const n = cost.length;
  const m = cost[0]!.length;
  let best = Infinity;
  if (n <= m)
    for (const p of permutations(m, n))
      best = Math.min(
        best,
        p.reduce((s, j, i) => s + cost[i]![j]!, 0),
      );
  else
    for (const p of permutations(n, m))
      best = Math.min(
        best,
        p.reduce((s, i, j) => s + cost[i]![j]!, 0),
      );
  return best;
}

/** Every partial matching of pairs with cost ≤ limit; unmatched rows and columns cost limit/2 each. */
function bruteForceGated(cost: number[][], limit: number): number {
  const n = cost.length;
  const m = cost[0]!.length;
  let best = Infinity;
  const walk = (i: number, used: boolean[], acc: number, matched: number): void => {
    if (i === n) {
      best = Math.min(best, acc + (n - matched + (m - matched)) * (limit / 2));
      return;
    }
    walk(i + 1, used, acc, matched);
    for (let j = 0; j < m; j++) {
      if (used[j] || cost[i]![j]! > limit) continue;
      used[j] = true;
      walk(i + 1, used, acc + cost[i]![j]!, matched + 1);
      used[j] = false;
    }
  };
  walk(0, new Array<boolean>(m).fill(false), 0, 0);
  return best;
}

describe('assignment solver', () => {
  it('matches brute force on 300 random rectangular matrices up to 6×6', () => {
    const r = rng(7);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(r() * 6);
      const m = 1 + Math.floor(r() * 6);
      // Integer costs make ties common, which is where a wrong solver slips.
      const cost = Array.from({ length: n }, () => Array.from({ length: m }, () => (trial % 2 === 0 ? Math.floor(r() * 5) : r() * 10)));
      const a = solveAssignment(cost);
      const used = a.filter((j) => j >= 0);
      assert.equal(used.length, Math.min(n, m));
      assert.equal(new Set(used).size, used.length, 'a column used twice');
      const total = a.reduce((s, j, i) => (j >= 0 ? s + cost[i]![j]! : s), 0);
      assert.ok(Math.abs(total - bruteForceFull(cost)) < 1e-9, `trial ${trial}: ${total} vs ${bruteForceFull(cost)}`);
    }
  });

  it('gated assignment matches brute force and never uses a pair above the limit', () => {
    const r = rng(11);
    for (let trial = 0; trial < 300; trial++) {
      const n = 1 + Math.floor(r() * 5);
      const m = 1 + Math.floor(r() * 5);
      const cost = Array.from({ length: n }, () => Array.from({ length: m }, () => r()));
      const limit = 0.2 + r() * 0.7;
      const res = linearAssignment(cost, limit);
      for (const [i, j] of res.matches) assert.ok(cost[i]![j]! <= limit);
      const matched = res.matches.length;
      assert.equal(res.unmatchedRows.length, n - matched);
      assert.equal(res.unmatchedCols.length, m - matched);
      const total = res.matches.reduce((s, [i, j]) => s + cost[i]![j]!, 0) + (n - matched + (m - matched)) * (limit / 2);
      assert.ok(Math.abs(total - bruteForceGated(cost, limit)) < 1e-9, `trial ${trial}`);
    }
  });

  it('beats greedy on the crossing case: the cheapest pair is not in the optimum', () => {
    // Greedy takes (0,0) at 0.1 and is left with (1,1) at 0.9: total 1.0. The optimum is 0.3 + 0.3.
    const cost = [
      [0.1, 0.3],
      [0.3, 0.9],
    ];
    assert.deepEqual(solveAssignment(cost), [1, 0]);
    assert.deepEqual(linearAssignment(cost, 0.95).matches, [
      [0, 1],
      [1, 0],
    ]);
  });

  it('solves a crowd of 300 separate faces component by component', () => {
    // Rows i and columns i overlap only with each other (cost 0.1); a permutation hides the diagonal.
    const n = 300;
    const perm = Array.from({ length: n }, (_, i) => (i * 7) % n);
    const cost = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (perm[i] === j ? 0.1 : 1)));
    const res = linearAssignment(cost, 0.8);
    assert.equal(res.matches.length, n);
    for (const [i, j] of res.matches) assert.equal(j, perm[i]);
  });

  it('handles empty sides and rejects invalid input', () => {
    assert.deepEqual(solveAssignment([]), []);
    assert.deepEqual(linearAssignment([[], []], 0.5), { matches: [], unmatchedRows: [0, 1], unmatchedCols: [] });
    assert.throws(() => solveAssignment([[1, 2], [3]]), RangeError);
    assert.throws(() => solveAssignment([[1, Number.NaN]]), TypeError);
    assert.throws(() => solveAssignment('x' as unknown as number[][]), TypeError);
    assert.throws(() => linearAssignment([[0.1]], -1), /Expected a finite non-negative costLimit/);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assignMinCost } from '../../src/cluster/assignment.js';

function brute(cost: number[], n: number): number {
  const perm = Array.from({ length: n }, (_, i) => i);
  let best = Number.POSITIVE_INFINITY;
  const go = (k: number) => {
    if (k === n) {
      best = Math.min(
        best,
        perm.reduce((s, j, i) => s + cost[i * n + j], 0),
      );
      return;
    }
    for (let i = k; i < n; i++) {
      [perm[k], perm[i]] = [perm[i], perm[k]];
      go(k + 1);
      [perm[k], perm[i]] = [perm[i], perm[k]];
    }
  };
  go(0);
  return best;
}

test('minimum-cost assignment by hand and against brute force', () => {
  assert.deepEqual(Array.from(assignMinCost([4, 1, 3, 2, 0, 5, 3, 2, 2], 3, 3)), [1, 0, 2]);
  // Rectangular: 2 rows, 3 columns; and 3 rows, 2 columns (one row left without a column).
  assert.deepEqual(Array.from(assignMinCost([5, 1, 9, 2, 8, 7], 2, 3)), [1, 0]);
  const r = Array.from(assignMinCost([1, 9, 9, 1, 5, 5], 3, 2));
  assert.deepEqual([r[0], r[1]], [0, 1]);
  assert.equal(r[2], -1);
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 6 }),
      fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 36, maxLength: 36 }),
      (n, vals) => {
        const cost = vals.slice(0, n * n);
        const a = assignMinCost(cost, n, n);
        assert.equal(new Set(a).size, n);
        assert.equal(
          Array.from(a).reduce((s, j, i) => s + cost[i * n + j], 0),
          brute(cost, n),
        );
      },
    ),
    { numRuns: 60, seed: 5 },
  );
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { fromRows } from '../../src/core/matrix.js';
import { calinskiHarabasz, daviesBouldin, kneeIndex, silhouetteScore } from '../../src/metrics/quality.js';
import { blobs } from './fixtures.js';

describe('cluster quality metrics', () => {
  const X = fromRows([[0], [1], [4], [6]]);
  const labels = Int32Array.from([0, 0, 1, 1]);

  test('silhouette by hand', () => {
    // a = intra mean, b = mean to the other cluster
    const expected = [(5 - 1) / 5, (4 - 1) / 4, (3.5 - 2) / 3.5, (5.5 - 2) / 5.5];
    const mean = expected.reduce((a, b) => a + b) / 4;
    assert.ok(Math.abs(silhouetteScore(X, labels, 2) - mean) < 1e-12);
  });

  test('singletons score 0 and one cluster is undefined', () => {
    const s = silhouetteScore(fromRows([[0], [1], [10]]), Int32Array.from([0, 0, 1]), 2);
    const expected = ((10 - 1) / 10 + (9 - 1) / 9 + 0) / 3;
    assert.ok(Math.abs(s - expected) < 1e-12);
    assert.ok(Number.isNaN(silhouetteScore(X, new Int32Array(4), 1)));
  });

  test('Calinski-Harabasz and Davies-Bouldin by hand', () => {
    // centres 0.5 and 5, grand mean 2.75; between = 2*(2.25^2)*2 = 20.25; within = 0.25*2 + 1*2 = 2.5
    assert.ok(Math.abs(calinskiHarabasz(X, labels, 2) - (20.25 * 2) / (2.5 * 1)) < 1e-12);
    // scatter 0.5 and 1, centre distance 4.5 -> (1.5 / 4.5) for both
    assert.ok(Math.abs(daviesBouldin(X, labels, 2) - 1.5 / 4.5) < 1e-12);
  });

  test('kneedle finds the bend of an inertia curve', () => {
    assert.equal(kneeIndex([1, 2, 3, 4, 5, 6], [100, 40, 15, 12, 10, 9]), 2);
    assert.equal(kneeIndex([1, 2, 3], [3, 2, 1]), -1, 'a straight line has no knee');
    assert.equal(kneeIndex([1, 2], [3, 1]), -1);
  });

  test('property: silhouette stays in [-1, 1]', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 2, max: 6 }), (seed, k) => {
        const Y = blobs(
          seed,
          12,
          [
            [0, 0],
            [3, 1],
          ],
          2,
        );
        const l = Int32Array.from({ length: Y.rows }, (_, i) => (i * 7 + seed) % k);
        const s = silhouetteScore(Y, l, k);
        assert.ok(s >= -1 && s <= 1, String(s));
      }),
      { numRuns: 30, seed: 1 },
    );
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fitKMeans, lloyd } from '../../src/cluster/kmeans.js';
import { fromRows } from '../../src/core/matrix.js';
import { createRng, randNormal } from '../../src/core/rng.js';
import { fitKMeansParallel } from '../../src/parallel/kmeans.js';
import { WorkerPool } from '../../src/parallel/pool.js';
import { blobs } from './fixtures.js';

describe('k-means on worker threads', () => {
  let pool: WorkerPool;
  const rng = createRng(77);
  const centres = Array.from({ length: 8 }, () => Array.from({ length: 8 }, () => 6 * randNormal(rng)));
  const X = blobs(5, 5000, centres, 2);
  before(() => {
    pool = WorkerPool.create(2);
  });
  after(() => pool.close());

  test('restarts side by side give exactly the single-thread result', async () => {
    const params = { k: 8, nInit: 4, maxIter: 300, tol: 1e-4, seed: 3 };
    const serial = fitKMeans(X, params);
    const parallel = await fitKMeansParallel(X, params, pool);
    assert.deepEqual(parallel.model, serial.model);
    assert.deepEqual(parallel.labels, serial.labels);
    assert.deepEqual(parallel.restarts, serial.restarts);
  });

  test('one run split by rows gives exactly the single-thread result, Hamerly and Lloyd', async () => {
    for (const algorithm of ['hamerly', 'lloyd'] as const) {
      const params = { k: 8, nInit: 1, maxIter: 300, tol: 1e-4, seed: 9, algorithm };
      const serial = fitKMeans(X, params);
      const parallel = await fitKMeansParallel(X, params, pool);
      assert.deepEqual(parallel.model, serial.model, algorithm);
      assert.deepEqual(parallel.labels, serial.labels, algorithm);
    }
  });

  test('Hamerly reaches the same result as Lloyd from the same start', () => {
    const init = Float64Array.from(X.data.subarray(0, 64));
    const a = lloyd(X, Float64Array.from(init), 8, 300, 0, 'lloyd');
    const b = lloyd(X, Float64Array.from(init), 8, 300, 0, 'hamerly');
    assert.deepEqual(b.labels, a.labels);
    assert.equal(b.nIter, a.nIter);
    assert.ok(Math.abs(b.inertia - a.inertia) <= 1e-9 * a.inertia);
    const tiny = fromRows([[0], [1], [10]]);
    assert.deepEqual(
      lloyd(tiny, Float64Array.from([0, 10]), 2, 10, 0, 'hamerly').labels,
      Int32Array.from([0, 0, 1]),
    );
  });
});

describe('silhouette on worker threads', () => {
  test('equals the single-thread value exactly', async () => {
    const { silhouetteParallel } = await import('../../src/parallel/metrics.js');
    const { silhouetteScore } = await import('../../src/metrics/quality.js');
    const pool = WorkerPool.create(2);
    try {
      const X = blobs(
        12,
        700,
        [
          [0, 0, 0],
          [4, 4, 4],
          [0, 5, 0],
        ],
        1.5,
      );
      const labels = Int32Array.from({ length: X.rows }, (_, i) => Math.floor(i / 700));
      assert.equal(await silhouetteParallel(X, labels, 3, pool), silhouetteScore(X, labels, 3));
    } finally {
      await pool.close();
    }
  });
});

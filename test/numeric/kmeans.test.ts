import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  assign,
  fitKMeans,
  kmeansPlusPlus,
  lloyd,
  meanVariance,
  predictKMeans,
  SMALL_PREDICT,
  transformKMeans,
} from '../../src/cluster/kmeans.js';
import { fromRows, takeRows } from '../../src/core/matrix.js';
import { createRng, deriveSeed } from '../../src/core/rng.js';
import { blobs, samePartition } from './fixtures.js';

describe('k-means', () => {
  test('scikit-learn KMeans docstring example', () => {
    const X = fromRows([
      [1, 2],
      [1, 4],
      [1, 0],
      [10, 2],
      [10, 4],
      [10, 0],
    ]);
    const r = fitKMeans(X, { k: 2, nInit: 10, maxIter: 300, tol: 1e-4, seed: 0 });
    assert.equal(r.model.inertia, 16);
    const centres = [r.model.centers.slice(0, 2), r.model.centers.slice(2, 4)].map((c) => c.join(',')).sort();
    assert.deepEqual(centres, ['1,2', '10,2']);
    const p = predictKMeans(
      r.model,
      fromRows([
        [0, 0],
        [12, 3],
      ]),
    );
    assert.equal(r.model.centers[p.labels[0] * 2], 1);
    assert.equal(r.model.centers[p.labels[1] * 2], 10);
    // transform: the distance to every centre; its argmin is predict's label.
    const tr = transformKMeans(
      r.model,
      fromRows([
        [0, 0],
        [12, 3],
      ]),
    );
    assert.equal(tr.cols, 2);
    for (let i = 0; i < 2; i++)
      assert.equal(tr.data[i * 2 + p.labels[i]], Math.min(tr.data[i * 2], tr.data[i * 2 + 1]));
    assert.equal(tr.data[p.labels[0]], Math.sqrt(5));
  });

  test('Lloyd from given centres follows the hand-computed path', () => {
    const X = fromRows([[0], [1], [4], [5]]);
    const centres = Float64Array.from([0, 1]);
    const r = lloyd(X, centres, 2, 100, 0);
    // Iteration 1: {0}, {1,4,5} -> centres 0, 10/3; iteration 2: {0,1}, {4,5} -> 0.5, 4.5; then stable.
    assert.deepEqual(Array.from(centres), [0.5, 4.5]);
    assert.deepEqual(Array.from(r.labels), [0, 0, 1, 1]);
    assert.equal(r.inertia, 1);
    assert.equal(r.nIter, 3);
  });

  test('an empty cluster takes the point farthest from its centre', () => {
    const X = fromRows([[0], [1], [2], [10]]);
    const centres = Float64Array.from([1, 100]);
    const r = lloyd(X, centres, 2, 100, 0);
    assert.deepEqual(Array.from(r.labels), [0, 0, 0, 1]);
    assert.deepEqual(Array.from(centres), [1, 10]);
  });

  test('recovers well-separated blobs, and the same seed gives the same model', () => {
    const X = blobs(
      3,
      100,
      [
        [0, 0],
        [10, 10],
        [-10, 10],
      ],
      0.8,
    );
    const a = fitKMeans(X, { k: 3, nInit: 4, maxIter: 300, tol: 1e-4, seed: 9 });
    const truth = Int32Array.from({ length: 300 }, (_, i) => Math.floor(i / 100));
    assert.ok(samePartition(a.labels, truth));
    const b = fitKMeans(X, { k: 3, nInit: 4, maxIter: 300, tol: 1e-4, seed: 9 });
    assert.deepEqual(a.model, b.model);
    assert.equal(a.restarts.length, 4);
    assert.equal(a.model.inertia, Math.min(...a.restarts.map((r) => r.inertia)));
  });

  test('k-means++ picks distinct data points as centres', () => {
    const X = blobs(
      4,
      50,
      [
        [0, 0],
        [5, 5],
      ],
      1,
    );
    const c = kmeansPlusPlus(X, 5, createRng(deriveSeed(1, 0)));
    const rows = new Set<string>();
    for (let i = 0; i < X.rows; i++) rows.add(`${X.data[2 * i]},${X.data[2 * i + 1]}`);
    const picked = new Set<string>();
    for (let j = 0; j < 5; j++) {
      const key = `${c[2 * j]},${c[2 * j + 1]}`;
      assert.ok(rows.has(key));
      picked.add(key);
    }
    assert.equal(picked.size, 5);
  });

  test('meanVariance matches a direct computation', () => {
    const X = fromRows([
      [1, 10],
      [3, 10],
      [5, 40],
    ]);
    // var([1,3,5]) = 8/3, var([10,10,40]) = 200; mean = (8/3 + 200) / 2
    assert.ok(Math.abs(meanVariance(X) - (8 / 3 + 200) / 2) < 1e-12);
  });

  test('properties: inertia never increases across Lloyd steps; predict equals fitted labels; row order does not matter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 2, max: 5 }), (seed, k) => {
        const X = blobs(
          seed,
          30,
          [
            [0, 0, 0],
            [4, 4, 0],
            [0, 4, 4],
          ],
          1.5,
        );
        const centres = kmeansPlusPlus(X, k, createRng(seed));
        const labels = new Int32Array(X.rows);
        let prev = assign(X, centres, k, labels);
        for (let it = 0; it < 20; it++) {
          const c = Float64Array.from(centres);
          lloyd(X, c, k, 1, 0);
          const now = assign(X, c, k, labels);
          assert.ok(now <= prev + 1e-9 * prev, `inertia rose ${prev} -> ${now}`);
          prev = now;
          centres.set(c);
        }
        const fit = fitKMeans(X, { k, nInit: 2, maxIter: 300, tol: 0, seed });
        assert.deepEqual(predictKMeans(fit.model, X).labels, fit.labels);
        // Permuting rows and starting from the same centres gives the same partition.
        const perm = Array.from({ length: X.rows }, (_, i) => i).reverse();
        const init = Float64Array.from(fit.model.centers);
        const a = fitKMeans(X, { k, nInit: 1, maxIter: 300, tol: 0, seed, init });
        const b = fitKMeans(takeRows(X, perm), { k, nInit: 1, maxIter: 300, tol: 0, seed, init });
        assert.deepEqual(
          Array.from(b.labels),
          perm.map((i) => a.labels[i]),
        );
      }),
      { numRuns: 25, seed: 42 },
    );
  });
});

test('scoring a few rows gives the bits the kernels give for the same rows among many', () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 0, max: 1_000_000 }),
      (k, d, n, seed) => {
        const rng = createRng(seed);
        const value = () => (rng() < 0.1 ? 0 : (rng() - 0.5) * 10 ** Math.floor(rng() * 6));
        const centers = Array.from({ length: k * d }, value);
        // Rows that tie two centres exactly are included: the first centre wins in both paths.
        const rows = Array.from({ length: n }, (_, i) =>
          i === 0 && k > 1 ? centers.slice(0, d) : Array.from({ length: d }, value),
        );
        const small = predictKMeans({ centers, k }, fromRows(rows));
        assert.ok(n * k <= SMALL_PREDICT);
        // Enough copies that the kernel path is taken.
        const copies = Math.ceil((SMALL_PREDICT + 1) / (n * k));
        const big = predictKMeans(
          { centers, k },
          fromRows(Array.from({ length: copies }, () => rows).flat()),
        );
        assert.deepEqual(small.labels, big.labels.subarray(0, n));
        assert.deepEqual(small.distances, big.distances.subarray(0, n));
      },
    ),
    { numRuns: 60, seed: 16 },
  );
});

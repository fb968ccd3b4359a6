import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fitKMeans } from '../../src/cluster/kmeans.js';
import { fromRows } from '../../src/core/matrix.js';
import { KERNEL_NAMES } from '../../src/kernels/kernel-set.js';
import { activeKernels, setKernels } from '../../src/kernels/kernels.js';
import { calinskiHarabasz, daviesBouldin, silhouetteScore } from '../../src/metrics/quality.js';
import { ROOT } from '../helpers.js';
import { samePartition } from './fixtures.js';

interface Case {
  X: number[][];
  init: number[][];
  centers: number[][];
  labels: number[];
  inertia: number;
  n_iter: number;
  silhouette: number;
  calinski_harabasz: number;
  davies_bouldin: number;
}

const goldens = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'goldens.json'), 'utf8')) as {
  sklearn: string;
  cases: Record<string, Case>;
};
const close = (a: number, b: number, rel = 1e-9) => Math.abs(a - b) <= rel * Math.max(1, Math.abs(b));

// Every golden on both kernel sets: the WebAssembly SIMD kernels and their TypeScript twins.
for (const kernels of KERNEL_NAMES)
  describe(`agreement with scikit-learn ${goldens.sklearn} (scripts/gen-goldens.py), ${kernels} kernels`, () => {
    before(() => {
      setKernels(kernels);
      assert.equal(activeKernels(), kernels);
    });
    after(() => setKernels('auto'));
    for (const [name, c] of Object.entries(goldens.cases)) {
      test(`${name}: Lloyd k-means from the same initial centres`, () => {
        const X = fromRows(c.X);
        const r = fitKMeans(X, {
          k: c.init.length,
          nInit: 1,
          maxIter: 300,
          tol: 1e-4,
          seed: 0,
          init: Float64Array.from(c.init.flat()),
        });
        assert.ok(close(r.model.inertia, c.inertia), `inertia ${r.model.inertia} vs ${c.inertia}`);
        assert.equal(r.model.nIter, c.n_iter);
        assert.ok(samePartition(r.labels, c.labels));
        r.model.centers.forEach((v, i) => {
          assert.ok(close(v, c.centers.flat()[i]), `centre value ${i}`);
        });
      });
      test(`${name}: silhouette, Calinski-Harabasz and Davies-Bouldin on the fitted labels`, () => {
        const X = fromRows(c.X);
        const labels = Int32Array.from(c.labels);
        const k = c.init.length;
        assert.ok(close(silhouetteScore(X, labels, k), c.silhouette), 'silhouette');
        assert.ok(close(calinskiHarabasz(X, labels, k), c.calinski_harabasz), 'calinski');
        assert.ok(close(daviesBouldin(X, labels, k), c.davies_bouldin), 'davies');
      });
    }

    test('silhouette analysis example (REFERENCES.md): silhouette at the k-means optimum for k = 2, 3, 4', () => {
      const X = fromRows(goldens.cases.blobs500.X);
      const expected = { 2: 0.7049787496, 3: 0.5882004013, 4: 0.6505186633 };
      for (const [k, v] of Object.entries(expected)) {
        const r = fitKMeans(X, { k: Number(k), nInit: 10, maxIter: 300, tol: 1e-4, seed: 1 });
        assert.ok(Math.abs(silhouetteScore(X, r.labels, Number(k)) - v) < 1e-9, `k = ${k}`);
      }
    });

    test('iris k = 3 reproduces the documented figures (REFERENCES.md)', () => {
      const c = goldens.cases.iris_k3;
      const X = fromRows(c.X);
      const r = fitKMeans(X, { k: 3, nInit: 10, maxIter: 300, tol: 1e-4, seed: 42 });
      assert.ok(Math.abs(r.model.inertia - 78.8514414) < 1e-6, `${r.model.inertia}`);
      const sizes = [0, 0, 0];
      for (const l of r.labels) sizes[l]++;
      assert.deepEqual(
        sizes.sort((a, b) => b - a),
        [62, 50, 38],
      );
      assert.ok(Math.abs(silhouetteScore(X, r.labels, 3) - 0.5528190124) < 1e-9);
      assert.ok(Math.abs(calinskiHarabasz(X, r.labels, 3) - 561.6277566) < 1e-6);
      assert.ok(Math.abs(daviesBouldin(X, r.labels, 3) - 0.6619715) < 1e-6);
    });
  });

// The public numeric functions check their arguments before any kernel runs, as scikit-learn's
// estimators do: a coded INVALID_ARGUMENT error that names the function, the argument and the
// numbers (never a crash or a silent NaN from inside a kernel).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fitKMeans, fitKMeansAsync } from '../../src/cluster/kmeans.js';
import { fitMiniBatchKMeans } from '../../src/cluster/minibatch.js';
import type { SegmintError } from '../../src/core/errors.js';
import { fromRows } from '../../src/core/matrix.js';
import { silhouetteScore } from '../../src/metrics/quality.js';

const X = fromRows([
  [0, 0],
  [0, 1],
  [5, 5],
  [5, 6],
]);
const P = { k: 2, nInit: 2, maxIter: 50, tol: 1e-4, seed: 1 };
const refused = (re: RegExp) => (e: SegmintError) => {
  assert.equal(e.code, 'INVALID_ARGUMENT');
  assert.match(e.message, re);
  return true;
};

test('fitKMeans states what it cannot take, with the numbers', async () => {
  assert.equal(fitKMeans(X, P).model.k, 2);
  assert.throws(
    () => fitKMeans(X, { ...P, k: 5 }),
    refused(/^fitKMeans: k is 5; it must be a whole number from 1 to 4\./),
  );
  assert.throws(() => fitKMeans(X, { ...P, k: 1.5 }), refused(/k is 1\.5/));
  assert.throws(
    () => fitKMeans(X, { ...P, nInit: 0 }),
    refused(/nInit is 0; it must be a whole number of at least 1/),
  );
  assert.throws(() => fitKMeans(X, { ...P, maxIter: -1 }), refused(/maxIter is -1/));
  assert.throws(
    () => fitKMeans(X, { ...P, tol: Number.NaN }),
    refused(/tol is NaN; it must be a number of at least 0/),
  );
  assert.throws(() => fitKMeans(X, { ...P, seed: -3 }), refused(/seed is -3/));
  assert.throws(
    () => fitKMeans(X, { ...P, algorithm: 'elkan' as 'lloyd' }),
    refused(/algorithm is "elkan"; it is lloyd or hamerly/),
  );
  const holed = fromRows([
    [0, 0],
    [0, Number.NaN],
    [5, 5],
  ]);
  assert.throws(
    () => fitKMeans(holed, P),
    refused(/X row 1, column 1 is NaN: every value must be a finite number/),
  );
  assert.throws(
    () => fitKMeans({ rows: 3, cols: 2, data: new Float64Array(5) }, P),
    refused(/X\.data holds 5 value\(s\), not rows x cols = 3 x 2 = 6/),
  );
  assert.throws(
    () => fitKMeans(X, { ...P, init: new Float64Array(3) }),
    refused(/init \(k x d centres\)\.data holds 3 value\(s\), not rows x cols = 2 x 2 = 4/),
  );
  await assert.rejects(fitKMeansAsync(X, { ...P, k: 0 }), refused(/^fitKMeansAsync: k is 0/));
});

test('mini-batch k-means and the silhouette check theirs too', () => {
  const mb = {
    k: 2,
    seed: 1,
    batchSize: 2,
    maxEpochs: 5,
    maxNoImprovement: 3,
    nInit: 1,
    reassignmentRatio: 0.01,
  };
  assert.equal(fitMiniBatchKMeans(X, mb).model.k, 2);
  assert.throws(
    () => fitMiniBatchKMeans(X, { ...mb, batchSize: 0 }),
    refused(/^fitMiniBatchKMeans: batchSize is 0/),
  );
  assert.throws(
    () => fitMiniBatchKMeans(X, { ...mb, reassignmentRatio: 2 }),
    refused(/reassignmentRatio is 2; it must be a number from 0 to 1/),
  );
  assert.ok(Number.isFinite(silhouetteScore(X, Int32Array.from([0, 0, 1, 1]), 2)));
  assert.throws(
    () => silhouetteScore(X, Int32Array.from([0, 0, 1]), 2),
    refused(/^silhouetteScore: labels has 3 value\(s\) for 4 row\(s\) of X/),
  );
  assert.throws(
    () => silhouetteScore(X, Int32Array.from([0, 0, 1, 2]), 2),
    refused(/labels\[3\] is 2; labels run from 0 to k - 1 = 1/),
  );
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { PrepSpec } from '../../src/config/recipe.js';
import { applyPrep, type FeatureTable, fitPrep, OTHER } from '../../src/prep/prepare.js';
import { quantileSorted, skewness } from '../../src/prep/stats.js';

const spec = (o: Record<string, unknown> = {}) => PrepSpec.parse({ log: 'none', ...o });
const table = (): FeatureTable => ({
  ids: ['a', 'b', 'c', 'd', 'e'],
  numeric: [
    { name: 'x', values: Float64Array.from([1, 2, 3, 4, Number.NaN]) },
    { name: 'k', values: Float64Array.from([7, 7, 7, 7, 7]) },
  ],
  categorical: [{ name: 'c', values: ['web', 'app', 'web', null, 'store'] }],
});

describe('preparation', () => {
  test('standard scaling after median imputation (population std, as scikit-learn)', () => {
    const { params, matrix, warnings } = fitPrep(table(), spec());
    // x imputed -> [1,2,3,4,2.5]; mean 2.5, std sqrt(1.25*... )
    const x = [1, 2, 3, 4, 2.5];
    const m = 2.5;
    const sd = Math.sqrt(x.reduce((a, v) => a + (v - m) ** 2, 0) / 5);
    const col = Array.from({ length: 5 }, (_, i) => matrix.data[i * matrix.cols]);
    col.forEach((v, i) => {
      assert.ok(Math.abs(v - (x[i] - m) / sd) < 1e-12);
    });
    assert.ok(warnings.some((w) => w.code === 'FEATURE_IMPUTED'));
    assert.ok(warnings.some((w) => w.code === 'FEATURE_CONSTANT' && /"k"/.test(w.message)));
    assert.deepEqual(params.dropped, [{ name: 'k', reason: 'constant' }]);
  });

  test('min-max and robust scalers', () => {
    const mm = fitPrep(table(), spec({ scaler: 'minmax', impute: 'zero' }));
    assert.deepEqual(
      Array.from({ length: 5 }, (_, i) => mm.matrix.data[i * mm.matrix.cols]),
      [0.25, 0.5, 0.75, 1, 0],
    );
    const rb = fitPrep(table(), spec({ scaler: 'robust', impute: 'constant', imputeValue: 3 }));
    // [1,2,3,4,3]: median 3, q25 2, q75 3 -> IQR 1
    assert.deepEqual(
      Array.from({ length: 5 }, (_, i) => rb.matrix.data[i * rb.matrix.cols]),
      [-2, -1, 0, 1, 0],
    );
  });

  test('one-hot encoding keeps the top levels and puts the rest in other; weights multiply', () => {
    const { params, matrix } = fitPrep(table(), spec({ onehotTop: 1, weights: { c: 2 } }));
    assert.deepEqual(params.outputNames, ['x', 'c=web', `c=${OTHER}`]);
    const rows = Array.from({ length: 5 }, (_, i) => [matrix.data[i * 3 + 1], matrix.data[i * 3 + 2]]);
    assert.deepEqual(rows, [
      [2, 0],
      [0, 2],
      [2, 0],
      [0, 2],
      [0, 2],
    ]);
  });

  test('log1p is chosen for skewed non-negative features and applied the same at scoring time', () => {
    const skewed = Float64Array.from([0, 1, 1, 2, 2, 3, 100, 1000]);
    const t: FeatureTable = {
      ids: Array.from(skewed, (_, i) => String(i)),
      numeric: [{ name: 's', values: skewed }],
      categorical: [],
    };
    assert.ok(skewness(skewed) > 1);
    const { params, matrix } = fitPrep(t, PrepSpec.parse({ log: 'auto', scaler: 'none' }));
    assert.equal((params.steps[0] as { log: boolean }).log, true);
    assert.equal(matrix.data[7], Math.log1p(1000));
    const again = applyPrep(
      params,
      2,
      () => Float64Array.from([1000, Number.NaN]),
      () => undefined,
    );
    assert.equal(again.data[0], Math.log1p(1000));
    assert.equal(again.data[1], Math.log1p(2), 'missing -> the fitted median (2), then log1p');
    const flags = fitPrep(
      {
        ids: ['a', 'b', 'c', 'd', 'e'],
        numeric: [{ name: 'f', values: Float64Array.from([0, 0, 0, 0, 1]) }],
        categorical: [],
      },
      PrepSpec.parse({}),
    );
    assert.equal(
      (flags.params.steps[0] as { log: boolean }).log,
      false,
      'a 0/1 flag is never log-transformed',
    );
  });

  test('quantiles interpolate linearly (numpy default)', () => {
    const s = Float64Array.from([1, 2, 3, 4]);
    assert.equal(quantileSorted(s, 0.25), 1.75);
    assert.equal(quantileSorted(s, 0.5), 2.5);
  });
});

test('PCA of a wide table: subspace iteration gives the Jacobi components and variances', async () => {
  const { pca } = await import('../../src/prep/pca.js');
  const { createRng, randNormal } = await import('../../src/core/rng.js');
  const rng = createRng(11);
  const n = 150;
  const d = 90;
  const X = { rows: n, cols: d, data: new Float64Array(n * d) };
  // Two planted directions with clearly different variances, plus noise.
  for (let i = 0; i < n; i++) {
    const a = 6 * randNormal(rng);
    const b = 3 * randNormal(rng);
    for (let t = 0; t < d; t++)
      X.data[i * d + t] = a * Math.sin(t + 1) + b * Math.cos(2 * t + 1) + 0.3 * randNormal(rng);
  }
  const jacobi = pca(X, 2, 'jacobi');
  const iter = pca(X, 2, 'iteration');
  const auto = pca(X, 2);
  for (let j = 0; j < 2; j++)
    assert.ok(Math.abs(iter.variance[j] - jacobi.variance[j]) / jacobi.variance[j] < 1e-8);
  for (let k = 0; k < 2 * d; k++)
    assert.ok(Math.abs(iter.components[k] - jacobi.components[k]) < 1e-6, `component value ${k}`);
  assert.deepEqual(auto.components, iter.components, 'past 64 columns the iteration is used');
  assert.ok(Math.abs(iter.explained[0] - jacobi.explained[0]) < 1e-8);
});

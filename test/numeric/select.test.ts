import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { methodLimits, selectModel } from '../../src/cluster/select.js';
import { ClusterSpec } from '../../src/config/recipe.js';
import { fromRows } from '../../src/core/matrix.js';
import { adjustedRandIndex } from '../../src/metrics/quality.js';
import { ROOT } from '../helpers.js';
import { blobs, samePartition } from './fixtures.js';

const goldens = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'goldens.json'), 'utf8'));
const spec = (o: Record<string, unknown>) => ClusterSpec.parse({ nInit: 3, ...o });

describe('model selection over k, for every method', () => {
  const X = blobs(
    8,
    60,
    [
      [0, 0],
      [8, 0],
      [0, 8],
      [8, 8],
    ],
    1,
  );
  const truth = Int32Array.from({ length: 240 }, (_, i) => Math.floor(i / 60));

  for (const method of ['kmeans', 'minibatch', 'hierarchical', 'twostep'] as const) {
    test(`${method} finds the four planted groups, by silhouette`, async () => {
      const s = await selectModel(
        X,
        spec({ method, k: { min: 2, max: 6 }, batchSize: 64, microClusters: 30 }),
      );
      assert.equal(s.k, 4, s.reason);
      assert.ok(samePartition(s.fit.labels, truth));
      assert.equal(s.metrics.length, 5);
      assert.equal(s.fit.centers.length, 8);
      if (method === 'hierarchical' || method === 'twostep')
        assert.ok(s.dendrogram && s.dendrogram.merges.length > 0);
    });
  }

  test('every selection rule agrees on clear blobs and says why', async () => {
    for (const select of ['elbow', 'silhouette', 'calinski', 'davies', 'stability'] as const) {
      const s = await selectModel(X, spec({ k: { min: 2, max: 6, select }, stabilityRuns: 3 }));
      assert.equal(s.k, 4, `${select}: ${s.reason}`);
      assert.ok(s.reason.length > 20);
    }
  });

  test('stability is 1 for clear blobs and recorded per k', async () => {
    const s = await selectModel(X, spec({ k: { min: 3, max: 4, select: 'stability' }, stabilityRuns: 3 }));
    const m4 = s.metrics.find((m) => m.k === 4)!;
    assert.equal(m4.stability, 1);
  });

  test('a tiny segment and disagreeing metrics are warned about', async () => {
    const Y = fromRows([...Array.from({ length: 150 }, (_, i) => [i % 10, Math.floor(i / 10)]), [100, 100]]);
    const s = await selectModel(Y, spec({ k: 2 }));
    assert.ok(s.warnings.some((w) => w.code === 'SEGMENT_TINY'));
  });

  test('complete and average linkage refuse very large inputs up front', () => {
    assert.match(
      methodLimits(spec({ method: 'hierarchical', linkage: 'average' }), 50000) ?? '',
      /limited to 12,000 customers/,
    );
    assert.equal(methodLimits(spec({ method: 'hierarchical', linkage: 'ward' }), 50000), null);
    assert.match(
      methodLimits(spec({ method: 'hierarchical', linkage: 'ward' }), 50001) ?? '',
      /limited to 50,000 customers \(here 50,001\); use method: twostep/,
    );
    assert.equal(methodLimits(spec({ method: 'twostep' }), 5_000_000), null);
  });

  test('above selectSample, k is chosen on a seeded sample and the chosen k fitted on every row', async () => {
    const big = blobs(
      3,
      4000,
      [
        [0, 0],
        [9, 0],
        [0, 9],
        [9, 9],
        [4.5, 4.5],
      ],
      1,
    );
    const truthBig = Int32Array.from({ length: 20000 }, (_, i) => Math.floor(i / 4000));
    const sampled = await selectModel(big, spec({ k: { min: 3, max: 7 }, selectSample: 2000 }));
    assert.equal(sampled.selectionSample, 2000);
    assert.equal(sampled.k, 5, sampled.reason);
    assert.equal(sampled.fit.labels.length, 20000, 'the final fit labels every row');
    assert.ok(adjustedRandIndex(sampled.fit.labels, truthBig) > 0.9);
    assert.match(sampled.reason, /chosen on a seeded sample of 2,000 of the 20,000 customers/);
    const whole = await selectModel(big, spec({ k: { min: 3, max: 7 } }));
    assert.equal(whole.selectionSample, null);
    assert.equal(whole.k, 5);
    assert.ok(Math.abs(sampled.fit.inertia - whole.fit.inertia) / whole.fit.inertia < 1e-6, 'same optimum');
    const again = await selectModel(big, spec({ k: { min: 3, max: 7 }, selectSample: 2000 }));
    assert.deepEqual(again.fit.labels, sampled.fit.labels, 'seeded');
  });

  test('adjusted Rand index equals scikit-learn', () => {
    const g = goldens.ari;
    assert.ok(Math.abs(adjustedRandIndex(g.a, g.b) - g.ari) < 1e-12);
    assert.equal(adjustedRandIndex([0, 0, 1, 1], [5, 5, 2, 2]), 1);
  });
});

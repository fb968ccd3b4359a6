import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { clusterMeans, cutTree, LINKAGES, linkage } from '../../src/cluster/hierarchical.js';
import { fromRows, takeRows } from '../../src/core/matrix.js';
import { ROOT } from '../helpers.js';
import { blobs, samePartition } from './fixtures.js';

const goldens = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'goldens.json'), 'utf8'));

function assertLinkageEqual(Z: Float64Array, expected: number[][], label: string) {
  assert.equal(Z.length, expected.length * 4, label);
  expected.forEach((row, r) => {
    assert.equal(Z[r * 4], row[0], `${label} row ${r} a`);
    assert.equal(Z[r * 4 + 1], row[1], `${label} row ${r} b`);
    assert.ok(
      Math.abs(Z[r * 4 + 2] - row[2]) <= 1e-9 * Math.max(1, row[2]),
      `${label} row ${r} distance ${Z[r * 4 + 2]} vs ${row[2]}`,
    );
    assert.equal(Z[r * 4 + 3], row[3], `${label} row ${r} size`);
  });
}

describe('hierarchical clustering', () => {
  for (const method of LINKAGES) {
    test(`${method} linkage matrix equals SciPy's`, () => {
      const g = goldens.linkage.methods[method];
      const X = fromRows(goldens.linkage.X);
      const Z = linkage(X, method);
      assertLinkageEqual(Z, g.Z, method);
      assert.ok(samePartition(cutTree(Z, X.rows, 4), g.k4), 'cut into 4 equals fcluster maxclust');
    });
  }

  test('Ward on iris equals SciPy (150 points, with duplicates jittered)', () => {
    const rows = (goldens.cases.iris_k3.X as number[][]).map((r, i) =>
      r.map((v) => v + i * goldens.linkage_iris_ward.jitter),
    );
    assertLinkageEqual(linkage(fromRows(rows), 'ward'), goldens.linkage_iris_ward.Z, 'iris');
  });

  test('scikit-learn AgglomerativeClustering docstring example', () => {
    const X = fromRows([
      [1, 2],
      [1, 4],
      [1, 0],
      [4, 2],
      [4, 4],
      [4, 0],
    ]);
    assert.deepEqual(Array.from(cutTree(linkage(X, 'ward'), 6, 2)), [0, 0, 0, 1, 1, 1]);
  });

  test('weighted Ward: a point of weight w merges like w identical points', () => {
    const X = fromRows([
      [0, 0],
      [0, 0],
      [0, 0],
      [5, 0],
      [6, 1],
      [20, 3],
    ]);
    const Zfull = linkage(X, 'ward');
    const W = fromRows([
      [0, 0],
      [5, 0],
      [6, 1],
      [20, 3],
    ]);
    const Zw = linkage(W, 'ward', Float64Array.from([3, 1, 1, 1]));
    // Top merges (after the zero-distance ones) have the same heights and sizes.
    const tail = (Z: Float64Array, m: number) =>
      Array.from(Z.slice(Z.length - m * 4)).filter((_, i) => i % 4 >= 2);
    const a = tail(Zfull, 3);
    const b = tail(Zw, 3);
    for (const [i, v] of a.entries()) assert.ok(Math.abs(v - b[i]) < 1e-9, `${v} vs ${b[i]}`);
  });

  test('properties: heights never decrease; cuts nest; labels do not depend on row order (Ward)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e6 }), (seed) => {
        const X = blobs(
          seed,
          15,
          [
            [0, 0],
            [6, 0],
            [0, 6],
          ],
          1,
        );
        const Z = linkage(X, 'ward');
        for (let r = 1; r < X.rows - 1; r++) assert.ok(Z[r * 4 + 2] >= Z[(r - 1) * 4 + 2]);
        assert.equal(Z[(X.rows - 2) * 4 + 3], X.rows);
        const l3 = cutTree(Z, X.rows, 3);
        const l5 = cutTree(Z, X.rows, 5);
        for (let i = 0; i < X.rows; i++)
          for (let j = 0; j < X.rows; j++) if (l5[i] === l5[j]) assert.equal(l3[i], l3[j]);
        const perm = Array.from({ length: X.rows }, (_, i) => X.rows - 1 - i);
        const lp = cutTree(linkage(takeRows(X, perm), 'ward'), X.rows, 3);
        assert.ok(
          samePartition(
            perm.map((i) => l3[i]),
            lp,
          ),
        );
      }),
      { numRuns: 20, seed: 3 },
    );
  });

  test('cluster means', () => {
    const X = fromRows([[0], [2], [10]]);
    assert.deepEqual(Array.from(clusterMeans(X, Int32Array.from([0, 0, 1]), 2)), [1, 10]);
  });
});

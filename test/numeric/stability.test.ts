// Each segment's bootstrap stability against R's fpc::clusterboot (k-means, B = 100, bootmethod
// "boot", runs = 10) on the data sets scripts/gen-clusterboot-golden.R wrote: per segment, the mean
// Jaccard of its best match within 0.05 of R's bootmean. The random draws differ (R's and
// segmint's generators), so the figures agree as two estimates of the same mean do.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { segmentStability, selectModel } from '../../src/cluster/select.js';
import { bootstrapStability, stabilityWords } from '../../src/cluster/stability.js';
import { ClusterSpec } from '../../src/config/recipe.js';
import { fromRows } from '../../src/core/matrix.js';
import { ROOT } from '../helpers.js';

const DIR = join(ROOT, 'test/fixtures/clusterboot');
const golden = JSON.parse(readFileSync(join(DIR, 'golden.json'), 'utf8')) as Record<
  string,
  { k: number; B: number; partition: number[]; bootmean: number[] }
>;

for (const [name, g] of Object.entries(golden))
  test(`segment stability equals fpc::clusterboot within 0.05: ${name}`, async () => {
    const rows = readFileSync(join(DIR, `${name}.csv`), 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',').map(Number));
    const X = fromRows(rows);
    const spec = ClusterSpec.parse({
      method: 'kmeans',
      k: g.k,
      nInit: 10,
      seed: 7,
      bootstrap: { runs: g.B },
    });
    const sel = await selectModel(X, spec);
    const st = await segmentStability(X, sel.fit, spec);
    assert.ok(st);
    assert.equal(st.runs, g.B);
    // Our clusters matched to R's partition by their largest overlap (the same groups either way).
    for (let c = 0; c < g.k; c++) {
      const counts = new Map<number, number>();
      for (let i = 0; i < rows.length; i++)
        if (sel.fit.labels[i] === c) counts.set(g.partition[i], (counts.get(g.partition[i]) ?? 0) + 1);
      const [r, n] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
      const size = sel.fit.labels.filter((l) => l === c).length;
      assert.ok(n / size > 0.95, `${name}: cluster ${c} is R's cluster ${r}`);
      const theirs = g.bootmean[r - 1];
      assert.ok(
        Math.abs(st.jaccard[c] - theirs) <= 0.05,
        `${name}: cluster ${c} stability ${st.jaccard[c].toFixed(3)}, clusterboot ${theirs.toFixed(3)}`,
      );
    }
  });

test('the bootstrap on hand-made labels: a reclustering that always agrees scores 1, one that splits a segment less', async () => {
  const X = fromRows(Array.from({ length: 40 }, (_, i) => [i < 20 ? 0 : 10, i % 2]));
  const labels = Int32Array.from({ length: 40 }, (_, i) => (i < 20 ? 0 : 1));
  const same = await bootstrapStability(
    X,
    labels,
    2,
    async (Xb) => ({
      labels: Int32Array.from({ length: Xb.rows }, (_, i) => (Xb.data[i * 2] < 5 ? 0 : 1)),
      k: 2,
    }),
    20,
    1,
  );
  assert.deepEqual(Array.from(same), [1, 1]);
  // The resample splits segment 1 by its second column: its best match holds about half of it.
  const split = await bootstrapStability(
    X,
    labels,
    2,
    async (Xb) => ({
      labels: Int32Array.from({ length: Xb.rows }, (_, i) =>
        Xb.data[i * 2] < 5 ? 0 : Xb.data[i * 2 + 1] === 0 ? 1 : 2,
      ),
      k: 3,
    }),
    50,
    1,
  );
  assert.equal(split[0], 1);
  assert.ok(split[1] > 0.35 && split[1] < 0.65, `${split[1]}`);
  assert.equal(stabilityWords(0.9), 'highly stable');
  assert.equal(stabilityWords(0.5), 'not a stable group');
  // The words follow the figure as shown (two decimals): 0.849 reads "0.85", highly stable.
  assert.equal(stabilityWords(0.849), 'highly stable');
  assert.equal(stabilityWords(0.8449), 'stable');
  assert.equal(stabilityWords(0.597), 'a pattern, but who belongs to it is doubtful');
});

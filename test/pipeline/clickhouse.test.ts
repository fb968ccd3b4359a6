import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { kmeansPlusPlus, lloyd, meanVariance, predictKMeans } from '../../src/cluster/kmeans.js';
import { PrepSpec } from '../../src/config/recipe.js';
import { createRng, deriveSeed } from '../../src/core/rng.js';
import { clusterInEngine, kmeansInEngine, sampleSql } from '../../src/engine/kmeans.js';
import { fitPrepInEngine } from '../../src/engine/prep.js';
import { type Model, scoreModel } from '../../src/model/model.js';
import { compileScoringSql } from '../../src/model/sql.js';
import { fitPrep, type NumericStep } from '../../src/prep/prepare.js';
import { clickhouseEngine } from '../../src/sql/clickhouse.js';
import { startClickHouse } from '../ch-fixture.js';
import { gridTable } from '../helpers.js';

describe('ClickHouse 18: two shards on loopback', () => {
  test('k-means iterations and compiled scoring over a Distributed table agree with segmint in-process', async (t) => {
    const ch = await startClickHouse(t, 28123 + (process.pid % 500) * 4);
    if (!ch) return;
    try {
      const n = 2000;
      const { ids, numeric: cols } = gridTable(n, 12);
      const prep = fitPrep(
        { ids, numeric: cols, categorical: [] },
        PrepSpec.parse({ scaler: 'none', log: 'none' }),
      );
      // A MergeTree table on each shard, half the rows each, and a Distributed table over both.
      for (const [s, url] of ch.urls.entries()) {
        const node = clickhouseEngine(url);
        await node.exec(
          'CREATE TABLE features_local (customer_id String, spend Float64, orders Float64, visits Float64) ENGINE = MergeTree() ORDER BY customer_id',
        );
        const rows = ids
          .map((id, i) => (i % 2 === s ? `('${id}', ${cols.map((c) => c.values[i]).join(', ')})` : null))
          .filter(Boolean);
        await node.exec(`INSERT INTO features_local VALUES ${rows.join(', ')}`);
        await node.exec(
          'CREATE TABLE features AS features_local ENGINE = Distributed(segmint, default, features_local, rand())',
        );
        await node.close();
      }
      const ch0 = clickhouseEngine(ch.urls[0]);
      t.after(() => ch0.close());
      assert.equal(
        Number((await ch0.all('SELECT count() AS n FROM features'))[0].n),
        n,
        'the Distributed table sees both shards',
      );
      const init = Float64Array.from(prep.matrix.data.subarray(0, 9));
      const local = Float64Array.from(init);
      const ref = lloyd(prep.matrix, local, 3, 300, 0, 'lloyd');
      const r = await kmeansInEngine(ch0, prep.params, 'features', init, 3);
      assert.deepEqual(
        Array.from(r.centers),
        Array.from(local),
        'the same centres, to the bit, on exact data',
      );
      assert.ok(Math.abs(r.inertia / ref.inertia - 1) < 1e-12);
      // Seeding on a sample drawn on the cluster, then Lloyd there: the same as doing it here from that sample.
      const c = await clusterInEngine(ch0, {
        prep: prep.params,
        table: 'features',
        k: 3,
        seed: 5,
        sampleSize: 300,
        outTable: 'segments_out',
      });
      const srows = await ch0.all(sampleSql(prep.params, 'features', 'customer_id', 300, 5, 'clickhouse'));
      const sample = {
        rows: srows.length,
        cols: 3,
        data: Float64Array.from(srows.flatMap((row) => [0, 1, 2].map((j) => Number(row[`p${j}`])))),
      };
      const centres = kmeansPlusPlus(sample, 3, createRng(deriveSeed(5, 0)));
      lloyd(prep.matrix, centres, 3, 300, 1e-4 * meanVariance(sample), 'lloyd');
      assert.deepEqual(Array.from(c.centers), Array.from(centres));
      // The standard scaler fitted on the cluster (stddevPop over both shards) and the robust one
      // (ClickHouse 18's exact order statistics, interpolated here) equal the in-process ones.
      for (const scaler of ['standard', 'robust'] as const) {
        const ref = fitPrep({ ids, numeric: cols, categorical: [] }, PrepSpec.parse({ scaler, log: 'none' }))
          .params.steps as NumericStep[];
        const fitted = await fitPrepInEngine(ch0, 'features', ['spend', 'orders', 'visits'], scaler);
        (fitted.steps as NumericStep[]).forEach((s, j) => {
          assert.ok(Math.abs(s.center - ref[j].center) < 1e-12, `${scaler} ${s.name}`);
          assert.ok(Math.abs(s.scale / ref[j].scale - 1) < 1e-12, `${scaler} ${s.name}`);
        });
      }
      // The final assignment, written as a table on the cluster, tags every customer as predicted here.
      const written = await ch0.all('SELECT customer_id, segment FROM segments_out');
      assert.equal(written.length, n);
      const predicted = predictKMeans({ centers: Array.from(c.centers), k: 3 }, prep.matrix).labels;
      const at = new Map(ids.map((id, i) => [id, predicted[i]]));
      for (const row of written) assert.equal(Number(row.segment), at.get(String(row.customer_id)));
      // Compiled scoring on the cluster tags every customer as the TypeScript scorer does.
      const model = {
        kind: 'segmint.model',
        prep: prep.params,
        features: cols.map((c) => ({ name: c.name, type: 'numeric', feature: 'custom', description: '' })),
        clusterer: {
          method: 'kmeans',
          linkage: null,
          rfm: null,
          k: 3,
          dim: 3,
          centers: Array.from(r.centers),
          inertia: r.inertia,
          nIter: r.nIter,
          nInit: 1,
          seed: 0,
        },
        segments: [1, 2, 3].map((id) => ({
          id,
          name: `S${id}`,
          description: '',
          action: '',
          size: 0,
          shareCustomers: 0,
          shareRevenue: null,
          means: {},
        })),
        rules: [{ segmentId: 1, rule: { any: [{ all: [{ feature: 'spend', op: '>', value: 2.5 }] }] } }],
        refine: null,
        clv: null,
      } as unknown as Model;
      const got = await ch0.all(
        `SELECT customer_id, segment_id, rule_1 FROM (${compileScoringSql(model, 'clickhouse', 'features')}) ORDER BY customer_id`,
      );
      const byName = new Map(cols.map((c) => [c.name, c.values]));
      const mine = scoreModel(model, {
        rows: n,
        numeric: (nm) => byName.get(nm),
        categorical: () => undefined,
      });
      const expected = new Map(ids.map((id, i) => [id, model.segments[mine.label[i]].id]));
      assert.equal(got.length, n);
      for (const g of got) {
        assert.equal(Number(g.segment_id), expected.get(String(g.customer_id)));
        const i = Number(String(g.customer_id).slice(1));
        assert.equal(Number(g.rule_1), cols[0].values[i] > 2.5 ? 1 : 0);
      }
    } finally {
      ch.stop();
    }
  });
});

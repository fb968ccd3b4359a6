import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { kmeansPlusPlus, lloyd, meanVariance } from '../../src/cluster/kmeans.js';
import { PrepSpec } from '../../src/config/recipe.js';
import { createRng, deriveSeed, randNormal } from '../../src/core/rng.js';
import { Duck } from '../../src/data/duck.js';
import { clusterInEngine, kmeansInEngine, type SqlRunner, sampleSql } from '../../src/engine/kmeans.js';
import { fitPrep } from '../../src/prep/prepare.js';
import { startPostgres } from '../pg-fixture.js';

/** Customers on a 1/1024 grid: every sum of features is exact in any order, so the centres must agree to the bit. */
function table(n: number) {
  const rng = createRng(8);
  const ids = Array.from({ length: n }, (_, i) => `c${i}`);
  const cols = ['spend', 'orders', 'visits'].map((name, j) => ({
    name,
    values: Float64Array.from(
      { length: n },
      (_, i) => Math.round(1024 * (3 * (i % 3) + j + randNormal(rng))) / 1024,
    ),
  }));
  return { ids, numeric: cols, categorical: [] };
}

describe('k-means inside the database', () => {
  const t = table(3000);
  // Scaling that keeps the 1/1024 grid (none), so the prepared values stay exact.
  const prep = fitPrep(t, PrepSpec.parse({ scaler: 'none', log: 'none' }));
  const init = Float64Array.from(prep.matrix.data.subarray(0, 9));
  const localCenters = Float64Array.from(init);
  const local = lloyd(prep.matrix, localCenters, 3, 300, 0, 'lloyd');
  const load = async (exec: (sql: string) => Promise<unknown>) => {
    await exec(
      'CREATE TABLE features (customer_id TEXT, spend DOUBLE PRECISION, orders DOUBLE PRECISION, visits DOUBLE PRECISION)',
    );
    const rows = t.ids.map((id, i) => `('${id}', ${t.numeric.map((c) => c.values[i]).join(', ')})`);
    for (let i = 0; i < rows.length; i += 500)
      await exec(`INSERT INTO features VALUES ${rows.slice(i, i + 500).join(', ')}`);
  };

  test('DuckDB: the same centres and inertia as in-process Lloyd from the same start', async () => {
    const duck = await Duck.open();
    try {
      await load((sql) => duck.exec(sql));
      const runner: SqlRunner = { dialect: 'duckdb', all: (sql) => duck.all(sql) };
      const r = await kmeansInEngine(runner, prep.params, 'features', init, 3);
      assert.deepEqual(Array.from(r.centers), Array.from(localCenters));
      assert.ok(Math.abs(r.inertia / local.inertia - 1) < 1e-12, `${r.inertia} vs ${local.inertia}`);
      assert.ok(r.rowsMoved <= 3 * (r.nIter + 1), 'only centroids come back');
    } finally {
      duck.close();
    }
  });

  /** clusterInEngine equals: the engine's sample -> k-means++ here -> Lloyd on all rows here. */
  async function checkCluster(runner: SqlRunner) {
    const r = await clusterInEngine(runner, {
      prep: prep.params,
      table: 'features',
      k: 3,
      seed: 5,
      sampleSize: 400,
    });
    assert.equal(r.sampleRows, 400);
    const again = await runner.all(sampleSql(prep.params, 'features', 'customer_id', 400, 5, runner.dialect));
    const sample = {
      rows: 400,
      cols: 3,
      data: Float64Array.from(again.flatMap((row) => [0, 1, 2].map((t) => Number(row[`p${t}`])))),
    };
    const centres = kmeansPlusPlus(sample, 3, createRng(deriveSeed(5, 0)));
    lloyd(prep.matrix, centres, 3, 300, 1e-4 * meanVariance(sample), 'lloyd');
    assert.deepEqual(Array.from(r.centers), Array.from(centres));
    assert.ok(r.rowsMoved <= 400 + 3 * (r.nIter + 1), 'only the sample and the centroids come back');
  }

  test('DuckDB: k-means++ on a sample drawn in the engine, then Lloyd in the engine', async () => {
    const duck = await Duck.open();
    try {
      await load((sql) => duck.exec(sql));
      await checkCluster({ dialect: 'duckdb', all: (sql) => duck.all(sql) });
    } finally {
      duck.close();
    }
  });

  test('PostgreSQL: the same centres and inertia as in-process Lloyd from the same start', async (tc) => {
    const srv = await startPostgres(tc);
    if (!srv) return;
    const client = new pg.Client({ connectionString: srv.url });
    try {
      await client.connect();
      await load((sql) => client.query(sql));
      const runner: SqlRunner = { dialect: 'postgres', all: async (sql) => (await client.query(sql)).rows };
      const r = await kmeansInEngine(runner, prep.params, 'features', init, 3);
      assert.deepEqual(Array.from(r.centers), Array.from(localCenters));
      assert.ok(Math.abs(r.inertia / local.inertia - 1) < 1e-12, `${r.inertia} vs ${local.inertia}`);
      await checkCluster(runner);
    } finally {
      await client.end().catch(() => {});
      srv.stop();
    }
  });
});

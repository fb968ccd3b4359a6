import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import { kmeansPlusPlus, lloyd, meanVariance, predictKMeans } from '../../src/cluster/kmeans.js';
import { PrepSpec } from '../../src/config/recipe.js';
import type { SegmintError } from '../../src/core/errors.js';
import { createRng, deriveSeed } from '../../src/core/rng.js';
import { clusterInEngine, kmeansInEngine, sampleSql } from '../../src/engine/kmeans.js';
import { fitPrepInEngine } from '../../src/engine/prep.js';
import { fitPrep, type NumericStep, type PrepParams } from '../../src/prep/prepare.js';
import { replaceTableSql } from '../../src/sql/dialect.js';
import { Duck, duckdbEngine } from '../../src/sql/duckdb.js';
import { postgresEngine } from '../../src/sql/postgres.js';
import type { Queryable } from '../../src/sql/query.js';
import { gridTable } from '../helpers.js';
import { startPostgres } from '../pg-fixture.js';

describe('k-means inside the database', () => {
  const t = gridTable(3000, 8);
  // Scaling that keeps the 1/1024 grid (none), so the prepared values stay exact.
  const prep = fitPrep(t, PrepSpec.parse({ scaler: 'none', log: 'none' }));
  const init = Float64Array.from(prep.matrix.data.subarray(0, 9));
  const localCenters = Float64Array.from(init);
  const local = lloyd(prep.matrix, localCenters, 3, 300, 0, 'lloyd');
  // A text column with unequal levels, a tie at the top-2 edge (b and c) and missing values.
  const channel = t.ids.map((_, i) =>
    i % 10 === 9 ? null : ['a', 'a', 'a', 'b', 'b', 'c', 'c', 'd', 'a'][i % 9],
  );
  const load = async (exec: (sql: string) => Promise<unknown>) => {
    await exec(
      'CREATE TABLE features (customer_id TEXT, spend DOUBLE PRECISION, orders DOUBLE PRECISION, visits DOUBLE PRECISION, channel TEXT)',
    );
    const rows = t.ids.map(
      (id, i) =>
        `('${id}', ${t.numeric.map((c) => c.values[i]).join(', ')}, ${channel[i] === null ? 'NULL' : `'${channel[i]}'`})`,
    );
    for (let i = 0; i < rows.length; i += 500)
      await exec(`INSERT INTO features VALUES ${rows.slice(i, i + 500).join(', ')}`);
  };

  test('DuckDB: the same centres and inertia as in-process Lloyd from the same start', async () => {
    const duck = await Duck.open();
    try {
      await load((sql) => duck.exec(sql));
      const runner = duckdbEngine(duck);
      const r = await kmeansInEngine(runner, prep.params, 'features', init, 3);
      assert.deepEqual(Array.from(r.centers), Array.from(localCenters));
      assert.ok(Math.abs(r.inertia / local.inertia - 1) < 1e-12, `${r.inertia} vs ${local.inertia}`);
      assert.ok(r.rowsMoved <= 3 * (r.nIter + 1), 'only centroids come back');
      await checkRobustAndCategorical(runner);
    } finally {
      duck.close();
    }
  });

  /** The standard scaler fitted in the engine equals the in-process one (population sd, as scikit-learn). */
  const std = fitPrep(t, PrepSpec.parse({ scaler: 'standard', log: 'none', impute: 'mean' })).params;
  const stdLog = fitPrep(t, PrepSpec.parse({ scaler: 'standard', log: ['spend'], impute: 'mean' })).params;
  function checkStandard(inEngine: PrepParams, ref0 = std) {
    (inEngine.steps as NumericStep[]).forEach((s, j) => {
      const ref = ref0.steps[j] as NumericStep;
      assert.equal(s.log, ref.log, s.name);
      assert.ok(Math.abs(s.center - ref.center) < 1e-12 && Math.abs(s.scale / ref.scale - 1) < 1e-12, s.name);
    });
  }

  /**
   * The robust scaler (median, IQR) and one-hot levels fitted in the engine equal the in-process
   * ones, and k-means on a one-hot column there equals in-process Lloyd from the same start.
   */
  async function checkRobustAndCategorical(runner: Queryable) {
    const robust = fitPrep(t, PrepSpec.parse({ scaler: 'robust', log: 'none', impute: 'mean' })).params;
    checkStandard(await fitPrepInEngine(runner, 'features', ['spend', 'orders', 'visits'], 'robust'), robust);
    const withChannel = { ...t, categorical: [{ name: 'channel', values: channel }] };
    for (const top of [1, 2, 8]) {
      const local = fitPrep(withChannel, PrepSpec.parse({ scaler: 'none', log: 'none', onehotTop: top }));
      const there = await fitPrepInEngine(runner, 'features', ['spend', 'orders', 'visits'], 'none', [], {
        categorical: ['channel'],
        onehotTop: top,
      });
      assert.deepEqual(there.steps[3], local.params.steps[3], `top ${top}`);
      assert.deepEqual(there.outputNames, local.params.outputNames);
      const dim = local.params.outputNames.length;
      const start = Float64Array.from(local.matrix.data.subarray(0, 3 * dim));
      const mine = Float64Array.from(start);
      lloyd(local.matrix, mine, 3, 300, 0, 'lloyd');
      const r = await kmeansInEngine(runner, there, 'features', start, 3);
      assert.deepEqual(Array.from(r.centers), Array.from(mine), `top ${top}: the same centres`);
    }
  }

  /**
   * clusterInEngine equals: the engine's sample -> k-means++ here -> Lloyd on all rows here; its
   * assignment table tags every customer as in-process; progress is reported per iteration.
   */
  async function checkCluster(runner: Queryable) {
    const progress: number[] = [];
    const r = await clusterInEngine(runner, {
      prep: prep.params,
      table: 'features',
      k: 3,
      seed: 5,
      sampleSize: 400,
      outTable: 'segments_out',
      onProgress: (done) => progress.push(done),
    });
    assert.equal(r.sampleRows, 400);
    assert.deepEqual(
      progress,
      Array.from({ length: r.nIter }, (_, i) => i + 1),
      'one progress report per iteration',
    );
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
    // The assignment written in the engine: every customer, the same segment as predicted here.
    const tags = await runner.all('SELECT customer_id, segment, distance FROM segments_out');
    assert.equal(tags.length, t.ids.length);
    const want = predictKMeans({ centers: Array.from(r.centers), k: 3 }, prep.matrix);
    const index = new Map(t.ids.map((id, i) => [id, i]));
    for (const row of tags) {
      const i = index.get(String(row.customer_id)) as number;
      assert.equal(Number(row.segment), want.labels[i], `segment of ${row.customer_id}`);
      assert.ok(Math.abs(Number(row.distance) - want.distances[i]) < 1e-9);
    }
    // Cancelled after the first iteration: a CANCELLED error, and the last good table is untouched.
    const ctl = new AbortController();
    await assert.rejects(
      clusterInEngine(runner, {
        prep: prep.params,
        table: 'features',
        k: 3,
        seed: 6,
        sampleSize: 400,
        outTable: 'segments_out',
        signal: ctl.signal,
        onProgress: () => ctl.abort(),
      }),
      (e: Error & { code?: string }) => e.code === 'CANCELLED' && /iteration 2/.test(e.message),
    );
    const still = await runner.all('SELECT count(*) AS n FROM segments_out');
    assert.equal(Number(still[0].n), t.ids.length);
  }

  test('DuckDB: k-means++ on a sample drawn in the engine, then Lloyd in the engine', async () => {
    const duck = await Duck.open();
    try {
      await load((sql) => duck.exec(sql));
      await checkCluster(duckdbEngine(duck));
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
      const runner = postgresEngine(client);
      await assert.rejects(runner.all('SELECT no_such_column FROM features'), (e: SegmintError) => {
        assert.equal(e.code, 'DATA_COLUMN_MISSING', 'the cause, not a raw database error');
        assert.match(e.message, /no_such_column/);
        assert.equal((e.details as { sql?: string }).sql, 'SELECT no_such_column FROM features');
        return true;
      });
      assert.equal((await client.query('SHOW jit')).rows[0].jit, 'off', 'JIT is off for these queries');
      const r = await kmeansInEngine(runner, prep.params, 'features', init, 3);
      assert.deepEqual(Array.from(r.centers), Array.from(localCenters));
      assert.ok(Math.abs(r.inertia / local.inertia - 1) < 1e-12, `${r.inertia} vs ${local.inertia}`);
      await checkCluster(runner);
      await checkRobustAndCategorical(runner);
      checkStandard(await fitPrepInEngine(runner, 'features', ['spend', 'orders', 'visits'], 'standard'));
      checkStandard(
        await fitPrepInEngine(runner, 'features', ['spend', 'orders', 'visits'], 'standard', ['spend']),
        stdLog,
      );
    } finally {
      await client.end().catch(() => {});
      srv.stop();
    }
  });

  test('replacing a table is staged then renamed, in each dialect', () => {
    assert.deepEqual(replaceTableSql('mart.tags', 'SELECT 1', 'postgres'), [
      'DROP TABLE IF EXISTS "mart"."tags__segmint_staging"',
      'CREATE TABLE "mart"."tags__segmint_staging" AS SELECT 1',
      'DROP TABLE IF EXISTS "mart"."tags"',
      'ALTER TABLE "mart"."tags__segmint_staging" RENAME TO "tags"',
    ]);
    assert.deepEqual(replaceTableSql('tags', 'SELECT 1', 'clickhouse').slice(1), [
      'CREATE TABLE "tags__segmint_staging" ENGINE = MergeTree ORDER BY tuple() AS SELECT 1',
      'DROP TABLE IF EXISTS "tags"',
      'RENAME TABLE "tags__segmint_staging" TO "tags"',
    ]);
  });

  test('segmint cluster --engine duckdb: the preparation fitted in the engine, k-means there, the assignment written there', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { captureIo, cleanup, tempDir } = await import('../helpers.js');
    const dir = tempDir();
    try {
      const db = join(dir, 'shop.duckdb');
      const duck = await Duck.open(db, undefined, { shared: true });
      await load((sql) => duck.exec(sql));
      checkStandard(
        await fitPrepInEngine(duckdbEngine(duck), 'features', ['spend', 'orders', 'visits'], 'standard'),
      );
      // log1p of max(x, 0) after imputing, then scaled on the transformed values, as in-process.
      checkStandard(
        await fitPrepInEngine(duckdbEngine(duck), 'features', ['spend', 'orders', 'visits'], 'standard', [
          'spend',
        ]),
        stdLog,
      );
      const expected = await clusterInEngine(duckdbEngine(duck), {
        prep: prep.params,
        table: 'features',
        k: 3,
        seed: 5,
        sampleSize: 400,
      });
      duck.close();
      const args = ['cluster', '--engine', 'duckdb', '--database', db, '--table', 'features'];
      const opts = ['--features', 'spend,orders,visits', '--k', '3', '--seed', '5', '--sample-size', '400'];
      const runs = [];
      for (let i = 0; i < 2; i++) {
        const c = captureIo();
        const out = join(dir, `result${i}.json`);
        const code = await main(
          [...args, ...opts, '--scaler', 'none', '--out-table', 'seg', '--out', out, '--json'],
          c.io,
        );
        assert.equal(code, 0, c.stdout() + c.stderr());
        runs.push(readFileSync(out, 'utf8'));
        const r = JSON.parse(c.stdout());
        assert.deepEqual(r.centers, Array.from(expected.centers));
        assert.deepEqual(
          r.segments.map((x: { size: number }) => x.size),
          Array.from(expected.counts),
        );
      }
      assert.equal(runs[0], runs[1], 'the same input and seed give a byte-identical result');
      const check = await Duck.open(db, undefined, { shared: true });
      const sizes = await check.all(
        'SELECT segment, count(*) AS n FROM seg GROUP BY segment ORDER BY segment',
      );
      check.close();
      assert.deepEqual(
        sizes.map((x) => Number(x.n)),
        Array.from(expected.counts),
      );
      // --categorical one-hot encodes a text column there (levels as in-process), --scaler robust
      // scales by median and IQR; the centres come back per level as the segment's share.
      const cat = captureIo();
      const catArgs = [
        ...args,
        ...opts,
        '--categorical',
        'channel',
        '--onehot-top',
        '2',
        '--scaler',
        'robust',
      ];
      assert.equal(await main([...catArgs, '--json'], cat.io), 0, cat.stdout() + cat.stderr());
      const withCat = JSON.parse(cat.stdout());
      assert.deepEqual(withCat.prep.outputNames, [
        'spend',
        'orders',
        'visits',
        'channel=a',
        'channel=b',
        'channel=(other)',
      ]);
      assert.equal(withCat.prep.scaler, 'robust');
      for (const seg of withCat.segments) {
        const shares = ['a', 'b', '(other)'].map((l) => seg.centre[`channel=${l}`]);
        assert.ok(
          Math.abs(shares.reduce((x: number, y: number) => x + y, 0) - 1) < 1e-9,
          'level shares add up to 1',
        );
      }
      assert.equal(
        withCat.segments.reduce((x: number, g: { size: number }) => x + g.size, 0),
        3000,
      );
      // --k 2..4 chooses k in the engine: each candidate is the k-means above for its k (one sample
      // drawn once), the best silhouette on the sample wins, and the chosen k's assignment is written.
      const sel = captureIo();
      const selArgs = [...args, ...opts.slice(0, 2), '--k', '2..4', '--seed', '5', '--sample-size', '400'];
      assert.equal(await main([...selArgs, '--scaler', 'none', '--out-table', 'seg2', '--json'], sel.io), 0);
      const chosen = JSON.parse(sel.stdout());
      assert.deepEqual(
        chosen.selection.candidates.map((c: { k: number }) => c.k),
        [2, 3, 4],
      );
      assert.equal(chosen.selection.candidates[1].inertia, expected.inertia, 'k = 3 is the run above');
      const bestSil = Math.max(
        ...chosen.selection.candidates.map((c: { silhouette: number }) => c.silhouette),
      );
      assert.equal(
        chosen.k,
        chosen.selection.candidates.find((c: { silhouette: number }) => c.silhouette === bestSil).k,
      );
      assert.equal(chosen.k, 3, 'three blobs');
      const check2 = await Duck.open(db, undefined, { shared: true });
      const n2 = await check2.all('SELECT count(DISTINCT segment) AS k, count(*) AS n FROM seg2');
      check2.close();
      assert.deepEqual([Number(n2[0].k), Number(n2[0].n)], [3, t.ids.length]);
      const text = captureIo();
      assert.equal(await main([...args, ...opts, '--log', 'spend'], text.io), 0);
      assert.match(text.stdout(), /came back \(sample 400 \+ centroids\)/);
      assert.match(text.stderr(), /Lloyd iteration 1/);
      const badLog = captureIo();
      assert.equal(await main([...args, ...opts, '--log', 'tenure', '--json'], badLog.io), 2);
      assert.match(JSON.parse(badLog.stdout()).error.message, /tenure is to be log-transformed/);
      const bad = captureIo();
      assert.equal(await main([...args, '--features', 'spend', '--k', '0', '--json'], bad.io), 2);
      assert.equal(JSON.parse(bad.stdout()).error.code, 'USAGE');
    } finally {
      cleanup(dir);
    }
  });

  test('the preparation fitted in the engine imputes first, then logs, then scales, as in-process', async () => {
    // Every fifth value missing: the scaler must see the imputed values (n rows), not only the observed.
    const holed = {
      ids: t.ids.slice(0, 500),
      numeric: t.numeric.map((c) => ({
        name: c.name,
        values: Float64Array.from(c.values.subarray(0, 500), (v, i) => (i % 5 === 1 ? Number.NaN : v)),
      })),
      categorical: [],
    };
    const duck = await Duck.open();
    try {
      await duck.exec('CREATE TABLE holed (customer_id VARCHAR, spend DOUBLE, orders DOUBLE, visits DOUBLE)');
      const rows = holed.ids.map(
        (id, i) =>
          `('${id}', ${holed.numeric.map((c) => (Number.isNaN(c.values[i]) ? 'NULL' : c.values[i])).join(', ')})`,
      );
      await duck.exec(`INSERT INTO holed VALUES ${rows.join(', ')}`);
      for (const scaler of ['standard', 'minmax', 'robust'] as const) {
        const ref = fitPrep(holed, PrepSpec.parse({ scaler, log: ['spend'], impute: 'mean' })).params;
        const got = await fitPrepInEngine(
          duckdbEngine(duck),
          'holed',
          ['spend', 'orders', 'visits'],
          scaler,
          ['spend'],
        );
        (got.steps as NumericStep[]).forEach((s, j) => {
          const r = ref.steps[j] as NumericStep;
          assert.equal(s.log, r.log);
          for (const key of ['impute', 'center', 'scale'] as const)
            assert.ok(
              Math.abs(s[key] - r[key]) <= 1e-12 * Math.max(1, Math.abs(r[key])),
              `${scaler} ${s.name} ${key}`,
            );
        });
      }
    } finally {
      duck.close();
    }
  });
});

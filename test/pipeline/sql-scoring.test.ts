import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { loadRecipe } from '../../src/config/load.js';
import { generateDemoShop } from '../../src/demo/generate.js';
import { type Model, parseModel, ruleVerdicts } from '../../src/model/model.js';
import { compileScoringSql } from '../../src/model/sql.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { DIALECTS, type Dialect } from '../../src/sql/dialect.js';
import { Duck, qs } from '../../src/sql/duckdb.js';
import { connectPostgres } from '../../src/sql/postgres.js';
import { writeQueryToEngine } from '../../src/sql/tables.js';
import { cleanup, ROOT, tempDir } from '../helpers.js';
import { startPostgres } from '../pg-fixture.js';

describe('scoring compiled to SQL', () => {
  let dir: string;
  let model: Model;
  let tagsFile: string;
  before(async () => {
    dir = tempDir();
    const shop = generateDemoShop({ dir, customers: 500, seed: 31 });
    // A categorical feature too, so the one-hot encoding is compiled.
    const recipe = readFileSync(shop.recipe, 'utf8').replace(
      '  - coupon_burn_rate\n',
      '  - coupon_burn_rate\n  - { feature: attribute, column: channel }\n',
    );
    writeFileSync(shop.recipe, recipe);
    const run = await runRecipe(loadRecipe(shop.recipe, ['cluster.k=4', 'cluster.nInit=2']));
    model = parseModel(JSON.parse(readFileSync(run.files['model.json'], 'utf8')));
    tagsFile = run.files['tags.parquet'];
    assert.ok(model.prep.steps.some((s) => s.type === 'categorical'));
  });
  after(() => cleanup(dir));

  test('in DuckDB it tags every customer exactly as the TypeScript scorer', async () => {
    const duck = await Duck.open();
    try {
      await duck.exec(
        `CREATE TABLE customer_features AS SELECT * EXCLUDE (segment_id, segment_name, segment_action, distance) FROM read_parquet(${qs(tagsFile)})`,
      );
      const expected = await duck.all(`SELECT * FROM read_parquet(${qs(tagsFile)}) ORDER BY customer_id`);
      const got = await duck.all(
        `SELECT * FROM (${compileScoringSql(model, 'duckdb', 'customer_features')}) ORDER BY customer_id`,
      );
      assert.equal(got.length, expected.length);
      got.forEach((g, i) => {
        const e = expected[i];
        assert.equal(g.segment_id, e.segment_id, `customer ${e.customer_id}`);
        assert.equal(g.segment_name, e.segment_name);
        assert.ok(Math.abs(Number(g.distance) - Number(e.distance)) < 1e-9);
        const verdicts = ruleVerdicts(model, (f) =>
          e[f] === null || e[f] === undefined ? Number.NaN : Number(e[f]),
        );
        for (const r of model.rules)
          assert.equal(Number(g[`rule_${r.segmentId}`]), verdicts[String(r.segmentId)] ? 1 : 0);
      });
    } finally {
      duck.close();
    }
  });

  test('in PostgreSQL it tags every customer exactly as the TypeScript scorer', async (t) => {
    const srv = await startPostgres(t);
    if (!srv) return;
    try {
      const duck = await Duck.open();
      let expected: Record<string, unknown>[];
      try {
        const target = await connectPostgres(srv.url);
        await writeQueryToEngine(
          duck,
          `SELECT * EXCLUDE (segment_id, segment_name, segment_action, distance) FROM read_parquet(${qs(tagsFile)})`,
          target,
          'customer_features',
          'test',
        ).finally(() => target.close());
        expected = await duck.all(
          `SELECT customer_id, segment_id FROM read_parquet(${qs(tagsFile)}) ORDER BY customer_id`,
        );
      } finally {
        duck.close();
      }
      const c = new pg.Client({ connectionString: srv.url });
      await c.connect();
      try {
        const got = (
          await c.query(
            `SELECT customer_id, segment_id FROM (${compileScoringSql(model, 'postgres', 'customer_features')}) s ORDER BY customer_id COLLATE "C"`,
          )
        ).rows;
        assert.deepEqual(
          got.map((r) => [String(r.customer_id), Number(r.segment_id)]),
          expected.map((r) => [String(r.customer_id), Number(r.segment_id)]),
        );
      } finally {
        await c.end();
      }
    } finally {
      srv.stop();
    }
  });

  test('segmint score --engine duckdb writes the tags table inside the database; --sql prints the query', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { captureIo } = await import('../helpers.js');
    const db = join(dir, 'shop.duckdb');
    const duck = await Duck.open(db, undefined, { shared: true });
    await duck.exec(
      `CREATE TABLE customer_features AS SELECT * EXCLUDE (segment_id, segment_name, segment_action, distance) FROM read_parquet(${qs(tagsFile)})`,
    );
    duck.close();
    const modelFile = join(dir, 'model-copy.json');
    writeFileSync(modelFile, JSON.stringify(model));
    const c = captureIo();
    assert.equal(
      await main(
        [
          'score',
          '--model',
          modelFile,
          '--engine',
          'duckdb',
          '--database',
          db,
          '--table',
          'customer_features',
          '--out-table',
          'tags',
          '--json',
        ],
        c.io,
      ),
      0,
      c.stdout(),
    );
    const scored = await Duck.open();
    const expected = Number((await scored.one(`SELECT count(*) AS n FROM read_parquet(${qs(tagsFile)})`)).n);
    scored.close();
    assert.ok(expected > 0);
    assert.equal(JSON.parse(c.stdout()).rows, expected, 'every customer of the features table is tagged');
    const check = await Duck.open(db, undefined, { shared: true });
    try {
      const diff = await check.one(
        `SELECT count(*) AS n FROM tags t JOIN read_parquet(${qs(tagsFile)}) r USING (customer_id) WHERE t.segment_id <> r.segment_id`,
      );
      assert.equal(Number(diff.n), 0);
    } finally {
      check.close();
    }
    const p = captureIo();
    assert.equal(
      await main(['score', '--model', modelFile, '--sql', 'spark', '--table', 'db.features'], p.io),
      0,
    );
    assert.match(p.stdout(), /FROM `db`\.`features`/);
    const bad = captureIo();
    assert.equal(await main(['score', '--model', modelFile, '--sql', 'oracle', '--table', 't'], bad.io), 2);
  });

  test('golden SQL for every dialect (Spark and BigQuery are render-only)', () => {
    const small = {
      ...model,
      features: [
        { name: 'monetary', type: 'numeric', feature: 'monetary', description: '' },
        { name: 'channel', type: 'categorical', feature: 'attribute', description: '' },
      ],
      prep: {
        scaler: 'standard',
        outputNames: ['monetary', 'channel=web', 'channel=(other)'],
        dropped: [],
        steps: [
          {
            name: 'monetary',
            type: 'numeric',
            impute: 120.5,
            imputeMethod: 'median',
            log: true,
            center: 4.2,
            scale: 1.5,
            weight: 1,
          },
          { name: 'channel', type: 'categorical', levels: ['web'], other: true, weight: 1 },
        ],
      },
      clusterer: {
        ...model.clusterer,
        method: 'kmeans',
        k: 3,
        dim: 3,
        centers: [1, 0.5, 0.5, -1, 1, 0, 0, 0, 1],
        rfm: null,
      },
      segments: [1, 2, 3].map((id) => ({ ...model.segments[0], id, name: `S${id}` })),
      rules: [{ segmentId: 1, rule: { any: [{ all: [{ feature: 'monetary', op: '>', value: 361.26 }] }] } }],
    } as Model;
    for (const dialect of Object.keys(DIALECTS) as Dialect[]) {
      const sql = `${compileScoringSql(small, dialect, 'shop.customer_features')}\n`;
      const file = join(ROOT, 'test', 'fixtures', 'sql', `score.${dialect}.sql`);
      if (process.env.UPDATE_SNAPSHOTS || !existsSync(file)) writeFileSync(file, sql);
      assert.equal(
        sql,
        readFileSync(file, 'utf8'),
        `${dialect}: run with UPDATE_SNAPSHOTS=1 after an intended change`,
      );
    }
    const spark = compileScoringSql(small, 'spark', 't');
    assert.match(spark, /`monetary`/);
    assert.doesNotMatch(spark, /"/, 'Spark quotes with backticks');
    assert.match(
      compileScoringSql(small, 'clickhouse', 't'),
      /least\(d0, least\(d1, d2\)\)/,
      'ClickHouse 18 takes two arguments to least',
    );
    assert.match(compileScoringSql(small, 'postgres', 't'), /OFFSET 0/, 'PostgreSQL subqueries are fenced');
    assert.match(
      compileScoringSql(small, 'bigquery', 't'),
      /CAST\(3\.6126e\+2 AS FLOAT64\)/,
      'explicit double literals',
    );
  });
});

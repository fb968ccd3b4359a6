import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { measureCampaign } from '../../src/campaign/measure.js';
import { planCampaign } from '../../src/campaign/plan.js';
import { recipeFromObject } from '../../src/config/load.js';
import { addDays } from '../../src/core/dates.js';
import { SegmintError } from '../../src/core/errors.js';
import { redactUrl } from '../../src/core/redact.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { pgConnect } from '../../src/sql/postgres.js';
import { FILES, TX_SOURCE } from '../features/shop-fixture.js';
import { cleanup, featuresOf, listDir, tempDir, writeFiles } from '../helpers.js';
import { startPostgres } from '../pg-fixture.js';

describe('PostgreSQL in and out, for real', () => {
  const cleanups: (() => void)[] = [];
  after(() => {
    for (const c of cleanups.reverse()) c();
  });

  test('transactions read from a PostgreSQL table give the same features as the CSV; tags are written back atomically', async (t) => {
    const srv = await startPostgres(t);
    if (!srv) return;
    cleanups.push(srv.stop);
    const dir = tempDir();
    cleanups.push(() => cleanup(dir));
    writeFiles(dir, FILES);
    // Load the hand-made shop into PostgreSQL.
    const client = new pg.Client({ connectionString: srv.url });
    await client.connect();
    try {
      await client.query(
        `CREATE TABLE orders ("Invoice" text, "StockCode" text, "Description" text, "Quantity" integer, "InvoiceDate" timestamp, "Price" numeric, "Customer ID" text, "Country" text, "Category" text)`,
      );
      const lines = FILES['tx.csv'].trim().split('\n').slice(1);
      for (const line of lines) {
        const v = line.split(',');
        await client.query(
          'INSERT INTO orders VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
          v.map((x) => (x === '' ? null : x)),
        );
      }
    } finally {
      await client.end();
    }
    const fromCsv = await featuresOf(
      { sources: { tx: TX_SOURCE }, features: ['recency_days', 'frequency', 'monetary', 'tenure_days'] },
      dir,
    );
    const pgSource = {
      kind: 'transactions',
      postgres: { url: srv.url, table: 'orders' },
      roles: TX_SOURCE.roles,
    };
    const fromPg = await featuresOf(
      { sources: { tx: pgSource }, features: ['recency_days', 'frequency', 'monetary', 'tenure_days'] },
      dir,
    );
    assert.deepEqual(fromPg.byId, fromCsv.byId);
    assert.deepEqual(
      fromPg.data.ledger.map((e) => [e.rule, e.removed]),
      fromCsv.data.ledger.map((e) => [e.rule, e.removed]),
    );

    // Tags out: the table is created, holds every customer with the run id, and is replaced on the next run.
    const recipe = {
      sources: { tx: pgSource },
      features: ['recency_days', 'frequency', 'monetary'],
      cluster: { k: 2, nInit: 1 },
      output: { dir: 'out', postgres: { url: srv.url, table: 'segment_tags' } },
    };
    const first = await runRecipe(recipeFromObject(recipe, dir));
    const read = async (sql: string) => {
      const c = new pg.Client({ connectionString: srv.url });
      await c.connect();
      try {
        return (await c.query(sql)).rows;
      } finally {
        await c.end();
      }
    };
    for (const f of ['model.json', 'run.json'])
      assert.doesNotMatch(readFileSync(first.files[f], 'utf8'), /secret-pw/, `${f} holds no password`);
    const rows = await read('SELECT customer_id, segment_id, run_id FROM segment_tags ORDER BY customer_id');
    assert.equal(rows.length, first.customers);
    assert.ok(rows.every((r) => r.run_id === first.runId && [1, 2].includes(Number(r.segment_id))));
    // A campaign's members go to the same database (the run's sink), and it is measured on the
    // PostgreSQL source.
    const loaded = recipeFromObject(recipe, dir);
    const ref = JSON.parse(readFileSync(first.files['run.json'], 'utf8')).data.referenceDate;
    const plan = await planCampaign({
      outDir: first.outDir,
      name: 'pg',
      segments: [1, 2],
      holdout: 0.5,
      start: addDays(ref, -60),
      days: 60,
      loaded,
      table: 'campaign_members',
    });
    assert.equal(plan.files.table, 'postgres:campaign_members');
    const members = await read('SELECT arm, count(*) AS n FROM campaign_members GROUP BY arm ORDER BY arm');
    assert.deepEqual(
      members.map((r) => [r.arm, Number(r.n)]),
      [
        ['control', plan.totals.control],
        ['treatment', plan.totals.treatment],
      ],
    );
    const measured = await measureCampaign({ outDir: first.outDir, name: 'pg', loaded });
    assert.ok(measured.window.lastOrder, 'orders of the period are read from PostgreSQL');
    assert.ok(measured.segments.some((x) => x.arms.treatment.orders + x.arms.control.orders > 0));
    // A write that fails half-way (a view depends on the table, so it cannot be dropped) fails the
    // run, leaves the previous table and the previous outputs untouched.
    await read('CREATE VIEW tag_view AS SELECT * FROM segment_tags');
    const err = await runRecipe(recipeFromObject(recipe, dir)).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(err instanceof SegmintError && err.code === 'DB_ERROR', String(err));
    assert.match((err as SegmintError).message, /previous table is unchanged/);
    assert.doesNotMatch((err as SegmintError).message, /secret-pw/, 'no password in messages');
    const after = await read('SELECT DISTINCT run_id FROM segment_tags');
    assert.deepEqual(after, [{ run_id: first.runId }]);
    assert.deepEqual(listDir(`${dir}/out/runs`), [first.runId]);
    assert.equal(redactUrl(srv.url).includes('secret-pw'), false);
  });
});

describe('PostgreSQL connection strings', () => {
  test('a libpq keyword string connects (it was read as a URL to a host named base); a refused password with spaces is never shown', async (t) => {
    const srv = await startPostgres(t);
    if (!srv) return;
    try {
      const u = new URL(srv.url);
      const keywords = `host=${u.hostname} port=${u.port} dbname=${u.pathname.slice(1)} user='${decodeURIComponent(u.username)}'${u.password ? ` password='${decodeURIComponent(u.password)}'` : ''}`;
      const client = await pgConnect(keywords, 'engine.url');
      try {
        assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
      } finally {
        await client.end();
      }
      // A closed port and a password with a space: the error names the place, not the password.
      const bad = `postgres://shop:Pa ss@127.0.0.1:1/shop`;
      await assert.rejects(pgConnect(bad, 'engine.url'), (e: Error) => {
        assert.ok(!e.message.includes('Pa ss') && !e.message.includes(' ss@'), e.message);
        assert.match(e.message, /postgres:\/\/shop:\*\*\*@127\.0\.0\.1:1\/shop/);
        return true;
      });
    } finally {
      srv.stop();
    }
  });
});

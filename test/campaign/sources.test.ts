import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { measureCampaign } from '../../src/campaign/measure.js';
import { planCampaign } from '../../src/campaign/plan.js';
import { loadRecipe } from '../../src/config/load.js';
import type { SegmintError } from '../../src/core/errors.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { Duck, qs, sharedFilesOpen } from '../../src/sql/duckdb.js';
import { cleanup, readCsv, tempDir } from '../helpers.js';
import { COUPONS_SOURCE, START, writeCoupons, writePost, writeShop } from './shop.js';

const treatedOf = (dir: string, out: string, name: string) =>
  new Set(
    readCsv(join(dir, out, 'campaigns', name, 'members.csv'))
      .filter((m) => m.arm === 'treatment')
      .map((m) => m.customer_id),
  );

describe('campaigns read through every kind of source', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => cleanup(dir));

  test('coupons: the burn rate per arm and its lift, by a seeded bootstrap', async () => {
    const recipe = writeShop(dir);
    writeFileSync(recipe, readFileSync(recipe, 'utf8').replace('window:', `${COUPONS_SOURCE}window:`));
    writeCoupons(dir, 'pre', 1, new Set(), 'F');
    const run = await runRecipe(loadRecipe(recipe));
    const loaded = loadRecipe(recipe);
    const plan = await planCampaign({
      outDir: run.outDir,
      name: 'coupons',
      segments: [1, 2],
      holdout: 0.3,
      start: START,
      loaded,
    });
    const treated = treatedOf(dir, 'out', 'coupons');
    writePost(dir, 1, treated, 'F', 1);
    writeCoupons(dir, 'post', 1, treated, 'F', { baseRate: 0.3, treatedRate: 0.5 });
    const m = await measureCampaign({ outDir: run.outDir, name: 'coupons', loaded });
    assert.equal(m.coupons, true);
    assert.match(m.methods.burnRate, /bootstrap.*seed/);
    const tags = readCsv(run.files['tags.csv']);
    const fSegment = (id: number) =>
      tags.filter((t) => Number(t.segment_id) === id && t.customer_id.startsWith('F')).length >
      tags.filter((t) => Number(t.segment_id) === id).length / 2;
    for (const s of m.segments) {
      const b = s.lift.burnRate!;
      assert.ok(s.arms.treatment.couponsClaimed! > 0 && s.arms.control.burnRate !== null);
      if (fSegment(s.id)) assert.ok((b.lower as number) > 0.05, `segment ${s.id}: ${JSON.stringify(b)}`);
      else
        assert.ok(
          (b.lower as number) < 0 && (b.upper as number) > 0,
          `segment ${s.id}: ${JSON.stringify(b)}`,
        );
    }
    // Seeded: measuring again gives the same numbers.
    const again = await measureCampaign({ outDir: run.outDir, name: 'coupons', loaded });
    assert.deepEqual(again.segments, m.segments);
    assert.equal(plan.segments.length, 2);
  });

  test("a recipe inside a database: members written to a table there, outcomes read there, the run's features table untouched", async () => {
    const sub = join(dir, 'db');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    writeShop(sub);
    const file = join(sub, 'shop.duckdb');
    const db = await Duck.open(file, undefined, { shared: true });
    try {
      await db.exec(`CREATE TABLE orders AS SELECT * FROM read_csv(${qs(join(sub, 'orders-pre.csv'))})`);
    } finally {
      db.close();
    }
    const recipe = join(sub, 'engine.yaml');
    writeFileSync(
      recipe,
      readFileSync(join(sub, 'segmint.yaml'), 'utf8')
        .replace('path: orders-*.csv', 'table: orders')
        .replace('sources:', 'engine: { type: duckdb, database: shop.duckdb }\nsources:'),
    );
    const run = await runRecipe(loadRecipe(recipe));
    // A finished run leaves the file to other processes (a server between runs holds no lock).
    assert.equal(sharedFilesOpen(), 0);
    const loaded = loadRecipe(recipe);
    const plan = await planCampaign({
      outDir: run.outDir,
      name: 'indb',
      segments: [1, 2],
      holdout: 0.2,
      start: START,
      loaded,
      table: 'campaign_members',
    });
    assert.equal(plan.files.table, 'duckdb:campaign_members');
    // New orders arrive in the database's table (through the process's one instance of the file:
    // a second instance would not see the engine's writes, nor it ours).
    writePost(sub, 2, treatedOf(sub, 'out', 'indb'), 'F', 1.5);
    const d = await Duck.open(file, undefined, { shared: true });
    try {
      await d.exec(`INSERT INTO orders SELECT * FROM read_csv(${qs(join(sub, 'orders-post.csv'))})`);
    } finally {
      d.close();
    }
    const m = await measureCampaign({ outDir: run.outDir, name: 'indb', loaded });
    assert.ok(m.window.lastOrder && m.window.lastOrder >= '2026-04-20', JSON.stringify(m.warnings));
    assert.equal(
      m.segments.reduce((a, s) => a + s.arms.treatment.customers + s.arms.control.customers, 0),
      plan.totals.customers,
    );
    const check = await Duck.open(file, undefined, { shared: true });
    try {
      const members = await check.one(
        'SELECT count(*) AS n, count(DISTINCT arm) AS arms FROM campaign_members',
      );
      assert.deepEqual([Number(members.n), Number(members.arms)], [plan.totals.customers, 2]);
      const feats = await check.one('SELECT count(*) AS n FROM segmint_features');
      assert.equal(Number(feats.n), run.customers, "the run's features table is the run's");
    } finally {
      check.close();
    }
  });

  test('a customer table without orders: the plan is made and says it cannot be measured; measuring says why', async () => {
    const sub = join(dir, 'people');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(sub);
    const rows = Array.from(
      { length: 300 },
      (_, i) => `p${i},${i % 2 ? 500 + (i % 7) : 20 + (i % 5)},${i % 2 ? 9 : 1}`,
    );
    writeFileSync(join(sub, 'people.csv'), `id,spend,visits\n${rows.join('\n')}\n`);
    const recipe = join(sub, 'segmint.yaml');
    writeFileSync(
      recipe,
      'sources:\n  people: { kind: customers, path: people.csv, roles: { customer: id } }\nfeatures: [{ feature: attributes }]\ncluster: { k: 2 }\noutput: { dir: out, report: false }\n',
    );
    const run = await runRecipe(loadRecipe(recipe));
    const loaded = loadRecipe(recipe);
    const plan = await planCampaign({ outDir: run.outDir, name: 'crm', segments: [1], holdout: 0.1, loaded });
    assert.equal(plan.segments[0].control, Math.round(0.1 * plan.segments[0].customers));
    assert.equal(plan.segments[0].mde.revenue.absolute, null);
    assert.match(plan.warnings.map((w) => w.message).join(' '), /no transactions source/);
    await assert.rejects(measureCampaign({ outDir: run.outDir, name: 'crm', loaded }), (e: SegmintError) => {
      assert.equal(e.code, 'RECIPE_INVALID');
      assert.match(e.message, /no source of kind transactions/);
      return true;
    });
  });
});

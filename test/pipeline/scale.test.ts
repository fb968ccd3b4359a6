// The whole pipeline at the size of a shop that needs it, small enough for CI: a few hundred
// thousand customers with a few order lines each (test/scale-shop.ts writes them with DuckDB), run
// end to end with init's kind of recipe and the HTML report. What broke at this size before: a
// spread of a segment's rows into push() overflowed the stack; model selection cost 6 full fits.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { recipeFromObject } from '../../src/config/load.js';
import { generateDemoShop } from '../../src/demo/generate.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { Duck } from '../../src/sql/duckdb.js';
import { cleanup, tempDir } from '../helpers.js';
import { ONLINE_RETAIL_ROLES, writeScaleShop } from '../scale-shop.js';

describe('the pipeline at a few hundred thousand customers', () => {
  let dir: string;
  let shop: { lines: number; customers: number };
  before(async () => {
    dir = tempDir();
    shop = await writeScaleShop(join(dir, 'lines.csv'), { customers: 300_000, linesPerCustomer: 3, seed: 5 });
  });
  after(() => cleanup(dir));

  test('runs end to end with the report; k chosen and rules learnt on samples that run.json records', async () => {
    const loaded = recipeFromObject(
      {
        version: 1,
        name: 'scale',
        sources: {
          lines: {
            kind: 'transactions',
            path: 'lines.csv',
            roles: ONLINE_RETAIL_ROLES,
          },
        },
        features: [
          'recency_days',
          'frequency',
          'monetary',
          'avg_order_value',
          'unique_products',
          'tenure_days',
          'return_rate',
        ],
        cluster: { k: { min: 3, max: 6 }, nInit: 3, selectSample: 50_000 },
        explain: { sample: 60_000 },
        output: { dir: 'out', formats: ['csv', 'parquet'] },
      },
      dir,
    );
    const s = await runRecipe(loaded);
    assert.ok(shop.lines > 700_000, `${shop.lines} lines`);
    assert.ok(s.customers > 250_000 && s.customers <= shop.customers, `${s.customers} customers`);
    const run = JSON.parse(readFileSync(join(s.runDir, 'run.json'), 'utf8'));
    assert.equal(run.cluster.selectionSample, 50_000);
    assert.match(run.cluster.reason, /chosen on a seeded sample of 50,000 of the [\d,]+ customers/);
    assert.ok(Math.abs(run.explain.sample - 60_000) <= 10, `rules learnt on ${run.explain.sample}`);
    assert.equal(
      s.segments.reduce((a, p) => a + p.size, 0),
      s.customers,
      'every customer in one segment',
    );
    // Every customer tagged once, in both formats.
    const duck = await Duck.open();
    try {
      for (const f of ['tags.csv', 'tags.parquet']) {
        const [r] = await duck.all(
          `SELECT count(*) AS n, count(DISTINCT customer_id) AS d FROM '${join(s.runDir, f).replace(/'/g, "''")}'`,
        );
        assert.equal(Number(r.n), s.customers, f);
        assert.equal(Number(r.d), s.customers, f);
      }
    } finally {
      duck.close();
    }
    // Rule fidelity is measured on every customer, not the sample.
    for (const r of run.explain.rules) {
      const [[tn, fp], [fn, tp]] = r.fidelity.confusion;
      assert.equal(tn + fp + fn + tp, s.customers);
    }
    // The report summarises; it does not grow with the customers.
    const report = statSync(join(s.runDir, 'report.html')).size;
    assert.ok(report < 4_000_000, `report.html is ${report} bytes`);
    // Memory: the whole run in this process stays within the bar's 4 GB peak.
    const peak = process.resourceUsage().maxRSS * 1024;
    assert.ok(peak < 4 * 1024 ** 3, `peak RSS ${(peak / 1024 ** 3).toFixed(2)} GB`);
  });
});

describe('the demo shop streams its files', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
  });
  after(() => cleanup(dir));

  test('orders spilled to day files give the same bytes as orders held in memory, in time order', () => {
    const held = generateDemoShop({ dir: join(dir, 'held'), customers: 1500, seed: 4 });
    const progress: string[] = [];
    const spilled = generateDemoShop({
      dir: join(dir, 'spilled'),
      customers: 1500,
      seed: 4,
      spillBytes: 4096,
      onProgress: (phase, done, total) => progress.push(`${phase} ${done}/${total}`),
    });
    assert.equal(spilled.lines, held.lines);
    for (const f of ['transactions', 'events', 'customers', 'coupons'] as const)
      assert.ok(readFileSync(held[f]).equals(readFileSync(spilled[f])), f);
    assert.ok(progress.includes('customers 1500/1500') && progress.at(-1)?.startsWith('orders'));
    // Time order and ascending invoices, as in Online Retail II.
    const rows = readFileSync(held.transactions, 'utf8').trim().split('\n').slice(1);
    let last = '';
    let lastInvoice = 0;
    for (const r of rows) {
      const f = r.split(',');
      const invoice = Number(f[0].replace(/^C/, ''));
      if (f[0].startsWith('C')) continue; // cancellations come later than their order
      const when = r.match(/\d{4}-\d\d-\d\d \d\d:\d\d:00/)![0];
      assert.ok(when >= last, `${when} after ${last}`);
      assert.ok(invoice >= lastInvoice);
      last = when;
      lastInvoice = invoice;
    }
    // No temporary file is left beside the data.
    assert.deepEqual(readdirSync(join(dir, 'spilled', 'data')).sort(), [
      'coupons.csv',
      'customers.csv',
      'events.csv',
      'transactions.csv',
    ]);
  });
});

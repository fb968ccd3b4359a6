import assert from 'node:assert/strict';
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { main } from '../../src/cli/main.js';
import { loadRecipe, recipeFromObject } from '../../src/config/load.js';
import { generateDemoShop } from '../../src/demo/generate.js';
import { parseModel } from '../../src/model/model.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { Duck } from '../../src/sql/duckdb.js';
import { captureIo, cleanup, listDir, sharedData, tempDir } from '../helpers.js';

const fixedClock = (iso: string) => () => new Date(iso);

describe('segmint run end to end', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
    generateDemoShop({ dir, customers: 600, seed: 11 });
  });
  after(() => cleanup(dir));

  test('demo shop: every output is written and consistent', async () => {
    const s = await runRecipe(loadRecipe(join(dir, 'recipe.yaml'), ['cluster.nInit=3', 'cluster.k.max=6']), {
      now: fixedClock('2026-01-01T00:00:00Z'),
    });
    assert.ok(s.customers > 500 && s.customers <= 600);
    assert.deepEqual(listDir(s.runDir), [
      'model.json',
      'profiles.csv',
      'report.html',
      'rules.json',
      'rules.sql',
      'rules.txt',
      'run.json',
      'tags.csv',
      'tags.parquet',
      'tree.json',
    ]);
    assert.equal(readlinkSync(s.latest), join('runs', s.runId));
    const tags = readFileSync(s.files['tags.csv'], 'utf8').trim().split('\n');
    assert.equal(tags.length, s.customers + 1);
    assert.match(
      tags[0],
      /^customer_id,segment_id,segment_name,segment_action,distance,rfm_r,rfm_f,rfm_m,rfm_segment,recency_days,frequency,monetary/,
    );
    // Every segment has a unique persona name, a description, an action and a rule.
    assert.equal(new Set(s.segments.map((p) => p.name)).size, s.k);
    for (const p of s.segments) assert.ok(p.description && p.action && p.distinguishing.length, p.name);
    const rulesTxt = readFileSync(s.files['rules.txt'], 'utf8');
    for (const p of s.segments) assert.match(rulesTxt, new RegExp(`Segment ${p.id}: ${p.name}`));
    assert.match(readFileSync(s.files['rules.sql'], 'utf8'), /WHERE \(/);
    const sizes = new Map<string, number>();
    for (const line of tags.slice(1)) sizes.set(line.split(',')[1], (sizes.get(line.split(',')[1]) ?? 0) + 1);
    for (const seg of s.segments) assert.equal(sizes.get(String(seg.id)), seg.size);
    const shares = s.segments.reduce((a, p) => a + (p.shareRevenue ?? 0), 0);
    assert.ok(Math.abs(shares - 1) < 1e-9, 'revenue shares sum to 1');
    // Segment 1 holds the most revenue (canonical order).
    assert.ok(s.segments.every((p) => (p.shareRevenue ?? 0) <= (s.segments[0].shareRevenue ?? 0)));
    const model = parseModel(JSON.parse(readFileSync(s.files['model.json'], 'utf8')));
    assert.equal(model.clusterer.k, s.k);
    assert.equal(model.segments.length, s.k);
    const run = JSON.parse(readFileSync(s.files['run.json'], 'utf8'));
    assert.equal(run.cluster.metrics.length, 4, 'k = 3..6 tried');
    for (const m of run.cluster.metrics) assert.ok(m.silhouette > -1 && m.silhouette < 1 && m.inertia > 0);
    assert.ok(
      run.ledger.some(
        (e: { rule: string; removed: number }) => e.rule === 'missing customer id' && e.removed > 0,
      ),
    );
    assert.ok(
      run.ledger.some(
        (e: { rule: string; removed: number }) => e.rule === 'cancellations and returns' && e.removed > 0,
      ),
    );
    assert.ok(
      run.ledger.some(
        (e: { rule: string; removed: number }) => e.rule.startsWith('non-product') && e.removed > 0,
      ),
    );
    assert.equal(run.recipe.resolved.cluster.nInit, 3, '--set overrides land in the resolved recipe');
    assert.doesNotMatch(
      readFileSync(s.files['model.json'], 'utf8'),
      /20\d\d-\d\d-\d\dT\d\d:/,
      'no wall-clock time in model.json',
    );
  });

  test('determinism: two runs give byte-identical tags and model', async () => {
    const sets = ['cluster.nInit=2', 'cluster.k=4'];
    const a = await runRecipe(loadRecipe(join(dir, 'recipe.yaml'), sets), { outDir: join(dir, 'det-a') });
    const b = await runRecipe(loadRecipe(join(dir, 'recipe.yaml'), sets), { outDir: join(dir, 'det-b') });
    for (const f of ['tags.csv', 'tags.parquet', 'model.json', 'profiles.csv']) {
      assert.ok(readFileSync(a.files[f]).equals(readFileSync(b.files[f])), `${f} differs between runs`);
    }
  });

  for (const method of ['minibatch', 'hierarchical', 'twostep'] as const) {
    test(`method ${method} runs end to end and its model scores new rows`, async () => {
      const s = await runRecipe(
        loadRecipe(join(dir, 'recipe.yaml'), [
          `cluster.method=${method}`,
          'cluster.k=4',
          'cluster.microClusters=40',
        ]),
        { outDir: join(dir, `m-${method}`) },
      );
      const model = parseModel(JSON.parse(readFileSync(s.files['model.json'], 'utf8')));
      assert.equal(model.clusterer.method, method);
      assert.equal(model.clusterer.linkage, method === 'minibatch' ? null : 'ward');
      assert.equal(s.segments.length, 4);
      const run = JSON.parse(readFileSync(s.files['run.json'], 'utf8'));
      if (method !== 'minibatch') {
        assert.ok(run.cluster.dendrogram.merges.length > 0, 'dendrogram data for the report');
        const html = readFileSync(s.files['report.html'], 'utf8');
        assert.match(
          html,
          /<svg[^>]+class="dendrogram"[\s\S]*?<path d="M/,
          'the report draws the dendrogram',
        );
        assert.match(html, /cut into 4/);
      }
    });
  }

  test('method rfm: classic named segments, RFM columns in tags, and scoring by the saved score edges', async () => {
    const s = await runRecipe(loadRecipe(join(dir, 'recipe.yaml'), ['cluster.method=rfm']), {
      outDir: join(dir, 'rfm'),
    });
    const names = new Set([
      'Champions',
      'Potential Loyalist',
      'Loyal Customers',
      'Promising',
      'New Customers',
      "Can't Lose Them",
      'At Risk',
      'Need Attention',
      'About To Sleep',
      'Lost',
      'Others',
    ]);
    assert.ok(
      s.segments.every((p) => names.has(p.name)),
      s.segments.map((p) => p.name).join(', '),
    );
    const run = JSON.parse(readFileSync(s.files['run.json'], 'utf8'));
    assert.equal(
      Object.values(run.rfm.counts as Record<string, number>).reduce((a, b) => a + b, 0),
      s.customers,
    );
    const c = captureIo();
    assert.equal(
      await main(
        ['score', '--model', s.files['model.json'], '--input', s.files['tags.parquet'], '--json'],
        c.io,
      ),
      0,
    );
    const scores = JSON.parse(c.stdout()).scores as { customer_id: string; segment_name: string }[];
    const duck = await Duck.open();
    const tags = await duck
      .all(`SELECT customer_id, segment_name, rfm_segment FROM read_parquet($p) ORDER BY customer_id`, {
        p: s.files['tags.parquet'],
      })
      .finally(() => duck.close());
    tags.forEach((t, i) => {
      assert.equal(t.segment_name, t.rfm_segment);
      assert.equal(scores[i].segment_name, t.segment_name);
    });
  });

  test('a second run keeps the first and moves latest', async () => {
    const out = join(dir, 'two');
    const first = await runRecipe(loadRecipe(join(dir, 'recipe.yaml'), ['cluster.k=3', 'cluster.nInit=1']), {
      outDir: out,
      now: fixedClock('2026-01-01T00:00:00Z'),
    });
    const second = await runRecipe(loadRecipe(join(dir, 'recipe.yaml'), ['cluster.k=3', 'cluster.nInit=1']), {
      outDir: out,
      now: fixedClock('2026-01-01T00:00:00Z'),
    });
    assert.notEqual(first.runId, second.runId, 'same second: the id gets a suffix');
    assert.deepEqual(listDir(join(out, 'runs')), [first.runId, second.runId].sort());
    assert.equal(readlinkSync(join(out, 'latest')), join('runs', second.runId));
  });
});

describe('real datasets', () => {
  test('CDNOW master transactions (whitespace-separated, yyyymmdd dates, no order id)', async (t) => {
    const data = sharedData(t, 'cdnow');
    if (!data) return;
    const out = tempDir();
    try {
      const loaded = recipeFromObject(
        {
          sources: {
            tx: {
              path: join(data, 'CDNOW_master.txt'),
              csv: { delimiter: 'whitespace' },
              roles: {
                customer: 'customer_id',
                time: 'date',
                quantity: 'number_of_cds',
                amount: 'dollar_value',
              },
            },
          },
          // Several identical rows per customer and day are real purchases in CDNOW, not duplicates:
          // without an order id they are kept (cleaning.duplicates auto) and each row is one order.
          features: ['recency_days', 'frequency', 'monetary', 'avg_order_value', 'tenure_days'],
          cluster: { k: 4, nInit: 3 },
          output: { dir: out },
        },
        out,
      );
      const s = await runRecipe(loaded);
      const ledger = Object.fromEntries(s.ledger.map((e) => [e.rule, e]));
      assert.equal(ledger['rows read'].remaining, 69659);
      // 23,570 customers in the file; those whose every purchase is $0 are dropped by the price rule.
      const dropped = ledger['non-positive amount'].removed;
      assert.ok(dropped > 0 && dropped < 200, `zero-value rows dropped: ${dropped}`);
      assert.ok(s.customers > 23400 && s.customers <= 23570, `${s.customers}`);
      const total = s.segments.reduce((a, p) => a + p.size, 0);
      assert.equal(total, s.customers);
      assert.equal(s.k, 4);
      const run = JSON.parse(readFileSync(s.files['run.json'], 'utf8'));
      assert.equal(run.data.referenceDate, '1998-07-01', 'day after the last transaction (1998-06-30)');
      // Total spend of the kept rows equals the file's total, $2,500,315.63 (the zero rows add nothing).
      const spend = s.segments.reduce((a, p) => a + (p.means.monetary ?? 0) * p.size, 0);
      assert.ok(Math.abs(spend - 2500315.63) < 0.01, `total spend ${spend}`);
      // Each kept row is one order (no order id, no product column): the orders add up to the rows.
      const orders = s.segments.reduce((a, p) => a + (p.means.frequency ?? 0) * p.size, 0);
      assert.ok(Math.abs(orders - (69659 - dropped)) < 1e-6, `orders ${orders}`);
      assert.equal(run.data.orders.key, 'row');
      assert.ok(run.warnings.some((w: { code: string }) => w.code === 'DUPLICATES_KEPT'));
    } finally {
      cleanup(out);
    }
  });

  test('marketing campaign customers (tab-separated, customer-level, categorical columns)', async (t) => {
    const data = sharedData(t, 'marketing_campaign');
    if (!data) return;
    const out = tempDir();
    try {
      const loaded = recipeFromObject(
        {
          sources: {
            customers: {
              kind: 'customers',
              path: join(data, 'marketing_campaign.csv'),
              roles: { customer: 'ID', joined: 'Dt_Customer' },
            },
          },
          features: [
            'customer_tenure_days',
            { feature: 'attributes', exclude: ['Z_CostContact', 'Z_Revenue'] },
          ],
          cluster: { k: { min: 2, max: 5 }, nInit: 3 },
          output: { dir: out },
        },
        out,
      );
      const s = await runRecipe(loaded);
      assert.equal(s.customers, 2240);
      const model = parseModel(JSON.parse(readFileSync(s.files['model.json'], 'utf8')));
      const cats = model.features.filter((f) => f.type === 'categorical').map((f) => f.name);
      assert.deepEqual(cats, ['education', 'marital_status']);
      assert.ok(
        model.prep.outputNames.includes('education=Graduation'),
        'one-hot columns for the categorical levels',
      );
      assert.ok(
        s.warnings.some((w) => w.code === 'FEATURE_IMPUTED' && /income/.test(w.message)),
        'the 24 missing incomes are imputed and reported',
      );
      const tags = readFileSync(s.files['tags.csv'], 'utf8');
      assert.match(tags.split('\n')[0], /education,marital_status/);
    } finally {
      cleanup(out);
    }
  });
});

describe('byte-identical outputs at demo scale', () => {
  // Sums over many rows on several DuckDB threads added up in whatever order the threads finished
  // (3414.34 one run, 3414.340000000001 the next); sums and averages are exact decimals now.
  let dir: string;
  before(() => {
    dir = tempDir();
    generateDemoShop({ dir, customers: 5000, seed: 7 });
  });
  after(() => cleanup(dir));

  test('three runs of the demo recipe give the same bytes (tags, profiles, model)', async () => {
    const files = ['tags.csv', 'tags.parquet', 'profiles.csv', 'model.json'];
    const runs = [];
    for (const r of ['a', 'b', 'c'])
      runs.push(
        await runRecipe(loadRecipe(join(dir, 'recipe.yaml'), ['cluster.k=4']), { outDir: join(dir, r) }),
      );
    for (const f of files)
      for (const s of runs.slice(1))
        assert.ok(
          readFileSync(runs[0].files[f]).equals(readFileSync(s.files[f])),
          `${f} differs between runs`,
        );
    // The money columns are the decimal sums of the lines, not one of their floating-point orders.
    assert.match(readFileSync(runs[0].files['tags.csv'], 'utf8'), /^12348,.*,3414\.34,/m);
  });
});

import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SegmintError } from '../../src/core/errors.js';
import { cleanup, cli, featuresOf, ROOT, readCsv, tempDir } from '../helpers.js';

// Orders tables without an order id (the shape of the R package rfm's example data and of CDNOW):
// each row is one order, repeated rows included, and classic RFM equals rfm 0.3.0's.

const FIXTURE = join(ROOT, 'test', 'fixtures', 'rfm');
/** Written by scripts/gen-rfm-golden.R (a base-R port of rfm 0.3.0's scoring) from orders.csv. */
const golden = JSON.parse(readFileSync(join(FIXTURE, 'golden.json'), 'utf8')) as Record<string, unknown[]>;

describe('orders without an order column', () => {
  const dir = tempDir('segmint-orders-');
  const recipe = join(dir, 'recipe.yaml');
  before(() => copyFileSync(join(FIXTURE, 'orders.csv'), join(dir, 'orders.csv')));
  after(() => cleanup(dir));

  test('init says each row is one order and why; the run untouched gives rfm 0.3.0 scores and segments', async () => {
    const i = await cli(['init', join(dir, 'orders.csv'), '--out', recipe]);
    assert.equal(i.code, 0, i.err);
    const text = readFileSync(recipe, 'utf8');
    assert.match(text, /orderKey: row +# no order column and no product column: each row is one order/);
    assert.match(text, /duplicates: auto/);
    const r = await cli([
      'run',
      recipe,
      '--set',
      'cluster.method=rfm',
      '--set',
      'window.referenceDate=2024-07-01',
      '--set',
      `output.dir=${join(dir, 'out')}`,
      '--json',
    ]);
    assert.equal(r.code, 0, r.err + r.out);
    const summary = JSON.parse(r.out);
    const tags = readCsv(join(summary.runDir, 'tags.csv'));
    assert.deepEqual(
      tags.map((t) => t.customer_id),
      golden.customer_id,
    );
    // By hand: C01 has two identical rows on 2024-06-28 (two orders), C02 two orders on one day,
    // C06 three identical rows: rows, not days, are orders.
    assert.deepEqual(
      tags.map((t) => Number(t.frequency)),
      [4, 2, 1, 2, 1, 3, 2, 5, 1, 2],
    );
    assert.deepEqual(
      tags.map((t) => Number(t.frequency)),
      golden.transaction_count,
    );
    assert.deepEqual(
      tags.map((t) => Number(t.monetary)),
      golden.amount,
    );
    assert.deepEqual(
      tags.map((t) => Number(t.recency_days)),
      golden.recency_days,
    );
    // Scores as rfm 0.3.0 (edges at quantile + 1, lower <= v < upper), by hand and from the R port.
    const scores = (k: string) => tags.map((t) => Number(t[k]));
    assert.deepEqual(scores('rfm_r'), [5, 4, 1, 2, 5, 3, 1, 3, 2, 4]);
    assert.deepEqual(scores('rfm_r'), golden.recency_score);
    assert.deepEqual(scores('rfm_f'), golden.frequency_score);
    assert.deepEqual(scores('rfm_m'), golden.monetary_score);
    assert.deepEqual(
      tags.map((t) => t.rfm_segment),
      golden.segment,
    );
    assert.deepEqual(
      tags.map((t) => t.segment_name),
      golden.segment,
    );
    // The segment table: the counts rfm gives.
    const run = JSON.parse(readFileSync(join(summary.runDir, 'run.json'), 'utf8'));
    assert.deepEqual(run.rfm.counts, {
      'Potential Loyalist': 3,
      Promising: 1,
      Lost: 1,
      'Loyal Customers': 2,
      'New Customers': 1,
      'At Risk': 1,
      'About To Sleep': 1,
    });
    // What was guessed is in the run record too.
    assert.deepEqual(run.data.orders, {
      source: 'orders',
      key: 'row',
      reason: 'orderKey in the recipe',
    });
    // The repeated rows were kept, and said so with their count.
    const kept = run.warnings.find((w: { code: string }) => w.code === 'DUPLICATES_KEPT');
    assert.ok(kept, JSON.stringify(run.warnings));
    assert.match(kept.message, /^3 exact duplicate row\(s\)/);
    assert.ok(!run.ledger.some((l: { rule: string }) => l.rule === 'exact duplicate rows'));
    // The saved model scores new rows with the same rule.
    const model = JSON.parse(readFileSync(join(summary.runDir, 'model.json'), 'utf8'));
    assert.equal(model.clusterer.rfm.edgeRule, 'rfm-0.3.0');
    assert.deepEqual(model.clusterer.rfm.breaks.f, [2, 3, 3, 4.2]);
  });

  const base = {
    sources: {
      orders: {
        path: 'orders.csv',
        roles: { customer: 'customer_id', time: 'order_date', amount: 'revenue' },
      },
    },
    window: { referenceDate: '2024-07-01' },
    features: ['frequency', 'monetary'],
  };
  const freq = async (recipe: unknown) =>
    Object.values((await featuresOf(recipe, dir)).byId).map((r) => Number(r.frequency));

  test('orderKey day counts purchase days; time counts one order per customer and time', async () => {
    const withKey = (orderKey: string) => ({
      ...base,
      sources: { orders: { ...base.sources.orders, orderKey } },
    });
    assert.deepEqual(await freq(withKey('day')), [3, 1, 1, 2, 1, 1, 2, 5, 1, 2]);
    assert.deepEqual(await freq(withKey('time')), [3, 1, 1, 2, 1, 1, 2, 5, 1, 2]);
    assert.deepEqual(await freq(withKey('row')), [4, 2, 1, 2, 1, 3, 2, 5, 1, 2]);
    // cleaning.duplicates: drop takes the repeated rows out (and counts them in the ledger).
    const dropped = await featuresOf({ ...base, cleaning: { duplicates: 'drop' } }, dir);
    assert.deepEqual(
      Object.values(dropped.byId).map((r) => Number(r.frequency)),
      [3, 2, 1, 2, 1, 1, 2, 5, 1, 2],
    );
    assert.equal(dropped.data.ledger.find((l) => l.rule === 'exact duplicate rows')?.removed, 3);
  });

  test('order lines without an order id: init says one order per customer and time', async () => {
    writeFileSync(
      join(dir, 'lines.csv'),
      'customer_id,order_date,product,price\nA,2024-06-01,P1,3\nA,2024-06-01,P2,4\nA,2024-06-02,P1,3\nB,2024-06-03,P9,8\n',
    );
    const out = join(dir, 'lines.yaml');
    const i = await cli(['init', join(dir, 'lines.csv'), '--out', out]);
    assert.equal(i.code, 0, i.err);
    assert.match(
      readFileSync(out, 'utf8'),
      /orderKey: time +# no order column; rows with a product are order lines/,
    );
    const f = await featuresOf(
      {
        sources: {
          lines: {
            path: 'lines.csv',
            roles: { customer: 'customer_id', time: 'order_date', product: 'product', price: 'price' },
          },
        },
        features: ['frequency'],
      },
      dir,
    );
    assert.deepEqual(
      Object.values(f.byId).map((r) => Number(r.frequency)),
      [2, 1],
    );
  });

  test('with an order column, exact duplicates are double entries: dropped and counted', async () => {
    writeFileSync(
      join(dir, 'invoices.csv'),
      'invoice,customer_id,order_date,price\n1,A,2024-06-01,3\n1,A,2024-06-01,3\n2,A,2024-06-05,4\n3,B,2024-06-03,8\n',
    );
    const roles = { order: 'invoice', customer: 'customer_id', time: 'order_date', price: 'price' };
    const f = await featuresOf(
      { sources: { inv: { path: 'invoices.csv', roles } }, features: ['frequency', 'monetary'] },
      dir,
    );
    assert.equal(f.data.ledger.find((l) => l.rule === 'exact duplicate rows')?.removed, 1);
    assert.deepEqual(
      Object.values(f.byId).map((r) => [Number(r.frequency), Number(r.monetary)]),
      [
        [2, 7],
        [1, 8],
      ],
    );
    // orderKey is for tables without an order column: naming both is a clear error.
    await assert.rejects(
      featuresOf(
        { sources: { inv: { path: 'invoices.csv', roles, orderKey: 'row' } }, features: ['frequency'] },
        dir,
      ),
      (e: SegmintError) =>
        e.code === 'RECIPE_INVALID' &&
        e.where?.path === 'sources.inv.orderKey' &&
        /roles\.order/.test(e.message),
    );
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { cleanup, cli, readCsv, sharedData, tempDir, writeFiles } from '../helpers.js';

// Real data as it comes, one small hand-made shop per shape: `segmint init <files>` then
// `segmint run` untouched gives the hand-computed customers and features, and no key or code
// column is clustered as a number.

/** init on the files of `dir`, then run the recipe as written; the tags by customer and the run. */
async function initAndRun(dir: string, files: string[]) {
  const recipe = join(dir, 'segmint.yaml');
  const init = await cli(['init', ...files.map((f) => join(dir, f)), '--out', recipe, '--json']);
  assert.equal(init.code, 0, init.err + init.out);
  const found = JSON.parse(init.out);
  const run = await cli(['run', recipe, '--json']);
  assert.equal(run.code, 0, `${run.err}${run.out}\n${readFileSync(recipe, 'utf8')}`);
  const summary = JSON.parse(run.out);
  const tags = readCsv(join(summary.runDir, 'tags.csv'));
  const runJson = JSON.parse(readFileSync(join(summary.runDir, 'run.json'), 'utf8'));
  return {
    found,
    text: readFileSync(recipe, 'utf8'),
    summary,
    run: runJson,
    byId: Object.fromEntries(tags.map((t) => [t.customer_id, t])),
    tags,
  };
}

/** More customers (1-digit days), so that k from 3 up has people to work with; not asserted on. */
const FILLER = [5, 6, 7, 8, 9];

/** The clustered feature names of a run. */
const clustered = (run: { features: { name: string }[] }) => run.features.map((f) => f.name);

describe('real data shapes: init then run untouched', () => {
  const dirs: string[] = [];
  const fresh = (name: string) => {
    const d = tempDir(`segmint-shape-${name}-`);
    dirs.push(d);
    return d;
  };
  after(() => {
    for (const d of dirs) cleanup(d);
  });

  test('a multi-table shop: order header, lines, payments per order, customers with a person key', async () => {
    const dir = fresh('multi');
    // Two people: P1 placed orders o1, o2 (as two per-order customer ids c1, c2) and o4 (canceled);
    // P2 placed o3 (paid in two payments).
    writeFiles(dir, {
      'customers.csv': `customer_id,customer_unique_id,customer_city\nc1,P1,lyon\nc2,P1,lyon\nc3,P2,nice\nc4,P1,lyon\n${FILLER.map((i) => `c${i},P${i},paris`).join('\n')}\n`,
      'orders.csv':
        'order_id,customer_id,order_status,order_purchase_timestamp\n' +
        'o1,c1,delivered,2024-01-01 10:00:00\n' +
        'o2,c2,delivered,2024-01-11 10:00:00\n' +
        'o3,c3,shipped,2024-01-21 10:00:00\n' +
        'o4,c4,canceled,2024-01-25 10:00:00\n' +
        FILLER.map((i) => `o${i},c${i},delivered,2024-01-${10 + i} 09:00:00\n`).join(''),
      'order_items.csv':
        'order_id,order_item_id,product_id,price,freight_value\n' +
        'o1,1,p1,10.00,2.00\no1,2,p2,20.00,2.00\no2,1,p1,10.00,1.50\no3,1,p3,50.00,5.00\no4,1,p1,10.00,1.00\n' +
        FILLER.map((i) => `o${i},1,p${i},${i * 7}.00,1.00\n`).join(''),
      'order_payments.csv':
        'order_id,payment_sequential,payment_type,payment_value\n' +
        'o1,1,credit_card,34.00\no2,1,voucher,11.50\no3,1,credit_card,30.00\no3,2,voucher,25.00\no4,1,credit_card,11.00\n' +
        FILLER.map((i) => `o${i},1,boleto,${i * 7 + 1}.00\n`).join(''),
    });
    const r = await initAndRun(dir, ['customers.csv', 'orders.csv', 'order_items.csv', 'order_payments.csv']);
    // init found the keys, the header and its children, and the person key.
    assert.ok(
      r.found.foreignKeys.some(
        (f: { from: string; to: string }) => f.from === 'order_items' && f.to === 'orders',
      ),
    );
    assert.match(r.text, /aggregate: \{ payment_value: sum \}/);
    assert.match(r.text, /customer: customer_unique_id/);
    // One row per person; the canceled order is no purchase.
    assert.deepEqual(Object.keys(r.byId).sort(), ['P1', 'P2', ...FILLER.map((i) => `P${i}`)].sort());
    assert.equal(Number(r.byId.P1.frequency), 2);
    assert.equal(Number(r.byId.P1.monetary), 45.5, 'what P1 paid: 34 + 11.50');
    assert.equal(Number(r.byId.P2.monetary), 55, 'two payments of one order summed');
    assert.equal(Number(r.byId.P2.avg_items_per_order), 1);
    assert.equal(Number(r.byId.P1.avg_items_per_order), 1.5, 'lines counted per order: (2 + 1) / 2');
    assert.equal(
      r.run.ledger.find((l: { rule: string }) => l.rule === 'cancelled or failed order status')?.removed,
      1,
    );
    for (const f of clustered(r.run)) assert.doesNotMatch(f, /_id$|order_item_id_count$/);
  });

  test('a coupon workbook: lookups of codes are joined, so names replace codes and no code is a number', async () => {
    const dir = fresh('coupons');
    writeFiles(dir, {
      'customers.csv': 'customer_id,gender_id,city_id,age\nu1,1,10,30\nu2,2,20,41\nu3,1,20,52\nu4,2,10,25\n',
      'genders.csv': 'gender_id,gender_name\n1,female\n2,male\n',
      'cities.csv': 'city_id,city_name\n10,Riyadh\n20,Jeddah\n',
      'coupon_redemptions.csv':
        'coupon_id,customer_id,claimed_at,burned_at,branch_id\n' +
        'k1,u1,2024-01-01,2024-01-05,b1\nk2,u1,2024-01-02,,b1\nk3,u2,2024-01-03,2024-01-04,b2\nk4,u3,2024-01-04,,b2\n',
      'branches.csv': 'branch_id,branch_name,merchant_id\nb1,North,m1\nb2,South,m1\n',
      'merchants.csv': 'merchant_id,merchant_name\nm1,Acme\n',
    });
    const r = await initAndRun(dir, [
      'customers.csv',
      'genders.csv',
      'cities.csv',
      'coupon_redemptions.csv',
      'branches.csv',
      'merchants.csv',
    ]);
    const names = clustered(r.run);
    assert.ok(names.includes('gender_name') && names.includes('city_name'), names.join(', '));
    assert.ok(!names.includes('gender_id') && !names.includes('city_id'), 'codes are not clustered');
    assert.deepEqual(Object.keys(r.byId).sort(), ['u1', 'u2', 'u3', 'u4']);
    assert.equal(Number(r.byId.u1.coupons_claimed), 2);
    assert.equal(Number(r.byId.u1.coupon_burn_rate), 0.5);
    assert.equal(Number(r.byId.u2.coupon_burn_rate), 1);
    assert.equal(r.byId.u1.gender_name ?? 'female', 'female');
    assert.match(r.text, /branches\.csv: .*(not joined|no feature)/);
  });

  test('transactions keyed by household, with basket ids and sales values', async () => {
    const dir = fresh('household');
    writeFiles(dir, {
      'transactions.csv':
        'household_key,basket_id,day,product_id,quantity,sales_value\n' +
        'h1,b1,2024-01-01,p1,1,2.50\nh1,b1,2024-01-01,p2,2,4.00\nh1,b2,2024-01-09,p1,1,2.50\nh2,b3,2024-01-10,p3,1,10.00\n' +
        FILLER.map((i) => `h${i},b${i},2024-01-${10 + i},p${i},${i},${i * 3}.00\n`).join(''),
    });
    const r = await initAndRun(dir, ['transactions.csv']);
    assert.match(r.text, /customer: household_key/);
    assert.match(r.text, /order: basket_id/);
    assert.deepEqual(Object.keys(r.byId).sort(), ['h1', 'h2', ...FILLER.map((i) => `h${i}`)].sort());
    assert.equal(Number(r.byId.h1.frequency), 2);
    assert.equal(Number(r.byId.h1.monetary), 9);
    assert.equal(Number(r.byId.h2.monetary), 10);
  });

  test('household transactions with week numbers instead of dates (timeUnit: week)', async () => {
    const dir = fresh('weeks');
    writeFiles(dir, {
      'transaction_data.csv':
        'household_key,basket_id,week_no,product_id,quantity,sales_value\n' +
        'h1,b1,1,p1,1,2.50\nh1,b1,1,p2,2,4.00\nh1,b2,9,p1,1,2.50\nh2,b3,10,p3,1,10.00\n' +
        FILLER.map((i) => `h${i},b${i},${i},p${i},1,${i}.00\n`).join(''),
    });
    const r = await initAndRun(dir, ['transaction_data.csv']);
    assert.match(r.text, /timeUnit: week/);
    assert.match(r.text, /time: week_no/);
    // The last week is 10: the reference is the day after week 10 began (1970-01-01 + 70 days + 1).
    assert.equal(Number(r.byId.h2.recency_days), 1);
    assert.equal(Number(r.byId.h1.recency_days), 8, 'week 9 is 7 days before week 10, plus the day');
    assert.equal(Number(r.byId.h1.tenure_days), 64, 'from week 1 (day 7) to the reference (day 71)');
    assert.equal(Number(r.byId.h1.monetary), 9);
  });

  test('a customer table with no id column: the row number is the id', async () => {
    const dir = fresh('noid');
    writeFiles(dir, {
      'people.csv':
        'income,spend_wine,spend_meat,visits\n50000,100,20,3\n62000,10,300,5\n31000,0,5,1\n90000,400,250,9\n',
    });
    const r = await initAndRun(dir, ['people.csv']);
    assert.match(r.text, /id: row/);
    assert.deepEqual(Object.keys(r.byId).sort(), ['1', '2', '3', '4']);
    assert.equal(Number(r.byId['2'].spend_meat), 300, 'row 2 of the file is id 2');
  });

  test('a session table with no person: the visits are segmented, and init says so', async () => {
    const dir = fresh('sessions');
    const rows = Array.from({ length: 40 }, (_, i) =>
      [
        i % 5,
        (i * 7) % 11,
        ((i * 13) % 17) / 100,
        ((i * 3) % 7) / 50,
        i % 3 ? 'Returning_Visitor' : 'New_Visitor',
        (i % 4) + 1,
        i % 2 ? 'TRUE' : 'FALSE',
      ].join(','),
    );
    writeFiles(dir, {
      'visits.csv': `ProductRelated,PageValues,BounceRates,ExitRates,VisitorType,Browser,Revenue\n${rows.join('\n')}\n`,
    });
    const r = await initAndRun(dir, ['visits.csv']);
    assert.match(r.found.rowsAre, /visit/);
    assert.equal(r.tags.length, 40, 'one tag per visit');
    const browser = r.run.features.find((f: { name: string }) => f.name === 'browser');
    assert.equal(browser?.type, 'categorical', 'a whole-number code is a category, not a number');
  });

  test('repeated same-day rows without a line id are kept as purchases and counted in a warning', async () => {
    const dir = fresh('repeats');
    writeFiles(dir, {
      'sales.csv': `customer,date,amount\na,2024-01-01,5\na,2024-01-01,5\nb,2024-01-02,7\nc,2024-01-03,0\n${FILLER.map((i) => `f${i},2024-01-${10 + i},${i * 4}`).join('\n')}\n`,
    });
    const r = await initAndRun(dir, ['sales.csv']);
    assert.equal(Number(r.byId.a.monetary), 10, 'both rows are revenue');
    assert.equal(Number(r.byId.a.frequency), 2);
    const codes = r.run.warnings.map((w: { code: string }) => w.code);
    assert.ok(codes.includes('DUPLICATES_KEPT'));
    assert.ok(codes.includes('CUSTOMERS_ZERO_SPEND'), 'c bought only at 0: left out, and said');
    assert.equal(r.byId.c, undefined);
  });
});

describe('a customers table that describes other people', () => {
  test("is left out when none of its ids is a purchase's customer, in any file order; one that shares them is taken", async (t) => {
    const dir = tempDir('segmint-othercust-');
    t.after(() => cleanup(dir));
    // Purchases keyed by zero-padded ids; a summary of a sample numbered 1..n (its own numbering,
    // like CDNOW's), and a profile table keyed by the purchases' ids.
    const ids = ['00001', '00002', '00003', '00004', '00005', '00006', '00007', '00008'];
    writeFiles(dir, {
      'orders.csv': `customer_id,order_id,date,amount\n${ids
        .flatMap((id, i) => [
          `${id},A${i},2024-01-0${1 + (i % 8)},${10 + i}`,
          `${id},B${i},2024-02-1${i % 9},${5 + 2 * i}`,
        ])
        .join('\n')}\n`,
      'summary.csv': `ID,frequency,recency,T\n${ids.map((_, i) => `${i + 1},${i % 3},${i * 2.5},38.86`).join('\n')}\n`,
      'profiles.csv': `customer_id,age,region\n${ids.map((id, i) => `${id},${20 + 3 * i},r${i % 2}`).join('\n')}\n`,
    });
    for (const files of [
      ['orders.csv', 'summary.csv'],
      ['summary.csv', 'orders.csv'],
    ]) {
      const recipe = join(dir, 'a.yaml');
      const init = await cli([
        'init',
        ...files.map((f) => join(dir, f)),
        '--out',
        recipe,
        '--force',
        '--json',
      ]);
      assert.equal(init.code, 0, init.err);
      const found = JSON.parse(init.out);
      assert.deepEqual(
        found.sources.map((x: { kind: string }) => x.kind),
        ['transactions'],
        files.join(' '),
      );
      assert.match(
        found.unused[0].reason,
        /none of the 8 ID values of summary is a customer_id of orders: it describes other customers/,
      );
    }
    const recipe = join(dir, 'b.yaml');
    const init = await cli([
      'init',
      ...['summary.csv', 'profiles.csv', 'orders.csv'].map((f) => join(dir, f)),
      '--out',
      recipe,
      '--json',
    ]);
    const found = JSON.parse(init.out);
    assert.deepEqual(
      found.sources.map((x: { kind: string; file: string }) => [x.kind, x.file.split('/').pop()]).sort(),
      [
        ['customers', 'profiles.csv'],
        ['transactions', 'orders.csv'],
      ],
    );
  });

  test('CDNOW given as all its files, in either order: the master file is the purchases; the sample and its summaries are left out', async (t) => {
    const cdnow = sharedData(t, 'cdnow');
    if (!cdnow) return;
    const dir = tempDir('segmint-cdnow-all-');
    t.after(() => cleanup(dir));
    const names = [
      'CDNOW_master.txt',
      'CDNOW_sample.txt',
      'cdnow_customers_summary.csv',
      'cdnow_customers_summary_with_transactions.csv',
    ];
    for (const order of [names, [...names].reverse()]) {
      const init = await cli([
        'init',
        ...order.map((f) => join(cdnow, f)),
        '--out',
        join(dir, 'r.yaml'),
        '--force',
        '--json',
      ]);
      assert.equal(init.code, 0, init.err);
      const found = JSON.parse(init.out);
      assert.deepEqual(
        found.sources.map((x: { kind: string; file: string }) => [x.kind, x.file.split('/').pop()]),
        [['transactions', 'CDNOW_master.txt']],
      );
      assert.equal(found.unused.length, 3);
    }
  });
});

describe('the Olist sample, untouched', () => {
  test('init then run: one row per customer_unique_id, spend = what the customer paid', async (t) => {
    const olist = sharedData(t, 'olist_sample_3k');
    if (!olist) return;
    const dir = tempDir('segmint-olist-');
    t.after(() => cleanup(dir));
    const files = [
      'olist_customers_dataset.csv',
      'olist_geolocation_dataset.csv',
      'olist_order_items_dataset.csv',
      'olist_order_payments_dataset.csv',
      'olist_order_reviews_dataset.csv',
      'olist_orders_dataset.csv',
      'olist_products_dataset.csv',
      'olist_sellers_dataset.csv',
      'product_category_name_translation.csv',
    ].map((f) => join(olist, f));
    const recipe = join(dir, 'segmint.yaml');
    const init = await cli(['init', ...files, '--out', recipe]);
    assert.equal(init.code, 0, init.err);
    // What init decides does not depend on the order the files are given in.
    const decided = async (order: string[]) => {
      const r = await cli(['init', ...order, '--out', join(dir, 'order.yaml'), '--force', '--json']);
      const d = JSON.parse(r.out);
      const key = (x: unknown) => JSON.stringify(x);
      return { sources: d.sources.map(key).sort(), unused: d.unused.map(key).sort() };
    };
    assert.deepEqual(await decided([...files].reverse()), await decided(files));
    const run = await cli(['run', recipe, '--json']);
    assert.equal(run.code, 0, run.err + run.out);
    const summary = JSON.parse(run.out);
    const tags = readCsv(join(summary.runDir, 'tags.csv'));
    // Computed here independently with DuckDB over the raw files.
    const { Duck } = await import('../../src/sql/duckdb.js');
    const duck = await Duck.open();
    try {
      const expected = await duck.all(
        `SELECT c.customer_unique_id AS id, count(DISTINCT o.order_id) AS n, sum(p.v) AS spend
         FROM read_csv('${join(olist, 'olist_orders_dataset.csv')}') o
         JOIN read_csv('${join(olist, 'olist_customers_dataset.csv')}') c USING (customer_id)
         JOIN (SELECT order_id, sum(payment_value) AS v FROM read_csv('${join(olist, 'olist_order_payments_dataset.csv')}') GROUP BY 1) p USING (order_id)
         WHERE lower(trim(o.order_status)) NOT IN ('canceled', 'unavailable') AND p.v > 0
         GROUP BY 1 ORDER BY 1`,
      );
      assert.equal(tags.length, expected.length, 'one row per person with a paid order');
      assert.equal(new Set(tags.map((t) => t.customer_id)).size, tags.length);
      const byId = new Map(tags.map((t) => [t.customer_id, t]));
      for (const e of expected) {
        const t = byId.get(String(e.id))!;
        assert.ok(t, `customer ${e.id}`);
        assert.equal(Number(t.frequency), Number(e.n));
        assert.ok(
          Math.abs(Number(t.monetary) - Number(e.spend)) < 1e-6,
          `${e.id}: ${t.monetary} vs ${e.spend}`,
        );
      }
    } finally {
      duck.close();
    }
  });
});

test('source names from file names: a word most files share (a shop prefix, a dataset suffix) is dropped', async () => {
  const { tableNames } = await import('../../src/data/schema.js');
  assert.deepEqual(tableNames(['shop_customers_export.csv', 'shop_orders_export.csv', 'names.csv']), [
    'customers',
    'orders',
    'names',
  ]);
  // Two of four files starting with "order" is not most: kept.
  assert.deepEqual(tableNames(['orders.csv', 'order_items.csv', 'order_payments.csv', 'customers.csv']), [
    'orders',
    'order_items',
    'order_payments',
    'customers',
  ]);
  assert.deepEqual(tableNames(['Orders.csv', 'orders.csv']), ['orders', 'orders_2'], 'unique');
});

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { haversineKm } from '../../src/features/countries.js';
import { cleanup, featuresOf, tempDir, writeFiles } from '../helpers.js';
import { ALL_SOURCES, FILES, TX_SOURCE } from './shop-fixture.js';

const TX_FEATURES = [
  'recency_days',
  'frequency',
  'monetary',
  'avg_order_value',
  'avg_items_per_order',
  'unique_products',
  'tenure_days',
  'avg_days_between_orders',
  'return_rate',
];

describe('features on a hand-made shop', () => {
  let dir: string;
  before(() => {
    dir = tempDir();
    writeFiles(dir, FILES);
  });
  after(() => cleanup(dir));

  test('transaction features match hand-computed values (cancellations dropped)', async () => {
    const { byId, data } = await featuresOf({ sources: { tx: TX_SOURCE }, features: TX_FEATURES }, dir);
    assert.equal(data.referenceDate, '2024-01-31', 'reference date is the day after the last transaction');
    assert.deepEqual(Object.keys(byId), ['A', 'B', 'C']);
    const a = byId.A;
    // Frequency counts distinct orders (1001, 1002), not the 3 purchase lines.
    assert.equal(a.frequency, 2);
    // Monetary is quantity x price: 2*5 + 1*3 + 4*5 = 33, not the sum of unit prices (13).
    assert.equal(a.monetary, 33);
    assert.equal(a.avg_order_value, 16.5);
    assert.equal(a.avg_items_per_order, 3.5);
    assert.equal(a.unique_products, 2);
    // Last purchase 2024-01-11 (the cancellation on 01-12 is not a purchase) -> 20 days.
    assert.equal(a.recency_days, 20);
    assert.equal(a.tenure_days, 30);
    assert.ok(Math.abs((a.avg_days_between_orders as number) - 239 / 24) < 1e-12);
    assert.ok(Math.abs((a.return_rate as number) - 5 / 33) < 1e-12);
    const b = byId.B;
    // The duplicate line, the POST line and the zero-price line are cleaned away.
    assert.equal(b.frequency, 1);
    assert.equal(b.monetary, 15);
    assert.equal(b.recency_days, 26);
    assert.equal(b.avg_days_between_orders, null, 'one order: no gap to average');
    assert.equal(byId.C.monetary, 9);
    assert.equal(byId.C.recency_days, 1);
  });

  test('the ledger counts every rule and accounts for every row', async () => {
    const { data } = await featuresOf({ sources: { tx: TX_SOURCE }, features: ['frequency'] }, dir);
    const removed = Object.fromEntries(data.ledger.map((e) => [e.rule, e.removed]));
    assert.equal(data.ledger[0].rule, 'rows read');
    assert.equal(data.ledger[0].remaining, 10);
    assert.equal(removed['missing customer id'], 1);
    assert.equal(removed['exact duplicate rows'], 1);
    assert.equal(removed['non-product codes (postage, fees, adjustments)'], 1);
    assert.equal(removed['cancellations and returns'], 1);
    assert.equal(removed['non-positive price'], 1);
    const last = data.ledger[data.ledger.length - 1];
    assert.equal(last.remaining, 5, '10 read - 5 removed = 5 purchase lines');
  });

  test('cancellations: net subtracts them from spend', async () => {
    const { byId } = await featuresOf(
      { sources: { tx: TX_SOURCE }, cleaning: { cancellations: 'net' }, features: ['frequency', 'monetary'] },
      dir,
    );
    assert.equal(byId.A.frequency, 2, 'the cancellation invoice is not an order');
    assert.equal(byId.A.monetary, 28);
  });

  test('cancellations: keep treats them as ordinary lines', async () => {
    const { byId } = await featuresOf(
      {
        sources: { tx: TX_SOURCE },
        cleaning: { cancellations: 'keep' },
        features: ['frequency', 'monetary'],
      },
      dir,
    );
    assert.equal(byId.A.frequency, 3);
    assert.equal(byId.A.monetary, 28);
  });

  test('keeping duplicates and non-product codes when asked', async () => {
    const { byId } = await featuresOf(
      {
        sources: { tx: TX_SOURCE },
        cleaning: { duplicates: 'keep', nonProductCodes: [] },
        features: ['monetary', 'frequency'],
      },
      dir,
    );
    assert.equal(byId.B.monetary, 15 + 15 + 18);
    assert.equal(byId.B.frequency, 2);
  });

  test('analysis window: only the last N days, tenure still from the whole history', async () => {
    const { byId, data } = await featuresOf(
      {
        sources: { tx: TX_SOURCE },
        window: { days: 10 },
        features: ['frequency', 'tenure_days', 'monetary'],
      },
      dir,
    );
    assert.equal(data.windowStart, '2024-01-21');
    assert.deepEqual(Object.keys(byId), ['C']);
    assert.equal(byId.C.frequency, 1);
    assert.equal(byId.C.tenure_days, 1);
    assert.ok(data.ledger.some((e) => e.rule === 'outside the 10-day window' && e.removed === 4));
  });

  test('explicit reference date', async () => {
    const { byId, data } = await featuresOf(
      {
        sources: { tx: TX_SOURCE },
        window: { referenceDate: '2024-01-15' },
        features: ['recency_days', 'monetary'],
      },
      dir,
    );
    assert.equal(data.referenceDate, '2024-01-15');
    assert.deepEqual(Object.keys(byId), ['A', 'B']);
    assert.equal(byId.A.recency_days, 4);
  });

  test('filters keep only the rows asked for', async () => {
    const { byId, data } = await featuresOf(
      {
        sources: { tx: TX_SOURCE },
        cleaning: { filters: [{ column: 'Country', in: ['United Kingdom'] }] },
        features: ['monetary'],
      },
      dir,
    );
    assert.deepEqual(Object.keys(byId), ['A']);
    assert.equal(data.ledger.find((e) => e.rule.startsWith('filter Country'))?.removed, 5);
  });

  test('category shares of spend for the top categories', async () => {
    const { byId, feats } = await featuresOf(
      { sources: { tx: TX_SOURCE }, features: [{ feature: 'category_share', top: 2 }] },
      dir,
    );
    // Spend by category: Home 30 (A), Kitchen 3 (A) + 9 (C) = 12, Toys 15 (B) -> top 2: Home, Toys.
    assert.deepEqual(
      feats.columns.map((c) => c.name),
      ['share_home', 'share_toys'],
    );
    assert.ok(Math.abs((byId.A.share_home as number) - 30 / 33) < 1e-12);
    assert.equal(byId.B.share_toys, 1);
    assert.equal(byId.C.share_home, 0);
  });

  test('engagement, coupons and customer attributes from their own tables', async () => {
    const { byId, feats } = await featuresOf(
      {
        sources: ALL_SOURCES,
        features: [
          'frequency',
          'sessions',
          'avg_session_minutes',
          { feature: 'event_count', type: 'wishlist_add', as: 'wishlist_adds' },
          'coupons_claimed',
          'coupons_burned',
          'coupon_burn_rate',
          'customer_tenure_days',
          { feature: 'attributes', columns: ['channel', 'age'] },
        ],
      },
      dir,
    );
    assert.deepEqual([byId.A.sessions, byId.A.avg_session_minutes, byId.A.wishlist_adds], [2, 8, 1]);
    assert.deepEqual([byId.B.sessions, byId.B.avg_session_minutes, byId.B.wishlist_adds], [1, 3, 0]);
    assert.deepEqual(
      [byId.C.sessions, byId.C.avg_session_minutes],
      [0, null],
      'no sessions: count 0, average unknown',
    );
    assert.deepEqual([byId.A.coupons_claimed, byId.A.coupons_burned, byId.A.coupon_burn_rate], [2, 1, 0.5]);
    assert.deepEqual([byId.B.coupons_claimed, byId.B.coupons_burned, byId.B.coupon_burn_rate], [1, 0, 0]);
    assert.deepEqual([byId.C.coupons_claimed, byId.C.coupon_burn_rate], [0, null]);
    assert.deepEqual(
      [byId.A.customer_tenure_days, byId.B.customer_tenure_days, byId.C.customer_tenure_days],
      [61, 30, 365],
    );
    assert.deepEqual([byId.A.channel, byId.B.channel, byId.A.age, byId.B.age], ['web', 'app', 30, null]);
    assert.equal(feats.columns.find((c) => c.name === 'channel')?.type, 'categorical');
    assert.equal(feats.columns.find((c) => c.name === 'age')?.type, 'numeric');
  });

  test('country distance from home, in km and as a rank', async () => {
    const { byId } = await featuresOf(
      { sources: { tx: TX_SOURCE }, features: [{ feature: 'country_distance', home: 'GB' }] },
      dir,
    );
    assert.equal(byId.A.country_distance_km, 0);
    const de = haversineKm(54.1, -2.9, 51.1, 10.4);
    assert.ok(
      Math.abs((byId.B.country_distance_km as number) - de) < 1e-6,
      `${byId.B.country_distance_km} vs ${de}`,
    );
    assert.ok(de > 800 && de < 1000);
    const r = await featuresOf(
      {
        sources: { tx: TX_SOURCE },
        features: [{ feature: 'country_distance', home: 'United Kingdom', rank: true }],
      },
      dir,
    );
    assert.deepEqual(
      [r.byId.A.country_distance_rank, r.byId.C.country_distance_rank, r.byId.B.country_distance_rank],
      [1, 2, 3],
    );
  });

  test('custom aggregate SQL', async () => {
    const { byId } = await featuresOf(
      {
        sources: { tx: TX_SOURCE },
        features: [
          {
            feature: 'custom',
            as: 'big_lines',
            sql: 'count(*) FILTER (WHERE quantity >= 4 AND NOT is_return)',
          },
        ],
      },
      dir,
    );
    assert.deepEqual([byId.A.big_lines, byId.B.big_lines, byId.C.big_lines], [1, 1, 0]);
  });

  test('custom SQL sees the columns of its source that are no role, and of what the source joins', async () => {
    writeFiles(dir, { 'products.csv': 'code,weight_kg\nP1,2.5\nP2,1\nP3,0.5\n' });
    const { byId } = await featuresOf(
      {
        sources: {
          tx: { ...TX_SOURCE, join: [{ source: 'products', on: { StockCode: 'code' } }] },
          products: { kind: 'lookup', path: 'products.csv' },
        },
        features: [
          // Description is a column of the file that no role names; weight_kg is joined.
          {
            feature: 'custom',
            as: 'descriptions',
            sql: 'count(DISTINCT Description) FILTER (WHERE NOT is_return)',
          },
          { feature: 'custom', as: 'kg', sql: 'sum(quantity * weight_kg) FILTER (WHERE NOT is_return)' },
        ],
      },
      dir,
    );
    assert.deepEqual([byId.A.descriptions, byId.B.descriptions, byId.C.descriptions], [2, 1, 1]);
    // A: 2 x P1 + 1 x P2 + 4 x P1 = 5 + 1 + 10 = 16 kg; C: 3 x P2 = 3 kg.
    assert.deepEqual([byId.A.kg, byId.C.kg], [16, 3]);
  });

  test('orders without an order id: each (customer, time) is one order', async () => {
    const roles: Record<string, string> = { ...TX_SOURCE.roles };
    delete roles.order;
    const { byId } = await featuresOf(
      { sources: { tx: { ...TX_SOURCE, roles } }, features: ['frequency', 'monetary'] },
      dir,
    );
    assert.equal(byId.A.frequency, 2);
    assert.equal(byId.A.monetary, 33);
  });

  test('joins enrich a source with a lookup table; a non-unique key is refused', async () => {
    writeFiles(dir, {
      'products.csv': 'StockCode,Dept\nP1,Home\nP2,Kitchen\nP3,Toys\nPOST,Fees\n',
      'dupes.csv': 'StockCode,Dept\nP1,Home\nP1,Garden\n',
    });
    const roles = { ...TX_SOURCE.roles, category: 'Dept' };
    const recipe = {
      sources: {
        tx: { ...TX_SOURCE, roles, join: [{ source: 'products', on: { StockCode: 'StockCode' } }] },
        products: { kind: 'lookup', path: 'products.csv' },
      },
      features: [{ feature: 'category_share', top: 1 }],
    };
    const { byId } = await featuresOf(recipe, dir);
    assert.ok(Math.abs((byId.A.share_home as number) - 30 / 33) < 1e-12);
    const bad = {
      ...recipe,
      sources: { ...recipe.sources, products: { kind: 'lookup', path: 'dupes.csv' } },
    };
    await assert.rejects(
      featuresOf(bad, dir),
      (e: { code: string; message: string }) => e.code === 'DATA_JOIN' && /more than once/.test(e.message),
    );
  });

  test('joins say what they matched: keys of two types compared as ids, a partial join warned, an empty one refused', async () => {
    writeFiles(dir, {
      'lines.csv':
        'order,customer,time,item,qty,price\n1,A,2024-01-01,900000,1,10\n2,A,2024-01-05,12,1,20\n3,B,2024-01-03,13,2,5\n4,B,2024-01-04,12,1,20\n',
      // One key written 9e+05: DuckDB reads the column as a decimal, the lines' key is an integer.
      'items.csv': 'item,dept\n9e+05,Home\n12,Kitchen\n13,Toys\n',
      'items-partial.csv': 'item,dept\n900000,Home\n12,Kitchen\n',
      'items-none.csv': 'item,dept\nX1,Home\nX2,Kitchen\n',
    });
    const recipeWith = (items: string) => ({
      sources: {
        tx: {
          kind: 'transactions',
          path: 'lines.csv',
          roles: {
            order: 'order',
            customer: 'customer',
            time: 'time',
            quantity: 'qty',
            price: 'price',
            category: 'dept',
          },
          join: [{ source: 'items', on: { item: 'item' } }],
        },
        items: { kind: 'lookup', path: items },
      },
      features: ['monetary', { feature: 'category_share', top: 3 }],
    });
    const typed = await featuresOf(recipeWith('items.csv'), dir);
    assert.ok(
      Math.abs((typed.byId.A.share_home as number) - 10 / 30) < 1e-12,
      'the 9e+05 key matched 900000',
    );
    assert.ok(!typed.data.warnings.some((w: { code: string }) => w.code === 'JOIN_PARTIAL'));
    const partial = await featuresOf(recipeWith('items-partial.csv'), dir);
    const w = partial.data.warnings.find((x: { code: string }) => x.code === 'JOIN_PARTIAL');
    assert.ok(w, 'a join that matched 3 of 4 rows is warned');
    assert.match(
      w.message,
      /3 of 4 rows of "tx" \(75\.0%\) found a row of "items" on item = item.*Unmatched values include "13"/,
    );
    await assert.rejects(
      featuresOf(recipeWith('items-none.csv'), dir),
      (e: { code: string; message: string; where: { path?: string } }) =>
        e.code === 'DATA_JOIN' &&
        /no row of "tx" found a row of "items" \(tx\.item = items\.item\); unmatched values include "12", "13", "900000"/.test(
          e.message,
        ) &&
        e.where.path === 'sources.tx.join[0].on',
    );
  });
});

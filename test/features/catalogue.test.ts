import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validateRecipe } from '../../src/config/load.js';
import { SegmintError } from '../../src/core/errors.js';
import { TRAIT_BETTER } from '../../src/explain/personas.js';
import { planFeatures } from '../../src/features/build.js';
import {
  CATALOGUE,
  FEATURE_KINDS,
  initFeatures,
  TX_FEATURES,
  traitOf,
} from '../../src/features/catalogue.js';
import { sqlKit } from '../../src/sql/dialect.js';

const base = { sources: { tx: { path: 'tx.csv', roles: { customer: 'c', time: 't', price: 'p' } } } };

test('the catalogue is the one list of features: the recipe schema takes exactly its kinds', () => {
  for (const k of FEATURE_KINDS) {
    assert.ok(CATALOGUE[k].doc.length > 10, k);
    const r = validateRecipe({ ...base, features: [k] });
    assert.deepEqual(r.features, [k]);
  }
  assert.throws(
    () => validateRecipe({ ...base, features: ['recency_dayz'] }),
    (e: unknown) =>
      e instanceof SegmintError && e.code === 'RECIPE_INVALID' && /recency_days/.test(e.message),
  );
});

test('an option of another kind is refused, naming the kinds it belongs to', () => {
  assert.throws(
    () => validateRecipe({ ...base, features: [{ feature: 'monetary', top: 3 }] }),
    (e: unknown) =>
      e instanceof SegmintError &&
      e.code === 'RECIPE_INVALID' &&
      /features\[0\]\.top/.test(e.message) &&
      /option of category_share, not of monetary/.test(e.message),
  );
  // a shared option is taken by each of its kinds
  for (const feature of ['attribute', 'attributes'])
    assert.doesNotThrow(() =>
      validateRecipe({
        ...base,
        features: [{ feature, column: 'x', categorical: true }].map((f) =>
          feature === 'attributes' ? { feature, categorical: true } : f,
        ),
      }),
    );
});

test('traits named by the catalogue are the ones segment naming knows; TX_FEATURES follows the needs', () => {
  for (const k of FEATURE_KINDS) {
    const t = traitOf(k);
    if (t !== undefined) assert.ok(t in TRAIT_BETTER, `${k}: trait ${t}`);
  }
  assert.equal(traitOf('recency_days'), 'recency');
  assert.equal(traitOf('custom'), undefined);
  assert.ok(
    TX_FEATURES.has('monetary') && TX_FEATURES.has('country_distance') && !TX_FEATURES.has('sessions'),
  );
});

test('init suggests from the roles a source has, in catalogue order', () => {
  assert.deepEqual(initFeatures('transactions', { amount: 'a' }, false), [
    '  - recency_days',
    '  - frequency',
    '  - monetary',
    '  - avg_order_value',
    '  - tenure_days',
  ]);
  // A purchase log without money: no feature that reads money.
  assert.deepEqual(initFeatures('transactions', { order: 'o', category: 'c' }, false), [
    '  - recency_days',
    '  - frequency',
    '  - tenure_days',
  ]);
  const all = initFeatures(
    'transactions',
    { price: 'pr', quantity: 'q', product: 'p', order: 'o', category: 'c', country: 'k' },
    false,
  );
  assert.ok(
    all.includes('  - avg_items_per_order') && all.includes('  - { feature: category_share, top: 5 }'),
  );
  assert.equal(all.at(-1), '  # - { feature: country_distance, home: GB }');
  assert.ok(
    !initFeatures('transactions', { country: 'k' }, true).some((l) => l.includes('country_distance')),
  );
  assert.deepEqual(initFeatures('coupons', {}, false), [
    '  - coupons_claimed',
    '  - coupons_burned',
    '  - coupon_burn_rate',
  ]);
});

test('the planner renders each entry through the dialect kit and checks the source it needs', async () => {
  const ctx = (has: Partial<Record<'transactions' | 'customers' | 'events' | 'coupons', boolean>>) => ({
    kit: sqlKit('postgres'),
    has: { transactions: false, customers: false, events: false, coupons: false, ...has },
    byKind: {},
    txRelation: 'lines',
    custRelation: null,
    universe: 'u',
    all: async () => [],
    type: { numeric: () => true, temporal: () => false, boolean: () => false },
    numericText: async () => false,
  });
  const plan = await planFeatures(
    ['frequency', 'monetary', { feature: 'monetary', as: 'spend' }],
    { cancellations: 'net' },
    ctx({ transactions: true }),
  );
  assert.deepEqual(
    plan.columns.map((c) => c.name),
    ['frequency', 'monetary', 'spend'],
  );
  assert.equal(plan.revenueColumn, 'monetary');
  assert.match(plan.columns[1].description, /net of returns/);
  // Order features aggregate the orders (features/orders.ts): purchase orders counted, spend net
  // of returns from the orders' exact net sums.
  assert.equal(plan.aggs[0].table, 'ord');
  assert.match(plan.aggs[0].expr, /count\(\*\) FILTER \(WHERE lines > 0\)/);
  assert.match(plan.aggs[1].expr, /sum\(net\)/);
  await assert.rejects(
    planFeatures(['sessions'], { cancellations: 'drop' }, ctx({ transactions: true })),
    /features\[0\]: feature "sessions" needs a source of kind events/,
  );
  await assert.rejects(
    planFeatures(
      [{ feature: 'custom', as: 'x', sql: 'count(*)', from: 'coupons' }],
      { cancellations: 'drop' },
      ctx({ transactions: true }),
    ),
    /needs a source of kind coupons/,
  );
  await assert.rejects(
    planFeatures(['frequency', 'frequency'], { cancellations: 'drop' }, ctx({ transactions: true })),
    /used twice/,
  );
});

test('recency, frequency and monetary are found by the trait their catalogue kind shows, not by a column name', async () => {
  const { traitColumn } = await import('../../src/features/catalogue.js');
  const columns = [
    { name: 'Recency', feature: 'attributes', type: 'numeric' },
    { name: 'days_quiet', feature: 'recency_days', type: 'numeric' },
    { name: 'orders_n', feature: 'frequency', type: 'numeric' },
    { name: 'spend_total', feature: 'monetary', type: 'numeric' },
    { name: 'constructor', feature: 'constructor', type: 'numeric' },
  ];
  assert.equal(traitColumn(columns, 'recency')?.name, 'days_quiet');
  assert.equal(traitColumn(columns, 'frequency')?.name, 'orders_n');
  assert.equal(traitColumn(columns, 'monetary')?.name, 'spend_total');
  assert.equal(traitColumn(columns, 'burnRate'), undefined);
  assert.equal(traitColumn([{ name: 'Recency', feature: 'attributes' }], 'recency'), undefined);
});

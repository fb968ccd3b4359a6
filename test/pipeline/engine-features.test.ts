import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inspectFile } from '../../src/cli/inspect.js';
import { main } from '../../src/cli/main.js';
import { loadRecipe, recipeFromObject } from '../../src/config/load.js';
import { PrepSpec } from '../../src/config/recipe.js';
import type { SegmintError } from '../../src/core/errors.js';
import type { LedgerEntry } from '../../src/data/cleaning-rules.js';
import { buildFeaturesInEngine, pullFeatures } from '../../src/engine/features.js';
import { fitPrepInEngine } from '../../src/engine/prep.js';
import { parseModel } from '../../src/model/model.js';
import { type RunSummary, readFeatureTable, runRecipe } from '../../src/pipeline/run.js';
import { fitPrep, type NumericStep } from '../../src/prep/prepare.js';
import { featuresFromOrders } from '../../src/serve/orders.js';
import { clickhouseEngine } from '../../src/sql/clickhouse.js';
import { Duck } from '../../src/sql/duckdb.js';
import { openEngine } from '../../src/sql/open.js';
import { bindNamed, type Engine } from '../../src/sql/query.js';
import { startClickHouse } from '../ch-fixture.js';
import {
  engineShop,
  loadShopRows,
  type ShopTable,
  shopDdl,
  shopSources,
  writeShopCsv,
} from '../engine-shop.js';
import { captureIo, cleanup, featuresOf, listDir, ROOT, tempDir } from '../helpers.js';
import { startPostgres } from '../pg-fixture.js';

const FEATURES = [
  'recency_days',
  'frequency',
  'monetary',
  'avg_order_value',
  'avg_items_per_order',
  'unique_products',
  'tenure_days',
  'avg_days_between_orders',
  'return_rate',
  { feature: 'category_share', top: 3 },
  'sessions',
  'avg_session_minutes',
  { feature: 'event_count', type: 'wishlist_add' },
  'coupons_claimed',
  'coupons_burned',
  'coupon_burn_rate',
  'customer_tenure_days',
  { feature: 'attribute', column: 'channel' },
  { feature: 'attribute', column: 'age' },
  { feature: 'custom', as: 'items', sql: 'sum(quantity)' },
  { feature: 'country_distance', home: 'GB' },
  { feature: 'country_distance', home: 'DE', rank: true, as: 'de_rank' },
];

/** One recipe; only the engine line (and file vs table sources) changes between engines. */
const recipeFor = (engine?: unknown) => ({
  ...(engine ? { engine, output: { table: 'segment_tags' } } : {}),
  sources: shopSources(!engine),
  window: { days: 120 },
  cleaning: { filters: [{ column: 'country', notIn: ['Nowhere'] }] },
  features: FEATURES,
  cluster: { k: 4, seed: 3, nInit: 4 },
  clv: { unit: 'weeks' },
  explain: { tree: { maxDepth: 2 } },
});

type Rows = Record<string, unknown>[];

/** The features table built in the engine, pulled here, equals the in-process rows. */
async function samePulled(
  engine: Engine,
  built: Awaited<ReturnType<typeof buildFeaturesInEngine>>,
  want: Rows,
  label: string,
): Promise<void> {
  const duck = await Duck.open();
  try {
    await pullFeatures(engine, duck, built.table, built.feats.columns);
    sameFeatures(await duck.all('SELECT * FROM features ORDER BY customer_id'), want, label);
  } finally {
    duck.close();
  }
}

function sameFeatures(got: Rows, want: Rows, label: string): void {
  assert.equal(got.length, want.length, `${label}: customers`);
  for (let i = 0; i < want.length; i++) {
    const g = got[i];
    const w = want[i];
    assert.equal(String(g.customer_id), String(w.customer_id), `${label}: row ${i}`);
    for (const [k, v] of Object.entries(w)) {
      if (k === 'customer_id') continue;
      const a = g[k];
      if (v === null || typeof v === 'string') {
        assert.equal(a, v, `${label}: ${w.customer_id}.${k}`);
      } else {
        assert.ok(
          a !== null && Math.abs(Number(a) - Number(v)) <= 1e-9 * Math.max(1, Math.abs(Number(v))),
          `${label}: ${w.customer_id}.${k} = ${a}, in-process ${v}`,
        );
      }
    }
  }
}

/** The hand-made orders table without an order id (test/fixtures/rfm/orders.csv), as a shop table. */
function rowOrders(): ShopTable {
  const [, ...lines] = readFileSync(join(ROOT, 'test', 'fixtures', 'rfm', 'orders.csv'), 'utf8')
    .trim()
    .split('\n');
  return {
    name: 'rfm_orders',
    columns: [
      { name: 'customer_id', type: 'text' },
      { name: 'order_date', type: 'date' },
      { name: 'revenue', type: 'double' },
      // The same day as a counted period (days since 1970-01-01), for timeUnit: day.
      { name: 'day_no', type: 'int' },
    ],
    rows: lines.map((l) => {
      const [c, d, r] = l.split(',');
      return [c, d, Number(r), Math.round(Date.parse(`${d}T00:00:00Z`) / 86_400_000)];
    }),
  };
}

/** A table has no row order, and its ledger says so; otherwise its lines are the file's. */
const NO_ROW_ORDER = 'a table has no row order: the first by its values is kept';
const asFile = (ledger: LedgerEntry[]) =>
  ledger.map(({ note, ...l }) => (note === NO_ROW_ORDER || !note ? l : { ...l, note }));

describe('cleaning and features inside the engines', () => {
  const dir = tempDir('segmint-engine-features-');
  const shop = [...engineShop(), rowOrders()];
  let reference: Awaited<ReturnType<typeof featuresOf>>;
  let refRun: RunSummary;
  before(async () => {
    writeShopCsv(dir, shop);
    reference = await featuresOf(recipeFor(), dir);
    refRun = await runRecipe(recipeFromObject(recipeFor(), dir), { outDir: join(dir, 'out-inprocess') });
  });
  after(() => cleanup(dir));

  /** Engine.stream yields every row of a result larger than one page, in order, with bound values. */
  async function checkStream(engine: Engine, numbers: string) {
    let n = 0;
    let last = -1;
    for await (const r of engine.stream(`SELECT i + $one AS i FROM ${numbers} ORDER BY i`, { one: 1 })) {
      assert.equal(Number(r.i), last === -1 ? 1 : last + 1);
      last = Number(r.i);
      n++;
    }
    assert.equal(n, 25_000);
  }

  /**
   * Percentile capping inside the engine (interpolated quantiles; ClickHouse 18 interpolates
   * between its exact order statistics here) changes the same values as in-process.
   */
  async function checkCapped(engine: Engine, spec: Record<string, unknown>) {
    const cleaning = { cap: { upper: 0.9, lower: 0.1, columns: ['quantity', 'price', 'amount'] } };
    const ref = await featuresOf({ ...recipeFor(), cleaning }, dir);
    const built = await buildFeaturesInEngine(
      engine,
      recipeFromObject({ ...recipeFor(spec), cleaning }, dir).recipe,
    );
    assert.deepEqual(asFile(built.data.ledger), ref.data.ledger, `${engine.dialect}: the capping ledger`);
    assert.ok(
      built.data.ledger.filter((l) => /^[1-9][0-9]* value\(s\) capped/.test(l.note ?? '')).length === 3,
      'each column had values to cap',
    );
    await samePulled(engine, built, ref.rows, `${engine.dialect} capped`);
  }

  /**
   * Orders without an order id: each row is one order and exact duplicates stay (with their count
   * in a warning), in the engine as in-process.
   */
  async function checkRowOrders(engine: Engine, spec: Record<string, unknown>) {
    const recipe = (inEngine: boolean) => ({
      ...(inEngine ? { engine: { ...spec, featuresTable: 'row_order_features' } } : {}),
      sources: {
        orders: {
          ...(inEngine ? { table: 'rfm_orders' } : { path: 'rfm_orders.csv' }),
          roles: { customer: 'customer_id', time: 'order_date', amount: 'revenue' },
        },
      },
      window: { referenceDate: '2024-07-01' },
      features: ['recency_days', 'frequency', 'monetary', 'avg_order_value', 'avg_days_between_orders'],
    });
    const ref = await featuresOf(recipe(false), dir);
    assert.deepEqual(
      ref.rows.map((r) => Number(r.frequency)),
      [4, 2, 1, 2, 1, 3, 2, 5, 1, 2],
    );
    const built = await buildFeaturesInEngine(engine, recipeFromObject(recipe(true), dir).recipe);
    assert.deepEqual(
      asFile(built.data.ledger),
      ref.data.ledger,
      `${engine.dialect}: rows as orders, the ledger`,
    );
    assert.deepEqual(
      built.data.warnings.map((w) => w.message),
      ref.data.warnings.map((w) => w.message),
    );
    assert.ok(built.data.warnings.some((w) => w.code === 'DUPLICATES_KEPT'));
    await samePulled(engine, built, ref.rows, `${engine.dialect} rows as orders`);
    // A day number instead of the date (timeUnit: day) gives the same features in this engine.
    const counted = recipe(true);
    const orders = {
      ...counted.sources.orders,
      timeUnit: 'day',
      roles: { customer: 'customer_id', time: 'day_no', amount: 'revenue' },
    };
    const byDay = await buildFeaturesInEngine(
      engine,
      recipeFromObject({ ...counted, sources: { orders } }, dir).recipe,
    );
    await samePulled(engine, byDay, ref.rows, `${engine.dialect} day numbers as time`);
  }

  /** Builds the features in `engine`, checks them, the ledger and a whole run against in-process. */
  async function check(engine: Engine, spec: Record<string, unknown>, label: string) {
    const loaded = recipeFromObject(recipeFor(spec), dir);
    const built = await buildFeaturesInEngine(engine, loaded.recipe);
    assert.deepEqual(asFile(built.data.ledger), reference.data.ledger, `${label}: the same ledger`);
    assert.ok(built.data.ledger.some((l) => l.note === NO_ROW_ORDER));
    assert.equal(
      built.data.ledger.find((l) => l.rule === 'repeated customer id (first row kept)')?.removed,
      2,
      `${label}: a customer entered twice and one entered again keep one row each`,
    );
    assert.ok(
      (built.data.ledger.find((l) => l.rule === 'cancelled or failed order status')?.removed ?? 0) > 0,
      `${label}: canceled orders (status " Canceled ") are dropped and counted`,
    );
    assert.equal(built.data.referenceDate, reference.data.referenceDate);
    assert.equal(built.data.windowStart, reference.data.windowStart);
    assert.deepEqual(
      built.data.warnings.map((w) => w.code).sort(),
      reference.data.warnings.map((w) => w.code).sort(),
    );
    assert.deepEqual(built.feats.columns, reference.feats.columns, `${label}: the same columns`);
    assert.deepEqual(
      built.feats.warnings.map((w) => w.message),
      reference.feats.warnings.map((w) => w.message),
      `${label}: the same feature warnings (unknown countries)`,
    );
    assert.ok(reference.feats.warnings.some((w) => w.code === 'COUNTRY_UNKNOWN'));
    assert.ok(
      built.rowsReturned < 100 + 3 * 24,
      `${label}: only counts, categories and the report's three 24-bin histograms come back (${built.rowsReturned} rows)`,
    );
    const duck = await Duck.open();
    try {
      const n = await pullFeatures(engine, duck, built.table, built.feats.columns);
      assert.equal(n, reference.rows.length);
      sameFeatures(await duck.all('SELECT * FROM features ORDER BY customer_id'), reference.rows, label);
      // The preparation fitted on the engine's features table (with its missing values) is the
      // in-process one: k-means can go on in the engine from here.
      const numeric = built.feats.columns.filter((c) => c.type === 'numeric');
      const table = await readFeatureTable(duck, numeric);
      const local = fitPrep(table, PrepSpec.parse({ impute: 'mean', log: 'none', scaler: 'standard' })).params
        .steps as NumericStep[];
      const fitted = await fitPrepInEngine(
        engine,
        built.table,
        numeric.map((c) => c.name),
        'standard',
      );
      (fitted.steps as NumericStep[]).forEach((st, j) => {
        const near = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
        assert.ok(
          near(st.impute, local[j].impute) &&
            near(st.center, local[j].center) &&
            near(st.scale, local[j].scale),
          `${label}: ${st.name}`,
        );
      });
    } finally {
      duck.close();
    }
    const run = await runRecipe(loaded, { outDir: join(dir, `out-${label}`) });
    assert.deepEqual(
      run.segments.map((s) => [s.id, s.size]),
      refRun.segments.map((s) => [s.id, s.size]),
      `${label}: the same segments`,
    );
    const tags = (d: string) =>
      readFileSync(join(d, 'tags.csv'), 'utf8')
        .split('\n')
        .map((l) => l.split(','));
    const mine = tags(run.runDir);
    const theirs = tags(refRun.runDir);
    assert.deepEqual(
      mine.map((r) => r.slice(0, 2).join(',')),
      theirs.map((r) => r.slice(0, 2).join(',')),
      `${label}: every customer tagged the same`,
    );
    // CLV from the summary computed in the engine: the same to 1e-9.
    const clvAt = mine[0].indexOf('clv_value');
    assert.deepEqual(mine[0].slice(clvAt - 3, clvAt + 1), [
      'clv_p_alive',
      'clv_expected_purchases',
      'clv_expected_spend',
      'clv_value',
    ]);
    for (let i = 1; i < theirs.length - 1; i++)
      for (let j = clvAt - 3; j <= clvAt; j++) {
        const [a, b] = [Number(mine[i][j]), Number(theirs[i][j])];
        assert.ok(
          Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)),
          `${label}: ${mine[0][j]} of ${mine[i][0]}: ${a} vs ${b}`,
        );
      }
    const record = JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8'));
    assert.equal(record.inputs[0].file, `${engine.dialect}:orders`);
    // The report's data overview: every column with its nulls, as the embedded run counts them.
    const refRecord = JSON.parse(readFileSync(join(refRun.runDir, 'run.json'), 'utf8'));
    const nulls = (o: { sources: { columns: { name: string; nulls: number }[] }[] }) =>
      o.sources.map((x) => x.columns.map((c) => `${c.name}:${c.nulls}`));
    assert.deepEqual(nulls(record.overview), nulls(refRecord.overview), `${label}: column nulls`);
    // The model scores the features table inside the engine (segmint score --engine) exactly as
    // the run tagged each customer.
    if (engine.dialect !== 'duckdb') {
      const c = captureIo();
      const args = ['score', '--model', join(run.runDir, 'model.json'), '--engine', engine.dialect];
      args.push('--url', String(spec.url), '--table', built.table, '--out-table', 'segmint_tags', '--json');
      assert.equal(await main(args, c.io), 0, c.stderr() + c.stdout());
      assert.equal(JSON.parse(c.stdout()).rows, reference.rows.length);
      const want = new Map(
        readFileSync(join(run.runDir, 'tags.csv'), 'utf8')
          .trim()
          .split('\n')
          .slice(1)
          .map((l) => [l.split(',')[0], l.split(',')[1]]),
      );
      const got = await engine.all('SELECT customer_id, segment_id FROM segmint_tags');
      assert.equal(got.length, want.size);
      for (const g of got)
        assert.equal(String(g.segment_id), want.get(String(g.customer_id)), String(g.customer_id));
    }
    // output.table: the run's tags, with its id, written back into the engine.
    const written = await engine.all('SELECT customer_id, segment_id, run_id FROM segment_tags');
    const tagOf = new Map(mine.slice(1, -1).map((r) => [r[0], r[1]]));
    assert.equal(written.length, tagOf.size, `${label}: every customer written back`);
    for (const w of written) {
      assert.equal(String(Number(w.segment_id)), tagOf.get(String(w.customer_id)), String(w.customer_id));
      assert.equal(w.run_id, run.runId);
    }
    // The scoring API featurises posted orders with the model's definitions, engine or not.
    const model = (d: string) => parseModel(JSON.parse(readFileSync(join(d, 'model.json'), 'utf8')));
    const orders = [
      {
        invoice: '1',
        stock_code: 'P01',
        quantity: 2,
        invoice_date: '2024-06-01 10:00:00',
        price: 3.5,
        customer_id: 'X1',
        country: 'France',
        category: 'Home',
      },
      {
        invoice: '2',
        stock_code: 'P02',
        quantity: 1,
        invoice_date: '2024-06-20 10:00:00',
        price: 8,
        customer_id: 'X1',
        country: 'France',
        category: 'Toys',
      },
    ];
    assert.deepEqual(
      [...(await featuresFromOrders(model(run.runDir), orders)).entries()],
      [...(await featuresFromOrders(model(refRun.runDir), orders)).entries()],
    );
  }

  test('DuckDB database file: the same ledger, features and segments as the embedded pipeline', async () => {
    const file = join(dir, 'shop.duckdb');
    const duck = await Duck.open(file, undefined, { shared: true });
    const e0 = await openEngine({ type: 'duckdb', database: file });
    for (const t of shop) {
      await e0.exec(shopDdl(t, 'duckdb'));
      await loadShopRows(e0, t, t.rows);
    }
    duck.close();
    await e0.close();
    const engine = await openEngine({ type: 'duckdb', database: file });
    try {
      await checkStream(engine, '(SELECT range AS i FROM range(25000)) AS g');
      await check(engine, { type: 'duckdb', database: 'shop.duckdb' }, 'duckdb');
      // Progress comes per phase; cancelling stops at the next statement and leaves the last
      // features table as it was.
      const recipe = recipeFromObject(recipeFor({ type: 'duckdb', database: 'shop.duckdb' }), dir).recipe;
      const before = await engine.all('SELECT * FROM segmint_features ORDER BY customer_id');
      const seen: string[] = [];
      await buildFeaturesInEngine(engine, recipe, {
        onProgress: (d, n, label) => seen.push(`${d}/${n} ${label}`),
      });
      assert.deepEqual(seen, [
        '0/7 reading the tables',
        '1/7 cleaning transactions',
        '2/7 cleaning customers',
        '3/7 cleaning events',
        '4/7 cleaning coupons',
        '5/7 the window and the customers',
        '6/7 building the features',
      ]);
      const stop = new AbortController();
      await assert.rejects(
        buildFeaturesInEngine(engine, recipe, {
          signal: stop.signal,
          onProgress: (d) => {
            if (d === 2) stop.abort();
          },
        }),
        (e: SegmintError) => e.code === 'CANCELLED',
      );
      assert.deepEqual(await engine.all('SELECT * FROM segmint_features ORDER BY customer_id'), before);
      // A whole run stops too, before writing anything.
      const runStop = new AbortController();
      await assert.rejects(
        runRecipe(recipeFromObject(recipeFor({ type: 'duckdb', database: 'shop.duckdb' }), dir), {
          outDir: join(dir, 'out-cancelled'),
          signal: runStop.signal,
          onEvent: (e) => {
            if (e.type === 'progress') runStop.abort();
          },
        }),
        (e: SegmintError) => e.code === 'CANCELLED',
      );
      assert.deepEqual(listDir(join(dir, 'out-cancelled', 'runs')), []);
      await checkRowOrders(engine, { type: 'duckdb', database: 'shop.duckdb' });
    } finally {
      await engine.close();
    }
  });

  test('PostgreSQL: the same ledger, features and segments', async (t) => {
    const srv = await startPostgres(t);
    if (!srv) return;
    t.after(() => srv.stop());
    const engine = await openEngine({ type: 'postgres', url: srv.url });
    try {
      for (const tb of shop) {
        await engine.exec(shopDdl(tb, 'postgres'));
        await loadShopRows(engine, tb, tb.rows);
      }
      await checkStream(engine, 'generate_series(0, 24999) AS g(i)');
      await check(engine, { type: 'postgres', url: srv.url }, 'postgres');
      // cancel() stops a running statement on the server.
      const t0 = Date.now();
      const sleeping = engine.all('SELECT pg_sleep(30)');
      setTimeout(() => void engine.cancel(), 300);
      await assert.rejects(sleeping, (e: SegmintError) => e.code === 'DB_ERROR' && /cancel/i.test(e.message));
      assert.ok(Date.now() - t0 < 10_000, 'cancelled well before the statement would end');
      await checkCapped(engine, { type: 'postgres', url: srv.url });
      await checkRowOrders(engine, { type: 'postgres', url: srv.url });
      // segmint init --engine reads the tables there and writes a recipe that runs as it is; the
      // password stays out of the file (the URL comes from SEGMINT_PG_URL).
      const c = captureIo();
      const recipeFile = join(dir, 'warehouse.yaml');
      const initArgs = [
        'init',
        '--engine',
        'postgres',
        '--url',
        srv.url,
        'orders',
        'events',
        'coupons',
        'customers',
      ];
      assert.equal(await main([...initArgs, '-o', recipeFile, '--json'], c.io), 0, c.stderr());
      const text = readFileSync(recipeFile, 'utf8');
      assert.doesNotMatch(text, /secret-pw/);
      assert.match(text, /engine:\n {2}type: postgres/);
      const guessed = JSON.parse(c.stdout()).sources.map(
        (x: { table: string; kind: string }) => `${x.table}:${x.kind}`,
      );
      assert.deepEqual(guessed, [
        'orders:transactions',
        'events:events',
        'coupons:coupons',
        'customers:customers',
      ]);
      const before = process.env.SEGMINT_PG_URL;
      process.env.SEGMINT_PG_URL = srv.url;
      try {
        const r = await runRecipe(loadRecipe(recipeFile), { outDir: join(dir, 'out-init') });
        assert.ok(r.k >= 2 && r.customers > 0, 'the generated recipe runs in PostgreSQL');
      } finally {
        if (before === undefined) delete process.env.SEGMINT_PG_URL;
        else process.env.SEGMINT_PG_URL = before;
      }
      // Errors name the place: a missing table, a role column that is not there.
      await assert.rejects(
        buildFeaturesInEngine(
          engine,
          recipeFromObject(
            {
              ...recipeFor({ type: 'postgres' }),
              sources: { o: { table: 'nope', roles: { customer: 'x', time: 'y', price: 'z' } } },
            },
            dir,
          ).recipe,
        ),
        (e: SegmintError) => e.code === 'DATA_TABLE_NOT_FOUND' && /sources\.o\.table/.test(e.message),
      );
      await assert.rejects(
        buildFeaturesInEngine(
          engine,
          recipeFromObject(
            {
              ...recipeFor({ type: 'postgres' }),
              sources: {
                o: { table: 'orders', roles: { customer: 'customer', time: 'invoice_date', price: 'price' } },
              },
            },
            dir,
          ).recipe,
        ),
        (e: SegmintError) => e.code === 'DATA_COLUMN_MISSING' && e.where?.path === 'sources.o.roles.customer',
      );
    } finally {
      await engine.close();
    }
  });

  test('ClickHouse, two shards behind Distributed tables: the same ledger, features and segments', async (t) => {
    const ch = await startClickHouse(t, 29123 + (process.pid % 500) * 4);
    if (!ch) return;
    try {
      for (const [s, url] of ch.urls.entries()) {
        const node = clickhouseEngine(url);
        for (const tb of shop) {
          await node.exec(shopDdl(tb, 'clickhouse', `${tb.name}_local`));
          await loadShopRows(
            node,
            tb,
            tb.rows.filter((_, i) => i % 2 === s),
            `${tb.name}_local`,
          );
          await node.exec(
            shopDdl(
              tb,
              'clickhouse',
              tb.name,
              ` ENGINE = Distributed(segmint, default, ${tb.name}_local, rand())`,
            ),
          );
        }
        await node.close();
      }
      const engine = await openEngine({ type: 'clickhouse', url: ch.urls[0] });
      try {
        await checkStream(engine, '(SELECT number AS i FROM numbers(25000))');
        // segmint inspect --engine: the file summary, computed on the cluster.
        const c = captureIo();
        assert.equal(
          await main(['inspect', '--engine', 'clickhouse', '--url', ch.urls[0], 'orders', '--json'], c.io),
          0,
        );
        const o = JSON.parse(c.stdout());
        const orders = shop[0];
        assert.equal(o.rows, orders.rows.length);
        assert.equal(o.kind, 'transactions');
        const col = (name: string) => o.columns.find((x: { name: string }) => x.name === name);
        const at = orders.columns.findIndex((x) => x.name === 'customer_id');
        assert.equal(col('customer_id').nulls, orders.rows.filter((r) => r[at] === null).length);
        assert.equal(col('country').distinct, new Set(orders.rows.map((r) => r[6])).size);
        assert.equal(col('stock_code').top.length, 5);
        const fromFile = (await inspectFile(join(dir, 'orders.csv'))).columns.find(
          (x) => x.name === 'price',
        )!;
        for (const k of ['q25', 'median', 'q75'] as const)
          assert.ok(Math.abs(col('price')[k] - Number(fromFile[k])) < 1e-9, `price ${k} as for the file`);
        await check(engine, { type: 'clickhouse', url: ch.urls[0] }, 'clickhouse');
        // cancel() aborts the request and kills the query on the server.
        const t0 = Date.now();
        const long = engine.all('SELECT count() AS n FROM numbers(100000000000) WHERE sipHash64(number) = 1');
        setTimeout(() => void engine.cancel(), 300);
        await assert.rejects(long, (e: SegmintError) => e.code === 'DB_ERROR');
        assert.ok(Date.now() - t0 < 10_000, 'cancelled well before the statement would end');
        await checkCapped(engine, { type: 'clickhouse', url: ch.urls[0] });
        await checkRowOrders(engine, { type: 'clickhouse', url: ch.urls[0] });
      } finally {
        await engine.close();
      }
    } finally {
      ch.stop();
    }
  });
});

test('named parameters are bound outside quoted text and identifiers only', () => {
  const seen: string[] = [];
  const sql = bindNamed(
    `SELECT $a, '$a', "$a", 'it''s $b', $b, $missing, $a FROM t WHERE x = 'a\\'$a'`,
    { a: 1, b: 'x' },
    (n) => {
      seen.push(n);
      return `?${n}`;
    },
  );
  assert.equal(sql, `SELECT ?a, '$a', "$a", 'it''s $b', ?b, $missing, ?a FROM t WHERE x = 'a\\'$a'`);
  assert.deepEqual(seen, ['a', 'b', 'a']);
});

test('an engine that cannot be reached is a DB_ERROR that names it without its password', async () => {
  for (const [type, url] of [
    ['postgres', 'postgres://shop:s3cret@127.0.0.1:1/shop'],
    ['clickhouse', 'http://shop:s3cret@127.0.0.1:1'],
  ] as const) {
    await assert.rejects(openEngine({ type, url }), (e: SegmintError) => {
      assert.equal(e.code, 'DB_ERROR', type);
      assert.match(e.message, /127\.0\.0\.1:1/);
      assert.doesNotMatch(`${e.message} ${e.hint} ${JSON.stringify(e.details ?? {})}`, /s3cret/);
      return true;
    });
  }
  await assert.rejects(
    openEngine({ type: 'duckdb' }),
    (e: SegmintError) => e.code === 'USAGE' && /database/.test(e.message),
  );
});

// Features and one k-means iteration where the data lives: the demo shop's order lines (1M, and ten
// shops' worth = 10M) in a DuckDB database file, PostgreSQL and a two-shard ClickHouse, against the
// embedded pipeline (files read into segmint's own DuckDB) on the same lines, measured in the same
// run. Prints per engine and size: the time to clean and build the features there, the time of one
// Lloyd iteration there, the rows that came back to segmint, and segmint's peak memory (JavaScript
// heap + buffers, and the process RSS, which for the embedded DuckDB includes DuckDB's own buffers).
// Goals (issue 7): no rows back but counts, centroids and the sample; client memory flat 1M -> 10M.
// Usage: node --import tsx --expose-gc bench/engine-features.ts [--copies 1,10] [--engines duckdb,postgres,clickhouse]

import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { kmeansPlusPlus } from '../src/cluster/kmeans.js';
import { recipeFromObject } from '../src/config/load.js';
import { createRng } from '../src/core/rng.js';
import { generateDemoShop } from '../src/demo/generate.js';
import { buildFeaturesInEngine } from '../src/engine/features.js';
import { drawSample, lloydIterationSql } from '../src/engine/kmeans.js';
import { fitPrepInEngine } from '../src/engine/prep.js';
import { computeFeatures } from '../src/pipeline/run.js';
import { clickhouseEngine } from '../src/sql/clickhouse.js';
import { sqlKit } from '../src/sql/dialect.js';
import { Duck } from '../src/sql/duckdb.js';
import { openEngine } from '../src/sql/open.js';
import type { Engine } from '../src/sql/query.js';
import { startClickHouse } from '../test/ch-fixture.js';
import { startPostgres } from '../test/pg-fixture.js';
import { ONLINE_RETAIL_ROLES } from '../test/scale-shop.js';
import { fmt, timeAsync } from './common.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : dflt;
};
const copiesList = arg('--copies', '1,10').split(',').map(Number);
const engines = new Set(arg('--engines', 'duckdb,postgres,clickhouse').split(','));
const K = 8;
const FEATURES = [
  'recency_days',
  'frequency',
  'monetary',
  'avg_order_value',
  'unique_products',
  'tenure_days',
  'return_rate',
];
const ROLES = ONLINE_RETAIL_ROLES;
const COLUMNS: [string, Record<'duckdb' | 'postgres' | 'clickhouse', string>][] = [
  ['Invoice', { duckdb: 'VARCHAR', postgres: 'TEXT', clickhouse: 'String' }],
  ['StockCode', { duckdb: 'VARCHAR', postgres: 'TEXT', clickhouse: 'String' }],
  ['Description', { duckdb: 'VARCHAR', postgres: 'TEXT', clickhouse: 'String' }],
  ['Quantity', { duckdb: 'INTEGER', postgres: 'INTEGER', clickhouse: 'Int32' }],
  ['InvoiceDate', { duckdb: 'TIMESTAMP', postgres: 'TIMESTAMP', clickhouse: 'DateTime' }],
  ['Price', { duckdb: 'DOUBLE', postgres: 'DOUBLE PRECISION', clickhouse: 'Float64' }],
  ['Customer ID', { duckdb: 'VARCHAR', postgres: 'TEXT', clickhouse: 'String' }],
  ['Country', { duckdb: 'VARCHAR', postgres: 'TEXT', clickhouse: 'String' }],
];
const ddl = (name: string, d: 'duckdb' | 'postgres' | 'clickhouse', suffix = '') =>
  `CREATE TABLE ${name} (${COLUMNS.map(([c, t]) => `${sqlKit(d).q(c)} ${t[d]}`).join(', ')})${suffix}`;
/** The base lines copied `copies` times, each copy with its own customers and invoices. */
const copySql = (d: 'duckdb' | 'postgres' | 'clickhouse', base: string, copies: number) => {
  const q = sqlKit(d).q;
  const cat = (a: string, b: string) => (d === 'clickhouse' ? `concat(${a}, ${b})` : `${a} || ${b}`);
  const k = d === 'clickhouse' ? 'toString(number)' : 'CAST(k AS TEXT)';
  const from =
    d === 'clickhouse'
      ? `${base} CROSS JOIN numbers(${copies})`
      : d === 'duckdb'
        ? `${base}, range(${copies}) r(k)`
        : `${base}, generate_series(0, ${copies - 1}) r(k)`;
  const sel = COLUMNS.map(([c]) =>
    c === 'Invoice'
      ? `${cat(q(c), cat("'-'", k))} AS ${q(c)}`
      : c === 'Customer ID'
        ? `CASE WHEN ${q(c)} = '' THEN '' ELSE ${cat(k, cat("'-'", q(c)))} END AS ${q(c)}`
        : q(c),
  );
  return `SELECT ${sel.join(', ')} FROM ${from}`;
};

const mem = () => {
  const m = process.memoryUsage();
  return { js: m.heapUsed + m.arrayBuffers, rss: m.rss };
};
/** Runs `f`, sampling segmint's memory every 5 ms; peak growth over the start, in MB. */
async function peakOf<T>(f: () => Promise<T>): Promise<{ value: T; ms: number; js: number; rss: number }> {
  globalThis.gc?.();
  const start = mem();
  let peak = { ...start };
  const probe = setInterval(() => {
    const m = mem();
    peak = { js: Math.max(peak.js, m.js), rss: Math.max(peak.rss, m.rss) };
  }, 5);
  const r = await timeAsync(f);
  clearInterval(probe);
  const m = mem();
  return {
    value: r.value,
    ms: r.ms,
    js: (Math.max(peak.js, m.js) - start.js) / 2 ** 20,
    rss: (Math.max(peak.rss, m.rss) - start.rss) / 2 ** 20,
  };
}

const dir = mkdtempSync(join(tmpdir(), 'segmint-bench-engine-'));
chmodSync(dir, 0o755);
const shop = generateDemoShop({ dir, customers: 9200, seed: 1 });
chmodSync(join(dir, 'data'), 0o755);
chmodSync(shop.transactions, 0o644);
console.log(`Demo shop: ${shop.lines.toLocaleString('en')} order lines per copy (${shop.transactions}).\n`);

const recipeFor = (engine: unknown, table: string) =>
  recipeFromObject(
    {
      engine,
      sources: { orders: { kind: 'transactions', table, roles: ROLES } },
      features: FEATURES,
    },
    dir,
  ).recipe;

const rows: string[] = [];
async function measure(label: string, engine: Engine, table: string, lines: number, reference: number) {
  const recipe = recipeFor(engine.dialect, table);
  const f = await peakOf(() => buildFeaturesInEngine(engine, recipe));
  const names = f.value.feats.columns.map((c) => c.name);
  const it = await peakOf(async () => {
    const prep = await fitPrepInEngine(engine, f.value.table, names, 'standard');
    const sample = await drawSample(engine, { prep, table: f.value.table, seed: 1, sampleSize: 5000 });
    const centres = kmeansPlusPlus(sample, K, createRng(1));
    const one = await timeAsync(() =>
      engine.all(lloydIterationSql(prep, centres, K, f.value.table, engine.dialect)),
    );
    return { iteration: one, sample: sample.rows, back: one.value.length };
  });
  rows.push(
    `| ${label} | ${lines.toLocaleString('en')} | ${fmt(f.ms)} | ${(f.ms / reference).toFixed(2)} | ${fmt(it.value.iteration.ms)} | ${f.value.rowsReturned} + ${it.value.sample} + ${it.value.back} | ${Math.max(f.js, it.js).toFixed(1)} MB | ${Math.max(f.rss, it.rss).toFixed(0)} MB |`,
  );
  console.log(rows.at(-1));
}

const header = [
  '| engine | order lines | clean + features | ratio to embedded | one k-means iteration | rows back (counts + sample + centroids) | client JS memory | client RSS growth |',
  '|---|---|---|---|---|---|---|---|',
];
console.log(header.join('\n'));
const pgServer = engines.has('postgres')
  ? await startPostgres({ skip: () => {} } as unknown as TestContext).catch(() => null)
  : null;
const ch = engines.has('clickhouse')
  ? await startClickHouse({ skip: () => {} } as unknown as TestContext, 31123).catch(() => null)
  : null;
try {
  for (const copies of copiesList) {
    const lines = shop.lines * copies;
    // The reference: the embedded pipeline reading the same lines from a Parquet file.
    const file = join(dir, `orders-${copies}.duckdb`);
    const parquet = join(dir, `orders-${copies}.parquet`);
    {
      const duck = await Duck.open(file, undefined, { shared: true });
      await duck.exec(ddl('base', 'duckdb'));
      await duck.exec(
        `INSERT INTO base SELECT * FROM read_csv('${shop.transactions}', header = true, all_varchar = false, types = {'Customer ID': 'VARCHAR', 'Invoice': 'VARCHAR', 'StockCode': 'VARCHAR'})`,
      );
      await duck.exec(`CREATE TABLE orders AS ${copySql('duckdb', 'base', copies)}`);
      await duck.exec(`COPY orders TO '${parquet}' (FORMAT parquet)`);
      duck.close();
    }
    const embedded = await peakOf(async () => {
      const duck = await Duck.open();
      try {
        const loaded = recipeFromObject(
          { sources: { orders: { kind: 'transactions', path: parquet, roles: ROLES } }, features: FEATURES },
          dir,
        );
        return await computeFeatures(duck, loaded);
      } finally {
        duck.close();
      }
    });
    rows.push(
      `| embedded (reference: Parquet file -> segmint's DuckDB) | ${lines.toLocaleString('en')} | ${fmt(embedded.ms)} | 1.00 | (in-process) | all ${lines.toLocaleString('en')} lines read in | ${embedded.js.toFixed(1)} MB | ${embedded.rss.toFixed(0)} MB |`,
    );
    console.log(rows.at(-1));
    if (engines.has('duckdb')) {
      const engine = await openEngine({ type: 'duckdb', database: file });
      try {
        await measure('DuckDB (database file)', engine, 'orders', lines, embedded.ms);
      } finally {
        await engine.close();
      }
    }
    if (pgServer) {
      const engine = await openEngine({ type: 'postgres', url: pgServer.url });
      try {
        await engine.exec('DROP TABLE IF EXISTS base');
        await engine.exec('DROP TABLE IF EXISTS orders');
        await engine.exec(ddl('base', 'postgres'));
        await engine.exec(`COPY base FROM '${shop.transactions}' WITH (FORMAT csv, HEADER true)`);
        await engine.exec(`CREATE TABLE orders AS ${copySql('postgres', 'base', copies)}`);
        await engine.exec('ANALYZE orders');
        await measure('PostgreSQL 15 (local)', engine, 'orders', lines, embedded.ms);
      } finally {
        await engine.close();
      }
    }
    if (ch) {
      for (const [s, url] of ch.urls.entries()) {
        const node = clickhouseEngine(url);
        for (const t of ['orders', 'orders_local', 'base']) await node.exec(`DROP TABLE IF EXISTS ${t}`);
        await node.exec(ddl('orders_local', 'clickhouse', ' ENGINE = MergeTree ORDER BY tuple()'));
        await node.exec(
          ddl(
            'orders',
            'clickhouse',
            ' ENGINE = Distributed(segmint, default, orders_local, cityHash64(Invoice))',
          ),
        );
        if (s === 0) {
          await node.exec(ddl('base', 'clickhouse', ' ENGINE = MergeTree ORDER BY tuple()'));
          const fd = openSync(shop.transactions, 'r');
          const r = spawnSync(
            '/usr/bin/clickhouse-client',
            [
              '--port',
              String(Number(new URL(url).port) + 1),
              '--query',
              'INSERT INTO base FORMAT CSVWithNames',
            ],
            { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' },
          );
          closeSync(fd);
          if (r.status !== 0) throw new Error(`clickhouse-client: ${r.stderr}`);
          await node.exec(
            `INSERT INTO orders ${copySql('clickhouse', 'base', copies)} SETTINGS insert_distributed_sync = 1`,
          );
        }
        await node.close();
      }
      const engine = await openEngine({ type: 'clickhouse', url: ch.urls[0] });
      try {
        await measure('ClickHouse 18 (2 shards, Distributed)', engine, 'orders', lines, embedded.ms);
      } finally {
        await engine.close();
      }
    }
    rmSync(file, { force: true });
    rmSync(parquet, { force: true });
  }
} finally {
  pgServer?.stop();
  ch?.stop();
  rmSync(dir, { recursive: true, force: true });
}
writeFileSync(join(tmpdir(), 'segmint-bench-engine-features.md'), [...header, ...rows].join('\n'));

// In-engine k-means: one Lloyd iteration as one aggregation query inside the database, against the
// same iteration in-process on the same rows pulled out, at 1M and 10M customers. Prints the time
// per iteration, the rows that come back to the client and the client's (JavaScript) memory, which
// should stay flat as the data grows. DuckDB at every size; PostgreSQL at the smallest (SEGMINT_PG_URL,
// or a throw-away local server when Debian's postgresql is installed).
// Usage: node --import tsx bench/engine.ts [--sizes 1000000,10000000]
import type { TestContext } from 'node:test';
import pg from 'pg';
import { lloyd } from '../src/cluster/kmeans.js';
import { PrepSpec } from '../src/config/recipe.js';
import { createMatrix } from '../src/core/matrix.js';
import { lloydIterationSql } from '../src/engine/kmeans.js';
import { fitPrep } from '../src/prep/prepare.js';
import { Duck, duckdbEngine } from '../src/sql/duckdb.js';
import { postgresEngine } from '../src/sql/postgres.js';
import type { Queryable } from '../src/sql/query.js';
import { startPostgres } from '../test/pg-fixture.js';
import { fmt, timeAsync } from './common.js';

const argSizes = process.argv.indexOf('--sizes');
const sizes = (argSizes > 0 ? process.argv[argSizes + 1] : '1000000,10000000').split(',').map(Number);
const NAMES = ['spend', 'orders', 'visits', 'tenure'];
const K = 8;
// The prepared columns are the raw ones (no scaling), so the preparation is fitted on a stub table.
const prep = fitPrep(
  {
    ids: ['a', 'b'],
    numeric: NAMES.map((name) => ({ name, values: Float64Array.of(0, 1) })),
    categorical: [],
  },
  PrepSpec.parse({ scaler: 'none', log: 'none', impute: 'mean' }),
).params;
const centers = Float64Array.from({ length: K * NAMES.length }, (_, i) => ((i * 37) % 100) / 10);

/** Deterministic pseudo-random features in the database: hash of (row, column) on [0, 10). */
const generate = (n: number, hash: (i: string, j: number) => string, rows: (m: number) => string) =>
  `SELECT 'c' || CAST(i AS TEXT) AS customer_id, ${NAMES.map((c, j) => `CAST(${hash('i', j)} AS DOUBLE PRECISION) / 1000 AS ${c}`).join(', ')} FROM ${rows(n)}`;

const jsBytes = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

async function measure(engine: string, runner: Queryable, n: number) {
  const sql = lloydIterationSql(prep, centers, K, 'features', runner.dialect);
  await runner.all(sql); // warm
  globalThis.gc?.();
  const before = jsBytes();
  let peak = before;
  const probe = setInterval(() => {
    peak = Math.max(peak, jsBytes());
  }, 5);
  const times: number[] = [];
  let moved = 0;
  for (let r = 0; r < 3; r++) {
    const t = await timeAsync(() => runner.all(sql));
    times.push(t.ms);
    moved = t.value.length;
  }
  clearInterval(probe);
  peak = Math.max(peak, jsBytes());
  const engineMs = times.sort((a, b) => a - b)[1];
  // The reference: pull the same rows out and run the iteration in-process.
  const pulled = await timeAsync(() => runner.all(`SELECT ${NAMES.join(', ')} FROM features`));
  const X = createMatrix(pulled.value.length, NAMES.length);
  pulled.value.forEach((row, i) => {
    for (let t = 0; t < NAMES.length; t++) X.data[i * NAMES.length + t] = Number(row[NAMES[t]]);
  });
  const pullBytes = jsBytes() - before;
  const local = await timeAsync(async () => lloyd(X, Float64Array.from(centers), K, 1, 0, 'lloyd'));
  console.log(
    `| ${engine} | ${n.toLocaleString('en')} | ${fmt(engineMs)} | ${fmt(local.ms)} (+ ${fmt(pulled.ms)} to pull) | ${(engineMs / local.ms).toFixed(2)} | ${moved} rows | ${n.toLocaleString('en')} rows | ${((peak - before) / 2 ** 20).toFixed(1)} MB | ${(pullBytes / 2 ** 20).toFixed(0)} MB |`,
  );
}

console.log(
  '| engine | customers | one iteration in the engine | in-process (reference) | ratio | rows back (engine) | rows back (in-process) | client memory (engine) | client memory (in-process) |',
);
console.log('|---|---|---|---|---|---|---|---|---|');
for (const n of sizes) {
  const duck = await Duck.open();
  try {
    await duck.exec(
      `CREATE TABLE features AS ${generate(
        n,
        (i, j) => `hash(${i}, ${j}) % 10000`,
        (m) => `range(${m}) t(i)`,
      )}`,
    );
    await measure('DuckDB (embedded)', duckdbEngine(duck), n);
  } finally {
    duck.close();
  }
}
// SEGMINT_PG_URL, or a throw-away server on loopback when Debian's PostgreSQL is installed.
const local = process.env.SEGMINT_PG_URL
  ? null
  : await startPostgres({ skip: () => {} } as unknown as TestContext).catch(() => null);
const pgUrl = process.env.SEGMINT_PG_URL ?? local?.url;
if (pgUrl) {
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  try {
    const n = Math.min(...sizes);
    await client.query('DROP TABLE IF EXISTS features');
    await client.query(
      `CREATE TABLE features AS ${generate(
        n,
        (i, j) => `abs(hashint8(${i} * 4 + ${j})) % 10000`,
        (m) => `generate_series(0, ${m - 1}) t(i)`,
      )}`,
    );
    await client.query('ANALYZE features');
    await measure('PostgreSQL', postgresEngine(client), n);
    await client.query('DROP TABLE features');
  } finally {
    await client.end();
    local?.stop();
  }
} else
  console.log(
    '\n(PostgreSQL skipped: install postgresql, or set SEGMINT_PG_URL to a database this benchmark may write a table in.)',
  );

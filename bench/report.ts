// The report for a run of 1,000,000 customers: build time and file size (goals: < 2 s, < 5 MB).
// A real demo run of 2,000 customers is blown up to 1,000,000 tag rows (copies with jittered
// features), so every chart has real data to draw.
// Usage: node --import tsx bench/report.ts
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRecipe } from '../src/config/load.js';
import { generateDemoShop } from '../src/demo/generate.js';
import { runRecipe } from '../src/pipeline/run.js';
import { buildReport } from '../src/report/build.js';
import { Duck, qs } from '../src/sql/duckdb.js';

const N = 1_000_000;
const dir = mkdtempSync(join(tmpdir(), 'segmint-bench-report-'));
try {
  const shop = generateDemoShop({ dir, customers: 2000, seed: 5 });
  const run = await runRecipe(loadRecipe(shop.recipe, ['cluster.k=5', 'cluster.nInit=2']));
  const big = join(dir, 'big');
  cpSync(run.runDir, big, { recursive: true });
  const duck = await Duck.open();
  try {
    const src = join(run.runDir, 'tags.parquet');
    const cols = await duck.describe(`SELECT * FROM read_parquet(${qs(src)})`);
    const select = cols
      .map((c) =>
        c.name === 'customer_id'
          ? `customer_id || '-' || CAST(r AS VARCHAR) AS customer_id`
          : /DOUBLE/.test(c.type) && c.name !== 'distance'
            ? `"${c.name}" * (1 + 0.01 * (CAST(hash(customer_id, r) % 7 AS INTEGER) - 3)) AS "${c.name}"`
            : `"${c.name}"`,
      )
      .join(', ');
    const copies = Math.ceil(N / run.customers);
    await duck.exec(
      `COPY (SELECT ${select} FROM read_parquet(${qs(src)}), range(${copies}) t(r) LIMIT ${N}) TO ${qs(join(big, 'tags.parquet'))} (FORMAT parquet)`,
    );
    rmSync(join(big, 'tags.csv'));
  } finally {
    duck.close();
  }
  const t0 = performance.now();
  const { html, charts } = await buildReport(big);
  const ms = performance.now() - t0;
  const mb = Buffer.byteLength(html) / 1e6;
  console.log('| benchmark | time | goal | size | goal | charts |');
  console.log('|---|---|---|---|---|---|');
  console.log(
    `| report for ${N.toLocaleString('en-US')} customers | ${(ms / 1000).toFixed(2)} s | < 2 s${ms > 2000 ? ' (MISSES GOAL)' : ''} | ${mb.toFixed(2)} MB | < 5 MB${mb > 5 ? ' (MISSES GOAL)' : ''} | ${Object.keys(charts).length} |`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

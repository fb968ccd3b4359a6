// segmint at the size of the shops that need it (issue "At the size of the shops that need it"):
// a generated Online Retail-shaped file (test/scale-shop.ts, written by DuckDB) of ~10M lines for
// 500,000 customers, or ~100M lines for 5M customers with --big. Whole cold processes, in the same
// run: `segmint init` + `segmint run` (init's recipe, untouched, with the report), the pandas +
// scikit-learn notebook (bench/notebook.py; not at --big, where it cannot hold the data), and one
// hand-written DuckDB query of the same per-customer aggregates.
// Goals at 10M / 500k: whole run <= 0.5x the notebook (aim 0.25x); read + clean + features <= 2x
// the one query; peak RSS <= 4 GB. At 100M / 5M: <= 10 minutes, peak RSS <= 8 GB.
// Usage: npm run build && node --import tsx bench/scale.ts [--customers N] [--lines-per-customer L] [--big] [--keep DIR]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duck } from '../src/sql/duckdb.js';
import { writeScaleShop } from '../test/scale-shop.js';
import { fmt, hasSklearn, PYTHON } from './common.js';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const big = process.argv.includes('--big');
const customers = Number(arg('--customers', big ? '5000000' : '500000'));
const perCustomer = Number(arg('--lines-per-customer', '21'));
const keep = arg('--keep', '');
const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'bin.js');
if (!existsSync(bin)) throw new Error('build first: npm run build');
const dir = keep || mkdtempSync(join(tmpdir(), 'segmint-scale-'));
mkdirSync(dir, { recursive: true });
const TIME = '/usr/bin/time';

/** A whole process: wall time, and peak RSS from GNU time where it is installed. */
function measured(cmd: string, args: string[], cwd: string) {
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const withTime = existsSync(TIME);
  const t0 = performance.now();
  const r = spawnSync(withTime ? TIME : cmd, withTime ? ['-f', '__rss_kb=%M', cmd, ...args] : args, {
    cwd,
    encoding: 'utf8',
    env,
    maxBuffer: 1 << 28,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-3000)}`);
  const kb = /__rss_kb=(\d+)/.exec(r.stderr)?.[1];
  return { ms, rssGB: kb ? Number(kb) / 1024 / 1024 : null, out: r.stdout, err: r.stderr };
}

try {
  const file = join(dir, 'lines.csv');
  let shop: { lines: number; customers: number };
  if (!existsSync(file)) {
    const t0 = performance.now();
    shop = await writeScaleShop(file, { customers, linesPerCustomer: perCustomer, seed: 7 });
    console.log(`generated ${shop.lines.toLocaleString('en-US')} lines in ${fmt(performance.now() - t0)}`);
  } else {
    const duck = await Duck.open();
    const [r] = await duck.all(
      `SELECT count(*) AS lines, count(DISTINCT "Customer ID") AS customers FROM read_csv($p, types = {'Customer ID': 'VARCHAR'})`,
      { p: file },
    );
    duck.close();
    shop = { lines: Number(r.lines), customers: Number(r.customers) };
  }
  console.log(
    `${shop.lines.toLocaleString('en-US')} lines, ${shop.customers.toLocaleString('en-US')} customers (${dir})`,
  );

  // segmint: init's recipe, untouched, then the run with its report.
  const ws = join(dir, 'ws');
  rmSync(ws, { recursive: true, force: true });
  mkdirSync(ws);
  measured(process.execPath, [bin, 'init', file, '--out', 'recipe.yaml'], ws);
  const seg = measured(process.execPath, [bin, 'run', 'recipe.yaml', '--json', '--quiet'], ws);
  const run = JSON.parse(seg.out);
  const record = JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8'));
  const stages = record.timings as Record<string, number>;
  const cleanFeatures = (stages.data ?? 0) + (stages.clean ?? 0) + (stages.features ?? 0);

  // One hand-written DuckDB statement: read, clean and aggregate the same lines (recency,
  // frequency, monetary, order value, unique items), as a whole process's work.
  const duck = await Duck.open();
  const q0 = performance.now();
  await duck.all(
    `SELECT count(*) FROM (
       SELECT "Customer ID" AS c, date_diff('day', max("InvoiceDate"), DATE '2011-12-10') AS r,
              count(DISTINCT "Invoice") AS f, sum("Quantity" * "Price") AS m,
              sum("Quantity" * "Price") / count(DISTINCT "Invoice") AS aov, count(DISTINCT "StockCode") AS u
       FROM (SELECT DISTINCT * FROM read_csv($p, types = {'Customer ID': 'VARCHAR', 'Invoice': 'VARCHAR', 'StockCode': 'VARCHAR'}))
       WHERE "Customer ID" IS NOT NULL AND NOT starts_with("Invoice", 'C')
         AND upper("StockCode") NOT IN ('POST', 'DOT', 'M', 'C2', 'BANK CHARGES') AND "Quantity" > 0 AND "Price" > 0
       GROUP BY 1)`,
    { p: file },
  );
  const oneQuery = performance.now() - q0;
  duck.close();

  // The notebook (not at --big: pandas holds every line as Python objects).
  console.log(
    `segmint: ${fmt(seg.ms)} whole, peak RSS ${seg.rssGB?.toFixed(2) ?? 'n/a'} GB; one query ${fmt(oneQuery)}`,
  );
  const sklearn = hasSklearn();
  if (!big && !sklearn)
    console.log("notebook not run: Debian's python3-sklearn and python3-pandas are not installed");
  const nb = big || !sklearn ? null : measured(PYTHON, [join(import.meta.dirname, 'notebook.py'), file], dir);

  const gb = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(2)} GB`);
  console.log(
    `segmint: ${run.customers.toLocaleString('en-US')} customers, k ${run.k}; stages (ms) ${JSON.stringify(stages)}`,
  );
  console.log('| what | segmint | reference | ratio | goal |');
  console.log('|---|---|---|---|---|');
  if (nb)
    console.log(
      `| whole run, cold process (segmint init + run vs the pandas + scikit-learn notebook) | ${fmt(seg.ms)} | ${fmt(nb.ms)} | ${(seg.ms / nb.ms).toFixed(2)}x | <= 0.5x (aim 0.25x) |`,
    );
  else
    console.log(
      `| whole run, cold process | ${fmt(seg.ms)} | notebook not run (${big ? 'pandas holds every line in memory' : 'no python3-sklearn'}) | | ${big ? '<= 600 s' : '<= 0.5x the notebook'} |`,
    );
  console.log(
    `| read + clean + features (stages data+clean+features vs one DuckDB query) | ${fmt(cleanFeatures)} | ${fmt(oneQuery)} | ${(cleanFeatures / oneQuery).toFixed(2)}x | <= 2x |`,
  );
  console.log(`| peak RSS | ${gb(seg.rssGB)} | ${nb ? gb(nb.rssGB) : 'n/a'} | | <= ${big ? 8 : 4} GB |`);
} finally {
  if (!keep) rmSync(dir, { recursive: true, force: true });
}

// segmint run against the notebook it should replace (bench/notebook.py: pandas + scikit-learn),
// both as whole, cold processes on the same generated Online Retail-style file, in the same run;
// and clean + features against one hand-written DuckDB query computing the same aggregates.
// Goals (issue "One pipeline"): segmint at most 0.5x the notebook (aim 0.25x); clean + features at
// most 2x the single query.
// Usage: npm run build && node --import tsx bench/notebook.ts [customers=10000]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDemoShop } from '../src/demo/generate.js';
import { Duck } from '../src/sql/duckdb.js';
import { fmt, PYTHON } from './common.js';

const customers = Number(process.argv[2] ?? 10_000);
const bin = join(import.meta.dirname, '..', 'dist', 'cli', 'bin.js');
if (!existsSync(bin)) throw new Error('build first: npm run build');
const dir = mkdtempSync(join(tmpdir(), 'segmint-notebook-'));
try {
  generateDemoShop({ dir, customers, seed: 3 });
  const tx = join(dir, 'data', 'transactions.csv');
  const recipe = join(dir, 'notebook.yaml');
  writeFileSync(
    recipe,
    `version: 1
name: notebook
sources:
  orders:
    kind: transactions
    path: ${JSON.stringify(tx)}
    roles: { customer: Customer ID, order: Invoice, time: InvoiceDate, quantity: Quantity, price: Price, product: StockCode }
features: [recency_days, frequency, monetary]
prep: { log: auto, scaler: standard }
cluster: { method: kmeans, k: { min: 2, max: 10, select: elbow }, nInit: 10, seed: 42, silhouetteSample: 10000 }
explain: { rules: true }
output: { dir: ${JSON.stringify(join(dir, 'out'))}, formats: [csv] }
`,
  );
  const env = { ...process.env };
  delete env.OPENBLAS_CORETYPE;
  delete env.OPENBLAS_L2_SIZE;
  const timed = (cmd: string, args: string[]) => {
    const t0 = performance.now();
    const r = spawnSync(cmd, args, { encoding: 'utf8', env, maxBuffer: 1 << 26 });
    const ms = performance.now() - t0;
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
    return { ms, out: r.stdout };
  };
  const py = timed(PYTHON, [join(import.meta.dirname, 'notebook.py'), tx]);
  const nb = JSON.parse(py.out.trim().split('\n').pop()!);
  const seg = timed(process.execPath, [bin, 'run', recipe, '--json', '--quiet']);
  const run = JSON.parse(seg.out);
  const runJson = JSON.parse(readFileSync(join(run.runDir, 'run.json'), 'utf8'));
  const stages = runJson.timings as Record<string, number>;
  // One hand-written DuckDB query: read, clean and aggregate the same lines.
  const duck = await Duck.open();
  const q0 = performance.now();
  await duck.all(
    `SELECT "Customer ID" AS c, count(DISTINCT "Invoice") AS f, sum("Quantity" * "Price") AS m, max("InvoiceDate") AS last
     FROM (SELECT DISTINCT * FROM read_csv($p, types = {'Customer ID': 'VARCHAR', 'Invoice': 'VARCHAR', 'StockCode': 'VARCHAR'}))
     WHERE "Customer ID" IS NOT NULL AND NOT starts_with("Invoice", 'C') AND upper("StockCode") NOT IN ('POST', 'DOT', 'M', 'C2', 'BANK CHARGES')
       AND "Quantity" > 0 AND "Price" > 0 GROUP BY 1`,
    { p: tx },
  );
  const oneQuery = performance.now() - q0;
  duck.close();
  const cleanFeatures = (stages.data ?? 0) + (stages.clean ?? 0) + (stages.features ?? 0);
  console.log(
    `${nb.lines.toLocaleString('en-US')} clean lines, ${run.customers.toLocaleString('en-US')} customers`,
  );
  console.log('| what | segmint | reference | ratio | goal |');
  console.log('|---|---|---|---|---|');
  console.log(
    `| whole run, cold process (segmint run vs pandas + scikit-learn notebook) | ${fmt(seg.ms)} | ${fmt(py.ms)} | ${(seg.ms / py.ms).toFixed(2)}x | <= 0.5x (aim 0.25x) |`,
  );
  console.log(
    `| read + clean + features (run stages data+clean+features vs one DuckDB query) | ${fmt(cleanFeatures)} | ${fmt(oneQuery)} | ${(cleanFeatures / oneQuery).toFixed(2)}x | <= 2x |`,
  );
  console.log(
    `segmint stages: ${JSON.stringify(stages)}; notebook stages (s): ${JSON.stringify(nb.seconds)}`,
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// Single-score latency of `segmint serve` over loopback with autocannon: throughput and p50/p99.
// Goal on this 2-core machine: at least 5,000 requests/s with p99 under 5 ms.
// Usage: node --import tsx bench/serve.ts [seconds]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { loadRecipe } from '../src/config/load.js';
import { generateDemoShop } from '../src/demo/generate.js';
import { runRecipe } from '../src/pipeline/run.js';
import { startService } from '../src/serve/service.js';

const seconds = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), 'segmint-bench-serve-'));
try {
  const shop = generateDemoShop({ dir, customers: 1000, seed: 3 });
  const run = await runRecipe(loadRecipe(shop.recipe, ['cluster.k=5', 'cluster.nInit=2']));
  const model = JSON.parse(readFileSync(run.files['model.json'], 'utf8'));
  const features = Object.fromEntries(
    model.features.map((f: { name: string; type: string }) => [f.name, f.type === 'numeric' ? 3.5 : null]),
  );
  const svc = await startService({ workspace: join(dir, 'out'), port: 0 });
  try {
    const result = await autocannon({
      url: `${svc.address}/v1/score`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ customer_id: 'c1', features }),
      connections: 16,
      duration: seconds,
    });
    const rps = result.requests.average;
    const p50 = result.latency.p50;
    const p99 = result.latency.p99;
    console.log('| benchmark | requests/s | p50 | p99 | goal | errors |');
    console.log('|---|---|---|---|---|---|');
    console.log(
      `| POST /v1/score, 16 connections, ${seconds} s | ${Math.round(rps).toLocaleString('en-US')} | ${p50} ms | ${p99} ms | ≥ 5,000/s, p99 < 5 ms${rps < 5000 || p99 >= 5 ? ' (MISSES GOAL)' : ''} | ${result.errors + result.non2xx} |`,
    );
  } finally {
    await svc.close();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

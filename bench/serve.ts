// `segmint serve` under load, the server in its own process (the built CLI), autocannon here.
// Goals (issue 16): POST /v1/score at a fixed 5,000 requests/s for 60 s with 0 errors, p99 under
// 5 ms and RSS growth under 50 MB; GET /v1/customers/:id at 1,000 requests/s with p99 under 10 ms;
// a 16 MB orders body must not stall /healthz. The reference, measured in the same run at the same
// rates: a bare fastify process answering a constant JSON (the floor of loopback HTTP here).
// Usage: npm run build && node --import tsx bench/serve.ts [scoreSeconds=60] [lookupSeconds=30]
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { generateDemoShop } from '../src/demo/generate.js';

const scoreSeconds = Number(process.argv[2] ?? 60);
const lookupSeconds = Number(process.argv[3] ?? 30);
const ROOT = join(import.meta.dirname, '..');

/** Starts a process that prints {"address": ...} on its first line; resolves with it. */
function startProcess(args: string[]): Promise<{ child: ChildProcess; address: string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout?.on('data', (b: Buffer) => {
      out += b.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n')) ok({ child, address: JSON.parse(line).address });
    });
    child.once('exit', (code) => fail(new Error(`server exited with ${code}`)));
  });
}

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
};

async function load(opts: {
  url: string;
  rate: number;
  seconds: number;
  method?: 'GET' | 'POST';
  body?: string;
  paths?: string[];
}) {
  let i = 0;
  const r = await autocannon({
    url: opts.url,
    method: opts.method ?? 'GET',
    headers: { 'content-type': 'application/json' },
    ...(opts.body ? { body: opts.body } : {}),
    ...(opts.paths
      ? {
          requests: [
            {
              setupRequest: (req: autocannon.Request) => {
                const paths = opts.paths ?? [];
                i = (i + 1) % paths.length;
                return { ...req, path: paths[i] as string };
              },
            },
          ],
        }
      : {}),
    connections: Number(process.env.BENCH_CONNECTIONS ?? 10),
    overallRate: opts.rate,
    duration: opts.seconds,
  });
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    errors: r.errors + r.non2xx + r.timeouts,
  };
}

/** GET /healthz every 10 ms while `during` runs; the slowest answer. */
async function slowestHealth(address: string, during: () => Promise<unknown>): Promise<number> {
  let worst = 0;
  let stop = false;
  const poll = (async () => {
    while (!stop) {
      const t0 = performance.now();
      await fetch(`${address}/healthz`).then((r) => r.text());
      worst = Math.max(worst, performance.now() - t0);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  await during();
  stop = true;
  await poll;
  return worst;
}

function post(address: string, path: string, body: string | Buffer): Promise<number> {
  return new Promise((ok, fail) => {
    const req = request(
      `${address}${path}`,
      { method: 'POST', headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      },
    );
    req.on('error', fail);
    req.end(body);
  });
}

const dir = mkdtempSync(join(tmpdir(), 'segmint-bench-serve-'));
const children: ChildProcess[] = [];
try {
  const shop = generateDemoShop({ dir, customers: 5000, seed: 3 });
  // The runs go in a process of their own: the load generator here must not carry their heap and
  // DuckDB's threads while it measures (its own pauses would count as the servers' latency).
  let files: Record<string, string> = {};
  for (const k of [5, 4, 6]) {
    const r = spawnSync(
      process.execPath,
      [
        join(ROOT, 'dist/cli/bin.js'),
        'run',
        shop.recipe,
        '--json',
        '--set',
        `cluster.k=${k}`,
        '--set',
        'cluster.nInit=2',
      ],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`segmint run failed: ${r.stderr}${r.stdout}`);
    files = JSON.parse(r.stdout).files;
  }
  const run = { files };
  const model = JSON.parse(readFileSync(run.files['model.json'], 'utf8'));
  const features = Object.fromEntries(
    model.features.map((f: { name: string; type: string }) => [f.name, f.type === 'numeric' ? 3.5 : null]),
  );
  const ids = readFileSync(run.files['tags.csv'], 'utf8')
    .split('\n')
    .slice(1, 2001)
    .map((l) => l.split(',')[0])
    .filter(Boolean);

  const bare = join(dir, 'bare.mjs');
  writeFileSync(
    bare,
    `import Fastify from ${JSON.stringify(join(ROOT, 'node_modules/fastify/fastify.js'))};
const app = Fastify({ bodyLimit: 16 * 1024 * 1024 });
app.post('/v1/score', async (req) => ({ segment_id: 1, customer_id: req.body.customer_id ?? null }));
app.get('/v1/customers/:id', async (req) => ({ customer_id: req.params.id, segment_id: 1 }));
app.get('/healthz', async () => ({ ok: true }));
const address = await app.listen({ host: '127.0.0.1', port: 0 });
console.log(JSON.stringify({ address }));`,
  );
  const ref = await startProcess([bare]);
  children.push(ref.child);
  const seg = await startProcess([
    join(ROOT, 'dist/cli/bin.js'),
    'serve',
    '--workspace',
    join(dir, 'out'),
    '--port',
    '0',
    '--json',
  ]);
  children.push(seg.child);
  const scoreBody = JSON.stringify({ customer_id: 'c1', features });
  // Warm both (JIT, the history copy) before measuring.
  for (const s of [ref, seg]) {
    await load({ url: `${s.address}/v1/score`, method: 'POST', body: scoreBody, rate: 2000, seconds: 3 });
    await load({
      url: `${s.address}/v1/customers/x`,
      paths: ids.map((id) => `/v1/customers/${id}`),
      rate: 500,
      seconds: 2,
    });
  }

  const rows: string[] = [];
  const rss0 = rssMb(seg.child.pid as number);
  const refScore = await load({
    url: `${ref.address}/v1/score`,
    method: 'POST',
    body: scoreBody,
    rate: 5000,
    seconds: scoreSeconds,
  });
  const score = await load({
    url: `${seg.address}/v1/score`,
    method: 'POST',
    body: scoreBody,
    rate: 5000,
    seconds: scoreSeconds,
  });
  const rss1 = rssMb(seg.child.pid as number);
  const misses = (ok: boolean) => (ok ? '' : ' (MISSES GOAL)');
  rows.push(
    `| POST /v1/score at 5,000/s, ${scoreSeconds} s, ${process.env.BENCH_CONNECTIONS ?? 10} connections | ${Math.round(score.rps).toLocaleString('en-US')}/s, p50 ${score.p50} ms, p99 ${score.p99} ms, ${score.errors} errors, RSS ${rss1 >= rss0 ? '+' : ''}${(rss1 - rss0).toFixed(1)} MB | bare fastify p99 ${refScore.p99} ms (ratio ${(score.p99 / Math.max(refScore.p99, 1)).toFixed(2)}) | 0 errors, p99 < 5 ms, RSS < +50 MB${misses(score.errors === 0 && score.p99 < 5 && rss1 - rss0 < 50)} |`,
  );
  const paths = ids.map((id) => `/v1/customers/${id}`);
  const refLookup = await load({
    url: `${ref.address}/v1/customers/x`,
    paths,
    rate: 1000,
    seconds: lookupSeconds,
  });
  const lookup = await load({
    url: `${seg.address}/v1/customers/x`,
    paths,
    rate: 1000,
    seconds: lookupSeconds,
  });
  rows.push(
    `| GET /v1/customers/:id at 1,000/s, ${lookupSeconds} s, ${ids.length} ids, 3 runs of history | ${Math.round(lookup.rps).toLocaleString('en-US')}/s, p50 ${lookup.p50} ms, p99 ${lookup.p99} ms, ${lookup.errors} errors | bare fastify p99 ${refLookup.p99} ms (ratio ${(lookup.p99 / Math.max(refLookup.p99, 1)).toFixed(2)}) | p99 < 10 ms, p50 < 5 ms${misses(lookup.errors === 0 && lookup.p99 < 10 && lookup.p50 < 5)} |`,
  );
  // One 16 MB orders body (100,000 lines) while /healthz is asked every 10 ms.
  const tx = readFileSync(shop.transactions, 'utf8').split('\n');
  const header = tx[0].split(',');
  const lines = tx
    .slice(1, 100_001)
    .filter(Boolean)
    .map((l) => Object.fromEntries(l.split(',').map((v, j) => [header[j], v])));
  // As many lines as fit in 16 MB (the server's default body limit), one customer named.
  const nulls = Object.fromEntries(Object.keys(features).map((f) => [f, null]));
  const who = header.find((h) => /customer/i.test(h)) ?? header[0];
  let big = JSON.stringify({ orders: lines, customer_id: lines[0][who], features: nulls });
  while (big.length > 16e6) {
    lines.length = Math.floor(lines.length * 0.9);
    big = JSON.stringify({ orders: lines, customer_id: lines[0][who], features: nulls });
  }
  // Warm both with a small orders request (the first one loads DuckDB's native module).
  const smallOrders = JSON.stringify({ ...JSON.parse(big), orders: lines.slice(0, 50) });
  for (const s of [ref, seg]) await post(s.address, '/v1/score', smallOrders);
  // Encoded before the clock starts: this process must not be the one that stalls.
  const bigBytes = Buffer.from(big);
  const stalled = {
    ref: await slowestHealth(ref.address, () => post(ref.address, '/v1/score', bigBytes)),
    seg: await slowestHealth(seg.address, () => post(seg.address, '/v1/score', bigBytes)),
  };
  rows.push(
    `| /healthz during one ${(big.length / 1e6).toFixed(1)} MB orders request | slowest /healthz ${stalled.seg.toFixed(0)} ms | bare fastify (parse only) ${stalled.ref.toFixed(0)} ms | no stall (< 50 ms)${misses(stalled.seg < 50)} |`,
  );
  // One small orders request at a time (50 lines): the latency a checkout page would see.
  const latencies = async (address: string) => {
    const ms: number[] = [];
    for (let i = 0; i < 30; i++) {
      const t0 = performance.now();
      const status = await post(address, '/v1/score', smallOrders);
      if (status !== 200) throw new Error(`orders scoring answered ${status}`);
      ms.push(performance.now() - t0);
    }
    ms.sort((a, b) => a - b);
    return { p50: ms[15], p90: ms[27] };
  };
  const ordersRef = await latencies(ref.address);
  const orders = await latencies(seg.address);
  rows.push(
    `| POST /v1/score with 50 order lines, one at a time, 30 requests | p50 ${orders.p50.toFixed(0)} ms, p90 ${orders.p90.toFixed(0)} ms (the model's cleaning and features in DuckDB) | bare fastify (parse only) p50 ${ordersRef.p50.toFixed(1)} ms | (none set) |`,
  );
  console.log('| benchmark | segmint | reference, same run | goal |');
  console.log('|---|---|---|---|');
  for (const r of rows) console.log(r);
} finally {
  for (const c of children) c.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
}

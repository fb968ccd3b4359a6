import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadRecipe } from '../../src/config/load.js';
import { type ErrorCode, httpStatus, type SegmintError } from '../../src/core/errors.js';
import { generateDemoShop } from '../../src/demo/generate.js';
import { type RunSummary, runRecipe } from '../../src/pipeline/run.js';
import { buildApp, openApi } from '../../src/serve/app.js';
import { OFFLOAD_BYTES } from '../../src/serve/routes.js';
import { startService } from '../../src/serve/service.js';
import { Duck, qs } from '../../src/sql/duckdb.js';
import { cleanup, tempDir } from '../helpers.js';

interface Operation {
  summary?: string;
  security?: unknown;
  requestBody?: unknown;
  responses: Record<string, { description: string; content?: unknown }>;
}

describe('the scoring API', () => {
  let dir: string;
  let workspace: string;
  let run: RunSummary;
  let rows: Record<string, unknown>[];
  let featureNames: string[];
  before(async () => {
    dir = tempDir();
    const shop = generateDemoShop({ dir, customers: 400, seed: 23 });
    workspace = join(dir, 'out');
    run = await runRecipe(loadRecipe(shop.recipe, ['cluster.k=4', 'cluster.nInit=2']));
    const model = JSON.parse(readFileSync(run.files['model.json'], 'utf8'));
    featureNames = model.features.map((f: { name: string }) => f.name);
    const duck = await Duck.open();
    rows = await duck
      .all(`SELECT * FROM read_parquet(${qs(run.files['tags.parquet'])}) ORDER BY customer_id`)
      .finally(() => duck.close());
  });
  after(() => cleanup(dir));

  const features = (r: Record<string, unknown>) =>
    Object.fromEntries(featureNames.map((f) => [f, r[f] === undefined ? null : (r[f] as number | null)]));

  test('scores known customers exactly as the batch run tagged them', async () => {
    const app = buildApp({ checkResponses: true, workspace });
    for (const r of rows.slice(0, 40)) {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/score',
        payload: { customer_id: String(r.customer_id), features: features(r) },
      });
      assert.equal(res.statusCode, 200, res.body);
      const body = res.json();
      assert.equal(body.segment_id, r.segment_id);
      assert.equal(body.segment_name, r.segment_name);
      assert.equal(body.customer_id, String(r.customer_id));
      assert.equal(typeof body.rules['1'], 'boolean');
    }
    const batch = await app.inject({
      method: 'POST',
      url: '/v1/score/batch',
      payload: { rows: rows.map((r) => ({ customer_id: String(r.customer_id), features: features(r) })) },
    });
    assert.equal(batch.statusCode, 200);
    assert.deepEqual(
      batch.json().rows.map((x: { segment_id: number }) => x.segment_id),
      rows.map((r) => r.segment_id),
    );
    await app.close();
  });

  test("raw orders are turned into features with the model's own definitions", async () => {
    const app = buildApp({ checkResponses: true, workspace });
    const duck = await Duck.open();
    const r = rows[5];
    const id = String(r.customer_id);
    const orders = await duck
      .all(
        `SELECT * FROM read_csv(${qs(join(dir, 'data', 'transactions.csv'))}, types = {'Customer ID': 'VARCHAR', 'Invoice': 'VARCHAR'}) WHERE "Customer ID" = $id || '.0'`,
        { id },
      )
      .finally(() => duck.close());
    assert.ok(orders.length > 3);
    const payload = {
      customer_id: id,
      orders: orders.map((o) =>
        Object.fromEntries(
          Object.entries(o).map(([k, v]) => [
            k,
            v instanceof Date
              ? v.toISOString().replace('T', ' ').slice(0, 19)
              : (v as string | number | null),
          ]),
        ),
      ),
      // Features from other sources (events, coupons) still come as values.
      features: Object.fromEntries(
        [
          'sessions',
          'avg_session_minutes',
          'wishlist_adds',
          'reviews',
          'coupons_claimed',
          'coupon_burn_rate',
        ].map((f) => [f, r[f] as number | null]),
      ),
    };
    const res = await app.inject({ method: 'POST', url: '/v1/score', payload });
    assert.equal(res.statusCode, 200, res.body);
    const body = res.json();
    for (const f of [
      'recency_days',
      'frequency',
      'monetary',
      'avg_order_value',
      'unique_products',
      'tenure_days',
      'return_rate',
    ]) {
      assert.ok(
        Math.abs(Number(body.features[f]) - Number(r[f])) < 1e-9,
        `${f}: ${body.features[f]} vs ${r[f]}`,
      );
    }
    assert.equal(body.segment_id, r.segment_id);
    const bad = await app.inject({
      method: 'POST',
      url: '/v1/score',
      payload: { orders: [{ Invoice: '1', Quantity: 'x' }] },
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().error.field, /^orders/);
    // Order lines without a column the model reads: named, and no temporary path in the answer.
    const noPrice = await app.inject({
      method: 'POST',
      url: '/v1/score',
      payload: { ...payload, orders: payload.orders.map(({ Price: _p, ...o }) => o) },
    });
    assert.equal(noPrice.statusCode, 400, noPrice.body);
    const e = noPrice.json().error;
    assert.equal(e.code, 'INVALID_ORDERS');
    assert.match(e.message, /The orders lack "Price" \(its price\), which the model reads/);
    assert.doesNotMatch(noPrice.body, /segmint-orders-|\/tmp\//);
    // A value the rules cannot read is named in the posted orders, not in a temporary file.
    const badDate = await app.inject({
      method: 'POST',
      url: '/v1/score',
      payload: { ...payload, orders: payload.orders.map((o) => ({ ...o, InvoiceDate: 'yesterday' })) },
    });
    assert.equal(badDate.statusCode, 400, badDate.body);
    assert.match(badDate.json().error.message, /the posted orders/);
    assert.doesNotMatch(badDate.body, /segmint-orders-|\/tmp\//);
    await app.close();
  });

  test('large bodies are parsed and checked in the body worker with the same results and errors', async () => {
    const app = buildApp({ checkResponses: true, workspace, bodyLimit: 8 << 20 });
    const duck = await Duck.open();
    const all = await duck
      .all(
        `SELECT * FROM read_csv(${qs(join(dir, 'data', 'transactions.csv'))}, all_varchar = true) LIMIT 20000`,
      )
      .finally(() => duck.close());
    const who = String(all[0]['Customer ID']);
    // Features not from orders (sessions, coupons...) are unknown here: null, imputed.
    const others = Object.fromEntries(featureNames.map((f) => [f, null]));
    const post = (payload: string) =>
      app.inject({
        method: 'POST',
        url: '/v1/score',
        headers: { 'content-type': 'application/json' },
        payload,
      });
    // The same orders, padded past OFFLOAD_BYTES with other customers' lines (worker) or not (main thread).
    const own = all.filter((o) => o['Customer ID'] === who);
    const big = JSON.stringify({ customer_id: who, orders: all, features: others });
    assert.ok(big.length > OFFLOAD_BYTES, `${big.length} bytes`);
    const viaWorker = await post(big);
    assert.equal(viaWorker.statusCode, 200, viaWorker.body);
    // "12556.0" names customer 12556, as the cleaning rules read ids.
    assert.match(who, /\.0$/);
    const small = await post(JSON.stringify({ customer_id: who, orders: own, features: others }));
    assert.equal(small.statusCode, 200, small.body);
    // Other customers' lines change nothing but the reference date (the day after the last order).
    const pin = { reference_date: '2012-01-01' };
    const a = await post(JSON.stringify({ customer_id: who, orders: all, features: others, ...pin }));
    const b = await post(JSON.stringify({ customer_id: who, orders: own, features: others, ...pin }));
    assert.deepEqual(a.json().features, b.json().features);
    assert.equal(a.json().segment_id, b.json().segment_id);
    // Errors from the worker are the main thread's errors.
    const badField = await post(JSON.stringify({ customer_id: 7, orders: all }));
    assert.equal(badField.statusCode, 400);
    assert.equal(badField.json().error.code, 'INVALID_BODY');
    assert.equal(badField.json().error.field, 'customer_id');
    const badLine = await post(JSON.stringify({ orders: [...all.slice(1), [1, 2]] }));
    assert.equal(badLine.json().error.field, `orders.${all.length - 1}`);
    const notJson = await post(`${big.slice(0, -1)},`);
    assert.equal(notJson.statusCode, 400);
    assert.equal(notJson.json().error.code, 'BAD_REQUEST');
    const poisoned = await post(`{"__proto__": {"x": 1}, "pad": "${'x'.repeat(OFFLOAD_BYTES)}"}`);
    assert.equal(poisoned.statusCode, 400);
    const huge = await post(JSON.stringify({ orders: [...all, ...all, ...all, ...all, ...all] }));
    assert.equal(huge.statusCode, 413);
    assert.equal(huge.json().error.code, 'BODY_TOO_LARGE');
    assert.equal((await app.inject('/healthz')).statusCode, 200);
    await app.close();
  });

  test('segments, customers with history, runs, report, health, OpenAPI and the dashboard', async () => {
    const app = buildApp({ checkResponses: true, workspace });
    const segs = (await app.inject('/v1/segments')).json();
    assert.equal(segs.segments.length, 4);
    const id = String(rows[0].customer_id);
    const c = await app.inject(`/v1/customers/${id}`);
    assert.equal(c.statusCode, 200);
    assert.equal(c.json().segment_id, rows[0].segment_id);
    assert.equal(c.json().history[0].runId, run.runId);
    assert.equal((await app.inject('/v1/customers/nobody')).statusCode, 404);
    const runs = (await app.inject('/v1/runs')).json();
    assert.equal(runs.runs[0].runId, run.runId);
    assert.equal(runs.runs[0].status, 'succeeded');
    const one = await app.inject(`/v1/runs/${run.runId}`);
    assert.equal(one.json().record.runId, run.runId);
    const report = await app.inject(`/v1/runs/${run.runId}/report`);
    assert.match(report.headers['content-type'] as string, /text\/html/);
    assert.match(report.body, /Customer segments/);
    assert.deepEqual((await app.inject('/healthz')).json(), { ok: true, model: run.runId, running: false });
    const api = (await app.inject('/openapi.json')).json();
    assert.equal(api.openapi, '3.1.0');
    assert.ok(api.paths['/v1/score'].post.requestBody.content['application/json'].schema.properties.features);
    const dash = await app.inject(`/?customer=${id}`);
    assert.match(dash.body, /Customer lookup/);
    assert.match(dash.body, new RegExp(run.segments[0].name));
    assert.equal(
      (await app.inject({ method: 'POST', url: '/v1/runs' })).statusCode,
      501,
      'no recipe, no runs',
    );
    await app.close();
  });

  test('routes are declared once: every route fastify serves is in OpenAPI with its responses and error statuses', async () => {
    const app = buildApp({ checkResponses: true, workspace, apiKey: 'k' });
    await app.ready();
    const api = openApi();
    let operations = 0;
    for (const [path, ops] of Object.entries(api.paths as Record<string, Record<string, Operation>>)) {
      for (const [method, op] of Object.entries(ops)) {
        operations++;
        assert.ok(op.summary, `${method} ${path} has a summary`);
        const statuses = Object.keys(op.responses).map(Number);
        assert.ok(
          statuses.some((x) => x < 300),
          `${method} ${path} says what it sends`,
        );
        assert.ok(statuses.includes(500), `${method} ${path} lists the server's own failure`);
        for (const [status, r] of Object.entries(op.responses)) {
          assert.ok(r.content, `${method} ${path} ${status} has a schema`);
          if (Number(status) >= 400)
            for (const code of String(r.description).split(', '))
              assert.equal(httpStatus(code as ErrorCode), Number(status), `${code} under ${status}`);
        }
        if (op.security) assert.ok(statuses.includes(401), `${method} ${path}: the key's 401`);
        if (op.requestBody) assert.ok(statuses.includes(413) && statuses.includes(415), `${method} ${path}`);
        // The route answers at its documented path (401 here: the key is missing).
        const url = path.replace(/\{\w+\}/g, 'x');
        const res = await app.inject({ method: method.toUpperCase() as 'GET', url });
        assert.notEqual(res.statusCode, 404, `${method} ${path} is served`);
        if (op.security) assert.equal(res.statusCode, 401, `${method} ${path} needs the key`);
      }
    }
    assert.ok(operations >= 11, `${operations} operations`);
    // A SegmintError answers with its code's status: a data error is 422, not a flat 400.
    assert.equal(httpStatus('DATA_BAD_DATE'), 422);
    assert.equal(httpStatus('NO_MODEL'), 503);
    assert.equal(httpStatus('RUN_IN_PROGRESS'), 409);
    const unknown = await app.inject({ url: '/v1/runs/nope', headers: { 'x-api-key': 'k' } });
    assert.equal(unknown.statusCode, 404);
    assert.equal(unknown.json().error.code, 'UNKNOWN_RUN');
    assert.match(unknown.json().error.hint, /GET \/v1\/runs/);
    await app.close();
  });

  test('a body trickled slower than the request timeout is cut off with 408, and the server keeps serving', async () => {
    const app = buildApp({ workspace, requestTimeout: 600 });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as AddressInfo;
      const started = Date.now();
      // The socket and its drip are ended whatever happens, so a failure cannot hang app.close().
      let sock: Socket | null = null;
      let drip: ReturnType<typeof setInterval> | undefined;
      const answer = await new Promise<string>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => {
          s.write(
            'POST /v1/score HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"features":',
          );
          // One byte every 100 ms: it would take hours to arrive.
          drip = setInterval(() => s.write(' '), 100);
        });
        sock = s;
        let got = '';
        s.on('data', (d) => {
          got += d;
        });
        s.on('close', () => resolve(got));
        s.on('error', (e) => {
          const code = (e as NodeJS.ErrnoException).code;
          if (code === 'EPIPE' || code === 'ECONNRESET') resolve(got);
          else reject(e);
        });
        setTimeout(() => reject(new Error('the connection stayed open')), 20_000).unref();
      }).finally(() => {
        clearInterval(drip);
        (sock as Socket | null)?.destroy();
      });
      assert.match(answer, /^HTTP\/1\.1 408/);
      assert.match(answer, /"code":"REQUEST_TIMEOUT"/);
      assert.ok(Date.now() - started < 15_000, `cut off after ${Date.now() - started} ms`);
      const ok = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(ok.status, 200);
    } finally {
      await app.close();
    }
  });

  test("what fastify and Node refuse before a route (a long or broken URL, headers over 16 KB) is answered in segmint's error format", async () => {
    const app = buildApp({ workspace });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { port } = app.server.address() as AddressInfo;
      const raw = (request: string) =>
        new Promise<string>((resolve, reject) => {
          let got = '';
          const s = connect(port, '127.0.0.1', () => s.write(request));
          s.on('data', (d) => {
            got += d;
          });
          s.on('close', () => resolve(got));
          s.on('error', (e) =>
            (e as NodeJS.ErrnoException).code === 'ECONNRESET' ? resolve(got) : reject(e),
          );
          setTimeout(() => s.destroy(), 5000).unref();
        });
      const errorOf = (answer: string) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)).error;
      const huge = await raw(`GET /v1/customers/${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
      assert.match(huge, /^HTTP\/1\.1 431 /);
      assert.equal(errorOf(huge).code, 'HEADERS_TOO_LARGE');
      const header = await raw(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'b'.repeat(20_000)}\r\n\r\n`);
      assert.equal(errorOf(header).code, 'HEADERS_TOO_LARGE');
      const broken = await fetch(`http://127.0.0.1:${port}/v1/customers/%E0%A4%A`);
      assert.equal(broken.status, 400);
      assert.equal(((await broken.json()) as { error: { code: string } }).error.code, 'BAD_URL');
      const long = await fetch(`http://127.0.0.1:${port}/v1/customers/${'a'.repeat(300)}`);
      assert.equal(long.status, 400);
      const e = ((await long.json()) as { error: { code: string; message: string } }).error;
      assert.equal(e.code, 'BAD_URL');
      assert.match(e.message, /longer than 100 characters/);
      const notHttp = await raw('HELLO\r\n\r\n');
      assert.match(notHttp, /^HTTP\/1\.1 400 /);
      assert.equal(errorOf(notHttp).code, 'BAD_REQUEST');
      assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    } finally {
      await app.close();
    }
  });

  test('bad requests get clear 4xx answers and the server keeps serving', async () => {
    const app = buildApp({ checkResponses: true, workspace, bodyLimit: 100_000 });
    const bad = async (payload: string | object, status: number, code: RegExp) => {
      const res = await app.inject({
        method: 'POST',
        url: '/v1/score',
        headers: { 'content-type': 'application/json' },
        payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
      });
      assert.equal(res.statusCode, status, res.body);
      assert.match(res.json().error.code, code);
      return res.json().error;
    };
    await bad('{"features": ', 400, /BAD_REQUEST/);
    const wrongType = await bad({ features: 'x' }, 400, /INVALID_BODY/);
    assert.equal(wrongType.field, 'features');
    const missing = await bad({ features: { recency_days: 3 } }, 400, /INVALID_FEATURES/);
    assert.match(missing.message, /is missing/);
    const f = features(rows[0]);
    const str = await bad({ features: { ...f, monetary: 'a lot' } }, 400, /INVALID_FEATURES/);
    assert.equal(str.field, 'features.monetary');
    await bad({ features: f, extra: 1 }, 400, /INVALID_BODY/);
    // A value the model cannot place is a coded 400 naming it, never a 200 with a null distance:
    // 1e308 on a feature scaled without log1p overflows.
    const model = JSON.parse(readFileSync(join(workspace, 'latest', 'model.json'), 'utf8'));
    const plain = model.prep.steps.find(
      (st: { type: string; log: boolean }) => st.type === 'numeric' && !st.log,
    ).name;
    const huge = await bad({ features: { ...f, [plain]: 1e308 } }, 400, /INVALID_FEATURES/);
    assert.equal(huge.field, `features.${plain}`);
    assert.match(huge.message, /cannot be scored/);
    const batchHuge = await app.inject({
      method: 'POST',
      url: '/v1/score/batch',
      payload: { rows: [{ features: f }, { features: { ...f, [plain]: -1e308 } }] },
    });
    assert.equal(batchHuge.statusCode, 400);
    assert.equal(batchHuge.json().error.field, `rows.1.features.${plain}`);
    const tooMany = await app.inject({
      method: 'POST',
      url: '/v1/score/batch',
      payload: { rows: Array.from({ length: 10_001 }, () => ({ features: {} })) },
    });
    assert.equal(tooMany.statusCode, 413, 'over the body limit');
    const app2 = buildApp({ checkResponses: true, workspace });
    const overRows = await app2.inject({
      method: 'POST',
      url: '/v1/score/batch',
      payload: { rows: Array.from({ length: 10_001 }, () => ({ features: {} })) },
    });
    assert.equal(overRows.statusCode, 400);
    assert.match(overRows.json().error.message, /10000|10,000/);
    await app2.close();
    assert.equal((await app.inject('/v1/nowhere')).statusCode, 404);
    const ok = await app.inject({ method: 'POST', url: '/v1/score', payload: { features: f } });
    assert.equal(ok.statusCode, 200, 'still serving');
    await app.close();
  });

  test('the key comes from a file, the flag or SEGMINT_API_KEY; a bad key file is a usage error', async () => {
    const { resolveApiKey } = await import('../../src/cli/cmd-serve.js');
    const file = join(dir, 'key.txt');
    writeFileSync(file, 's3cret\nignored\n');
    assert.equal(resolveApiKey({ apiKeyFile: file, apiKey: 'flag' }, { SEGMINT_API_KEY: 'env' }), 's3cret');
    assert.equal(resolveApiKey({ apiKey: 'flag' }, { SEGMINT_API_KEY: 'env' }), 'flag');
    assert.equal(resolveApiKey({}, { SEGMINT_API_KEY: 'env' }), 'env');
    assert.equal(resolveApiKey({}, {}), undefined);
    writeFileSync(file, '\n');
    assert.throws(
      () => resolveApiKey({ apiKeyFile: file }, {}),
      (e: SegmintError) => e.code === 'USAGE',
    );
    assert.throws(
      () => resolveApiKey({ apiKeyFile: join(dir, 'no-such-key') }, {}),
      (e: SegmintError) => e.code === 'USAGE' && /Cannot read/.test(e.message),
    );
  });

  test('the server follows runs made outside it: latest moves, scoring and /healthz follow', async () => {
    const own = join(dir, 'follow');
    const shop = generateDemoShop({ dir: own, customers: 300, seed: 5 });
    const first = await runRecipe(loadRecipe(shop.recipe, ['cluster.k=3', 'cluster.nInit=1']));
    const app = buildApp({ checkResponses: true, workspace: join(own, 'out') });
    assert.equal((await app.inject('/healthz')).json().model, first.runId);
    assert.equal((await app.inject('/v1/runs')).json().runs.length, 1);
    const someone = readFileSync(first.files['tags.csv'], 'utf8').split('\n')[1].split(',')[0];
    assert.equal((await app.inject(`/v1/customers/${someone}`)).json().history.length, 1);
    // Another process (here: a run in this one, not through the server) moves latest.
    const second = await runRecipe(loadRecipe(shop.recipe, ['cluster.k=4', 'cluster.nInit=1']));
    assert.notEqual(second.runId, first.runId);
    assert.equal((await app.inject('/healthz')).json().model, second.runId);
    const segs = (await app.inject('/v1/segments')).json();
    assert.equal(segs.model, second.runId);
    assert.equal(segs.segments.length, 4);
    // The history the server serves (held as a copy) is taken again once the file changed.
    assert.deepEqual(
      (await app.inject('/v1/runs')).json().runs.map((r: { runId: string }) => r.runId),
      [second.runId, first.runId],
    );
    const moved = (await app.inject(`/v1/customers/${someone}`)).json();
    assert.deepEqual(
      moved.history.map((h: { runId: string }) => h.runId),
      [second.runId, first.runId],
    );
    assert.equal(moved.run, second.runId);
    await app.close();
  });

  test('API key on and off; 503 while no model exists', async () => {
    const app = buildApp({ checkResponses: true, workspace, apiKey: 'k3y' });
    assert.equal((await app.inject('/v1/segments')).statusCode, 401);
    assert.equal(
      (await app.inject({ url: '/v1/segments', headers: { 'x-api-key': 'k3y' } })).statusCode,
      200,
    );
    assert.equal(
      (await app.inject({ url: '/v1/segments', headers: { authorization: 'Bearer k3y' } })).statusCode,
      200,
    );
    assert.equal((await app.inject('/healthz')).statusCode, 200, 'health needs no key');
    // The key is checked on the route fastify matched, not on the raw URL: encoded paths that
    // decode to a /v1 route need it too.
    for (const url of [
      '/%761/segments',
      '/v%31/segments',
      '/%76%31/runs',
      '/v1/customers/12346',
      '/v%31/customers/12346',
    ])
      assert.equal((await app.inject(url)).statusCode, 401, url);
    assert.equal((await app.inject({ method: 'POST', url: '/%761/runs' })).statusCode, 401);
    assert.equal(
      (await app.inject({ url: '/v1/segments', headers: { 'x-api-key': 'k3y-wrong' } })).statusCode,
      401,
      'a wrong key of another length',
    );
    assert.equal(
      (await app.inject({ url: '/v1/segments', headers: { 'x-api-key': 'k3x' } })).statusCode,
      401,
      'a wrong key of the same length',
    );
    // The dashboard needs the key too; a browser asks for it (Basic: any user, the key as password).
    const dash = await app.inject('/?customer=12346');
    assert.equal(dash.statusCode, 401);
    assert.match(String(dash.headers['www-authenticate']), /^Basic realm="segmint"/);
    assert.doesNotMatch(dash.body, /12346/);
    const basic = `Basic ${Buffer.from('me:k3y').toString('base64')}`;
    assert.equal((await app.inject({ url: '/', headers: { authorization: basic } })).statusCode, 200);
    assert.equal(
      (await app.inject({ url: '/v1/segments', headers: { authorization: basic } })).statusCode,
      200,
    );
    assert.equal((await app.inject('/openapi.json')).statusCode, 200, 'the API description needs no key');
    assert.equal((await app.inject('/nowhere')).statusCode, 404);
    await app.close();
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const none = buildApp({ checkResponses: true, workspace: empty });
    const res = await none.inject({ method: 'POST', url: '/v1/score', payload: { features: {} } });
    assert.equal(res.statusCode, 503);
    assert.equal(res.json().error.code, 'NO_MODEL');
    await none.close();
  });

  test('a failed run is recorded with its error and the last good model keeps serving', async () => {
    const broken = join(dir, 'broken.yaml');
    writeFileSync(
      broken,
      readFileSync(join(dir, 'recipe.yaml'), 'utf8').replace(
        'path: data/transactions.csv',
        'path: data/missing.csv',
      ),
    );
    const outcomes: (string | null)[] = [];
    const svc = await startService({
      workspace,
      recipe: broken,
      port: 0,
      onRun: (r) => outcomes.push(r.error),
    });
    try {
      const before = (await (await fetch(`${svc.address}/healthz`)).json()) as { model: string };
      const res = await fetch(`${svc.address}/v1/runs`, { method: 'POST' });
      assert.equal(res.status, 202);
      await svc.idle();
      assert.match(String(outcomes[0]), /missing\.csv does not exist/);
      const runs = (await (await fetch(`${svc.address}/v1/runs`)).json()) as {
        runs: { status: string; error: string | null }[];
      };
      assert.ok(runs.runs.some((r) => r.status === 'failed' && /missing\.csv/.test(r.error ?? '')));
      const after = (await (await fetch(`${svc.address}/healthz`)).json()) as { model: string };
      assert.equal(after.model, before.model, 'the last good model keeps serving');
      const score = await fetch(`${svc.address}/v1/score`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ features: features(rows[0]) }),
      });
      assert.equal(score.status, 200);
    } finally {
      await svc.close();
    }
  });

  test('a run another process holds: POST /v1/runs is 409 naming it, and nothing is started', async () => {
    const outcomes: (string | null)[] = [];
    const svc = await startService({
      workspace,
      recipe: join(dir, 'recipe.yaml'),
      port: 0,
      onRun: (r) => outcomes.push(r.error),
    });
    const lock = join(workspace, '.segmint.lock');
    // A live process on this host (the test runner's parent) holds the workspace, as a CLI run would.
    writeFileSync(
      lock,
      JSON.stringify({ pid: process.ppid, host: hostname(), startedAt: '2026-01-01T00:00:00Z' }),
    );
    try {
      for (let i = 0; i < 2; i++) {
        const res = await fetch(`${svc.address}/v1/runs`, { method: 'POST' });
        assert.equal(res.status, 409);
        const body = (await res.json()) as { error: { code: string; message: string } };
        assert.equal(body.error.code, 'RUN_IN_PROGRESS');
        assert.match(body.error.message, new RegExp(`process ${process.ppid}`));
      }
      const h = (await (await fetch(`${svc.address}/healthz`)).json()) as { running: boolean };
      assert.equal(h.running, false);
      assert.deepEqual(outcomes, [], 'no run was started, so none failed');
      assert.ok(existsSync(lock), "the other process's lock is left alone");
    } finally {
      rmSync(lock, { force: true });
      await svc.close();
    }
  });

  test('a real server on loopback: scheduled runs fire, one at a time, and the API answers meanwhile', async () => {
    const recipeText = readFileSync(join(dir, 'recipe.yaml'), 'utf8').replace(
      'output:\n  dir: out',
      'output:\n  dir: out\nschedule:\n  cron: "* * * * * *"',
    );
    const recipe = join(dir, 'scheduled.yaml');
    writeFileSync(
      recipe,
      recipeText
        .replace('nInit: 10', 'nInit: 1')
        .replace('k: { min: 3, max: 8, select: silhouette }', 'k: 4'),
    );
    const done: (string | null)[] = [];
    const svc = await startService({
      workspace,
      recipe,
      port: 0,
      onRun: (r) => done.push(r.runId ?? `failed: ${r.error}`),
    });
    try {
      const base = svc.address;
      const deadline = Date.now() + 60_000;
      let answeredDuringRun = false;
      while (done.length < 1 && Date.now() < deadline) {
        const h = (await (await fetch(`${base}/healthz`)).json()) as { running: boolean; model: string };
        if (h.running) {
          answeredDuringRun = true;
          // The previous model serves while the run goes on, until the run's outputs land and
          // latest moves (the server follows it at once).
          assert.ok(
            h.model === run.runId || existsSync(join(workspace, 'runs', h.model, 'model.json')),
            `a complete model serves while the run goes on (${h.model})`,
          );
          const busy = await fetch(`${base}/v1/runs`, { method: 'POST' });
          // 409 while the run goes on; a 202 only if it ended between the two requests.
          assert.ok(busy.status === 409 || (busy.status === 202 && done.length >= 1), `${busy.status}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.ok(done.length >= 1, 'a scheduled run fired');
      assert.ok(answeredDuringRun, 'the API answered during the run');
      assert.match(String(done[0]), /^\d{8}T\d{6}Z-/);
      await svc.idle();
      const h = (await (await fetch(`${base}/healthz`)).json()) as { running: boolean; model: string };
      assert.notEqual(h.model, run.runId, 'the new model serves');
    } finally {
      await svc.close();
    }
  });
});

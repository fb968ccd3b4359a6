import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DriftSpec } from '../../src/config/recipe.js';
import { redactWebhookUrl } from '../../src/core/redact.js';
import { mapCentre, postWebhook, psi } from '../../src/pipeline/drift.js';
import type { PrepParams } from '../../src/prep/prepare.js';
import { buildReport } from '../../src/report/build.js';
import { buildApp } from '../../src/serve/app.js';
import { writeMonths } from '../campaign/shop.js';
import { cleanup, cli, tempDir } from '../helpers.js';

const SECOND_MONTH = ['--set', 'window.referenceDate=2026-05-01'];

/** A local webhook receiver: answers each POST with the next status of `statuses` (then 200). */
async function receiver(statuses: number[]) {
  const bodies: unknown[] = [];
  let calls = 0;
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      calls++;
      const status = statuses.shift() ?? 200;
      if (status === 200) bodies.push(JSON.parse(body));
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/drift?token=s3cret`;
  return { url, bodies, calls: () => calls, close: () => new Promise((r) => server.close(r)) };
}

const segmentAlerts = (drift: { alerts: { kind: string; segmentId: number | null }[] }) =>
  drift.alerts.filter((a) => a.segmentId !== null).map((a) => `${a.kind}:${a.segmentId}`);

describe('drift between runs', () => {
  let dirs: string[] = [];
  const shop = (shifted: string | null, factor: number, thresholds: string) => {
    const dir = tempDir();
    dirs.push(dir);
    const recipe = writeMonths(dir, shifted, factor);
    appendFileSync(recipe, thresholds);
    return { dir, recipe };
  };
  const THRESHOLDS = 'drift: { moved: 0.5, size: 0.25, centroid: 0.2, psi: 0.25 }\n';
  before(() => {
    dirs = [];
  });
  after(() => {
    for (const d of dirs) cleanup(d);
  });

  /** Which segment holds most customers of kind `prefix` in a run's tags. */
  const segmentOf = (dir: string, prefix: string) => {
    const lines = readFileSync(join(dir, 'out', 'latest', 'tags.csv'), 'utf8')
      .trim()
      .split('\n')
      .slice(1);
    const count = new Map<string, number>();
    for (const l of lines) {
      const [id, seg] = l.split(',');
      if (id.startsWith(prefix)) count.set(seg, (count.get(seg) ?? 0) + 1);
    }
    return Number([...count.entries()].sort((a, b) => b[1] - a[1])[0][0]);
  };

  test("a second month that shifts one segment's spend alerts on exactly that segment; the webhook gets it after a retry", async () => {
    const hook = await receiver([503]);
    try {
      const { dir, recipe } = shop(
        'F',
        2.5,
        `${THRESHOLDS.replace(' }\n', `, webhook: { url: "${hook.url}", backoffMs: 10 } }\n`)}`,
      );
      const first = await cli(['run', recipe, '--json', '--fail-on-drift']);
      assert.equal(first.code, 0, 'a first run has nothing to drift from');
      assert.equal(JSON.parse(first.out).drift, null);
      const frequent = segmentOf(dir, 'F');
      const second = await cli(['run', recipe, '--json', '--fail-on-drift', ...SECOND_MONTH]);
      assert.equal(second.code, 4, second.err);
      const s = JSON.parse(second.out);
      assert.deepEqual(segmentAlerts(s.drift), [`centroid:${frequent}`]);
      const centroid = s.drift.alerts.find((a: { kind: string }) => a.kind === 'centroid');
      assert.equal(centroid.feature, 'monetary', 'it names the feature that moved');
      assert.ok(
        s.drift.alerts.some(
          (a: { kind: string; feature: string }) => a.kind === 'psi' && a.feature === 'monetary',
        ),
      );
      assert.ok(
        !s.drift.alerts.some(
          (a: { kind: string; feature: string }) => a.kind === 'psi' && a.feature !== 'monetary',
        ),
      );
      assert.equal(
        s.warnings.filter((w: { code: string }) => w.code === 'DRIFT').length,
        s.drift.alerts.length,
        'each alert is a counted warning',
      );
      // Delivered on the second attempt, with the alerts; the run record keeps the drift.
      assert.equal(hook.calls(), 2);
      assert.deepEqual(s.webhook.delivered, true);
      assert.equal(s.webhook.attempts, 2);
      assert.doesNotMatch(s.webhook.url, /s3cret/, 'the webhook URL is shown without its token');
      const body = hook.bodies[0] as { kind: string; runId: string; alerts: unknown[] };
      assert.equal(body.kind, 'segmint.drift');
      assert.equal(body.runId, s.runId);
      assert.deepEqual(body.alerts, s.drift.alerts);
      const run = JSON.parse(readFileSync(join(s.runDir, 'run.json'), 'utf8'));
      assert.deepEqual(run.drift.alerts, s.drift.alerts);
      assert.doesNotMatch(JSON.stringify(run), /s3cret/);
      // The run's report has a drift section with the alerts and the per-segment table.
      const { html } = await buildReport(s.runDir);
      assert.match(html, /Drift since run /);
      assert.match(html, /centre moved \(prepared units\)/);
      // The dashboard of the workspace carries the alerts as a banner.
      const app = buildApp({ checkResponses: true, workspace: join(dir, 'out') });
      try {
        const page = (await app.inject({ url: '/' })).body;
        assert.match(page, new RegExp(`class="banner" role="alert" data-drift="${s.drift.alerts.length}"`));
        // The move said in the feature's own units and its spread, not in prepared units alone.
        assert.match(
          page,
          /moved [0-9.]+ in the prepared features .*most along monetary: from [0-9,.]+ to [0-9,.]+ \(\+[0-9.]+ standard deviations of it among the customers\)/,
        );
      } finally {
        await app.close();
      }
    } finally {
      await hook.close();
    }
  });

  test('the same shift in the other segment alerts on that one instead; no shift, no segment alert and no POST', async () => {
    const { dir, recipe } = shop('O', 2.5, THRESHOLDS);
    await cli(['run', recipe, '--json']);
    const occasional = segmentOf(dir, 'O');
    const s = JSON.parse((await cli(['run', recipe, '--json', ...SECOND_MONTH])).out);
    assert.deepEqual(segmentAlerts(s.drift), [`centroid:${occasional}`]);
    const hook = await receiver([]);
    try {
      const calm = shop(null, 1, THRESHOLDS.replace(' }\n', `, webhook: { url: "${hook.url}" } }\n`));
      await cli(['run', calm.recipe, '--json']);
      const r = await cli(['run', calm.recipe, '--json', '--fail-on-drift', ...SECOND_MONTH]);
      assert.equal(r.code, 0, r.out);
      const c = JSON.parse(r.out);
      assert.deepEqual(c.drift.alerts, []);
      assert.ok(c.drift.segments.every((x: { nameHolds: boolean }) => x.nameHolds));
      assert.equal(hook.calls(), 0);
      assert.equal(c.webhook, null);
    } finally {
      await hook.close();
    }
  });

  test('a webhook that cannot be reached is a warning, never a failed run', async () => {
    const { recipe } = shop(
      'F',
      2.5,
      `${THRESHOLDS.replace(' }\n', ', webhook: { url: "http://127.0.0.1:9/x", retries: 1, backoffMs: 1 } }\n')}`,
    );
    await cli(['run', recipe, '--json']);
    const r = await cli(['run', recipe, '--json', ...SECOND_MONTH]);
    assert.equal(r.code, 0);
    const s = JSON.parse(r.out);
    assert.equal(s.webhook.delivered, false);
    assert.equal(s.webhook.attempts, 2);
    assert.ok(s.warnings.some((w: { code: string }) => w.code === 'DRIFT_WEBHOOK_FAILED'));
    // The failure is in the run's record too (run.json is rewritten after the POST).
    const record = JSON.parse(readFileSync(join(s.runDir, 'run.json'), 'utf8'));
    assert.ok(record.warnings.some((w: { code: string }) => w.code === 'DRIFT_WEBHOOK_FAILED'));
    assert.equal(record.webhook.attempts, 2);
  });

  test('webhook targets: no credentials in the URL, the host shown is the one posted to, no link-local or metadata address, secrets from the environment in headers', async () => {
    const bad = DriftSpec.safeParse({ webhook: { url: 'https://user:pw@hooks.example/x' } });
    assert.ok(!bad.success);
    assert.match(bad.error.issues[0].message, /user name or password.*webhook\.headers/);
    assert.equal(redactWebhookUrl('http://127.0.0.1:1\\@evil.invalid/x'), 'http://127.0.0.1:1/***');
    assert.equal(redactWebhookUrl('https://hooks.example/'), 'https://hooks.example');
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://[fe80::1]/x',
      'http://metadata.google.internal/',
    ]) {
      const r = await postWebhook(DriftSpec.parse({ webhook: { url } }).webhook!, {});
      assert.equal(r.delivered, false);
      assert.equal(r.attempts, 0, `${url}: nothing was sent`);
      assert.match(r.error ?? '', /not sent: .*allowPrivateTargets/);
    }
    // A header's ${NAME} is read from the environment when sent.
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    process.env.SEGMINT_TEST_HOOK_TOKEN = 't0k3n';
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
      const hook = DriftSpec.parse({
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal ${NAME} the user writes, read from the environment when sent
        webhook: { url, headers: { Authorization: 'Bearer ${SEGMINT_TEST_HOOK_TOKEN}' } },
      }).webhook!;
      assert.equal((await postWebhook(hook, { a: 1 })).delivered, true);
      assert.deepEqual(seen, ['Bearer t0k3n']);
    } finally {
      delete process.env.SEGMINT_TEST_HOOK_TOKEN;
      await new Promise((r) => server.close(r));
    }
  });

  test('the stability index and the centre mapping on hand-made numbers', () => {
    const table = (values: number[]) => ({
      ids: [],
      numeric: [{ name: 'x', values: Float64Array.from(values) }],
      categorical: [],
    });
    const before = {
      name: 'x',
      type: 'numeric' as const,
      edges: [1, 2],
      shares: [0.5, 0.25, 0.25],
      missing: 0,
    };
    // Now: a quarter, a quarter, a half.
    const now = psi(before, table([0, 1.5, 3, 3]));
    const expect = (0.25 - 0.5) * Math.log(0.25 / 0.5) + 0 + (0.5 - 0.25) * Math.log(0.5 / 0.25);
    assert.ok(Math.abs((now as number) - expect) < 1e-12);
    assert.equal(psi(before, table([0, 0, 1.5, 3])), 0);
    const cat = { name: 'c', type: 'categorical' as const, shares: { a: 0.5, b: 0.5 } };
    const t = { ids: [], numeric: [], categorical: [{ name: 'c', values: ['a', 'a', 'a', 'b'] }] };
    assert.ok(Math.abs((psi(cat, t) as number) - (0.25 * Math.log(1.5) - 0.25 * Math.log(0.5))) < 1e-12);
    // A centre prepared with log1p and standard scaling, mapped into another run's scaling.
    const prep = (center: number, scale: number): PrepParams => ({
      scaler: 'standard',
      steps: [
        {
          name: 'm',
          type: 'numeric',
          impute: 0,
          imputeMethod: 'median',
          log: true,
          center,
          scale,
          weight: 2,
        },
      ],
      outputNames: ['m'],
      dropped: [],
    });
    const raw = 99; // log1p(99) = ln 100
    const prev = ((Math.log(100) - 3) / 1.5) * 2;
    const mapped = mapCentre(prep(3, 1.5), [prev], prep(4, 0.5))[0];
    assert.ok(Math.abs(mapped - ((Math.log1p(raw) - 4) / 0.5) * 2) < 1e-12);
    // Time between runs: a feature that ages is compared after moving the earlier run's values on
    // by the days between them. Everyone 30 days older: no shift once aligned, a large one if not.
    const older = table([30, 31.5, 33, 33].map((v) => v));
    const tenure = { ...before, edges: [1, 2].map((e) => e), shares: [0.25, 0.25, 0.5] };
    assert.equal(psi(tenure, table([0, 1.5, 3, 3])), 0);
    assert.equal(psi(tenure, older, 30), 0);
    assert.ok((psi(tenure, older) as number) > 1);
    const aged = mapCentre(prep(3, 1.5), [prev], prep(4, 0.5), (f) => (f === 'm' ? 30 : 0))[0];
    assert.ok(Math.abs(aged - ((Math.log1p(raw + 30) - 4) / 0.5) * 2) < 1e-12);
  });
});

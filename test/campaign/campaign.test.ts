import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assessCampaign } from '../../src/campaign/measure.js';
import { readOutcomes } from '../../src/campaign/outcomes.js';
import { controlOf, type PlanOptions, planCampaign } from '../../src/campaign/plan.js';
import { loadRecipe } from '../../src/config/load.js';
import type { SegmintError } from '../../src/core/errors.js';
import { createRng } from '../../src/core/rng.js';
import { runRecipe } from '../../src/pipeline/run.js';
import { buildApp } from '../../src/serve/app.js';
import { Duck, qs } from '../../src/sql/duckdb.js';
import { cleanup, cli, readCsv, tempDir } from '../helpers.js';
import { KINDS, POST_DAYS, START, writePost, writeShop } from './shop.js';

const members = (dir: string, name: string) => readCsv(join(dir, 'out', 'campaigns', name, 'members.csv'));

describe('campaigns: plan a holdout, measure the lift', () => {
  let dir: string;
  let recipe: string;
  let outDir: string;
  /** Segment id holding most of the frequent (F) customers, and the other one. */
  let frequent: number;
  let occasional: number;
  before(async () => {
    dir = tempDir();
    recipe = writeShop(dir);
    const run = await runRecipe(loadRecipe(recipe));
    outDir = run.outDir;
    const tags = readCsv(run.files['tags.csv']);
    const share = (id: number) =>
      tags.filter((t) => Number(t.segment_id) === id && t.customer_id.startsWith('F')).length /
      tags.filter((t) => Number(t.segment_id) === id).length;
    frequent = share(1) > share(2) ? 1 : 2;
    occasional = 3 - frequent;
    assert.ok(share(frequent) > 0.9, `segment ${frequent} is mostly frequent customers`);
  });
  after(() => cleanup(dir));
  const planOf = (name: string, segments: number[], holdout: number, more: Partial<PlanOptions> = {}) =>
    planCampaign({ outDir, name, segments, holdout, start: START, loaded: loadRecipe(recipe), ...more });

  test('the split is stratified, stable on re-plan and independent of row order', async () => {
    const plan = await planOf('stable', [1, 2], 0.1);
    const first = readFileSync(join(outDir, 'campaigns', 'stable', 'members.csv'));
    for (const s of plan.segments) {
      assert.equal(s.control, Math.round(0.1 * s.customers), `segment ${s.id}: exactly 10% held out`);
      assert.equal(s.treatment + s.control, s.customers);
    }
    await assert.rejects(planOf('stable', [1], 0.1), (e: SegmintError) => e.code === 'CAMPAIGN_EXISTS');
    await planOf('stable', [1, 2], 0.1, { replace: true });
    assert.deepEqual(
      readFileSync(join(outDir, 'campaigns', 'stable', 'members.csv')),
      first,
      'same bytes on re-plan',
    );
    // The split of a segment does not depend on the order its customers come in.
    const ids = members(dir, 'stable').map((m) => m.customer_id);
    const rng = createRng(3);
    const shuffled = [...ids].sort(() => rng() - 0.5);
    assert.deepEqual([...controlOf(shuffled, 7, 'x', 0.2)].sort(), [...controlOf(ids, 7, 'x', 0.2)].sort());
    // Another campaign name (or seed) draws another control group.
    const other = controlOf(ids, 7, 'y', 0.2);
    const same = [...controlOf(ids, 7, 'x', 0.2)].filter((c) => other.has(c)).length;
    assert.ok(same < 0.3 * other.size, `${same} of ${other.size} shared: independent draws share about 20%`);
  });

  test('the arms are balanced within each segment, to within sampling error, on what they did before', async () => {
    const plan = await planOf('balance', [1, 2], 0.3);
    const base = await readOutcomes(loadRecipe(recipe), '2026-01-01', 90);
    const rows = members(dir, 'balance');
    for (const s of plan.segments) {
      const arm = (a: string) =>
        rows
          .filter((r) => Number(r.segment_id) === s.id && r.arm === a)
          .map((r) => base.byCustomer.get(r.customer_id)?.revenue ?? 0);
      const [t, c] = [arm('treatment'), arm('control')];
      const mean = (x: number[]) => x.reduce((a, b) => a + b, 0) / x.length;
      const sd = (x: number[]) => Math.sqrt(x.reduce((a, b) => a + (b - mean(x)) ** 2, 0) / (x.length - 1));
      const se = Math.sqrt(sd(t) ** 2 / t.length + sd(c) ** 2 / c.length);
      assert.ok(Math.abs(mean(t) - mean(c)) < 4 * se, `segment ${s.id}: ${mean(t)} vs ${mean(c)} (se ${se})`);
    }
  });

  test("the minimum detectable effect comes from the segment's own variance before the start", async () => {
    const plan = await planOf('mde', [frequent, occasional], 0.5, { days: POST_DAYS });
    for (const s of plan.segments) {
      assert.equal(s.baseline.from, '2026-03-04');
      assert.equal(s.baseline.to, START);
      const expect =
        (1.959963984540054 + 0.8416212335729143) *
        (s.baseline.revenueSd as number) *
        Math.sqrt(1 / s.treatment + 1 / s.control);
      assert.ok(Math.abs((s.mde.revenue.absolute as number) - expect) < 1e-9 * expect);
    }
    // The frequent segment, with its higher and more variable spend, needs a larger absolute lift.
    const [f, o] = plan.segments;
    assert.ok((f.mde.revenue.absolute as number) > (o.mde.revenue.absolute as number));
    // A tenth held out detects less than half held out.
    const small = await planOf('mde10', [frequent], 0.1);
    assert.ok((small.segments[0].mde.orders.absolute as number) > (f.mde.orders.absolute as number));
  });

  test('over seeded replications the 95% intervals cover the planted lift (and 0 where nothing was planted) about 95% of the time', async () => {
    const loaded = loadRecipe(recipe);
    const plan = await planOf('coverage', [frequent, occasional], 0.2);
    const rows = members(dir, 'coverage').map((m) => ({
      c: m.customer_id,
      s: Number(m.segment_id),
      arm: m.arm,
    }));
    const treated = new Set(rows.filter((r) => r.arm === 'treatment').map((r) => r.c));
    // The planted lift of orders per customer in the frequent segment: +10% of the post rate for
    // its treated frequent customers (a few occasional ones share the segment and are untouched).
    const seg = rows.filter((r) => r.s === frequent && r.arm === 'treatment');
    const planted = (0.1 * KINDS[0].postRate * seg.filter((r) => r.c.startsWith('F')).length) / seg.length;
    const R = 40;
    let coverLift = 0;
    let coverZero = 0;
    let detected = 0;
    for (let r = 0; r < R; r++) {
      writePost(dir, r, treated, 'F');
      const outcomes = await readOutcomes(loaded, START, POST_DAYS);
      const m = assessCampaign(plan, rows, outcomes, { end: '2026-04-29', level: 0.95, measuredAt: 'now' });
      const f = m.segments.find((s) => s.id === frequent)!.lift.orders;
      const o = m.segments.find((s) => s.id === occasional)!.lift.orders;
      if ((f.lower as number) <= planted && planted <= (f.upper as number)) coverLift++;
      if ((o.lower as number) <= 0 && 0 <= (o.upper as number)) coverZero++;
      if ((f.lower as number) > 0) detected++;
    }
    // Binomial(40, 0.95): 34 or more covered has probability 0.995.
    assert.ok(coverLift >= 34, `planted lift ${planted.toFixed(3)} covered in ${coverLift} of ${R}`);
    assert.ok(coverZero >= 34, `0 covered for the untouched segment in ${coverZero} of ${R}`);
    // With 20% held out the planted 10% is found most of the time (power about 0.85).
    assert.ok(detected >= 24, `lift detected in ${detected} of ${R}`);
  });

  test('the CLI plans, exports both arms, measures and reports; errors name the allowed values', async () => {
    const plan = await cli([
      'campaign',
      'plan',
      'spring',
      '-r',
      recipe,
      '--segments',
      `${frequent}`,
      '--holdout',
      '20%',
      '--start',
      START,
      '--json',
    ]);
    assert.equal(plan.code, 0, plan.err + plan.out);
    const p = JSON.parse(plan.out).campaign;
    assert.equal(p.segments[0].id, frequent);
    for (const f of ['members.csv', 'members.parquet', 'plan.json'])
      assert.ok(existsSync(join(outDir, 'campaigns', 'spring', f)), f);
    const duck = await Duck.open();
    try {
      const arms = await duck.all(
        `SELECT arm, count(*) AS n FROM read_parquet(${qs(join(outDir, 'campaigns', 'spring', 'members.parquet'))}) GROUP BY arm ORDER BY arm`,
      );
      assert.deepEqual(
        arms.map((a) => [a.arm, Number(a.n)]),
        [
          ['control', p.segments[0].control],
          ['treatment', p.segments[0].treatment],
        ],
      );
      // The history knows the campaign, its run and its members.
      const h = await Duck.open(join(outDir, 'history.duckdb'));
      try {
        const c = await h.one("SELECT run_id, treatment, control FROM campaigns WHERE name = 'spring'");
        assert.equal(c.run_id, p.run.runId);
        const n = await h.one("SELECT count(*) AS n FROM campaign_members WHERE campaign = 'spring'");
        assert.equal(Number(n.n), p.totals.customers);
      } finally {
        h.close();
      }
    } finally {
      duck.close();
    }
    const treated = members(dir, 'spring').filter((m) => m.arm === 'treatment');
    writePost(dir, 99, new Set(treated.map((m) => m.customer_id)), 'F', 1.5);
    const text = await cli(['campaign', 'show', 'spring', '-r', recipe]);
    assert.match(text.out, /detectable/);
    const measured = await cli(['campaign', 'measure', 'spring', '-r', recipe, '--json']);
    assert.equal(measured.code, 0, measured.err + measured.out);
    const m = JSON.parse(measured.out).measurement;
    // Planted: +50% orders for the treated frequent customers: found, with its revenue.
    assert.ok(m.segments[0].lift.orders.lower > 0, JSON.stringify(m.segments[0].lift.orders));
    assert.ok(m.segments[0].incrementalRevenue.estimate > 0);
    assert.match(m.segments[0].verdict, /Orders per customer higher with treatment/);
    assert.match(m.methods.orders, /Welch/);
    const html = readFileSync(join(outDir, 'campaigns', 'spring', 'report.html'), 'utf8');
    assert.match(html, /<svg/);
    assert.match(html, /Incremental revenue, all segments/);
    // The run's report, rebuilt, shows the campaigns planned from it with their lift.
    const rebuilt = await cli(['report', join(outDir, 'latest'), '-o', join(dir, 'rebuilt.html')]);
    assert.equal(rebuilt.code, 0, rebuilt.err);
    const runHtml = readFileSync(join(dir, 'rebuilt.html'), 'utf8');
    assert.match(runHtml, /Campaigns from this run/);
    assert.match(runHtml, /Campaign spring<\/h3>.*Lift \(treatment - control/s);
    const list = await cli(['campaign', 'list', '-r', recipe, '--json']);
    assert.ok(
      JSON.parse(list.out).campaigns.some((c: { plan: { name: string } }) => c.plan.name === 'spring'),
    );
    const bad = await cli(['campaign', 'plan', 'x', '-r', recipe, '--segments', '9', '--json']);
    assert.equal(bad.code, 2);
    assert.match(JSON.parse(bad.out).error.message, /has no segment "9"; it has 1 \(.+\), 2 \(/);
    const hold = await cli(['campaign', 'plan', 'x', '-r', recipe, '--segments', '1', '--holdout', '150%']);
    assert.match(hold.err, /holdout must be a share between 0 and 1/);
    const unknown = await cli(['campaign', 'measure', 'nope', '-r', recipe]);
    assert.match(unknown.err, /UNKNOWN_CAMPAIGN/);
    writeFileSync(join(dir, 'orders-post.csv'), 'Invoice,Customer,Date,Quantity,Price\n');
  });

  test('the API plans, measures and serves campaigns; the dashboard shows them with their chart', async () => {
    const app = buildApp({ checkResponses: true, workspace: outDir, recipe: () => loadRecipe(recipe) });
    try {
      const made = await app.inject({
        method: 'POST',
        url: '/v1/campaigns',
        payload: { name: 'api', segments: [frequent], holdout: 0.2, start: START },
      });
      assert.equal(made.statusCode, 201, made.body);
      const plan = made.json().campaign;
      assert.equal(plan.segments[0].id, frequent);
      assert.ok(plan.segments[0].mde.revenue.absolute > 0);
      const again = await app.inject({
        method: 'POST',
        url: '/v1/campaigns',
        payload: { name: 'api', segments: [frequent] },
      });
      assert.equal(again.statusCode, 409);
      assert.equal(again.json().error.code, 'CAMPAIGN_EXISTS');
      const bad = await app.inject({
        method: 'POST',
        url: '/v1/campaigns',
        payload: { name: 'x', segments: [1], holdout: 2 },
      });
      assert.equal(bad.statusCode, 400);
      const unknownSegment = await app.inject({
        method: 'POST',
        url: '/v1/campaigns',
        payload: { name: 'x', segments: [7] },
      });
      assert.equal(unknownSegment.statusCode, 400);
      assert.match(unknownSegment.json().error.message, /has no segment/);
      const notYet = await app.inject({ url: '/v1/campaigns/api/report' });
      assert.equal(notYet.statusCode, 404);
      assert.equal(notYet.json().error.code, 'NO_REPORT');
      const measured = await app.inject({ method: 'POST', url: '/v1/campaigns/api/measure', payload: {} });
      assert.equal(measured.statusCode, 200, measured.body);
      const m = measured.json().measurement;
      assert.equal(m.segments[0].arms.treatment.customers, plan.segments[0].treatment);
      const one = (await app.inject({ url: '/v1/campaigns/api' })).json();
      assert.deepEqual(one.measurement, m);
      assert.equal(one.measurements.length, 1);
      const all = (await app.inject({ url: '/v1/campaigns' })).json();
      assert.ok(all.campaigns.some((c: { campaign: { name: string } }) => c.campaign.name === 'api'));
      assert.equal((await app.inject({ url: '/v1/campaigns/nope' })).json().error.code, 'UNKNOWN_CAMPAIGN');
      const report = await app.inject({ url: '/v1/campaigns/api/report' });
      assert.match(report.body, /Lift \(treatment - control/);
      // A hand-damaged campaign does not hide the others: it is named with its reason.
      const broken = join(outDir, 'campaigns', 'broken');
      mkdirSync(broken, { recursive: true });
      writeFileSync(join(broken, 'plan.json'), '{"kind": "segmint.campaign"');
      const listed = (await app.inject({ url: '/v1/campaigns' })).json();
      assert.ok(listed.campaigns.some((c: { campaign: { name: string } }) => c.campaign.name === 'api'));
      assert.equal(listed.damaged[0].name, 'broken');
      assert.match(listed.damaged[0].error, /cannot be read as JSON/);
      const cliList = await cli(['campaign', 'list', '-r', recipe]);
      assert.equal(cliList.code, 0);
      assert.match(cliList.err, /campaign broken cannot be read/);
      const dash = await app.inject({ url: '/' });
      assert.match(dash.body, /Campaign broken cannot be read/);
      assert.match(dash.body, /<h2>Campaigns<\/h2>/);
      assert.match(dash.body, /<figure data-campaign="api">.*<svg/s);
    } finally {
      await app.close();
    }
  });
});

test('a difference whose interval holds 0 is worded as no difference shown, never as its estimate', async () => {
  const { differenceText } = await import('../../src/report/campaign.js');
  assert.equal(
    differenceText({ estimate: 24784, lower: -11510, upper: 61077 }, '95% CI'),
    'no difference shown (95% CI -11,510 to 61,077)',
  );
  assert.equal(
    differenceText({ estimate: 24784, lower: 1510, upper: 61077 }, '95% CI'),
    '24,784 (95% CI 1,510 to 61,077)',
  );
  assert.equal(differenceText({ estimate: null, lower: null, upper: null }, '95% CI'), '–');
});

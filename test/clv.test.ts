import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import {
  bgnbdConditional,
  bgnbdExpected,
  bgnbdPAlive,
  bgnbdProbN,
  clvValue,
  fitBgNbd,
  fitGammaGamma,
  fitParetoNbd,
  gammaGammaExpected,
  paretoConditional,
  paretoExpected,
  paretoPAlive,
  paretoProbN,
  spendFrequencyCorrelation,
} from '../src/clv/models.js';
import { hyp2f1, lgamma } from '../src/clv/special.js';
import { recipeFromObject } from '../src/config/load.js';
import type { SegmintError } from '../src/core/errors.js';
import { clvSummaryInEngine } from '../src/engine/features.js';
import { computeFeatures } from '../src/pipeline/run.js';
import { Duck, duckdbEngine } from '../src/sql/duckdb.js';
import { sharedData } from './helpers.js';

const sig = (v: number, digits = 3) => Number(v.toPrecision(digits));

describe('customer-base models on CDNOW (REFERENCES.md)', () => {
  const published = (dir: string) => {
    const rows = readFileSync(join(dir, 'cdnow_customers_summary_with_transactions.csv'), 'utf8')
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((l) => l.split(',').map(Number));
    return {
      id: rows.map((r) => r[0]),
      x: Float64Array.from(rows, (r) => r[1]),
      tx: Float64Array.from(rows, (r) => r[2]),
      T: Float64Array.from(rows, (r) => r[3]),
      m: Float64Array.from(rows, (r) => r[4]),
    };
  };

  test('BG/NBD reproduces the published parameters, log-likelihood and predictions', (t) => {
    const dir = sharedData(t, 'cdnow');
    if (!dir) return;
    const s = published(dir);
    const fit = fitBgNbd(s);
    const p = fit.params;
    assert.deepEqual([sig(p.r), sig(p.alpha, 4), sig(p.a), sig(p.b, 4)], [0.243, 4.414, 0.793, 2.426]);
    assert.equal(Number(fit.logLikelihood.toFixed(1)), -9582.4);
    assert.ok(fit.se && fit.se.r > 0 && fit.se.alpha > 0, 'standard errors from the Hessian');
    const expected = [1, 3, 31.86, 78].map((w) => bgnbdExpected(p, w));
    [0.0532, 0.1506, 1.0405, 1.858].forEach((v, i) => {
      assert.ok(Math.abs(expected[i] - v) < 2e-4, `E[X(${[1, 3, 31.86, 78][i]})] = ${expected[i]}`);
    });
    assert.equal(Number(bgnbdConditional(p, 39, 2, 30.43, 38.86).toFixed(3)), 1.226);
    assert.equal(Number(bgnbdPAlive(p, 2, 30.43, 38.86).toFixed(3)), 0.727);
    // P(X(t) = n) sums to 1 over n, and its mean is E[X(t)].
    let total = 0;
    let mean = 0;
    for (let n = 0; n < 200; n++) {
      const q = bgnbdProbN(p, 39, n);
      total += q;
      mean += n * q;
    }
    assert.ok(Math.abs(total - 1) < 1e-6 && Math.abs(mean - bgnbdExpected(p, 39)) < 1e-4, `${total} ${mean}`);
  });

  test('Pareto/NBD reproduces the published parameters and log-likelihood', (t) => {
    const dir = sharedData(t, 'cdnow');
    if (!dir) return;
    const fit = fitParetoNbd(published(dir));
    const p = fit.params;
    assert.deepEqual([sig(p.r), sig(p.alpha), sig(p.s), sig(p.beta)], [0.553, 10.6, 0.606, 11.7]);
    assert.equal(Number(fit.logLikelihood.toFixed(1)), -9595.0);
    // Predictions: a brand-new customer (x = t_x = T = 0) is alive and expects what a new customer expects;
    // P(alive) falls as the silence since the last purchase grows; both models roughly agree on CDNOW.
    assert.ok(Math.abs(paretoPAlive(p, 0, 0, 0) - 1) < 1e-12);
    assert.ok(Math.abs(paretoConditional(p, 39, 0, 0, 0) - paretoExpected(p, 39)) < 1e-9);
    const alive = [30, 20, 10, 1].map((txv) => paretoPAlive(p, 2, txv, 38.86));
    for (let i = 1; i < alive.length; i++) assert.ok(alive[i] < alive[i - 1], `${alive}`);
    const bg = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    const ratio = paretoConditional(p, 39, 2, 30.43, 38.86) / bgnbdConditional(bg, 39, 2, 30.43, 38.86);
    assert.ok(Math.abs(ratio - 1) < 0.25, `Pareto/NBD vs BG/NBD: ${ratio}`);
    assert.ok(Math.abs(paretoExpected(p, 78) / bgnbdExpected(bg, 78) - 1) < 0.15);
    let total = 0;
    let mean = 0;
    for (let n = 0; n < 150; n++) {
      const q = paretoProbN(p, 39, n);
      total += q;
      mean += n * q;
    }
    assert.ok(
      Math.abs(total - 1) < 1e-6 && Math.abs(mean - paretoExpected(p, 39)) < 1e-4,
      `P(X(t) = n) sums to ${total}, mean ${mean}`,
    );
  });

  test('Gamma-Gamma reproduces p, q, gamma and the population mean spend', (t) => {
    const dir = sharedData(t, 'cdnow');
    if (!dir) return;
    const s = published(dir);
    const fit = fitGammaGamma(s.x, s.m);
    assert.deepEqual([sig(fit.params.p), sig(fit.params.q), sig(fit.params.gamma)], [6.25, 3.74, 15.4]);
    assert.equal(Number(gammaGammaExpected(fit.params, 0, 0).toFixed(2)), 35.17);
    assert.ok(
      Math.abs(spendFrequencyCorrelation(s.x, s.m)) < 0.2,
      'frequency and spend are close to uncorrelated, as the model assumes',
    );
    const clv = clvValue(
      { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 },
      gammaGammaExpected(fit.params, 2, 22.35),
      2,
      30.43,
      38.86,
      52,
      0.01 / 4.33,
    );
    assert.ok(clv > 30 && clv < 80, `${clv}`);
  });

  test('summary data built from the raw CDNOW sample equals the published summary for every customer', async (t) => {
    const dir = sharedData(t, 'cdnow');
    if (!dir) return;
    const s = published(dir);
    const duck = await Duck.open();
    try {
      const loaded = recipeFromObject(
        {
          sources: {
            tx: {
              path: join(dir, 'CDNOW_sample.txt'),
              csv: { delimiter: 'whitespace', columns: ['master_id', 'customer_id', 'date', 'cds', 'value'] },
              dateFormat: '%Y%m%d',
              roles: { customer: 'customer_id', time: 'date', quantity: 'cds', amount: 'value' },
            },
          },
          cleaning: { duplicates: 'keep', nonPositivePrice: 'keep' },
          features: ['frequency'],
        },
        dir,
      );
      const { built } = await computeFeatures(duck, loaded);
      const ours = (await clvSummaryInEngine(duckdbEngine(duck), built, '1997-09-30', 7))!;
      const byId = new Map(ours.ids.map((id, i) => [Number(id), i]));
      assert.equal(ours.ids.length, 2357);
      let worst = 0;
      s.id.forEach((id, j) => {
        const i = byId.get(id)!;
        assert.equal(ours.x[i], s.x[j], `x of customer ${id}`);
        worst = Math.max(worst, Math.abs(ours.tx[i] - s.tx[j]), Math.abs(ours.T[i] - s.T[j]));
        if (s.x[j] > 0)
          assert.ok(
            Math.abs(ours.m[i] - s.m[j]) < 0.006,
            `mean repeat spend of ${id}: ${ours.m[i]} vs ${s.m[j]}`,
          );
      });
      assert.ok(worst < 0.006, `t_x and T agree to the published 2 decimals (worst ${worst})`);
    } finally {
      duck.close();
    }
  });

  test('special functions and degenerate inputs', () => {
    assert.ok(Math.abs(lgamma(10) - Math.log(362880)) < 1e-12);
    assert.ok(Math.abs(lgamma(0.5) - 0.5 * Math.log(Math.PI)) < 1e-12);
    // 2F1(1, 1; 2; z) = -ln(1 - z) / z
    assert.ok(Math.abs(hyp2f1(1, 1, 2, 0.7) + Math.log(0.3) / 0.7) < 1e-12);
    assert.ok(Math.abs(hyp2f1(1, 1, 2, -0.5) - Math.log(1.5) / 0.5) < 1e-12);
    const none = {
      x: Float64Array.from([0, 0, 0]),
      tx: Float64Array.from([0, 0, 0]),
      T: Float64Array.from([10, 20, 30]),
    };
    assert.throws(
      () => fitBgNbd(none),
      (e: SegmintError) => e.code === 'DATA_EMPTY' && /repeat purchase/.test(e.message),
    );
    assert.throws(
      () => fitGammaGamma(Float64Array.from([2, 3]), Float64Array.from([0, 0])),
      (e: SegmintError) => e.code === 'DATA_EMPTY',
    );
    const one = fitBgNbd({
      x: Float64Array.from([2]),
      tx: Float64Array.from([5]),
      T: Float64Array.from([10]),
    });
    assert.ok(
      Number.isFinite(one.logLikelihood) && Object.values(one.params).every(Number.isFinite),
      'a single customer gives finite numbers, never NaN',
    );
    assert.throws(
      () => fitBgNbd({ x: Float64Array.from([1]), tx: Float64Array.from([20]), T: Float64Array.from([10]) }),
      (e: SegmintError) => e.code === 'DATA_BAD_NUMBER',
    );
  });
});

/**
 * A shop whose customers join every day, run with `clv: { unit: days, horizon: 30, ...clv }`: 240
 * customers; customer c first buys on day c % 60 of June-July 2024 and again every 5 + c % 7 days
 * (those starting on the last day have T = 0 at the default calibration end).
 */
async function everyDayShop(dir: string, clv: Record<string, unknown>) {
  const { runRecipe } = await import('../src/pipeline/run.js');
  const { writeFileSync } = await import('node:fs');
  const lines = ['customer_id,day,amount'];
  const day0 = Date.UTC(2024, 5, 1);
  for (let c = 0; c < 240; c++)
    for (let d = c % 60; d < 60; d += 5 + (c % 7))
      lines.push(
        `K${c},${new Date(day0 + d * 86_400_000).toISOString().slice(0, 10)},${10 + (c % 13) + (d % 4)}`,
      );
  writeFileSync(join(dir, 'orders.csv'), `${lines.join('\n')}\n`);
  return runRecipe(
    recipeFromObject(
      {
        sources: {
          o: { path: 'orders.csv', roles: { customer: 'customer_id', time: 'day', amount: 'amount' } },
        },
        features: ['recency_days', 'frequency', 'monetary'],
        clv: { unit: 'days', horizon: 30, ...clv },
        cluster: { k: 3, nInit: 2 },
        output: { dir: join(dir, 'out') },
      },
      dir,
    ),
  );
}

describe('CLV in the pipeline', () => {
  test('clv: adds P(alive), expected purchases and spend, and CLV to tags, profiles, model and score; validates on the holdout', async (t) => {
    const dir = sharedData(t, 'cdnow');
    if (!dir) return;
    const { tempDir, cleanup, captureIo } = await import('./helpers.js');
    const { runRecipe } = await import('../src/pipeline/run.js');
    const { main } = await import('../src/cli/main.js');
    const out = tempDir();
    try {
      const loaded = recipeFromObject(
        {
          sources: {
            tx: {
              path: join(dir, 'CDNOW_sample.txt'),
              csv: { delimiter: 'whitespace', columns: ['master_id', 'customer_id', 'date', 'cds', 'value'] },
              dateFormat: '%Y%m%d',
              roles: { customer: 'customer_id', time: 'date', quantity: 'cds', amount: 'value' },
            },
          },
          cleaning: { duplicates: 'keep', nonPositivePrice: 'keep' },
          features: ['recency_days', 'frequency', 'monetary'],
          clv: { unit: 'weeks', calibrationEnd: '1997-09-30', horizon: 39 },
          cluster: { k: 3, nInit: 2 },
          output: { dir: out },
        },
        out,
      );
      const s = await runRecipe(loaded);
      const run = JSON.parse(readFileSync(s.files['run.json'], 'utf8'));
      assert.deepEqual(
        [sig(run.clv.bgnbd.params.r), sig(run.clv.bgnbd.params.alpha, 4)],
        [0.243, 4.414],
        'same fit as on the published summary',
      );
      assert.equal(Number(run.clv.gammaGamma.params.p.toPrecision(3)), 6.25);
      // Calibration vs holdout (39 weeks to mid-1998): predictions track the actual repeat purchases.
      const v = run.clv.validation;
      assert.ok(v.holdoutPeriods > 38 && v.holdoutPeriods < 40, `${v.holdoutPeriods}`);
      const tot = v.groups.reduce(
        (a: { p: number; a: number }, g: { customers: number; predicted: number; actual: number }) => ({
          p: a.p + g.predicted * g.customers,
          a: a.a + g.actual * g.customers,
        }),
        { p: 0, a: 0 },
      );
      assert.ok(Math.abs(tot.p / tot.a - 1) < 0.15, `predicted ${tot.p} vs actual ${tot.a}`);
      // The per-customer yardstick: the published CDNOW 1/10 sample (39 + 39 weeks) figures, BG/NBD
      // 0.785 against 1.024 for the naive x/T rate (docs/REFERENCES.md; our R reproduction).
      assert.equal(v.customers, 2357);
      assert.ok(Math.abs(v.model.mae - 0.785) < 0.001, `BG/NBD MAE ${v.model.mae}`);
      assert.ok(Math.abs(v.naive.mae - 1.024) < 0.001, `naive MAE ${v.naive.mae}`);
      assert.ok(v.model.rmse > v.model.mae && v.model.correlation > 0.5);
      assert.ok(!run.warnings.some((w: { code: string }) => w.code === 'CLV_WORSE_THAN_NAIVE'));
      // The report's CLV section says the same, in words, with the chart and the tables.
      const html = readFileSync(s.files['report.html'], 'utf8');
      assert.match(html, /<section[^>]*id="clv"/);
      assert.match(
        html,
        /was off by 0\.785 on average \(mean absolute error; the naive repeat rate x\/T: 1\.024\), better than the naive rate/,
      );
      assert.match(html, /after each purchase, 24\.6% of customers stop buying on average/);
      assert.match(html, /data-chart="clvValidation"/);
      const header = readFileSync(s.files['tags.csv'], 'utf8').split('\n')[0];
      assert.match(header, /clv_p_alive,clv_expected_purchases,clv_expected_spend,clv_value/);
      assert.equal(run.clv.segments.length, 3);
      assert.ok(run.clv.segments.every((x: { clvTotal: number }) => x.clvTotal > 0));
      assert.ok(s.segments.every((p) => typeof p.means.clv_value === 'number'));
      assert.ok(!run.prep.outputNames.includes('clv_value'), 'not clustered on unless clv.features');
      const c = captureIo();
      assert.equal(
        await main(
          ['score', '--model', s.files['model.json'], '--input', s.files['tags.parquet'], '--json'],
          c.io,
        ),
        0,
      );
      const first = JSON.parse(c.stdout()).scores[0];
      assert.ok(first.clv && first.clv.p_alive > 0 && first.clv.p_alive <= 1, JSON.stringify(first));
    } finally {
      cleanup(out);
    }
  });

  test('a shop whose customers join every day: those who start on the calibration end are scored as new customers, not an error', async () => {
    const { tempDir, cleanup } = await import('./helpers.js');
    const dir = tempDir();
    try {
      const s = await everyDayShop(dir, {});
      const run = JSON.parse(readFileSync(s.files['run.json'], 'utf8'));
      assert.equal(run.clv.calibrationEnd, '2024-07-30');
      const w = run.warnings.find((x: { code: string }) => x.code === 'CLV_NEW_CUSTOMERS');
      assert.ok(w, JSON.stringify(run.warnings.map((x: { code: string }) => x.code)));
      assert.match(w.message, /^4 customer\(s\) made their first purchase on the calibration end/);
      // They are scored as new customers of the fitted population.
      const { bgnbdExpected } = await import('../src/clv/models.js');
      const expected = bgnbdExpected(run.clv.bgnbd.params, 30);
      const duck = await Duck.open();
      const late = await duck
        .all(
          "SELECT customer_id, clv_p_alive, clv_expected_purchases, clv_value FROM read_parquet($p) WHERE customer_id IN ('K59', 'K119', 'K179', 'K239')",
          { p: s.files['tags.parquet'] },
        )
        .finally(() => duck.close());
      assert.equal(late.length, 4);
      for (const r of late) {
        assert.equal(Number(r.clv_p_alive), 1);
        assert.ok(Math.abs(Number(r.clv_expected_purchases) - expected) < 1e-12, String(r.customer_id));
        assert.ok(Number(r.clv_value) > 0);
      }
    } finally {
      cleanup(dir);
    }
  });

  test("customers acquired after the calibration end get a new customer's prediction: no blank CLV, counted, in the segment totals", async () => {
    const { tempDir, cleanup } = await import('./helpers.js');
    const dir = tempDir();
    try {
      // With the calibration ending on 2024-07-15, customers whose first purchase is on day
      // 45..59 (c % 60 >= 45: 60 of 240) have no history before it.
      const s = await everyDayShop(dir, { calibrationEnd: '2024-07-15' });
      const run = JSON.parse(readFileSync(s.files['run.json'], 'utf8'));
      assert.equal(run.clv.newCustomers, 60);
      const w = run.warnings.find((x: { code: string }) => x.code === 'CLV_ACQUIRED_LATER');
      assert.ok(w, JSON.stringify(run.warnings.map((x: { code: string }) => x.code)));
      assert.match(w.message, /^60 customer\(s\) first bought after the calibration end \(2024-07-15\)/);
      const { bgnbdExpected } = await import('../src/clv/models.js');
      const expected = bgnbdExpected(run.clv.bgnbd.params, 30);
      const duck = await Duck.open();
      try {
        const p = { p: s.files['tags.parquet'] };
        const blank = await duck.one(
          'SELECT count(*) AS n FROM read_parquet($p) WHERE clv_value IS NULL OR clv_p_alive IS NULL OR clv_expected_purchases IS NULL',
          p,
        );
        assert.equal(Number(blank.n), 0, 'every customer has a CLV');
        const late = await duck.all(
          'SELECT clv_p_alive AS a, clv_expected_purchases AS e FROM read_parquet($p) WHERE CAST(substr(customer_id, 2) AS INTEGER) % 60 >= 45',
          p,
        );
        assert.equal(late.length, 60);
        for (const r of late) {
          assert.equal(Number(r.a), 1);
          assert.ok(Math.abs(Number(r.e) - expected) < 1e-12);
        }
        const total = Number((await duck.one('SELECT sum(clv_value) AS v FROM read_parquet($p)', p)).v);
        const bySegment = run.clv.segments.reduce((a: number, x: { clvTotal: number }) => a + x.clvTotal, 0);
        assert.ok(Math.abs(total - bySegment) < 1e-6 * total, `${total} vs ${bySegment}`);
      } finally {
        duck.close();
      }
    } finally {
      cleanup(dir);
    }
  });
});

test('forecast errors by hand, and the warning of a fit that says nobody churns', async () => {
  const { forecastErrors, noChurnWarning } = await import('../src/pipeline/clv-stage.js');
  const e = forecastErrors(Float64Array.from([1, 2, 3, 0]), Float64Array.from([1, 0, 4, 0]));
  assert.equal(e.mae, (0 + 2 + 1 + 0) / 4);
  assert.equal(e.rmse, Math.sqrt((0 + 4 + 1 + 0) / 4));
  // Pearson r of (1,2,3,0) and (1,0,4,0): means 1.5 and 1.25.
  const r = (-0.5 * -0.25 + 0.5 * -1.25 + 1.5 * 2.75 + -1.5 * -1.25) / Math.sqrt(5 * 10.75);
  assert.ok(Math.abs((e.correlation ?? 0) - r) < 1e-12);
  assert.equal(forecastErrors(Float64Array.from([1, 1]), Float64Array.from([0, 2])).correlation, null);
  const w = noChurnWarning({ r: 0.8, alpha: 20, a: 0.009, b: 2.1 });
  assert.equal(w?.code, 'CLV_NO_CHURN');
  assert.match(w!.message, /mean chance of dropping out after a purchase 0\.43%/);
  assert.equal(noChurnWarning({ r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 }), null);
});

test('a purchase log without money (customer, date): init takes it as purchases, money features are refused by name, CLV gives P(alive) and expected purchases only', async () => {
  const { tempDir, cleanup, captureIo } = await import('./helpers.js');
  const { runRecipe } = await import('../src/pipeline/run.js');
  const { loadRecipe } = await import('../src/config/load.js');
  const { main } = await import('../src/cli/main.js');
  const { SegmintError } = await import('../src/core/errors.js');
  const { writeFileSync } = await import('node:fs');
  const dir = tempDir();
  try {
    const lines = ['user,bought_at'];
    const day0 = Date.UTC(2024, 0, 1);
    for (let c = 0; c < 300; c++)
      for (let d = c % 90; d < 180; d += 4 + (c % 11))
        lines.push(`u${c},${new Date(day0 + d * 86_400_000).toISOString().slice(0, 10)}`);
    writeFileSync(join(dir, 'log.csv'), `${lines.join('\n')}\n`);
    const recipe = join(dir, 'log.yaml');
    const c = captureIo();
    assert.equal(await main(['init', join(dir, 'log.csv'), '--out', recipe, '--json'], c.io), 0, c.stderr());
    const found = JSON.parse(c.stdout());
    assert.deepEqual(
      found.sources.map((x: { kind: string; roles: Record<string, string> }) => [x.kind, x.roles]),
      [['transactions', { customer: 'user', time: 'bought_at' }]],
    );
    const text = readFileSync(recipe, 'utf8');
    assert.match(text, /a log of purchases: user repeats/);
    assert.doesNotMatch(text, /- monetary|- avg_order_value/);
    const plain = await runRecipe(loadRecipe(recipe, ['cluster.k=3', 'output.report=false']));
    assert.equal(plain.customers, 300);
    // A money feature asked of a log is refused by name, with the roles that would give it.
    await assert.rejects(
      runRecipe(loadRecipe(recipe, ['features=[recency_days, monetary]', 'output.report=false'])),
      (e: unknown) =>
        e instanceof SegmintError &&
        e.code === 'RECIPE_INVALID' &&
        /features\[1\]: feature "monetary" reads what the purchases cost, and source "log" has no money/.test(
          e.message,
        ) &&
        /roles\.amount/.test(e.hint),
    );
    const withClv = await runRecipe(
      loadRecipe(recipe, [
        'cluster.k=3',
        'output.report=false',
        'clv={unit: days, calibrationEnd: 2024-05-01, horizon: 30}',
      ]),
    );
    const run = JSON.parse(readFileSync(withClv.files['run.json'], 'utf8'));
    const header = readFileSync(withClv.files['tags.csv'], 'utf8').split('\n')[0];
    assert.match(header, /clv_p_alive,clv_expected_purchases$/);
    assert.ok(run.clv.segments.every((s: { clvTotal: number | null }) => s.clvTotal === null));
    // Regular buyers who never stop: the naive rate is hard to beat here, and the run says so when it is not.
    const v = run.clv.validation;
    assert.ok(Number.isFinite(v.model.mae) && Number.isFinite(v.naive.mae));
    assert.equal(
      run.warnings.some((w: { code: string }) => w.code === 'CLV_WORSE_THAN_NAIVE'),
      v.model.mae > v.naive.mae,
    );
    assert.deepEqual(
      run.warnings.filter((w: { code: string }) => /^PREP|^CLV_NO_SPEND/.test(w.code)),
      [],
    );
  } finally {
    cleanup(dir);
  }
});

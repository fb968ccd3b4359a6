import {
  type BgNbd,
  bgnbdConditional,
  bgnbdPAlive,
  clvValue,
  type Fit,
  fitBgNbd,
  fitGammaGamma,
  type GammaGamma,
  gammaGammaExpected,
  spendFrequencyCorrelation,
} from '../clv/models.js';
import type { SummaryRows } from '../clv/summary.js';
import type { Recipe } from '../config/recipe.js';
import { addDays } from '../core/dates.js';
import type { Warning } from '../core/errors.js';
import type { FeatureColumn } from '../features/build.js';
import { type Duck, qi } from '../sql/duckdb.js';

/** Below this mean dropout chance per purchase, a BG/NBD fit says almost nobody churns (CLV_NO_CHURN). */
export const NO_CHURN = 0.01;

export const CLV_COLUMNS = [
  'clv_p_alive',
  'clv_expected_purchases',
  'clv_expected_spend',
  'clv_value',
] as const;

export interface ClvResult {
  unit: 'days' | 'weeks';
  calibrationEnd: string;
  horizon: number;
  discountRate: number;
  bgnbd: Fit<BgNbd>;
  gammaGamma: Fit<GammaGamma> | null;
  spendFrequencyCorrelation: number | null;
  /** Customers first seen after the calibration end, given a new customer's prediction. */
  newCustomers: number;
  /** Calibration against holdout: per number of calibration repeat purchases, predicted and actual holdout purchases (mean per customer). */
  validation: {
    holdoutPeriods: number;
    /** Customers compared (those with a calibration history). */
    customers: number;
    /** Per-customer errors of the BG/NBD forecast of holdout purchases, and of the naive x/T rate. */
    model: ForecastErrors;
    naive: ForecastErrors;
    /** Purchases in the holdout, predicted and actual, summed over the customers. */
    totals: { predicted: number; actual: number };
    groups: { x: string; customers: number; predicted: number; actual: number }[];
  } | null;
  columns: FeatureColumn[];
  warnings: Warning[];
}

/**
 * A new customer's prediction from the fitted population (x = t_x = T = 0): P(alive) 1, the
 * population's expected purchases over the horizon, its mean spend per order (Gamma-Gamma's
 * population mean, or the mean of the customers' spends without a spend model) and the value.
 */
export function newCustomerPrediction(
  bgnbd: BgNbd,
  gammaGamma: GammaGamma | null,
  meanSpend: number,
  spec: { horizon: number; discountRate: number },
  steps: number,
): { pAlive: number; purchases: number; spend: number; value: number } {
  const spend = gammaGamma ? gammaGammaExpected(gammaGamma, 0, 0) : meanSpend;
  return {
    pAlive: bgnbdPAlive(bgnbd, 0, 0, 0),
    purchases: bgnbdConditional(bgnbd, spec.horizon, 0, 0, 0),
    spend,
    value: clvValue(bgnbd, spend, 0, 0, 0, spec.horizon, spec.discountRate, steps),
  };
}

/**
 * The dropout chance after each purchase is beta(a, b): a mean under NO_CHURN says almost nobody
 * ever stops buying, which P(alive) near 1 for long-lapsed customers then repeats.
 */
export function noChurnWarning(p: BgNbd): Warning | null {
  const dropout = p.a / (p.a + p.b);
  if (!(dropout < NO_CHURN)) return null;
  return {
    code: 'CLV_NO_CHURN',
    message: `The BG/NBD fit implies almost no customer stops buying (mean chance of dropping out after a purchase ${(100 * dropout).toFixed(2)}%, a = ${p.a.toPrecision(3)}, b = ${p.b.toPrecision(3)}), so P(alive) stays near 1 even for customers who have not bought for long; check the validation on a holdout before using it.`,
  };
}

/** How far per-customer forecasts are from what happened: mean absolute and root mean squared error, and correlation. */
export interface ForecastErrors {
  mae: number;
  rmse: number;
  /** Pearson correlation of forecast and actual (null where either is constant). */
  correlation: number | null;
}

const sumOf = (a: Float64Array) => {
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i];
  return t;
};

/** The errors of forecasts against actual values (same length, at least one). */
export function forecastErrors(forecast: Float64Array, actual: Float64Array): ForecastErrors {
  const n = forecast.length;
  let abs = 0;
  let sq = 0;
  let mf = 0;
  let ma = 0;
  for (let i = 0; i < n; i++) {
    const e = forecast[i] - actual[i];
    abs += Math.abs(e);
    sq += e * e;
    mf += forecast[i];
    ma += actual[i];
  }
  mf /= n;
  ma /= n;
  let sfa = 0;
  let sff = 0;
  let saa = 0;
  for (let i = 0; i < n; i++) {
    const f = forecast[i] - mf;
    const a = actual[i] - ma;
    sfa += f * a;
    sff += f * f;
    saa += a * a;
  }
  return {
    mae: abs / n,
    rmse: Math.sqrt(sq / n),
    correlation: sff > 0 && saa > 0 ? sfa / Math.sqrt(sff * saa) : null,
  };
}

/** The summary of the customers with T > 0 (the ones the fits learn from). */
function withoutNewCustomers(s: SummaryRows): SummaryRows {
  const keep = [...s.T.keys()].filter((i) => s.T[i] > 0);
  const pick = (a: Float64Array) => Float64Array.from(keep, (i) => a[i]);
  return {
    ids: keep.map((i) => s.ids[i]),
    x: pick(s.x),
    tx: pick(s.tx),
    T: pick(s.T),
    m: pick(s.m),
    holdout: pick(s.holdout),
  };
}

/** The calibration end and the time unit of the CLV models for a recipe and reference date. */
export function clvPeriod(
  recipe: Recipe,
  referenceDate: string,
): { calibrationEnd: string; unitDays: number } {
  const spec = recipe.clv!;
  return {
    calibrationEnd: spec.calibrationEnd ?? addDays(referenceDate, -1),
    unitDays: spec.unit === 'weeks' ? 7 : 1,
  };
}

/**
 * Adds the CLV columns to the feature table `features`: P(alive), expected purchases over the
 * horizon (BG/NBD), expected spend per purchase (Gamma-Gamma) and the discounted CLV, from the
 * summary data of the cleaned transactions (computed where the order lines are: clvSummaryInEngine).
 */
export async function addClv(
  duck: Duck,
  recipe: Recipe,
  referenceDate: string,
  summary: SummaryRows,
): Promise<ClvResult> {
  const spec = recipe.clv!;
  const warnings: Warning[] = [];
  const { calibrationEnd, unitDays } = clvPeriod(recipe, referenceDate);
  // A purchase log without money: the purchase models alone (P(alive), expected purchases).
  const tx = Object.values(recipe.sources).find((x) => x.kind === 'transactions');
  const money = !!(tx?.roles.price || tx?.roles.amount);
  const cols = money ? CLV_COLUMNS : CLV_COLUMNS.slice(0, 2);
  const s = summary;
  // A customer whose first purchase falls on the calibration end (T = 0) tells the fit nothing:
  // left out of it (and counted), and scored as a new customer of the fitted population (the
  // conditional expectation at x = t_x = T = 0 is a new customer's).
  const fitted = s.T.reduce((n, T) => n + (T > 0 ? 1 : 0), 0);
  const fitOn = fitted === s.T.length ? s : withoutNewCustomers(s);
  if (fitOn !== s)
    warnings.push({
      code: 'CLV_NEW_CUSTOMERS',
      message: `${(s.T.length - fitted).toLocaleString('en-US')} customer(s) made their first purchase on the calibration end (${calibrationEnd}, T = 0): they carry no information for the fit, which leaves them out, and are scored as new customers of the fitted population.`,
    });
  const bgnbd = fitBgNbd(fitOn);
  let gammaGamma: Fit<GammaGamma> | null = null;
  let corr: number | null = null;
  if (money) {
    try {
      gammaGamma = fitGammaGamma(fitOn.x, fitOn.m);
      corr = spendFrequencyCorrelation(fitOn.x, fitOn.m);
      if (Math.abs(corr) > 0.3)
        warnings.push({
          code: 'CLV_SPEND_CORRELATED',
          message: `Frequency and mean spend are correlated (r = ${corr.toFixed(2)}); the Gamma-Gamma model assumes they are not.`,
        });
    } catch (e) {
      warnings.push({
        code: 'CLV_NO_SPEND_MODEL',
        message: `No spend model: ${(e as Error).message} CLV uses each customer's own mean spend.`,
      });
    }
  }
  const churn = noChurnWarning(bgnbd.params);
  if (churn) warnings.push(churn);
  if (!bgnbd.converged)
    warnings.push({
      code: 'CLV_NOT_CONVERGED',
      message: 'The BG/NBD fit stopped before converging; treat its predictions with care.',
    });
  const n = s.ids.length;
  const pAlive = new Float64Array(n);
  const purchases = new Float64Array(n);
  const spend = new Float64Array(n);
  const value = new Float64Array(n);
  const steps = Math.min(520, Math.max(1, Math.round(spec.horizon)));
  for (let i = 0; i < n; i++) {
    pAlive[i] = bgnbdPAlive(bgnbd.params, s.x[i], s.tx[i], s.T[i]);
    purchases[i] = bgnbdConditional(bgnbd.params, spec.horizon, s.x[i], s.tx[i], s.T[i]);
    spend[i] = gammaGamma ? gammaGammaExpected(gammaGamma.params, s.x[i], s.m[i]) : s.m[i];
    value[i] = clvValue(
      bgnbd.params,
      spend[i],
      s.x[i],
      s.tx[i],
      s.T[i],
      spec.horizon,
      spec.discountRate,
      steps,
    );
  }
  const values: Record<(typeof CLV_COLUMNS)[number], Float64Array> = {
    clv_p_alive: pAlive,
    clv_expected_purchases: purchases,
    clv_expected_spend: spend,
    clv_value: value,
  };
  await duck.createFromColumns('clv_rows', [
    { name: 'customer_id', type: 'VARCHAR', values: s.ids },
    ...cols.map((c) => ({ name: c, type: 'DOUBLE' as const, values: values[c] })),
  ]);
  // Customers with no purchase up to the calibration end (acquired after it) have no calibration
  // history: they get a new customer's prediction from the fitted population (x = t_x = T = 0,
  // as CLVTools' newcustomer()), counted in a warning, so no customer is left without a value.
  const newCustomers = Number(
    (
      await duck.one(
        'SELECT count(*) AS n FROM features WHERE customer_id NOT IN (SELECT customer_id FROM clv_rows)',
      )
    ).n,
  );
  let meanSpend = 0;
  for (let i = 0; i < n; i++) meanSpend += s.m[i];
  const fresh = newCustomerPrediction(
    bgnbd.params,
    gammaGamma?.params ?? null,
    n ? meanSpend / n : 0,
    spec,
    steps,
  );
  if (newCustomers > 0)
    warnings.push({
      code: 'CLV_ACQUIRED_LATER',
      message: `${newCustomers.toLocaleString('en-US')} customer(s) first bought after the calibration end (${calibrationEnd}): with no history before it, each gets a new customer's prediction from the fitted population (${fresh.purchases.toFixed(2)} expected orders in the next ${spec.horizon} ${spec.unit}${money ? `, value ${fresh.value.toFixed(2)}` : ''}); segment CLV totals include them.`,
    });
  const filled = cols.map((c) => `coalesce(c.${qi(c)}, CAST($${c} AS DOUBLE)) AS ${qi(c)}`);
  const freshOf: Record<(typeof CLV_COLUMNS)[number], number> = {
    clv_p_alive: fresh.pAlive,
    clv_expected_purchases: fresh.purchases,
    clv_expected_spend: fresh.spend,
    clv_value: fresh.value,
  };
  await duck.exec(
    `CREATE OR REPLACE TABLE features AS SELECT f.*, ${filled.join(', ')} FROM features f LEFT JOIN clv_rows c USING (customer_id) ORDER BY f.customer_id`,
    Object.fromEntries(cols.map((c) => [c, freshOf[c]])),
  );
  let validation: ClvResult['validation'] = null;
  const holdoutDays = Number(
    (
      await duck.one(`SELECT date_diff('day', CAST($end AS DATE), CAST($ref AS DATE)) - 1 AS d`, {
        end: calibrationEnd,
        ref: referenceDate,
      })
    ).d,
  );
  if (holdoutDays > 0) {
    const t = holdoutDays / unitDays;
    const groups = new Map<string, { customers: number; predicted: number; actual: number }>();
    const predicted = new Float64Array(n);
    const naive = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const key = s.x[i] >= 7 ? '7+' : String(s.x[i]);
      const g = groups.get(key) ?? { customers: 0, predicted: 0, actual: 0 };
      g.customers++;
      predicted[i] = bgnbdConditional(bgnbd.params, t, s.x[i], s.tx[i], s.T[i]);
      // The naive forecast: each customer's repeat rate so far, x / T, carried over the holdout.
      naive[i] = s.T[i] > 0 ? (s.x[i] / s.T[i]) * t : 0;
      g.predicted += predicted[i];
      g.actual += s.holdout[i];
      groups.set(key, g);
    }
    const model = forecastErrors(predicted, s.holdout);
    const plain = forecastErrors(naive, s.holdout);
    if (model.mae > plain.mae)
      warnings.push({
        code: 'CLV_WORSE_THAN_NAIVE',
        message: `On the holdout after ${calibrationEnd}, the BG/NBD forecast misses each customer's purchases by ${model.mae.toFixed(3)} on average, more than the naive repeat rate (x/T) does (${plain.mae.toFixed(3)}): do not rely on its predictions for this shop.`,
      });
    validation = {
      holdoutPeriods: t,
      customers: n,
      model,
      naive: plain,
      totals: { predicted: sumOf(predicted), actual: sumOf(s.holdout) },
      groups: [...groups.entries()]
        .sort((a, b) => (a[0] === '7+' ? 1 : b[0] === '7+' ? -1 : Number(a[0]) - Number(b[0])))
        .map(([x, g]) => ({
          x,
          customers: g.customers,
          predicted: g.predicted / g.customers,
          actual: g.actual / g.customers,
        })),
    };
  }
  const described: FeatureColumn[] = [
    {
      name: 'clv_p_alive',
      type: 'numeric',
      feature: 'clv',
      description: 'Probability the customer is still active (BG/NBD)',
      meaning: { label: 'Probability still active', unit: 'share', good: 'higher', missing: 'unknown' },
    },
    {
      name: 'clv_expected_purchases',
      type: 'numeric',
      feature: 'clv',
      description: `Expected purchases in the next ${spec.horizon} ${spec.unit} (BG/NBD)`,
      meaning: {
        label: `Expected orders, next ${spec.horizon} ${spec.unit}`,
        unit: 'orders',
        good: 'higher',
        missing: 'unknown',
      },
    },
    {
      name: 'clv_expected_spend',
      type: 'numeric',
      feature: 'clv',
      description: 'Expected spend per purchase (Gamma-Gamma)',
      meaning: { label: 'Expected spend per order', unit: 'money', good: 'higher', missing: 'unknown' },
    },
    {
      name: 'clv_value',
      type: 'numeric',
      feature: 'clv',
      description: `Discounted customer lifetime value over ${spec.horizon} ${spec.unit}`,
      meaning: {
        label: `Lifetime value, next ${spec.horizon} ${spec.unit}`,
        unit: 'money',
        good: 'higher',
        missing: 'unknown',
      },
    },
  ];
  const columns = described.filter((c) => (cols as readonly string[]).includes(c.name));
  return {
    unit: spec.unit,
    calibrationEnd,
    horizon: spec.horizon,
    discountRate: spec.discountRate,
    bgnbd,
    gammaGamma,
    spendFrequencyCorrelation: corr,
    newCustomers,
    validation,
    columns,
    warnings,
  };
}

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
import { type SummaryRows, summaryData } from '../clv/summary.js';
import type { Recipe } from '../config/recipe.js';
import { addDays } from '../core/dates.js';
import type { Warning } from '../core/errors.js';
import { type Duck, qi } from '../data/duck.js';
import type { FeatureColumn } from '../features/build.js';

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
  /** Calibration against holdout: per number of calibration repeat purchases, predicted and actual holdout purchases (mean per customer). */
  validation: {
    holdoutPeriods: number;
    groups: { x: string; customers: number; predicted: number; actual: number }[];
  } | null;
  columns: FeatureColumn[];
  warnings: Warning[];
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
 * summary data of the cleaned transactions (computed here from `tx_hist`, or given, as an engine
 * computes it where the order lines are).
 */
export async function addClv(
  duck: Duck,
  recipe: Recipe,
  referenceDate: string,
  summary?: SummaryRows,
): Promise<ClvResult> {
  const spec = recipe.clv!;
  const warnings: Warning[] = [];
  const { calibrationEnd, unitDays } = clvPeriod(recipe, referenceDate);
  const s = summary ?? (await summaryData(duck, 'tx_hist', calibrationEnd, unitDays, 'universe'));
  const bgnbd = fitBgNbd(s);
  let gammaGamma: Fit<GammaGamma> | null = null;
  let corr: number | null = null;
  try {
    gammaGamma = fitGammaGamma(s.x, s.m);
    corr = spendFrequencyCorrelation(s.x, s.m);
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
  await duck.createFromColumns('clv_rows', [
    { name: 'customer_id', type: 'VARCHAR', values: s.ids },
    { name: 'clv_p_alive', type: 'DOUBLE', values: pAlive },
    { name: 'clv_expected_purchases', type: 'DOUBLE', values: purchases },
    { name: 'clv_expected_spend', type: 'DOUBLE', values: spend },
    { name: 'clv_value', type: 'DOUBLE', values: value },
  ]);
  await duck.exec(
    `CREATE OR REPLACE TABLE features AS SELECT f.*, ${CLV_COLUMNS.map((c) => `c.${qi(c)}`).join(', ')} FROM features f LEFT JOIN clv_rows c USING (customer_id) ORDER BY f.customer_id`,
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
    for (let i = 0; i < n; i++) {
      const key = s.x[i] >= 7 ? '7+' : String(s.x[i]);
      const g = groups.get(key) ?? { customers: 0, predicted: 0, actual: 0 };
      g.customers++;
      g.predicted += bgnbdConditional(bgnbd.params, t, s.x[i], s.tx[i], s.T[i]);
      g.actual += s.holdout[i];
      groups.set(key, g);
    }
    validation = {
      holdoutPeriods: t,
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
  const columns: FeatureColumn[] = [
    {
      name: 'clv_p_alive',
      type: 'numeric',
      feature: 'clv',
      description: 'Probability the customer is still active (BG/NBD)',
    },
    {
      name: 'clv_expected_purchases',
      type: 'numeric',
      feature: 'clv',
      description: `Expected purchases in the next ${spec.horizon} ${spec.unit} (BG/NBD)`,
    },
    {
      name: 'clv_expected_spend',
      type: 'numeric',
      feature: 'clv',
      description: 'Expected spend per purchase (Gamma-Gamma)',
    },
    {
      name: 'clv_value',
      type: 'numeric',
      feature: 'clv',
      description: `Discounted customer lifetime value over ${spec.horizon} ${spec.unit}`,
    },
  ];
  return {
    unit: spec.unit,
    calibrationEnd,
    horizon: spec.horizon,
    discountRate: spec.discountRate,
    bgnbd,
    gammaGamma,
    spendFrequencyCorrelation: corr,
    validation,
    columns,
    warnings,
  };
}

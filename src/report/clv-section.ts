import { z } from 'zod';
import type { RunRecord } from '../model/record.js';

/**
 * The CLV part of run.json as the report reads it: parsed, not cast (older runs lack the
 * validation's errors, newer fields are optional).
 */
const Errors = z.object({ mae: z.number(), rmse: z.number(), correlation: z.number().nullable() });
export const ClvView = z.looseObject({
  unit: z.string(),
  calibrationEnd: z.string().optional(),
  horizon: z.number().optional(),
  newCustomers: z.number().optional(),
  bgnbd: z
    .looseObject({
      params: z.looseObject({ r: z.number(), alpha: z.number(), a: z.number(), b: z.number() }),
    })
    .optional(),
  validation: z
    .looseObject({
      holdoutPeriods: z.number(),
      customers: z.number().optional(),
      model: Errors.optional(),
      naive: Errors.optional(),
      totals: z.object({ predicted: z.number(), actual: z.number() }).optional(),
      groups: z.array(
        z.object({ x: z.string(), customers: z.number(), predicted: z.number(), actual: z.number() }),
      ),
    })
    .nullable()
    .optional(),
  segments: z.array(
    z.looseObject({
      segmentId: z.number(),
      clvTotal: z.number().nullable().optional(),
      clvMean: z.number().nullable().optional(),
      expectedPurchases: z.number().optional(),
      pAliveMean: z.number().nullable().optional(),
    }),
  ),
});
export type ClvView = z.infer<typeof ClvView>;

/** The run's CLV as the report reads it, or null (no CLV, or a record it cannot read). */
export function clvView(run: RunRecord): ClvView | null {
  const r = ClvView.safeParse(run.clv);
  return r.success ? r.data : null;
}

/**
 * What the fitted BG/NBD says, in words and with its numbers: the mean purchase rate while active
 * (r / alpha per period) and the mean chance of dropping out after a purchase (a / (a + b)).
 */
export function clvParamsWords(c: ClvView): string | null {
  const p = c.bgnbd?.params;
  if (!p) return null;
  const unit = c.unit.replace(/s$/, '');
  const rate = p.r / p.alpha;
  const drop = p.a / (p.a + p.b);
  return `While active, a customer buys ${rate < 0.1 ? rate.toPrecision(2) : rate.toFixed(2)} times per ${unit} on average (r / alpha = ${p.r.toPrecision(3)} / ${p.alpha.toPrecision(3)}); after each purchase, ${(100 * drop).toFixed(1)}% of customers stop buying on average (a / (a + b), a = ${p.a.toPrecision(3)}, b = ${p.b.toPrecision(3)}).`;
}

/**
 * The validation in words: the per-customer error of the model and of the naive rate over the
 * holdout, which is better, and the totals.
 */
export function clvValidationWords(c: ClvView): string | null {
  const v = c.validation;
  if (!v?.model || !v.naive || !v.totals) return null;
  const better = v.model.mae < v.naive.mae;
  const periods = `${Number(v.holdoutPeriods.toFixed(1))} ${c.unit}`;
  return `Over the ${periods} after ${c.calibrationEnd ?? 'the calibration end'}, the model's forecast of each customer's purchases was off by ${v.model.mae.toFixed(3)} on average (mean absolute error; the naive repeat rate x/T: ${v.naive.mae.toFixed(3)}), ${better ? 'better than' : 'no better than'} the naive rate. It predicted ${Math.round(v.totals.predicted).toLocaleString('en-US')} purchases in all against ${Math.round(v.totals.actual).toLocaleString('en-US')} made.`;
}

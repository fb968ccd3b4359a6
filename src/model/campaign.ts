/**
 * The campaign artifacts a workspace keeps beside its runs: the plan (who is treated, who is held
 * out, from which run and model) and each measurement of its outcome. Parsed, never cast, by the
 * CLI, the server, the dashboard and the report.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SegmintError } from '../core/errors.js';

/** Campaign names are file and URL safe. */
export const CAMPAIGN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const CampaignName = z
  .string()
  .regex(CAMPAIGN_NAME, 'use letters, digits, _ . - (up to 64, starting with a letter or digit)');

const num = z.number().nullable();
const Baseline = z.object({
  from: z.string(),
  to: z.string(),
  customers: z.number(),
  responseRate: num,
  ordersMean: num,
  ordersSd: num,
  revenueMean: num,
  revenueSd: num,
});
const Detectable = z.object({ absolute: num, relative: num });

export const PlannedSegment = z.object({
  id: z.number().int(),
  name: z.string(),
  customers: z.number().int(),
  treatment: z.number().int(),
  control: z.number().int(),
  baseline: Baseline,
  /** The smallest true lift the split detects at the plan's alpha and power. */
  mde: z.object({ responseRate: Detectable, orders: Detectable, revenue: Detectable }),
});
export type PlannedSegment = z.infer<typeof PlannedSegment>;

export const CampaignPlan = z.object({
  kind: z.literal('segmint.campaign'),
  schemaVersion: z.literal(1),
  name: CampaignName,
  createdAt: z.string(),
  run: z.object({ runId: z.string(), runDir: z.string(), model: z.string(), recipeHash: z.string() }),
  recipeFile: z.string().nullable(),
  segments: z.array(PlannedSegment),
  holdout: z.number(),
  seed: z.number().int(),
  split: z.string(),
  start: z.string(),
  days: z.number().int(),
  alpha: z.number(),
  power: z.number(),
  totals: z.object({ customers: z.number().int(), treatment: z.number().int(), control: z.number().int() }),
  files: z.record(z.string(), z.string()),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })),
});
export type CampaignPlan = z.infer<typeof CampaignPlan>;

const Interval = z.object({
  estimate: z.number().nullable(),
  lower: num,
  upper: num,
  pValue: num,
  method: z.string(),
  /** estimate / control mean: the lift in percent of the held-out level. */
  relative: num,
});
export type Interval = z.infer<typeof Interval>;

export const ArmResult = z.object({
  customers: z.number().int(),
  responders: z.number().int(),
  responseRate: num,
  responseInterval: z.tuple([z.number(), z.number()]).nullable(),
  orders: z.number(),
  ordersPerCustomer: num,
  revenue: z.number(),
  revenuePerCustomer: num,
  couponsClaimed: z.number().nullable(),
  couponsBurned: z.number().nullable(),
  burnRate: num,
});
export type ArmResult = z.infer<typeof ArmResult>;

export const SegmentResult = z.object({
  id: z.number().int(),
  name: z.string(),
  arms: z.object({ treatment: ArmResult, control: ArmResult }),
  lift: z.object({
    responseRate: Interval,
    orders: Interval,
    revenue: Interval,
    burnRate: Interval.nullable(),
  }),
  incrementalRevenue: z.object({ estimate: num, lower: num, upper: num }),
  incrementalOrders: z.object({ estimate: num, lower: num, upper: num }),
  /** Whether the interval of a lift excludes 0, in words, per metric: only what the numbers show. */
  verdict: z.string(),
});
export type SegmentResult = z.infer<typeof SegmentResult>;

export const CampaignMeasurement = z.object({
  kind: z.literal('segmint.campaign-measurement'),
  schemaVersion: z.literal(1),
  campaign: CampaignName,
  measuredAt: z.string(),
  window: z.object({
    start: z.string(),
    end: z.string(),
    days: z.number().int(),
    lastOrder: z.string().nullable(),
  }),
  level: z.number(),
  methods: z.record(z.string(), z.string()),
  coupons: z.boolean(),
  segments: z.array(SegmentResult),
  total: z.object({
    treatment: z.number().int(),
    control: z.number().int(),
    incrementalRevenue: z.object({ estimate: num, lower: num, upper: num }),
  }),
  warnings: z.array(z.object({ code: z.string(), message: z.string() })),
});
export type CampaignMeasurement = z.infer<typeof CampaignMeasurement>;

/** Reads and checks a campaign file; a damaged one is MODEL_INVALID naming the field. */
export function readCampaignFile<T>(schema: z.ZodType<T>, file: string): T {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new SegmintError('MODEL_INVALID', `${file} cannot be read as JSON: ${(e as Error).message}`, {
      where: { file },
    });
  }
  const r = schema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new SegmintError(
      'MODEL_INVALID',
      `${file} is not a campaign file segmint wrote: ${issue.path.join('.') || '(top)'} ${issue.message}.`,
      { where: { file, path: issue.path.join('.') } },
    );
  }
  return r.data;
}

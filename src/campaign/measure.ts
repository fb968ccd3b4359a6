/**
 * Measuring a campaign: what the treated and the held-out customers of each segment did from the
 * start date, read through the recipe's own sources; the lift per segment with its interval and
 * p-value (Welch's t for means, Newcombe's hybrid score interval for the response rate, a seeded
 * bootstrap for the coupon burn rate), and the incremental revenue.
 */
import { join } from 'node:path';
import type { LoadedRecipe } from '../config/load.js';
import { addDays, daysBetween } from '../core/dates.js';
import { normPpf } from '../core/distributions.js';
import { SegmintError, type Warning } from '../core/errors.js';
import { failpoint } from '../core/failpoint.js';
import {
  bootstrapRatioDifference,
  type Difference,
  moments,
  newcombe,
  welch,
  wilson,
} from '../metrics/experiment.js';
import type {
  ArmResult,
  CampaignMeasurement,
  CampaignPlan,
  Interval,
  SegmentResult,
} from '../model/campaign.js';
import { writeFileAtomic } from '../pipeline/atomic.js';
import { campaignReportHtml, liftCharts } from '../report/campaign.js';
import { Duck, qs } from '../sql/duckdb.js';
import { type Outcomes, readOutcomes, recipeAt } from './outcomes.js';
import { campaignDir, measurementsOf, readPlan, reconcileCampaigns, recordMeasurement } from './store.js';

export const METHODS = {
  responseRate:
    "Newcombe's hybrid score interval (method 10) for the difference of the two rates, from Wilson intervals; p-value from the pooled two-proportion z test",
  orders: "Welch's unequal-variances t interval and test on orders per customer",
  revenue: "Welch's unequal-variances t interval and test on revenue per customer",
  burnRate:
    'seeded percentile bootstrap over customers (1,000 resamples, seed = the campaign seed) of redeemed / claimed coupons',
  incrementalRevenue:
    'difference of revenue per customer times the treated customers; the total adds the segments, its interval from the summed variances (normal)',
} as const;

export interface MeasureOptions {
  outDir: string;
  name: string;
  /** The day after the last day measured (YYYY-MM-DD); default start + days. */
  end?: string;
  loaded?: LoadedRecipe | null;
  level?: number;
  now?: () => Date;
}

interface Arm {
  orders: Float64Array;
  revenue: Float64Array;
  claimed: Float64Array;
  burned: Float64Array;
}

function armOf(ids: string[], outcomes: Outcomes): Arm {
  const pick = (f: 'orders' | 'revenue' | 'claimed' | 'burned') =>
    Float64Array.from(ids, (id) => outcomes.byCustomer.get(id)?.[f] ?? 0);
  return {
    orders: pick('orders'),
    revenue: pick('revenue'),
    claimed: pick('claimed'),
    burned: pick('burned'),
  };
}

const sum = (a: Float64Array) => a.reduce((s, v) => s + v, 0);

function armResult(a: Arm, coupons: boolean, level: number): ArmResult {
  const n = a.orders.length;
  const responders = a.orders.reduce((s, v) => s + (v > 0 ? 1 : 0), 0);
  const w = n ? wilson(responders, n, level) : null;
  const claimed = sum(a.claimed);
  const burned = sum(a.burned);
  return {
    customers: n,
    responders,
    responseRate: n ? responders / n : null,
    responseInterval: w ? [w.lower, w.upper] : null,
    orders: sum(a.orders),
    ordersPerCustomer: n ? sum(a.orders) / n : null,
    revenue: sum(a.revenue),
    revenuePerCustomer: n ? sum(a.revenue) / n : null,
    couponsClaimed: coupons ? claimed : null,
    couponsBurned: coupons ? burned : null,
    burnRate: coupons && claimed > 0 ? burned / claimed : null,
  };
}

const interval = (d: Difference, controlLevel: number | null): Interval => ({
  estimate: Number.isFinite(d.estimate) ? d.estimate : null,
  lower: d.lower,
  upper: d.upper,
  pValue: d.pValue,
  method: d.method,
  relative: controlLevel && Number.isFinite(d.estimate) ? d.estimate / controlLevel : null,
});

const fmt = (x: number, d = 2) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toFixed(d));

/** One sentence per metric, claiming only what the interval shows. */
function verdict(lift: SegmentResult['lift'], level: number): string {
  const pct = `${Math.round(level * 100)}%`;
  const say = (what: string, i: Interval, scale = 1, unit = '') => {
    if (i.lower === null || i.upper === null || i.estimate === null)
      return `${what}: not estimable (an arm is too small).`;
    const range = `${fmt(i.lower * scale)}${unit} to ${fmt(i.upper * scale)}${unit}`;
    if (i.lower > 0)
      return `${what} higher with treatment by ${fmt(i.estimate * scale)}${unit} (${pct} CI ${range}).`;
    if (i.upper < 0)
      return `${what} lower with treatment by ${fmt(-i.estimate * scale)}${unit} (${pct} CI ${range}).`;
    return `${what}: no difference shown (${pct} CI ${range} includes 0).`;
  };
  return [
    say('Response rate', lift.responseRate, 100, ' pts'),
    say('Orders per customer', lift.orders),
    say('Revenue per customer', lift.revenue),
  ].join(' ');
}

export async function measureCampaign(o: MeasureOptions): Promise<CampaignMeasurement> {
  await reconcileCampaigns(o.outDir);
  const plan = readPlan(o.outDir, o.name);
  const level = o.level ?? 0.95;
  if (!(level > 0.5 && level < 1))
    throw new SegmintError('USAGE', `--level must be between 0.5 and 1, not ${level}.`, {
      hint: 'e.g. --level 0.95',
    });
  const loaded = o.loaded ?? recipeAt(plan.recipeFile);
  if (!loaded)
    throw new SegmintError(
      'NO_RECIPE',
      `Measuring campaign "${plan.name}" reads the orders through its recipe, and ${plan.recipeFile ?? 'no recipe file'} cannot be read.`,
      {
        hint: 'Give the recipe with --recipe (the sources it names must hold the orders since the start date).',
      },
    );
  const end = o.end ?? addDays(plan.start, plan.days);
  const days = daysBetween(plan.start, end);
  if (!(days >= 1))
    throw new SegmintError('USAGE', `--end (${end}) must be after the campaign's start (${plan.start}).`, {
      hint: 'Give the day after the last day to measure, YYYY-MM-DD.',
    });
  const outcomes = await readOutcomes(loaded, plan.start, days);
  const duck = await Duck.open();
  let members: Member[];
  try {
    const rows = await duck.all(
      `SELECT CAST(customer_id AS VARCHAR) AS c, segment_id AS s, arm FROM read_parquet(${qs(join(campaignDir(o.outDir, plan.name), 'members.parquet'))})`,
    );
    members = rows.map((r) => ({ c: String(r.c), s: Number(r.s), arm: String(r.arm) }));
  } finally {
    duck.close();
  }
  const measurement = assessCampaign(plan, members, outcomes, {
    end,
    level,
    measuredAt: (o.now ?? (() => new Date()))().toISOString(),
  });
  const dir = campaignDir(o.outDir, plan.name);
  writeFileAtomic(join(dir, 'measurement.json'), `${JSON.stringify(measurement, null, 2)}\n`);
  // measurement.json is the record: a kill here is mended by the next campaign command.
  failpoint('campaign-measure-before-history');
  await recordMeasurement(o.outDir, measurement);
  const history = await measurementsOf(o.outDir, plan.name);
  const charts = await liftCharts(measurement);
  // The revenue lift chart on its own, for the dashboard.
  if (charts[0]) writeFileAtomic(join(dir, 'lift.svg'), charts[0]);
  writeFileAtomic(join(dir, 'report.html'), await campaignReportHtml(plan, measurement, history, charts));
  return measurement;
}

export type { CampaignPlan };

export interface Member {
  c: string;
  s: number;
  arm: string;
}

/**
 * The measurement of a plan from its members and their outcomes: per segment and arm the rates
 * and means, the lifts with intervals, the incremental revenue. Pure: the same inputs give the
 * same numbers.
 */
export function assessCampaign(
  plan: CampaignPlan,
  members: Member[],
  outcomes: Outcomes,
  opts: { end: string; level: number; measuredAt: string },
): CampaignMeasurement {
  const { end, level } = opts;
  const warnings: Warning[] = [];
  if (!outcomes.lastOrder)
    warnings.push({
      code: 'CAMPAIGN_NO_ORDERS',
      message: `No orders from ${plan.start} to ${addDays(end, -1)} are in the recipe's sources: every outcome is 0. Point the recipe at the orders since the start.`,
    });
  else if (outcomes.lastOrder < addDays(end, -1))
    warnings.push({
      code: 'CAMPAIGN_PARTIAL',
      message: `The data's last order in the period is on ${outcomes.lastOrder}, before its last day ${addDays(end, -1)}: the measurement may miss the latest days.`,
    });
  const z = normPpf(1 - (1 - level) / 2);
  let totalVar = 0;
  let totalEst = 0;
  let totalKnown = true;
  // Members by segment and arm, in one pass.
  const byArm = new Map<string, string[]>();
  for (const m of members) {
    const key = `${m.s}\u0000${m.arm}`;
    const list = byArm.get(key);
    if (list) list.push(m.c);
    else byArm.set(key, [m.c]);
  }
  const segments: SegmentResult[] = plan.segments.map((seg) => {
    const ids = (arm: string) => byArm.get(`${seg.id}\u0000${arm}`) ?? [];
    const [t, c] = [armOf(ids('treatment'), outcomes), armOf(ids('control'), outcomes)];
    const [rt, rc] = [armResult(t, outcomes.coupons, level), armResult(c, outcomes.coupons, level)];
    const orders = welch(moments(t.orders), moments(c.orders), level);
    const revenue = welch(moments(t.revenue), moments(c.revenue), level);
    const rate = newcombe(rt.responders, rt.customers, rc.responders, rc.customers, level);
    const burn = outcomes.coupons
      ? bootstrapRatioDifference(
          { num: t.burned, den: t.claimed },
          { num: c.burned, den: c.claimed },
          { seed: plan.seed, resamples: 1000, level },
        )
      : null;
    const lift = {
      responseRate: interval(rate, rc.responseRate),
      orders: interval(orders, rc.ordersPerCustomer),
      revenue: interval(revenue, rc.revenuePerCustomer),
      burnRate: burn ? interval(burn, rc.burnRate) : null,
    };
    const scaled = (d: Difference, n: number) => ({
      estimate: Number.isFinite(d.estimate) ? d.estimate * n : null,
      lower: d.lower === null ? null : d.lower * n,
      upper: d.upper === null ? null : d.upper * n,
    });
    if (revenue.se === null) totalKnown = false;
    else {
      totalVar += (revenue.se * rt.customers) ** 2;
      totalEst += revenue.estimate * rt.customers;
    }
    return {
      id: seg.id,
      name: seg.name,
      arms: { treatment: rt, control: rc },
      lift,
      incrementalRevenue: scaled(revenue, rt.customers),
      incrementalOrders: scaled(orders, rt.customers),
      verdict: verdict(lift, level),
    };
  });
  const measurement: CampaignMeasurement = {
    kind: 'segmint.campaign-measurement',
    schemaVersion: 1,
    campaign: plan.name,
    measuredAt: opts.measuredAt,
    window: { start: plan.start, end, days: outcomes.days, lastOrder: outcomes.lastOrder },
    level,
    methods: {
      ...METHODS,
      burnRate: METHODS.burnRate.replace('the campaign seed', String(plan.seed)),
    },
    coupons: outcomes.coupons,
    segments,
    total: {
      treatment: plan.totals.treatment,
      control: plan.totals.control,
      incrementalRevenue: totalKnown
        ? {
            estimate: totalEst,
            lower: totalEst - z * Math.sqrt(totalVar),
            upper: totalEst + z * Math.sqrt(totalVar),
          }
        : { estimate: null, lower: null, upper: null },
    },
    warnings,
  };
  return measurement;
}

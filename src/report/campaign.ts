/**
 * A campaign's page: the plan (run, segments, arms, split, minimum detectable effects) and its
 * latest measurement (per segment and arm, the lifts with intervals, charts), one self-contained
 * HTML file. The sections are shared with the run report (campaigns planned from the run).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CAMPAIGN_NAME,
  CampaignMeasurement,
  CampaignPlan,
  type Interval,
  readCampaignFile,
} from '../model/campaign.js';
import { liftSpec } from './charts.js';
import { CSS, esc, num, table } from './html.js';
import { renderSvg } from './render.js';

const int = (n: number) => n.toLocaleString('en-US');
const pct = (x: number | null | undefined, d = 1) =>
  x === null || x === undefined ? '–' : `${(100 * x).toFixed(d)}%`;
const ci = (i: Interval | null, scale = 1, d = 2) =>
  !i || i.lower === null || i.upper === null
    ? '–'
    : `${num(i.lower * scale, d)} to ${num(i.upper * scale, d)}`;
const p = (x: number | null) => (x === null ? '–' : x < 0.001 ? '< 0.001' : x.toFixed(3));

/**
 * An estimated difference with its interval, worded for what the interval shows: where it holds
 * 0 the figure is "no difference shown" (the estimate would claim more than the data backs), else
 * the estimate; the interval follows either way.
 */
export function differenceText(
  i: { estimate: number | null; lower: number | null; upper: number | null },
  level: string,
  fmt: (x: number | null) => string = (x) => num(x),
): string {
  if (i.estimate === null || i.lower === null || i.upper === null) return fmt(i.estimate);
  const range = `${level} ${fmt(i.lower)} to ${fmt(i.upper)}`;
  return i.lower <= 0 && i.upper >= 0 ? `no difference shown (${range})` : `${fmt(i.estimate)} (${range})`;
}

/** The lift charts of a measurement as SVG, one per metric. */
export async function liftCharts(m: CampaignMeasurement): Promise<string[]> {
  const rows = (pick: (s: CampaignMeasurement['segments'][number]) => Interval | null, scale = 1) =>
    m.segments.flatMap((s) => {
      const i = pick(s);
      return i && i.estimate !== null && i.lower !== null && i.upper !== null
        ? [
            {
              segment: `${s.id} ${s.name}`,
              estimate: i.estimate * scale,
              lower: i.lower * scale,
              upper: i.upper * scale,
            },
          ]
        : [];
    });
  const level = `${Math.round(m.level * 100)}%`;
  const specs = [
    liftSpec(
      rows((s) => s.lift.revenue),
      `Revenue per customer: treatment - control (${level} CI)`,
      'lift',
    ),
    liftSpec(
      rows((s) => s.lift.responseRate, 100),
      `Response rate: treatment - control (${level} CI)`,
      'points',
      ',.1f',
    ),
    liftSpec(
      rows((s) => s.lift.orders),
      `Orders per customer: treatment - control (${level} CI)`,
      'lift',
    ),
  ];
  const out: string[] = [];
  for (const [i, spec] of specs.entries())
    if ((spec.data as { values: unknown[] }).values.length)
      out.push(await renderSvg(spec, `lift-${m.campaign}-${i}`));
  return out;
}

export function planSection(plan: CampaignPlan): string {
  const rows = plan.segments.map((s) => [
    `${s.id} ${s.name}`,
    int(s.customers),
    int(s.treatment),
    int(s.control),
    pct(s.baseline.responseRate),
    num(s.baseline.revenueMean),
    s.mde.responseRate.absolute === null ? '–' : `${num(100 * s.mde.responseRate.absolute, 1)} pts`,
    s.mde.revenue.absolute === null
      ? '–'
      : `${num(s.mde.revenue.absolute)} (${pct(s.mde.revenue.relative, 0)})`,
    s.mde.orders.absolute === null
      ? '–'
      : `${num(s.mde.orders.absolute, 3)} (${pct(s.mde.orders.relative, 0)})`,
  ]);
  return `<h3>Plan</h3>
<p>From run <code>${esc(plan.run.runId)}</code> of <b>${esc(plan.run.model)}</b>; starts ${esc(plan.start)} for ${plan.days} days; ${pct(plan.holdout, 0)} of each segment held out (seed ${plan.seed}). ${esc(plan.split)}</p>
${table(
  [
    'segment',
    'customers',
    'treatment',
    'control',
    `bought in the ${plan.days} days before`,
    'revenue / customer before',
    'detectable: response',
    'detectable: revenue / customer',
    'detectable: orders / customer',
  ],
  rows,
  [false, true, true, true, true, true, true, true, true],
)}
<p class="muted">Detectable: the smallest true lift a two-sided test at alpha ${plan.alpha} finds with power ${plan.power}, from each segment's own variance over the ${plan.days} days before the run's reference date (normal approximation).</p>`;
}

export function measurementSection(m: CampaignMeasurement, charts: string[]): string {
  const armRows = m.segments.flatMap((s) =>
    (['treatment', 'control'] as const).map((arm) => {
      const a = s.arms[arm];
      return [
        `${s.id} ${s.name}`,
        arm,
        int(a.customers),
        pct(a.responseRate),
        num(a.ordersPerCustomer, 3),
        num(a.revenuePerCustomer),
        num(a.revenue),
        ...(m.coupons ? [pct(a.burnRate)] : []),
      ];
    }),
  );
  const level = `${Math.round(m.level * 100)}% CI`;
  const liftRows = m.segments.map((s) => [
    `${s.id} ${s.name}`,
    `${num(s.lift.responseRate.estimate === null ? null : 100 * s.lift.responseRate.estimate, 1)} pts (${ci(s.lift.responseRate, 100, 1)}), p ${p(s.lift.responseRate.pValue)}`,
    `${num(s.lift.orders.estimate, 3)} (${ci(s.lift.orders, 1, 3)}), p ${p(s.lift.orders.pValue)}`,
    `${num(s.lift.revenue.estimate)} (${ci(s.lift.revenue)}), p ${p(s.lift.revenue.pValue)}`,
    ...(m.coupons
      ? [
          `${num(s.lift.burnRate?.estimate === null || !s.lift.burnRate ? null : 100 * (s.lift.burnRate.estimate as number), 1)} pts (${ci(s.lift.burnRate, 100, 1)})`,
        ]
      : []),
    differenceText(s.incrementalRevenue, level),
  ]);
  const t = m.total.incrementalRevenue;
  return `<h3>Measured ${esc(m.window.start)} to ${esc(m.window.end)} (exclusive), ${m.window.days} days</h3>
${m.warnings.map((w) => `<p class="warn">${esc(w.message)}</p>`).join('')}
${table(
  [
    'segment',
    'arm',
    'customers',
    'bought',
    'orders / customer',
    'revenue / customer',
    'revenue',
    ...(m.coupons ? ['coupon burn rate'] : []),
  ],
  armRows,
  [false, false, true, true, true, true, true, true],
)}
<h3>Lift (treatment - control, ${level})</h3>
${table(
  [
    'segment',
    'response rate',
    'orders / customer',
    'revenue / customer',
    ...(m.coupons ? ['burn rate'] : []),
    'incremental revenue',
  ],
  liftRows,
  [false, true, true, true, true, true],
)}
<p><b>Incremental revenue, all segments:</b> ${differenceText(t, level)}.</p>
<ul>${m.segments.map((s) => `<li><b>${esc(`${s.id} ${s.name}`)}</b>: ${esc(s.verdict)}</li>`).join('')}</ul>
<div class="charts">${charts.map((c, i) => `<figure class="chart" data-chart="lift-${i}">${c}</figure>`).join('')}</div>
<p class="muted">Methods: ${Object.entries(m.methods)
    .map(([k, v]) => `${esc(k)}: ${esc(v)}`)
    .join('; ')}. Customers with no order in the period count as 0 (everyone planned is measured).</p>`;
}

export async function campaignReportHtml(
  plan: CampaignPlan,
  m: CampaignMeasurement | null,
  history: CampaignMeasurement[] = [],
  given?: string[],
): Promise<string> {
  const charts = given ?? (m ? await liftCharts(m) : []);
  const earlier = history.filter((h) => h.measuredAt !== m?.measuredAt);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>segmint campaign ${esc(plan.name)}</title><style>${CSS}</style></head>
<body><header><h1>Campaign ${esc(plan.name)}</h1><p>${plan.totals.treatment.toLocaleString('en-US')} treated, ${plan.totals.control.toLocaleString('en-US')} held out, in ${plan.segments.length} segment(s)</p></header>
<main><section>${planSection(plan)}</section>
<section>${m ? measurementSection(m, charts) : '<p class="muted">Not measured yet: <code>segmint campaign measure</code> after the campaign ran.</p>'}</section>
${
  earlier.length
    ? `<section><h3>Earlier measurements</h3>${table(
        ['measured at', 'through', 'incremental revenue'],
        earlier.map((h) => [
          h.measuredAt,
          h.window.end,
          differenceText(h.total.incrementalRevenue, `${Math.round(h.level * 100)}% CI`),
        ]),
        [false, false, true],
      )}</section>`
    : ''
}
</main></body></html>
`;
}

/**
 * The campaigns of a workspace planned from one run, as report sections (the run report rebuilt
 * with `segmint report` shows them with their latest measurement).
 */
export async function campaignSectionsOf(workspace: string, runId: string): Promise<string[]> {
  const dir = join(workspace, 'campaigns');
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const planFile = join(dir, name, 'plan.json');
    if (!CAMPAIGN_NAME.test(name) || !existsSync(planFile)) continue;
    const plan = readCampaignFile(CampaignPlan, planFile);
    if (plan.run.runId !== runId) continue;
    const mFile = join(dir, name, 'measurement.json');
    const m = existsSync(mFile) ? readCampaignFile(CampaignMeasurement, mFile) : null;
    out.push(
      `<h3>Campaign ${esc(plan.name)}</h3>${planSection(plan)}${m ? measurementSection(m, await liftCharts(m)) : '<p class="muted">Not measured yet.</p>'}`,
    );
  }
  return out;
}

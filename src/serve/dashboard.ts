import type { CampaignMeasurement, CampaignPlan } from '../model/campaign.js';
import type { Model } from '../model/model.js';
import type { Drift } from '../model/record.js';
import type { RunRow } from '../pipeline/history.js';
import type { Migration } from '../pipeline/stable.js';
import { differenceText } from '../report/campaign.js';
import { esc } from '../report/html.js';

export interface DashboardData {
  model: Model | null;
  runId: string | null;
  runs: RunRow[];
  customer: {
    id: string;
    history: { runId: string; finishedAt: string; segmentId: number; segmentName: string }[];
  } | null;
  migration: Migration | null;
  /** The serving run's comparison with the previous one: its alerts are the banner. */
  drift: Drift | null;
  campaigns: { plan: CampaignPlan; measurement: CampaignMeasurement | null; chart: string | null }[];
  /** Campaign folders whose files cannot be read. */
  damagedCampaigns?: { name: string; error: string }[];
  running: boolean;
}

const pct = (x: number | null) => (x === null ? '–' : `${(100 * x).toFixed(1)}%`);

/** A small server-rendered dashboard: no script, forms and links only. */
export function dashboardHtml(d: DashboardData): string {
  const segs = d.model?.segments ?? [];
  const runs = d.runs.slice(0, 20);
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>segmint</title><style>
body{font:14px/1.5 Helvetica,Arial,sans-serif;margin:0;color:#1d2733;background:#fafbfc}header{background:#1d2733;color:#fff;padding:16px 32px}
main{padding:8px 32px;max-width:1100px}section{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:12px 20px;margin:14px 0}
table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #dde3ea;padding:4px 10px;text-align:left}th{background:#f3f5f8}
.n{text-align:right}.failed{color:#a33}a{color:#0072B2}
.banner{background:#fff4e0;border:1px solid #e69f00;border-left:6px solid #d55e00;border-radius:6px;padding:10px 16px;margin:14px 0}
.banner h2{margin:0 0 6px;font-size:16px}figure{margin:6px 0}figure svg{max-width:100%;height:auto}</style></head><body>
<header><h1 style="margin:0;font-size:20px">segmint</h1><div>${d.runId ? `serving ${esc(d.runId)}` : 'no model yet'}${d.running ? ' · a run is going on' : ''}</div></header><main>${
    d.drift?.alerts.length
      ? `<div class="banner" role="alert" data-drift="${d.drift.alerts.length}"><h2>Drift since run ${esc(d.drift.previousRunId)}: ${d.drift.alerts.length} alert(s)</h2><ul>${d.drift.alerts.map((a) => `<li>${esc(a.message)}</li>`).join('')}</ul></div>`
      : ''
  }
<section><h2>Segments</h2>${
    segs.length
      ? `<table><tr><th>segment</th><th class="n">customers</th><th class="n">share</th><th class="n">revenue</th><th>action</th></tr>${segs
          .map(
            (s) =>
              `<tr><td>${s.id} ${esc(s.name)}</td><td class="n">${s.size.toLocaleString('en-US')}</td><td class="n">${pct(s.shareCustomers)}</td><td class="n">${pct(s.shareRevenue)}</td><td>${esc(s.action)}</td></tr>`,
          )
          .join(
            '',
          )}</table>${d.runId ? `<p><a href="/v1/runs/${encodeURIComponent(d.runId)}/report">Latest report</a></p>` : ''}`
      : '<p>No model yet.</p>'
  }</section>
<section><h2>Customer lookup</h2><form method="get" action="/"><input name="customer" value="${esc(d.customer?.id ?? '')}" placeholder="customer id"> <button>Look up</button></form>${
    d.customer
      ? d.customer.history.length
        ? `<table><tr><th>run</th><th>finished</th><th>segment</th></tr>${d.customer.history.map((h) => `<tr><td>${esc(h.runId)}</td><td>${esc(h.finishedAt)}</td><td>${h.segmentId} ${esc(h.segmentName)}</td></tr>`).join('')}</table>`
        : `<p>Customer ${esc(d.customer.id)} is in no run.</p>`
      : ''
  }</section>
${
  d.migration
    ? `<section><h2>Movement since ${esc(d.migration.previousRunId)}</h2><p>${d.migration.stayed.toLocaleString('en-US')} stayed, ${d.migration.moved.toLocaleString('en-US')} moved, ${d.migration.newCustomers.toLocaleString('en-US')} new, ${d.migration.departed.toLocaleString('en-US')} departed.</p><table><tr><th>from</th><th>to</th><th class="n">customers</th></tr>${d.migration.matrix.map((c) => `<tr><td>${esc(c.from)}</td><td>${esc(c.to)}</td><td class="n">${c.count.toLocaleString('en-US')}</td></tr>`).join('')}</table></section>`
    : ''
}
${
  d.campaigns.length || d.damagedCampaigns?.length
    ? `<section><h2>Campaigns</h2>${(d.damagedCampaigns ?? []).map((x) => `<p class="failed">Campaign ${esc(x.name)} cannot be read: ${esc(x.error)}</p>`).join('')}<table><tr><th>campaign</th><th>run</th><th>start</th><th>segments</th><th class="n">treated</th><th class="n">control</th><th>incremental revenue</th><th></th></tr>${d.campaigns
        .map(({ plan: p, measurement: m }) => {
          const t = m?.total.incrementalRevenue;
          const money = (x: number | null | undefined) =>
            x === null || x === undefined ? '–' : x.toLocaleString('en-US', { maximumFractionDigits: 0 });
          return `<tr><td>${esc(p.name)}</td><td>${esc(p.run.runId)}</td><td>${esc(p.start)}</td><td>${p.segments.map((s) => `${s.id} ${esc(s.name)}`).join(', ')}</td><td class="n">${p.totals.treatment.toLocaleString('en-US')}</td><td class="n">${p.totals.control.toLocaleString('en-US')}</td><td>${m && t ? `${differenceText(t, `${Math.round(m.level * 100)}% CI`, money)}, to ${esc(m.window.end)}` : 'not measured'}</td><td>${m ? `<a href="/v1/campaigns/${encodeURIComponent(p.name)}/report">report</a>` : ''}</td></tr>`;
        })
        .join('')}</table>${d.campaigns
        .filter((x) => x.chart)
        .map(
          (x) =>
            `<figure data-campaign="${esc(x.plan.name)}"><figcaption>${esc(x.plan.name)}</figcaption>${x.chart}</figure>`,
        )
        .join('')}</section>`
    : ''
}
<section><h2>Runs</h2><table><tr><th>run</th><th>status</th><th>data as of</th><th>finished</th><th class="n">customers</th><th class="n">k</th><th></th></tr>${runs
    .map(
      (r) =>
        `<tr><td>${esc(r.runId)}</td><td class="${r.status === 'failed' ? 'failed' : ''}">${esc(r.status)}${r.error ? `: ${esc(r.error)}` : ''}</td><td>${esc(r.referenceDate ?? '–')}</td><td>${esc(r.finishedAt)}</td><td class="n">${r.customers?.toLocaleString('en-US') ?? ''}</td><td class="n">${r.k ?? ''}</td><td>${r.runDir ? `<a href="/v1/runs/${encodeURIComponent(r.runId)}/report">report</a>` : ''}</td></tr>`,
    )
    .join('')}</table></section></main></body></html>`;
}

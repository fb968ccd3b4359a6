import { stabilityWords } from '../cluster/stability.js';
import { formatValue, sdText, type Unit } from '../core/dictionary.js';
import { RULE_PRECISION_FLOOR } from '../explain/explain.js';
import { claimText } from '../explain/personas.js';
import { traitColumn } from '../features/catalogue.js';
import type { ReportData } from './build.js';
import { featureLabel, HEATMAP_FEATURES, PALETTE } from './charts.js';
import { clvParamsWords, clvValidationWords, clvView } from './clv-section.js';

export const esc = (s: unknown): string =>
  String(s ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');

const int = (n: number | null | undefined) =>
  n === null || n === undefined ? '–' : Math.round(n).toLocaleString('en-US');
const pct = (x: number | null | undefined) =>
  x === null || x === undefined ? '–' : `${(100 * x).toFixed(1)}%`;
/**
 * A number with `d` decimals, or with 3 significant digits where that would show 0.0 for a
 * small non-zero value (a ratio such as 0.0012).
 */
export const num = (x: number | null | undefined, d = 2) => {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (x !== 0 && Math.abs(x) < 10 ** -d) return Number(x.toPrecision(3)).toString();
  return x.toLocaleString('en-US', {
    maximumFractionDigits: d,
    minimumFractionDigits: Math.abs(x) >= 100 ? 0 : Math.min(d, 1),
  });
};

export function table(header: string[], rows: (string | number)[][], numeric: boolean[] = []): string {
  return `<table><thead><tr>${header.map((h, j) => `<th${numeric[j] ? ' class="n"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, j) => `<td${numeric[j] ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

const chart = (charts: Record<string, string>, name: string, caption = '') =>
  charts[name]
    ? `<figure class="chart" data-chart="${esc(name)}">${charts[name]}${caption ? `<figcaption>${esc(caption)}</figcaption>` : ''}</figure>`
    : '';

/**
 * The per-segment rules applied together, in words: how many customers they give exactly their
 * segment, match no rule, or match several (the figures of run.json explain.agreement).
 */
function agreementWords(run: ReportData['run']): string {
  const a = run.explain?.agreement;
  if (!a) return '';
  return `<p>Applied as they are, one to each customer, these rules give ${pct(a.exact)} of customers exactly their segment (one rule matches, and it is theirs); ${pct(a.none)} match no rule and ${pct(a.several)} match more than one. The segments are clusters of the features, which rules of a few conditions can only approximate.</p>`;
}

/**
 * Customer lifetime value: the fit in words, how well it predicted a held-out period against the
 * naive rate (chart and table), and value by segment; null for a run without CLV.
 */
function clvSection(run: ReportData['run'], charts: Record<string, string>) {
  const c = clvView(run);
  if (!c) return null;
  const names = new Map(run.segments.map((s) => [s.id, `${s.id} ${s.name}`]));
  const unit = c.unit;
  const v = c.validation;
  const words = [clvParamsWords(c), clvValidationWords(c)].filter(Boolean);
  const fresh = c.newCustomers
    ? `<p>${int(c.newCustomers)} customer(s) first bought after the calibration end; each has a new customer's prediction from the fitted population, included in the totals below.</p>`
    : '';
  const validation = v
    ? `<div class="charts">${chart(charts, 'clvValidation', 'Mean purchases per customer in the holdout, by the number of repeat purchases before the calibration end.')}</div>${table(
        ['repeat purchases before', 'customers', 'predicted per customer', 'actual per customer'],
        v.groups.map((g) => [g.x, int(g.customers), num(g.predicted, 2), num(g.actual, 2)]),
        [false, true, true, true],
      )}${
        v.model && v.naive
          ? table(
              ['forecast', 'mean absolute error', 'root mean squared error', 'correlation'],
              [
                ['BG/NBD', num(v.model.mae, 3), num(v.model.rmse, 3), num(v.model.correlation, 3)],
                ['naive rate x/T', num(v.naive.mae, 3), num(v.naive.rmse, 3), num(v.naive.correlation, 3)],
              ],
              [false, true, true, true],
            )
          : ''
      }`
    : '<p class="muted">No holdout: set clv.calibrationEnd before the last purchase to see how well the model predicts.</p>';
  return {
    id: 'clv',
    title: 'Customer lifetime value',
    body: `${words.map((w) => `<p>${esc(w)}</p>`).join('')}${fresh}${validation}<h3>By segment</h3>${table(
      [
        'segment',
        'mean P(alive)',
        `expected purchases, next ${c.horizon ?? ''} ${unit}`,
        'lifetime value (total)',
        'lifetime value (mean)',
      ],
      c.segments.map((x) => [
        names.get(x.segmentId) ?? String(x.segmentId),
        pct(x.pAliveMean),
        int(x.expectedPurchases),
        num(x.clvTotal ?? null, 2),
        num(x.clvMean ?? null, 2),
      ]),
      [false, true, true, true, true],
    )}`,
  };
}

export const CSS = `
:root { --ink: #1d2733; --muted: #5b6775; --line: #dde3ea; --accent: #0072B2; }
* { box-sizing: border-box; }
body { font: 14px/1.5 Helvetica, Arial, sans-serif; color: var(--ink); margin: 0; background: #fafbfc; }
header { background: var(--ink); color: white; padding: 24px 40px; }
header h1 { margin: 0 0 4px; font-size: 24px; }
header p { margin: 0; color: #c9d3dd; }
nav { padding: 8px 40px; background: white; border-bottom: 1px solid var(--line); position: sticky; top: 0; }
nav a { color: var(--accent); margin-right: 14px; text-decoration: none; font-size: 13px; }
main { padding: 8px 40px 40px; max-width: 1200px; }
section { background: white; border: 1px solid var(--line); border-radius: 8px; padding: 16px 24px; margin: 18px 0; break-inside: avoid-page; }
h2 { font-size: 19px; margin: 4px 0 12px; }
h3 { font-size: 15px; margin: 16px 0 8px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f3f5f8; font-weight: 600; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
figure.chart { margin: 0; }
figure.chart svg { max-width: 100%; height: auto; }
figure.chart[data-chart="heatmap"], figure.chart[data-chart="snake"] { max-width: 100%; overflow-x: auto; }
figure.chart[data-chart="heatmap"] svg, figure.chart[data-chart="snake"] svg { max-width: none; }
figcaption { color: var(--muted); font-size: 12px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-left: 6px solid var(--c); border-radius: 6px; padding: 10px 14px; break-inside: avoid; }
.card h3 { margin: 0 0 4px; }
.card .kpi { display: flex; gap: 16px; margin: 6px 0; }
.card .kpi div { font-size: 12px; color: var(--muted); }
.card .kpi b { display: block; font-size: 16px; color: var(--ink); }
.card .action { background: #f3f7fb; padding: 6px 8px; border-radius: 4px; }
pre { background: #f6f8fa; border: 1px solid var(--line); padding: 10px; overflow-x: auto; font-size: 12px; white-space: pre-wrap; }
.muted { color: var(--muted); }
.caution { color: #a04000; }
.warn { color: #8a4b00; }
.tree-wrap { overflow-x: auto; }
@media print {
  body { background: white; font-size: 11px; }
  nav { display: none; }
  header { padding: 12px 16px; }
  main { padding: 0 16px; }
  section { border: none; padding: 8px 0; break-inside: auto; }
  h2 { break-after: avoid; }
  figure.chart, .card, table { break-inside: avoid; }
  @page { size: A4; margin: 14mm; }
}
`;

/** The report page: one HTML file with inline CSS and inline SVG charts, no script, no external links. */
export function reportHtml({ run, model, tree, charts, campaigns = [] }: ReportData): string {
  // Runs recorded before data.dated existed had dates.
  const dated = run.data?.dated !== false;
  const numericCount = model.features.filter((f) => f.type === 'numeric').length;
  const segs = model.segments;
  const profiles = run.segments;
  const features = model.features;
  const rules = run.explain.rules;
  const sources = run.overview.sources;
  const pick = (trait: string) => traitColumn(features, trait)?.name;
  // People read the dictionary's labels and the unit's number format (models before it: names).
  const labelOfFeature = (name: string) => featureLabel(features, name);
  const r = pick('recency');
  const f = pick('frequency');
  const m = pick('monetary');
  const sections: { id: string; title: string; body: string }[] = [];

  sections.push({
    id: 'summary',
    title: 'Run summary',
    body: `<p>${int(run.data?.customers)} customers in <b>${model.clusterer.k} segments</b> by ${esc(model.clusterer.method)}${model.clusterer.linkage ? ` (${esc(model.clusterer.linkage)} linkage)` : ''}. ${esc(run.cluster?.reason ?? '')}</p>
${table(
  ['', ''],
  [
    ['run', run.runId],
    ['recipe', `${run.recipe?.file ?? '(in memory)'} · hash ${run.recipe?.hash ?? ''}`],
    [
      'data',
      (run.inputs ?? [])
        .map(
          (i: { source: string; file: string; rows: number }) =>
            `${i.source}: ${i.file} (${int(i.rows)} rows)`,
        )
        .join('; '),
    ],
    ...(dated
      ? [
          [
            'reference date',
            `${run.data?.referenceDate ?? ''}${run.data?.windowStart ? ` · window from ${run.data.windowStart}` : ' · whole history'}`,
          ],
        ]
      : [['reference date', 'none: the data has no time column']]),
    ['seed', String(model.seed)],
    [
      'versions',
      Object.entries(run.versions ?? {})
        .map(([k, v]) => `${k} ${v}`)
        .join(', '),
    ],
    ['started', run.startedAt ?? ''],
  ],
)}`,
  });

  sections.push({
    id: 'segments',
    title: 'Segments',
    body: `${table(
      [
        'segment',
        'customers',
        'share',
        'revenue',
        ...(r ? ['recency (days)'] : []),
        ...(f ? ['orders'] : []),
        ...(m ? ['spend'] : []),
        'action',
      ],
      profiles.map((p) => [
        `${p.id} ${p.name}`,
        int(p.size),
        pct(p.shareCustomers),
        pct(p.shareRevenue),
        ...(r ? [num(p.means[r], 1)] : []),
        ...(f ? [num(p.means[f], 1)] : []),
        ...(m ? [num(p.means[m], 2)] : []),
        p.action,
      ]),
      [false, true, true, true, ...(r ? [true] : []), ...(f ? [true] : []), ...(m ? [true] : []), false],
    )}<div class="charts">${chart(charts, 'shares')}</div>`,
  });

  sections.push({
    id: 'personas',
    title: 'Personas and actions',
    body: `<div class="cards">${profiles
      .map(
        (
          p,
          i,
        ) => `<div class="card" style="--c:${PALETTE[i % PALETTE.length]}"><h3>${p.id} ${esc(p.name)}</h3><div class="muted">${esc(p.description)}</div>
<div class="kpi"><div><b>${int(p.size)}</b>customers</div><div><b>${pct(p.shareCustomers)}</b>of customers</div><div><b>${pct(p.shareRevenue)}</b>of revenue</div></div>
<div>Sets them apart: ${p.distinguishing
          .slice(0, 3)
          .map(
            (d) =>
              `${esc(labelOfFeature(d.feature))} ${d.direction === 'higher' ? '↑' : '↓'} (${sdText(d.z)})`,
          )
          .join(', ')}</div>
${p.stability === undefined || p.stability === null ? '' : `<div class="muted">Stability: ${p.stability.toFixed(2)}, ${stabilityWords(p.stability)} (refitted on ${run.cluster.bootstrap?.runs ?? ''} resamples of the customers, the segment's best match overlaps it by ${p.stability.toFixed(2)} on average: members in both over members in either)</div>`}
<div class="muted">Why this name: ${p.claims?.length ? esc(p.claims.map(claimText).join('; ')) : 'set in the recipe (explain.names), or nothing stands out'}</div>
<p class="action"><b>Do:</b> ${esc(p.action)}</p></div>`,
      )
      .join('')}</div>`,
  });

  sections.push({
    id: 'profiles',
    title: 'Segment profiles',
    body: `<div class="charts">${chart(charts, 'heatmap', `${numericCount > HEATMAP_FEATURES ? `The ${HEATMAP_FEATURES} numeric features that separate the segments most, of ${numericCount.toLocaleString('en-US')}` : `All ${numericCount} numeric features`}, sorted by how much they separate the segments; with more than 10 they run down the side.`)}${chart(charts, 'snake')}</div><h3>Distributions by segment (5th-95th percentile, quartiles, median)</h3><div class="charts">${Object.keys(
      charts,
    )
      .filter((k) => k.startsWith('box_'))
      .map((k) => chart(charts, k))
      .join('')}</div>
${table(
  ['feature', ...segs.map((s) => `${s.id} ${s.name}`)],
  features
    .filter((x) => x.type === 'numeric')
    .map((x) => [
      labelOfFeature(x.name),
      ...profiles.map((p) =>
        x.meaning
          ? formatValue(p.means[x.name] ?? null, (x.meaning.unit ?? null) as Unit | null)
          : num(p.means[x.name], 2),
      ),
    ]),
  [false, ...segs.map(() => true)],
)}`,
  });

  sections.push({
    id: 'map',
    title: 'Segment map and fit',
    body: `<div class="charts">${chart(charts, 'map', 'Sampled customers (at most 3,000) on the first two principal components of the prepared features.')}${chart(charts, 'silhouettePlot', 'Silhouette of at most 1,500 sampled customers: near 1 well inside their segment, below 0 closer to another.')}</div>`,
  });

  const cl = run.cluster ?? {};
  sections.push({
    id: 'selection',
    title: 'Choosing the number of segments',
    body: `<p>${esc(cl.reason ?? '')}</p><div class="charts">${['elbow', 'silhouette', 'calinskiHarabasz', 'daviesBouldin', 'stability'].map((c) => chart(charts, c)).join('')}</div>${charts.dendrogram ? `<h3>Dendrogram (top merges)</h3><figure class="chart" data-chart="dendrogram">${charts.dendrogram}</figure>` : ''}${
      (cl.metrics ?? []).length
        ? table(
            [
              'k',
              'inertia',
              'silhouette',
              'Calinski-Harabasz',
              'Davies-Bouldin',
              'stability',
              'smallest segment',
            ],
            cl.metrics.map((x) => [
              String(x.k),
              num(x.inertia, 1),
              num(x.silhouette, 3),
              num(x.calinskiHarabasz, 1),
              num(x.daviesBouldin, 3),
              num(x.stability, 3),
              int(x.smallestSegment),
            ]),
            [true, true, true, true, true, true, true],
          )
        : ''
    }`,
  });

  sections.push({
    id: 'rules',
    title: 'Rules the business can apply',
    body: `${
      tree && charts.tree
        ? `<h3>One tree over all segments (agrees with the segments for ${pct(tree.fidelity)} of customers)</h3><div class="tree-wrap">${charts.tree}</div>`
        : ''
    }${agreementWords(run)}${
      rules.length
        ? table(
            [
              'segment',
              'rule',
              'conditions',
              'hold-out precision',
              'recall',
              'F1',
              'accuracy',
              'its customers it alone matches',
            ],
            rules.map((x) => [
              `${x.segmentId} ${segs[x.segmentId - 1]?.name ?? ''}`,
              x.text,
              String(x.conditions),
              num(x.holdout.precision, 3),
              num(x.holdout.recall, 3),
              num(x.holdout.f1, 3),
              num(x.holdout.accuracy, 3),
              pct(run.explain?.agreement?.segments.find((a) => a.segmentId === x.segmentId)?.exact),
            ]),
            [false, false, true, true, true, true, true, true],
          )
        : ''
    }
${rules
  .map(
    (x) =>
      `<p><b>${x.segmentId} ${esc(segs[x.segmentId - 1]?.name)}</b>: ${esc(x.sentence)}${
        x.fidelity.precision < RULE_PRECISION_FLOOR
          ? ` <span class="caution">Caution: of the customers this rule picks, ${pct(x.fidelity.precision)} are in the segment; use it as a guide, not as the segment's definition.</span>`
          : ''
      }</p>`,
  )
  .join('')}
${run.explain?.tree?.text ? `<h3>Tree as text</h3><pre>${esc(run.explain.tree.text)}</pre>` : ''}
<p class="muted">The same rules are in rules.sql (WHERE clauses and a CASE that tags every customer, for DuckDB and PostgreSQL) and rules.json (predicates for a CRM rule engine).</p>`,
  });

  if (run.refine) {
    const rf = run.refine;
    sections.push({
      id: 'refine',
      title: `Refined: inside segment ${rf.segmentId}`,
      body: `<p>${esc(rf.reason)}. Re-clustered into ${rf.k} sub-segments with the preparation refit on its customers; <b>${esc(rf.target)}</b> = sub-segment ${esc(rf.targetId)}.</p>
${table(
  ['sub-segment', 'customers', 'value score', ...Object.keys(rf.subsegments[0]?.means ?? {})],
  rf.subsegments.map(
    (s: { id: string; size: number; valueScore: number; means: Record<string, number | null> }) => [
      s.id,
      int(s.size),
      num(s.valueScore, 2),
      ...Object.values(s.means).map((v) => num(v, 2)),
    ],
  ),
)}
${rf.rule ? `<p><b>Rule:</b> ${esc(rf.rule.sentence)}</p><pre>${esc(rf.rule.text)}</pre><p>Hold-out precision ${num(rf.rule.holdout.precision, 3)}, recall ${num(rf.rule.holdout.recall, 3)}, F1 ${num(rf.rule.holdout.f1, 3)}.</p>` : ''}`,
    });
  }

  if (run.migration) {
    sections.push({
      id: 'migration',
      title: 'Movement since the previous run',
      body: `<div class="charts">${chart(charts, 'migration')}</div>`,
    });
  }

  if (campaigns.length)
    sections.push({ id: 'campaigns', title: 'Campaigns from this run', body: campaigns.join('') });

  if (run.drift) {
    const d = run.drift;
    sections.push({
      id: 'drift',
      title: `Drift since run ${d.previousRunId}`,
      body: `${
        d.alerts.length
          ? `<ul class="warn">${d.alerts.map((a) => `<li>${esc(a.message)}</li>`).join('')}</ul>`
          : '<p>No threshold crossed.</p>'
      }<p>${d.moved.share === null ? 'No returning customers.' : `${pct(d.moved.share)} of the ${int(d.moved.returning)} returning customers changed segment.`}</p>${table(
        [
          'segment',
          'was',
          'share before',
          'share now',
          'size change',
          'centre moved (prepared units)',
          'most along',
          'name holds',
        ],
        d.segments.map((x) => [
          `${x.id} ${x.name}`,
          x.previousId === null ? 'new' : `${x.previousId} ${x.previousName}`,
          pct(x.shareBefore),
          pct(x.shareNow),
          x.sizeChange === null ? '–' : `${x.sizeChange > 0 ? '+' : ''}${pct(x.sizeChange)}`,
          num(x.centroidShift, 3),
          x.mostMoved ?? '–',
          x.nameHolds === null ? '–' : x.nameHolds ? 'yes' : 'no',
        ]),
        [false, false, true, true, true, true, false, false],
      )}${table(
        ['feature', 'stability index'],
        d.features.map((f) => [f.name, num(f.psi, 3)]),
        [false, true],
      )}<p class="muted">Thresholds: moved ${pct(d.thresholds.moved)}, size ${pct(d.thresholds.size)}, centre ${d.thresholds.centroid}, PSI ${d.thresholds.psi}.</p>`,
    });
  }

  const clv = clvSection(run, charts);
  if (clv) sections.push(clv);

  sections.push({
    id: 'data',
    title: 'Data overview',
    body: `<div class="charts">${chart(charts, 'orderValue')}${chart(charts, 'itemsPerOrder')}${chart(charts, 'ordersPerCustomer')}</div>${sources
      .map(
        (s) =>
          `<h3>${esc(s.name)} (${esc(s.kind)}): ${int(s.rows)} rows${s.dateRange ? `, ${esc(s.dateRange.from)} to ${esc(s.dateRange.to)}` : ''}</h3><p class="muted">${esc(s.file)}</p>${table(
            ['column', 'type', 'nulls', 'distinct', 'min', 'max', 'top values'],
            s.columns.map((c) => [
              c.name,
              c.type,
              int(c.nulls),
              int(c.distinct),
              c.min ?? '',
              c.max ?? '',
              c.top.map((t) => `${t.value} (${int(t.count)})`).join(', '),
            ]),
            [false, false, true, true, false, false, false],
          )}`,
      )
      .join('')}`,
  });

  const warnings = run.warnings;
  sections.push({
    id: 'quality',
    title: 'Data quality',
    body: `${table(
      ['source', 'rule', 'removed', 'remaining', 'note'],
      (run.ledger ?? []).map(
        (e: { source: string; rule: string; removed: number; remaining: number; note?: string }) => [
          e.source,
          e.rule,
          int(e.removed),
          int(e.remaining),
          e.note ?? '',
        ],
      ),
      [false, false, true, true, false],
    )}<div class="charts">${chart(charts, 'ledger')}</div>${imputedSection(
      run.prep.imputed ?? [],
      labelOfFeature,
      (name, v) =>
        formatValue(v, (features.find((x) => x.name === name)?.meaning?.unit ?? null) as Unit | null),
    )}${warnings.length ? `<h3>Warnings</h3><ul>${warnings.map((w) => `<li class="warn">${esc(w.message)} <span class="muted">(${esc(w.code)})</span></li>`).join('')}</ul>` : '<p>No warnings.</p>'}`,
  });

  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="segmint ${esc(model.segmintVersion)}">
<title>segmint report: ${esc(model.name)}</title><style>${CSS}</style></head>
<body><header><h1>Customer segments: ${esc(model.name)}</h1><p>${int(run.data?.customers)} customers · ${model.clusterer.k} segments${dated ? ` · reference date ${esc(run.data?.referenceDate ?? '')}` : ''}</p></header>
<nav>${sections.map((s) => `<a href="#${s.id}">${esc(s.title)}</a>`).join('')}</nav>
<main>${sections.map((s) => `<section id="${s.id}"><h2>${esc(s.title)}</h2>${s.body}</section>`).join('\n')}</main></body></html>
`;
}

/** The values each feature had missing and what filled them, for the data quality section. */
function imputedSection(
  imputed: { feature: string; missing: number; customers: number; method: string; value: number }[],
  label: (f: string) => string,
  figure: (f: string, v: number) => string,
): string {
  if (!imputed.length)
    return '<h3>Missing values</h3><p>No feature had a missing value: nothing was imputed.</p>';
  const filled = (m: { feature: string; method: string; value: number }) =>
    m.method === 'zero'
      ? '0: a missing value means no activity'
      : `the ${m.method === 'constant' ? "recipe's constant" : m.method}, ${figure(m.feature, m.value)}`;
  return `<h3>Missing values</h3>${table(
    ['feature', 'customers without a value', 'share', 'filled with'],
    imputed.map((m) => [
      label(m.feature),
      m.missing.toLocaleString('en-US'),
      `${((100 * m.missing) / m.customers).toFixed(1)}%`,
      filled(m),
    ]),
    [false, true, true, false],
  )}`;
}

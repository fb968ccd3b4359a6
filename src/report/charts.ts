/**
 * Vega-Lite specifications of the report's charts: plain data in, a spec out. They are rendered to
 * SVG when the report is built, so the report needs no JavaScript to show them.
 */
export type Spec = Record<string, unknown>;

/** Okabe-Ito (colour-blind safe), then a few more distinct colours for many segments. */
export const PALETTE = [
  '#0072B2',
  '#E69F00',
  '#009E73',
  '#CC79A7',
  '#56B4E9',
  '#D55E00',
  '#F0E442',
  '#000000',
  '#999999',
  '#882255',
  '#44AA99',
  '#117733',
];

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const base = (width = 560, height = 240): Spec => ({
  $schema: SCHEMA,
  width,
  height,
  background: 'white',
  config: {
    font: 'Helvetica, Arial, sans-serif',
    // Labels are never cut (0: no limit): a chart grows to hold a long segment name instead.
    axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e8e8e8', labelLimit: 0 },
    // Legends below the plot, one entry a line: long segment names widen no chart past the page.
    legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0, orient: 'bottom', direction: 'vertical' },
    view: { stroke: null },
  },
});

export interface SegmentRef {
  id: number;
  name: string;
}

const segLabel = (s: SegmentRef) => `${s.id} ${s.name}`;
const segScale = (segments: SegmentRef[]) => ({
  domain: segments.map(segLabel),
  range: segments.map((_, i) => PALETTE[i % PALETTE.length]),
});

export function histogramSpec(
  h: { edges: number[]; width: number; counts: number[] },
  title: string,
  xTitle: string,
  format = ',.0f',
): Spec {
  const values = h.counts.map((c, i) => ({ from: h.edges[i], to: h.edges[i] + h.width, count: c }));
  return {
    ...base(260, 160),
    title,
    data: { values },
    mark: { type: 'bar', color: PALETTE[0], binSpacing: 1 },
    encoding: {
      x: { field: 'from', type: 'quantitative', title: xTitle, axis: { format } },
      x2: { field: 'to' },
      // Bars stand on zero (without y2 a ranged-x bar is a floating dash at its count).
      y: { field: 'count', type: 'quantitative', title: 'count', axis: { format: ',d' } },
      y2: { datum: 0 },
      tooltip: [
        { field: 'from', type: 'quantitative', format },
        { field: 'count', type: 'quantitative', format: ',d' },
      ],
    },
  };
}

export function ledgerSpec(ledger: { source: string; rule: string; removed: number }[]): Spec {
  const values = ledger
    .filter((e) => e.removed > 0)
    .map((e) => ({ rule: `${e.source}: ${e.rule}`, removed: e.removed }));
  return {
    ...base(420, Math.max(60, 22 * values.length)),
    title: 'Rows removed by each cleaning rule',
    data: { values },
    mark: { type: 'bar', color: PALETTE[5] },
    encoding: {
      y: { field: 'rule', type: 'nominal', sort: null, title: null, axis: { labelLimit: 0 } },
      x: { field: 'removed', type: 'quantitative', title: 'rows removed', axis: { format: ',d' } },
      tooltip: [{ field: 'rule' }, { field: 'removed', format: ',d' }],
    },
  };
}

export interface KMetric {
  k: number;
  inertia: number;
  silhouette: number | null;
  calinskiHarabasz: number | null;
  daviesBouldin: number | null;
  stability: number | null;
}

export function elbowSpec(metrics: KMetric[], chosen: number, elbow: number | null): Spec {
  const values = metrics.map((m) => ({
    k: m.k,
    inertia: m.inertia,
    chosen: m.k === chosen ? 'chosen k' : m.k === elbow ? 'knee' : 'tried',
  }));
  return {
    ...base(300, 200),
    title: 'Inertia against k (elbow)',
    data: { values },
    layer: [
      {
        mark: { type: 'line', color: PALETTE[0] },
        encoding: {
          x: { field: 'k', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'inertia', type: 'quantitative', axis: { format: '~s' } },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70 },
        encoding: {
          x: { field: 'k', type: 'quantitative' },
          y: { field: 'inertia', type: 'quantitative' },
          color: {
            field: 'chosen',
            type: 'nominal',
            title: null,
            scale: { domain: ['chosen k', 'knee', 'tried'], range: [PALETTE[5], PALETTE[1], PALETTE[0]] },
          },
          tooltip: [{ field: 'k' }, { field: 'inertia', format: ',.1f' }],
        },
      },
    ],
  };
}

export function metricSpec(
  metrics: KMetric[],
  key: 'silhouette' | 'calinskiHarabasz' | 'daviesBouldin' | 'stability',
  title: string,
  chosen: number,
): Spec | null {
  const values = metrics
    .filter((m) => m[key] !== null)
    .map((m) => ({ k: m.k, value: m[key], chosen: m.k === chosen }));
  if (!values.length) return null;
  return {
    ...base(200, 150),
    title,
    data: { values },
    layer: [
      {
        mark: { type: 'line', color: PALETTE[2] },
        encoding: {
          x: { field: 'k', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 50 },
        encoding: {
          x: { field: 'k', type: 'quantitative' },
          y: { field: 'value', type: 'quantitative' },
          color: {
            field: 'chosen',
            type: 'nominal',
            legend: null,
            scale: { domain: [true, false], range: [PALETTE[5], PALETTE[2]] },
          },
          tooltip: [{ field: 'k' }, { field: 'value', format: '.3f' }],
        },
      },
    ],
  };
}

export function sharesSpec(
  segments: (SegmentRef & { shareCustomers: number; shareRevenue: number | null })[],
): Spec {
  const values = segments.flatMap((s) => [
    { segment: segLabel(s), measure: 'customers', share: s.shareCustomers },
    ...(s.shareRevenue !== null ? [{ segment: segLabel(s), measure: 'revenue', share: s.shareRevenue }] : []),
  ]);
  return {
    ...base(520, Math.max(120, 36 * segments.length)),
    title: values.some((v) => v.measure === 'revenue')
      ? 'Share of customers and of revenue'
      : 'Share of customers',
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      y: { field: 'segment', type: 'nominal', sort: null, title: null, axis: { labelLimit: 0 } },
      yOffset: { field: 'measure' },
      x: { field: 'share', type: 'quantitative', axis: { format: '.0%' }, title: null },
      color: {
        field: 'measure',
        type: 'nominal',
        title: null,
        // A legend entry only for what is drawn: no revenue without a revenue feature.
        scale: segments.some((x) => x.shareRevenue !== null)
          ? { domain: ['customers', 'revenue'], range: [PALETTE[0], PALETTE[1]] }
          : { domain: ['customers'], range: [PALETTE[0]] },
      },
      tooltip: [{ field: 'segment' }, { field: 'measure' }, { field: 'share', format: '.1%' }],
    },
  };
}

export function mapSpec(
  points: { x: number; y: number; segment: string }[],
  segments: SegmentRef[],
  explained: number[],
): Spec {
  return {
    ...base(520, 360),
    title: `Customers on the first two principal components (${(100 * (explained[0] ?? 0)).toFixed(0)}% and ${(100 * (explained[1] ?? 0)).toFixed(0)}% of the variance)`,
    data: { values: points },
    mark: { type: 'circle', size: 14, opacity: 0.6 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: 'PC1', axis: { format: '.1f' } },
      y: { field: 'y', type: 'quantitative', title: 'PC2', axis: { format: '.1f' } },
      color: { field: 'segment', type: 'nominal', title: 'segment', scale: segScale(segments) },
    },
  };
}

export function silhouetteSpec(
  values: { segment: string; rank: number; silhouette: number }[],
  segments: SegmentRef[],
  mean: number,
): Spec {
  return {
    ...base(520, 300),
    title: `Silhouette of each sampled customer, by segment (mean ${mean.toFixed(3)})`,
    data: { values },
    layer: [
      {
        mark: { type: 'bar', width: { band: 1 } },
        encoding: {
          y: { field: 'rank', type: 'ordinal', axis: null, title: null, sort: 'ascending' },
          x: { field: 'silhouette', type: 'quantitative', scale: { domain: [-1, 1] }, title: 'silhouette' },
          color: { field: 'segment', type: 'nominal', scale: segScale(segments), title: 'segment' },
        },
      },
      {
        data: { values: [{ mean }] },
        mark: { type: 'rule', color: '#333', strokeDash: [4, 3] },
        encoding: { x: { field: 'mean', type: 'quantitative' } },
      },
    ],
  };
}

export function heatmapSpec(
  cells: { segment: string; feature: string; lift: number | null }[],
  segments: SegmentRef[],
): Spec {
  const values = cells.map((c) => ({
    ...c,
    log2: c.lift !== null && c.lift > 0 ? Math.log2(c.lift) : 0,
    label: c.lift === null ? '-' : `${c.lift.toFixed(2)}x`,
  }));
  const features = [...new Set(cells.map((c) => c.feature))];
  // Features across while they fit the page (10); more, and they go down the side, one row
  // each, so the chart stays within the page's width whatever the number of features.
  const across = features.length <= 10;
  const featureAxis = {
    field: 'feature',
    type: 'nominal',
    sort: features,
    title: null,
    axis: across ? { labelAngle: -35, labelLimit: 0 } : { labelLimit: 0 },
  };
  const segmentAxis = {
    field: 'segment',
    type: 'nominal',
    sort: segments.map(segLabel),
    title: null,
    axis: across ? { labelLimit: 0 } : { labelAngle: -30, labelLimit: 0 },
  };
  return {
    ...(across
      ? base(Math.max(240, 64 * features.length), 34 * segments.length)
      : base(90 * segments.length, 22 * features.length)),
    // A title that a narrow chart (few features) shows whole, wrapped in two lines.
    title: {
      text: ['Lift of each feature against all customers', '(segment mean / overall mean)'],
      anchor: 'start',
    },
    data: { values },
    encoding: across ? { x: featureAxis, y: segmentAxis } : { x: segmentAxis, y: featureAxis },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: {
            field: 'log2',
            type: 'quantitative',
            title: 'log2 lift',
            scale: { scheme: 'blueorange', domainMid: 0, domain: [-2, 2], clamp: true },
          },
        },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: {
          text: { field: 'label' },
          color: { condition: { test: 'abs(datum.log2) > 1.2', value: 'white' }, value: '#111' },
        },
      },
    ],
  };
}

/**
 * A feature's words in the report: its dictionary label from the model (models before the
 * dictionary: its name).
 */
export const featureLabel = (
  features: readonly { name: string; meaning?: { label: string } | undefined }[],
  name: string,
): string => features.find((x) => x.name === name)?.meaning?.label ?? name;

/** The most features the heatmap shows (the most separating; more could not be read on a page). */
export const HEATMAP_FEATURES = 40;

/** The most features a snake plot draws (more run off the page and cross into a tangle). */
export const SNAKE_FEATURES = 14;

export function snakeSpec(
  lines: { segment: string; feature: string; z: number }[],
  segments: SegmentRef[],
): Spec {
  // The features that separate the segments most (they come sorted so), as many as fit the page.
  const all = [...new Set(lines.map((l) => l.feature))];
  const features = all.slice(0, SNAKE_FEATURES);
  const shown = new Set(features);
  lines = lines.filter((l) => shown.has(l.feature));
  return {
    ...base(Math.max(320, 52 * features.length), 260),
    title: `Snake plot: standardized mean of ${all.length > features.length ? `the ${features.length} most separating of ${all.length} features` : 'each feature'} by segment`,
    data: { values: lines },
    mark: { type: 'line', point: true },
    encoding: {
      x: {
        field: 'feature',
        type: 'nominal',
        sort: features,
        title: null,
        axis: { labelAngle: -35, labelLimit: 0 },
      },
      y: { field: 'z', type: 'quantitative', title: 'standard deviations from all customers' },
      color: { field: 'segment', type: 'nominal', scale: segScale(segments), title: 'segment' },
    },
  };
}

/**
 * Whether a box plot reads better on a log axis: no value below 0, and some segment's median in the
 * first 5% of the linear axis (its box would be squashed against the others' spread).
 */
export function boxLogAxis(rows: { lo: number; median: number; hi: number }[]): boolean {
  if (!rows.length || rows.some((r) => r.lo < 0)) return false;
  let top = 0;
  for (const r of rows) top = Math.max(top, r.hi);
  return top > 0 && rows.some((r) => r.median < 0.05 * top);
}

/**
 * Box plots of a feature by segment: 5th-95th percentile whiskers, quartile boxes, the median; on a
 * symmetric log axis where a linear one would squash a segment (boxLogAxis), the title saying so.
 */
export function boxSpec(
  rows: { segment: string; lo: number; q1: number; median: number; q3: number; hi: number }[],
  feature: string,
  segments: SegmentRef[],
): Spec {
  const log = boxLogAxis(rows);
  const scale = log ? { scale: { type: 'symlog' } } : {};
  return {
    ...base(250, 28 * segments.length),
    title: log ? `${feature} (log scale)` : feature,
    data: { values: rows },
    encoding: {
      y: {
        field: 'segment',
        type: 'nominal',
        sort: segments.map(segLabel),
        title: null,
        axis: { labelLimit: 0 },
      },
    },
    layer: [
      {
        mark: { type: 'rule', color: '#666' },
        encoding: {
          x: { field: 'lo', type: 'quantitative', title: null, axis: { format: '~s' }, ...scale },
          x2: { field: 'hi' },
        },
      },
      {
        mark: { type: 'bar', size: 14 },
        encoding: {
          x: { field: 'q1', type: 'quantitative' },
          x2: { field: 'q3' },
          color: { field: 'segment', type: 'nominal', scale: segScale(segments), legend: null },
        },
      },
      {
        mark: { type: 'tick', color: '#222', size: 18, thickness: 2 },
        encoding: { x: { field: 'median', type: 'quantitative' } },
      },
    ],
  };
}

export function migrationSpec(cells: { from: string; to: string; count: number }[]): Spec {
  return {
    ...base(360, 300),
    title: 'Customers moving between segments since the previous run',
    data: { values: cells },
    encoding: {
      x: { field: 'to', type: 'nominal', title: 'now', axis: { labelAngle: -35 } },
      y: { field: 'from', type: 'nominal', title: 'before' },
    },
    layer: [
      {
        mark: 'rect',
        encoding: {
          color: { field: 'count', type: 'quantitative', scale: { scheme: 'blues' }, title: 'customers' },
        },
      },
      { mark: { type: 'text', fontSize: 10 }, encoding: { text: { field: 'count', format: ',d' } } },
    ],
  };
}

/**
 * A campaign's lift per segment for one metric: the estimate as a point, its interval as a bar,
 * and a rule at 0 (no effect), so a reader sees at once which intervals exclude it.
 */
export function liftSpec(
  rows: { segment: string; estimate: number; lower: number; upper: number }[],
  title: string,
  xTitle: string,
  format = ',.2f',
): Spec {
  const values = rows.map((r) => ({ ...r, zero: 0 }));
  return {
    ...base(420, Math.max(60, 34 * rows.length)),
    title,
    data: { values },
    layer: [
      {
        mark: { type: 'rule', color: '#999999', strokeDash: [4, 3] },
        encoding: { x: { field: 'zero', type: 'quantitative' } },
      },
      {
        mark: { type: 'rule', color: PALETTE[0], strokeWidth: 3 },
        encoding: {
          y: { field: 'segment', type: 'nominal', title: null, sort: null },
          x: { field: 'lower', type: 'quantitative', title: xTitle, axis: { format } },
          x2: { field: 'upper' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 70, color: PALETTE[5] },
        encoding: {
          y: { field: 'segment', type: 'nominal', title: null, sort: null },
          x: { field: 'estimate', type: 'quantitative' },
        },
      },
    ],
  };
}

/**
 * CLV validation: mean holdout purchases per customer, predicted and actual, by the number of
 * repeat purchases before the calibration end (the conditional-expectation chart of the BTYD
 * literature).
 */
export function clvValidationSpec(
  groups: { x: string; customers: number; predicted: number; actual: number }[],
): Spec {
  const order = groups.map((g) => g.x);
  const values = groups.flatMap((g) => [
    { x: g.x, measure: 'predicted', purchases: g.predicted, customers: g.customers },
    { x: g.x, measure: 'actual', purchases: g.actual, customers: g.customers },
  ]);
  return {
    ...base(420, 220),
    title: 'Purchases per customer in the holdout: predicted and actual',
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: {
        field: 'x',
        type: 'ordinal',
        sort: order,
        title: 'repeat purchases before the calibration end',
        axis: { labelAngle: 0 },
      },
      xOffset: { field: 'measure', sort: ['predicted', 'actual'] },
      y: { field: 'purchases', type: 'quantitative', title: 'mean purchases in the holdout' },
      color: {
        field: 'measure',
        type: 'nominal',
        sort: ['predicted', 'actual'],
        scale: { range: [PALETTE[0], PALETTE[1]] },
        title: null,
      },
      tooltip: [
        { field: 'x', title: 'repeat purchases' },
        { field: 'measure' },
        { field: 'purchases', format: '.2f' },
        { field: 'customers', format: ',d' },
      ],
    },
  };
}

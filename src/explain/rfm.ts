import { quantileSorted, sortedFinite } from '../prep/stats.js';

/** One row of the named-segment table: inclusive score ranges; the first matching row wins. */
export interface RfmSegmentRule {
  name: string;
  r: [number, number];
  f: [number, number];
  m: [number, number];
}

/** The R package rfm 0.3.0 table (../shared/docs/REFERENCES.md), for scores 1..5. */
export const RFM_TABLE: RfmSegmentRule[] = [
  { name: 'Champions', r: [5, 5], f: [5, 5], m: [5, 5] },
  { name: 'Potential Loyalist', r: [3, 5], f: [3, 5], m: [2, 5] },
  { name: 'Loyal Customers', r: [2, 4], f: [2, 4], m: [2, 4] },
  { name: 'Promising', r: [3, 4], f: [1, 3], m: [3, 5] },
  { name: 'New Customers', r: [4, 5], f: [1, 3], m: [1, 5] },
  { name: "Can't Lose Them", r: [1, 2], f: [3, 4], m: [4, 5] },
  { name: 'At Risk', r: [1, 2], f: [2, 5], m: [4, 5] },
  { name: 'Need Attention', r: [1, 3], f: [3, 5], m: [3, 5] },
  { name: 'About To Sleep', r: [2, 3], f: [1, 3], m: [1, 4] },
  { name: 'Lost', r: [1, 1], f: [1, 5], m: [1, 5] },
];
export const RFM_OTHERS = 'Others';

/**
 * Score edges as the R package rfm 0.3.0 computes them (its `bins()`): the 1/bins, 2/bins, ...
 * quantiles of the non-missing values (R's default type 7, linear interpolation), plus one.
 */
export function rfmBreaks(values: Float64Array, bins: number): number[] {
  const s = sortedFinite(values);
  return Array.from({ length: bins - 1 }, (_, i) => quantileSorted(s, (i + 1) / bins) + 1);
}

/** How a value scores against its edges: rfm-0.3.0 (the default), or `above` for models saved before. */
export type RfmEdgeRule = 'rfm-0.3.0' | 'above';

/**
 * Score 1..bins of a value as rfm 0.3.0 gives it (score i for edge[i-1] <= v < edge[i]): 1 + the
 * number of edges at or below the value. With whole numbers (orders, days) and the edges' +1 that
 * is "above the quantile". Reversed (recency: fewer days is better) gives bins + 1 - that. Models
 * saved before this rule (`above`) kept raw quantiles and counted the edges strictly below.
 */
export function rfmScore(
  v: number,
  breaks: readonly number[],
  reversed = false,
  rule: RfmEdgeRule = 'rfm-0.3.0',
): number {
  let below = 0;
  if (rule === 'above') {
    for (const b of breaks) if (b < v) below++;
  } else for (const b of breaks) if (b <= v) below++;
  const s = 1 + below;
  return reversed ? breaks.length + 2 - s : s;
}

export const rfmSegment = (
  r: number,
  f: number,
  m: number,
  table: readonly RfmSegmentRule[] = RFM_TABLE,
): string => {
  const hit = table.find(
    (t) => r >= t.r[0] && r <= t.r[1] && f >= t.f[0] && f <= t.f[1] && m >= t.m[0] && m <= t.m[1],
  );
  return hit ? hit.name : RFM_OTHERS;
};

export interface RfmResult {
  breaks: { r: number[]; f: number[]; m: number[] };
  scores: { r: Int32Array; f: Int32Array; m: Int32Array };
  segment: string[];
  counts: Record<string, number>;
}

/** Classic RFM: quantile scores (recency reversed) and the named segment of each customer. */
export function scoreRfm(
  recency: Float64Array,
  frequency: Float64Array,
  monetary: Float64Array,
  bins = 5,
  table: readonly RfmSegmentRule[] = RFM_TABLE,
): RfmResult {
  const breaks = { r: rfmBreaks(recency, bins), f: rfmBreaks(frequency, bins), m: rfmBreaks(monetary, bins) };
  const n = recency.length;
  const r = Int32Array.from({ length: n }, (_, i) => rfmScore(recency[i], breaks.r, true));
  const f = Int32Array.from({ length: n }, (_, i) => rfmScore(frequency[i], breaks.f));
  const m = Int32Array.from({ length: n }, (_, i) => rfmScore(monetary[i], breaks.m));
  const segment = Array.from({ length: n }, (_, i) => rfmSegment(r[i], f[i], m[i], table));
  const counts: Record<string, number> = {};
  for (const s of segment) counts[s] = (counts[s] ?? 0) + 1;
  return { breaks, scores: { r, f, m }, segment, counts };
}

/** Description and recommended action of each named RFM segment. */
export const RFM_ACTIONS: Record<string, { description: string; action: string }> = {
  Champions: {
    description: 'Bought recently, buy often and spend the most.',
    action: 'Reward them: VIP access, early launches, referral asks; no discounts needed.',
  },
  'Potential Loyalist': {
    description: 'Recent customers with good frequency and spend.',
    action: 'Offer membership or loyalty programme; recommend related products.',
  },
  'Loyal Customers': {
    description: 'Buy regularly with steady spend.',
    action: 'Upsell higher-value products; ask for reviews.',
  },
  Promising: {
    description: 'Recent buyers with good spend but few orders yet.',
    action: 'Build the habit: onboarding series, tailored picks, free shipping on the next order.',
  },
  'New Customers': {
    description: 'Bought most recently, not often yet.',
    action: 'Welcome journey and a first-repeat incentive.',
  },
  "Can't Lose Them": {
    description: 'Made big, frequent purchases long ago.',
    action: 'Win them back with renewals or new products; talk to them.',
  },
  'At Risk': {
    description: 'Spent big and often, but not recently.',
    action: 'Personalised win-back e-mails and offers.',
  },
  'Need Attention': {
    description: 'Above-average recency, frequency and spend, slipping.',
    action: 'Limited-time offers based on their past purchases.',
  },
  'About To Sleep': {
    description: 'Below-average recency and frequency.',
    action: 'Share popular products and discounts to reconnect.',
  },
  Lost: {
    description: 'Lowest recency; long gone.',
    action: 'Reactivation only if cheap; otherwise suppress.',
  },
  Others: {
    description: 'Matches none of the named RFM patterns.',
    action: 'Treat by their closest persona; review the RFM table.',
  },
};

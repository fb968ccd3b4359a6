import type { FeatureTable } from '../prep/prepare.js';
import { quantileSorted, sortedFinite } from '../prep/stats.js';
import type { ClaimCheck } from './personas.js';

export interface FeatureStats {
  mean: number | null;
  median: number | null;
  q1: number | null;
  q3: number | null;
  /** Segment mean / mean of all customers. */
  lift: number | null;
  /** (segment mean - mean of all) / standard deviation of all: how unusual the segment is on it. */
  z: number | null;
  /** Share of the segment's customers with no value (imputed for clustering), and of all customers. */
  missing?: number;
  allMissing?: number;
}

export interface SegmentProfile {
  /** Segment id as shown to users: 1..k (cluster label + 1). */
  id: number;
  name: string;
  description: string;
  action: string;
  /** The claims behind the name, checked against this segment's numbers (empty for a name set in the recipe). */
  claims?: ClaimCheck[];
  size: number;
  shareCustomers: number;
  /** Share of total revenue, or null when the run has no revenue feature. */
  shareRevenue: number | null;
  /** Mean of each numeric feature in original units (missing values skipped). */
  means: Record<string, number | null>;
  medians: Record<string, number | null>;
  /** Mean, median, quartiles, lift and standardized difference of each numeric feature. */
  stats: Record<string, FeatureStats>;
  /** The features that most set the segment apart (largest |z|), at most five, with the segment's and all customers' medians. */
  distinguishing: {
    feature: string;
    z: number;
    direction: 'higher' | 'lower';
    median: number | null;
    allMedian: number | null;
    mean: number | null;
    allMean: number | null;
  }[];
  /** Most common value of each categorical feature. */
  modes: Record<string, string | null>;
  /** Bootstrap stability: mean Jaccard of its best match over refits on resamples (cluster.bootstrap); absent when not computed. */
  stability?: number | null;
}

/** Sorted non-missing values of a column (for all customers or some rows). */
const sortedValues = sortedFinite;

function meanSd(v: Float64Array): { mean: number; sd: number } {
  if (!v.length) return { mean: Number.NaN, sd: Number.NaN };
  let s = 0;
  for (const x of v) s += x;
  const mean = s / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / v.length) };
}

/**
 * Per-segment size, shares of customers and revenue, and statistics of every feature in original
 * (unscaled) units: mean, median, quartiles, lift and standardized difference against all
 * customers, and the features that set the segment apart. Names are filled in by the explainer.
 */
export function profileSegments(
  table: FeatureTable,
  labels: Int32Array,
  k: number,
  revenueColumn: string | null,
): SegmentProfile[] {
  const n = labels.length;
  const revenue = revenueColumn ? table.numeric.find((c) => c.name === revenueColumn)?.values : undefined;
  let totalRevenue = 0;
  if (revenue) for (let i = 0; i < n; i++) if (!Number.isNaN(revenue[i])) totalRevenue += revenue[i];
  // Each segment's rows, as one typed array cut by segment (no per-customer JavaScript arrays).
  const start = new Int32Array(k + 1);
  for (let i = 0; i < n; i++) start[labels[i] + 1]++;
  for (let c = 0; c < k; c++) start[c + 1] += start[c];
  const order = new Int32Array(n);
  const next = start.slice(0, k);
  for (let i = 0; i < n; i++) order[next[labels[i]]++] = i;
  const members = Array.from({ length: k }, (_, c) => order.subarray(start[c], start[c + 1]));
  const sortedAll = table.numeric.map((c) => sortedValues(c.values));
  const overall = sortedAll.map((v) => meanSd(v));
  const allMedian = sortedAll.map((v) => (v.length ? quantileSorted(v, 0.5) : null));
  return members.map((rows, label) => {
    const stats: Record<string, FeatureStats> = {};
    table.numeric.forEach((col, j) => {
      const vals = sortedValues(col.values, rows);
      const has = vals.length > 0;
      const { mean } = meanSd(vals);
      const o = overall[j];
      stats[col.name] = {
        missing: rows.length ? (rows.length - vals.length) / rows.length : 0,
        allMissing: n ? (n - sortedAll[j].length) / n : 0,
        mean: has ? mean : null,
        median: has ? quantileSorted(vals, 0.5) : null,
        q1: has ? quantileSorted(vals, 0.25) : null,
        q3: has ? quantileSorted(vals, 0.75) : null,
        lift: has && o.mean ? mean / o.mean : null,
        z: has && o.sd > 0 ? (mean - o.mean) / o.sd : null,
      };
    });
    const distinguishing = Object.entries(stats)
      .filter(([, v]) => v.z !== null)
      .map(([feature, v]) => ({
        feature,
        z: v.z as number,
        direction: (v.z as number) >= 0 ? ('higher' as const) : ('lower' as const),
        median: v.median,
        allMedian: allMedian[table.numeric.findIndex((c) => c.name === feature)],
        mean: v.mean,
        allMean: overall[table.numeric.findIndex((c) => c.name === feature)].mean,
      }))
      .sort((a, b) => Math.abs(b.z) - Math.abs(a.z) || (a.feature < b.feature ? -1 : 1))
      .slice(0, 5);
    const modes: SegmentProfile['modes'] = {};
    for (const col of table.categorical) {
      const counts = new Map<string, number>();
      for (const r of rows) {
        const v = col.values[r];
        if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
      modes[col.name] = top ? top[0] : null;
    }
    let rev = 0;
    if (revenue) for (const r of rows) if (!Number.isNaN(revenue[r])) rev += revenue[r];
    return {
      id: label + 1,
      name: `Segment ${label + 1}`,
      description: '',
      action: '',
      size: rows.length,
      shareCustomers: rows.length / n,
      shareRevenue: revenue && totalRevenue !== 0 ? rev / totalRevenue : null,
      means: Object.fromEntries(Object.entries(stats).map(([f, v]) => [f, v.mean])),
      medians: Object.fromEntries(Object.entries(stats).map(([f, v]) => [f, v.median])),
      stats,
      distinguishing,
      modes,
    };
  });
}

/**
 * Orders cluster labels so that segment ids mean something and do not depend on how k-means
 * happened to number its centres: by revenue (or size) descending, ties by the centre's
 * coordinates. Returns old label -> new id.
 */
export function canonicalOrder(
  labels: Int32Array,
  k: number,
  centers: ArrayLike<number>,
  dim: number,
  value?: Float64Array,
): Int32Array {
  const size = new Float64Array(k);
  const val = new Float64Array(k);
  for (let i = 0; i < labels.length; i++) {
    size[labels[i]]++;
    if (value && !Number.isNaN(value[i])) val[labels[i]] += value[i];
  }
  const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => {
    const byValue = value ? val[b] - val[a] : 0;
    if (byValue !== 0) return byValue;
    if (size[b] !== size[a]) return size[b] - size[a];
    for (let t = 0; t < dim; t++) {
      const e = centers[a * dim + t] - centers[b * dim + t];
      if (e !== 0) return e;
    }
    return a - b;
  });
  const map = new Int32Array(k);
  order.forEach((old, id) => {
    map[old] = id;
  });
  return map;
}

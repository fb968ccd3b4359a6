import type { FeatureTable } from '../prep/prepare.js';
import { quantileSorted } from '../prep/stats.js';

export interface SegmentProfile {
  /** Segment id as shown to users: 1..k (cluster label + 1). */
  id: number;
  name: string;
  size: number;
  shareCustomers: number;
  /** Share of total revenue, or null when the run has no revenue feature. */
  shareRevenue: number | null;
  /** Mean of each numeric feature in original units (missing values skipped). */
  means: Record<string, number | null>;
  medians: Record<string, number | null>;
  /** Most common value of each categorical feature. */
  modes: Record<string, string | null>;
}

/** Per-segment size, shares and feature summaries in original (unscaled) units. */
export function profileSegments(
  table: FeatureTable,
  labels: Int32Array,
  k: number,
  revenueColumn: string | null,
  names: (id: number) => string,
): SegmentProfile[] {
  const n = labels.length;
  const revenue = revenueColumn ? table.numeric.find((c) => c.name === revenueColumn)?.values : undefined;
  let totalRevenue = 0;
  if (revenue) for (let i = 0; i < n; i++) if (!Number.isNaN(revenue[i])) totalRevenue += revenue[i];
  const members: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < n; i++) members[labels[i]].push(i);
  return members.map((rows, label) => {
    const id = label + 1;
    const means: SegmentProfile['means'] = {};
    const medians: SegmentProfile['medians'] = {};
    for (const col of table.numeric) {
      const vals = Float64Array.from(rows.map((r) => col.values[r]).filter((v) => !Number.isNaN(v))).sort();
      let s = 0;
      for (const v of vals) s += v;
      means[col.name] = vals.length ? s / vals.length : null;
      medians[col.name] = vals.length ? quantileSorted(vals, 0.5) : null;
    }
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
      id,
      name: names(id),
      size: rows.length,
      shareCustomers: rows.length / n,
      shareRevenue: revenue && totalRevenue !== 0 ? rev / totalRevenue : null,
      means,
      medians,
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

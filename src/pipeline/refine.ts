import { type Fitters, selectModel } from '../cluster/select.js';
import type { ClusterSpec, Recipe, RefineSpec } from '../config/recipe.js';
import { append, maxOf } from '../core/arrays.js';
import type { Warning } from '../core/errors.js';
import { ruleMatrix, type SegmentRule, segmentRule, treeParamsFor } from '../explain/explain.js';
import type { FeatureColumn } from '../features/build.js';
import { type FeatureTable, fitPrep, type PrepParams } from '../prep/prepare.js';

export interface Refinement {
  segmentId: number;
  /** Why this segment. */
  reason: string;
  k: number;
  /** Sub-segment ids "2.1", "2.2", ... by value score, best first. */
  subsegments: { id: string; size: number; valueScore: number; means: Record<string, number | null> }[];
  targetId: string;
  target: string;
  /** Per customer (all of them): the sub-segment id or null, and the 0/1 target flag. */
  subsegmentOf: (string | null)[];
  flag: Int32Array;
  /** For scoring: the refit preparation and the sub-segment centres in its space. */
  prep: PrepParams;
  centers: number[];
  /** The rule that finds the target among all customers. */
  rule: SegmentRule | null;
  valueFeatures: string[];
  warnings: Warning[];
}

/** Value score of a group: the sum over `by` of (group mean - overall mean) / overall sd. */
function valueScore(table: FeatureTable, rows: number[], by: string[]): number {
  let score = 0;
  for (const f of by) {
    const col = table.numeric.find((c) => c.name === f)?.values;
    if (!col) continue;
    let s = 0;
    let n = 0;
    let ss = 0;
    for (let i = 0; i < col.length; i++) {
      if (Number.isNaN(col[i])) continue;
      s += col[i];
      ss += col[i] * col[i];
      n++;
    }
    const mean = s / n;
    const sd = Math.sqrt(Math.max(0, ss / n - mean * mean));
    let gs = 0;
    let gn = 0;
    for (const r of rows) {
      if (Number.isNaN(col[r])) continue;
      gs += col[r];
      gn++;
    }
    if (gn && sd > 0) score += (gs / gn - mean) / sd;
  }
  return score;
}

const VALUE_KINDS = new Set([
  'monetary',
  'frequency',
  'avg_order_value',
  'sessions',
  'avg_session_minutes',
  'event_count',
]);

/**
 * The two-stage flow: pick a segment (by id, or the one with the best value score), re-cluster
 * its customers with the preparation refit on them, flag the sub-segment with the best value score
 * as the target, and learn a decision-tree rule that finds the target among all customers.
 */
export async function refineSegment(
  table: FeatureTable,
  columns: FeatureColumn[],
  labels: Int32Array,
  k: number,
  recipe: Recipe,
  spec: RefineSpec,
  fitters: Fitters,
): Promise<Refinement | null> {
  const warnings: Warning[] = [];
  const by = (
    spec.by ?? columns.filter((c) => c.type === 'numeric' && VALUE_KINDS.has(c.feature)).map((c) => c.name)
  ).filter((f) => table.numeric.some((c) => c.name === f));
  const members: number[][] = Array.from({ length: k }, () => []);
  for (let i = 0; i < labels.length; i++) members[labels[i]].push(i);
  let label: number;
  let reason: string;
  if (spec.segment === 'top') {
    const scores = members.map((rows) =>
      valueScore(table, rows, by.length ? by : table.numeric.map((c) => c.name)),
    );
    label = scores.indexOf(maxOf(scores));
    reason = `segment ${label + 1} has the highest value score (${scores[label].toFixed(2)}) on ${by.join(', ') || 'all features'}`;
  } else {
    label = spec.segment - 1;
    reason = `segment ${spec.segment} is named by the recipe`;
    if (label >= k) {
      warnings.push({
        code: 'REFINE_NO_SEGMENT',
        message: `refine.segment is ${spec.segment} but the run has ${k} segments; nothing was refined.`,
        where: { path: 'refine.segment' },
      });
      return null;
    }
  }
  const rows = members[label];
  const kMin = typeof spec.k === 'number' ? spec.k : spec.k.min;
  if (rows.length < 2 * kMin) {
    warnings.push({
      code: 'REFINE_TOO_SMALL',
      message: `Segment ${label + 1} has ${rows.length} customer(s), too few to split into ${kMin}; nothing was refined.`,
    });
    return null;
  }
  const sub: FeatureTable = {
    ids: rows.map((r) => table.ids[r]),
    numeric: table.numeric.map((c) => ({
      name: c.name,
      values: Float64Array.from(rows, (r) => c.values[r]),
    })),
    categorical: table.categorical.map((c) => ({ name: c.name, values: rows.map((r) => c.values[r]) })),
  };
  const prep = fitPrep(sub, recipe.prep);
  append(
    warnings,
    prep.warnings.map((w) => ({ ...w, message: `refine: ${w.message}` })),
  );
  const spec2: ClusterSpec = { ...recipe.cluster, k: spec.k, stabilityRuns: 0 };
  const sel = await selectModel(prep.matrix, spec2, { fitters });
  const subMembers: number[][] = Array.from({ length: sel.k }, () => []);
  sel.fit.labels.forEach((l, i) => {
    subMembers[l].push(i);
  });
  const subScores = subMembers.map((m) =>
    valueScore(sub, m, by.length ? by : sub.numeric.map((c) => c.name)),
  );
  const order = subScores.map((_, i) => i).sort((a, b) => subScores[b] - subScores[a] || a - b);
  const rank = new Int32Array(sel.k);
  order.forEach((old, r) => {
    rank[old] = r;
  });
  const segId = label + 1;
  const subsegments = order.map((old, r) => ({
    id: `${segId}.${r + 1}`,
    size: subMembers[old].length,
    valueScore: subScores[old],
    means: Object.fromEntries(
      sub.numeric.map((c) => {
        const v = Float64Array.from(subMembers[old], (i) => c.values[i])
          .filter((x) => !Number.isNaN(x))
          .sort();
        return [c.name, v.length ? v.reduce((a, b) => a + b, 0) / v.length : null];
      }),
    ),
  }));
  if (subsegments.some((s) => s.size === 0))
    warnings.push({ code: 'REFINE_EMPTY', message: `refine: a sub-segment of segment ${segId} is empty.` });
  const d = prep.matrix.cols;
  const centers = new Array<number>(sel.k * d);
  for (let c = 0; c < sel.k; c++)
    for (let t = 0; t < d; t++) centers[rank[c] * d + t] = sel.fit.centers[c * d + t];
  const subsegmentOf: (string | null)[] = new Array(labels.length).fill(null);
  const flag = new Int32Array(labels.length);
  rows.forEach((r, i) => {
    const rr = rank[sel.fit.labels[i]];
    subsegmentOf[r] = `${segId}.${rr + 1}`;
    if (rr === 0) flag[r] = 1;
  });
  // The rule for the target, on every customer's original-unit features.
  const { X, names } = ruleMatrix(table);
  const rule = names.length
    ? segmentRule(
        X,
        names,
        flag,
        segId,
        spec.target.replace(/_/g, ' '),
        treeParamsFor(recipe.explain, labels.length, recipe.cluster.seed),
        recipe.explain,
        recipe.cluster.seed,
      )
    : null;
  return {
    segmentId: segId,
    reason,
    k: sel.k,
    subsegments,
    targetId: `${segId}.1`,
    target: spec.target,
    subsegmentOf,
    flag,
    prep: prep.params,
    centers,
    rule,
    valueFeatures: by,
    warnings,
  };
}

import { type Engine, type EngineParams, engineQuantiles } from '../engine/engine.js';
import { sqlKit } from '../model/sql.js';

export interface ColumnSummary {
  name: string;
  type: string;
  nulls: number;
  /** Distinct values; null where not counted (inside an engine, where it would cost a sort per column). */
  distinct: number | null;
  min: string | null;
  max: string | null;
  top: { value: string; count: number }[];
}

export interface Histogram {
  /** Lower edge of each bin; the last bin also holds everything above the 99th percentile. */
  edges: number[];
  width: number;
  counts: number[];
  /** Values at or above the last edge (the tail beyond the 99th percentile), in the last bin. */
  tail: number;
  median: number | null;
}

export interface DataOverview {
  sources: {
    name: string;
    kind: string;
    file: string;
    rows: number;
    dateRange: { from: string; to: string } | null;
    columns: ColumnSummary[];
  }[];
  distributions: {
    orderValue: Histogram | null;
    itemsPerOrder: Histogram | null;
    ordersPerCustomer: Histogram | null;
  };
}

/**
 * A histogram of `expr` over `from` with `bins` equal bins up to the 99th percentile, computed in
 * the engine (any dialect): the quantiles through the engine's own, the bins by floor().
 */
export async function histogram(
  engine: Pick<Engine, 'dialect' | 'all'>,
  from: string,
  expr: string,
  params: EngineParams = {},
  bins = 24,
): Promise<Histogram | null> {
  const rel = `(SELECT ${expr} AS v FROM ${from}) AS h`;
  const r = (await engine.all(`SELECT min(v) AS lo, count(v) AS n FROM ${rel}`, params))[0] ?? {};
  if (!Number(r.n)) return null;
  const [p99, med] = await engineQuantiles(
    engine,
    rel,
    [
      { expr: 'v', p: 0.99 },
      { expr: 'v', p: 0.5 },
    ],
    params,
  );
  const lo = Number(r.lo);
  const hi = Number(p99) > lo ? Number(p99) : lo + 1;
  const width = (hi - lo) / bins;
  // The edges are numbers segmint computed, written as typed literals (a bound parameter would
  // take the type of the column it meets, an integer count in PostgreSQL).
  const { fx, num } = sqlKit(engine.dialect);
  const bin = `floor((${fx.double('v')} - ${num(lo)}) / ${num(width)})`;
  const rows = await engine.all(
    `SELECT ${bin} AS b, count(*) AS c, sum(CASE WHEN ${fx.double('v')} >= ${num(hi)} THEN 1 ELSE 0 END) AS t FROM ${rel} WHERE v IS NOT NULL GROUP BY ${bin}`,
    params,
  );
  const counts = new Array(bins).fill(0);
  let tail = 0;
  for (const row of rows) {
    counts[Math.min(Math.max(Number(row.b), 0), bins - 1)] += Number(row.c);
    tail += Number(row.t);
  }
  return { edges: counts.map((_, i) => lo + i * width), width, counts, tail, median: med };
}

/** The order distributions the report draws, from the cleaned lines of the window (any engine). */
export async function orderDistributions(
  engine: Pick<Engine, 'dialect' | 'all'>,
  tx: string | null,
  params: EngineParams,
): Promise<DataOverview['distributions']> {
  if (!tx) return { orderValue: null, itemsPerOrder: null, ordersPerCustomer: null };
  const { fx } = sqlKit(engine.dialect);
  const orders = `(SELECT customer_id, order_id, ${fx.agg('sum', 'amount')} AS value, ${fx.agg('sum', 'quantity')} AS items FROM ${tx} WHERE NOT is_return GROUP BY customer_id, order_id) AS o`;
  return {
    orderValue: await histogram(engine, orders, 'value', params),
    itemsPerOrder: await histogram(engine, orders, 'items', params),
    ordersPerCustomer: await histogram(
      engine,
      `(SELECT customer_id, count(*) AS n FROM ${orders} GROUP BY customer_id) AS pc`,
      'n',
      params,
    ),
  };
}

import { sqlKit } from '../model/sql.js';
import type { CleanResult } from './clean.js';
import { type Duck, isNumericType, isTemporalType, qi } from './duck.js';
import type { LoadedSource } from './sources.js';

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

/** A histogram of `expr` over `from` with `bins` equal bins up to the 99th percentile. */
async function histogram(duck: Duck, from: string, expr: string, bins = 24): Promise<Histogram | null> {
  const r = await duck.one(
    `SELECT min(v) AS lo, quantile_cont(v, 0.99) AS hi, median(v) AS med, count(v) AS n FROM (SELECT ${expr} AS v FROM ${from})`,
  );
  if (!Number(r.n)) return null;
  const lo = Number(r.lo);
  const hi = Number(r.hi) > lo ? Number(r.hi) : lo + 1;
  const width = (hi - lo) / bins;
  const rows = await duck.all(
    `SELECT least(CAST(floor((v - $lo) / $w) AS INTEGER), ${bins - 1}) AS b, count(*) AS c, count(*) FILTER (WHERE v >= $hi) AS t FROM (SELECT ${expr} AS v FROM ${from}) WHERE v IS NOT NULL GROUP BY 1 ORDER BY 1`,
    { lo, w: width, hi },
  );
  const counts = new Array(bins).fill(0);
  let tail = 0;
  for (const row of rows) {
    counts[Number(row.b)] = Number(row.c);
    tail += Number(row.t);
  }
  return {
    edges: counts.map((_, i) => lo + i * width),
    width,
    counts,
    tail,
    median: r.med === null ? null : Number(r.med),
  };
}

/** What the report shows of the data: per source rows, columns and top values; order distributions. */
export async function dataOverview(
  duck: Duck,
  sources: Map<string, LoadedSource>,
  data: CleanResult,
): Promise<DataOverview> {
  const out: DataOverview = {
    sources: [],
    distributions: { orderValue: null, itemsPerOrder: null, ordersPerCustomer: null },
  };
  for (const src of sources.values()) {
    const cols: ColumnSummary[] = [];
    for (const c of src.columns) {
      if (c.name === '__row') continue;
      const q = qi(c.name);
      const r = await duck.one(
        `SELECT count(*) - count(${q}) AS nulls, approx_count_distinct(${q}) AS d, CAST(min(${q}) AS VARCHAR) AS mn, CAST(max(${q}) AS VARCHAR) AS mx FROM ${qi(src.table)}`,
      );
      const top =
        isNumericType(c.type) || isTemporalType(c.type)
          ? []
          : await duck.all(
              `SELECT CAST(${q} AS VARCHAR) AS v, count(*) AS c FROM ${qi(src.table)} WHERE ${q} IS NOT NULL GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 5`,
            );
      cols.push({
        name: c.name,
        type: c.type,
        nulls: Number(r.nulls),
        distinct: Number(r.d),
        min: r.mn === null ? null : String(r.mn),
        max: r.mx === null ? null : String(r.mx),
        top: top.map((t) => ({ value: String(t.v), count: Number(t.c) })),
      });
    }
    let dateRange: { from: string; to: string } | null = null;
    if (src.spec.kind === 'transactions' && data.has.transactions) {
      const r = await duck.one(
        "SELECT strftime(min(ts), '%Y-%m-%d') AS a, strftime(max(ts), '%Y-%m-%d') AS b FROM tx_hist",
      );
      if (r.a) dateRange = { from: String(r.a), to: String(r.b) };
    }
    out.sources.push({
      name: src.name,
      kind: src.spec.kind,
      file: src.file,
      rows: src.rows,
      dateRange,
      columns: cols,
    });
  }
  if (data.has.transactions) {
    const { fx } = sqlKit('duckdb');
    const orders = `(SELECT customer_id, order_id, ${fx.agg('sum', 'amount')} AS value, ${fx.agg('sum', 'quantity')} AS items FROM tx WHERE NOT is_return GROUP BY 1, 2)`;
    out.distributions.orderValue = await histogram(duck, orders, 'value');
    out.distributions.itemsPerOrder = await histogram(duck, orders, 'items');
    out.distributions.ordersPerCustomer = await histogram(
      duck,
      `(SELECT customer_id, count(*) AS n FROM ${orders} GROUP BY 1)`,
      'n',
    );
  }
  return out;
}

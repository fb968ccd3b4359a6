import type { SqlKit } from '../sql/dialect.js';

export interface SummaryRows {
  ids: string[];
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  /** Mean value of the repeat purchases (0 when none). */
  m: Float64Array;
  /** Purchases after the calibration end, up to the reference date (for validation). */
  holdout: Float64Array;
}

/**
 * The buy-till-you-die summary per customer from cleaned transactions (customer_id, ts, amount,
 * is_return), as Fader and Hardie define it: purchases are counted by day (same-day lines are one
 * purchase, their values added); x is the number of purchase days after the first, up to the
 * calibration end; t_x the time of the last of them after the first; T the time from the first
 * purchase to the calibration end; m the mean value of the repeat purchases.
 *
 * The summary as one SELECT in a dialect over a cleaned transactions relation (`$end`: the
 * calibration end), for the customers of relation `customers` (all when null). One join per
 * SELECT and no CTE, so ClickHouse 18 runs it too.
 */
export function summarySql(kit: SqlKit, transactions: string, customers: string | null): string {
  const { fx } = kit;
  const end = fx.date('$end');
  const repeat = `d > first AND d <= ${end}`;
  return `SELECT customer_id AS id,
       ${fx.agg('count', null, repeat)} AS x,
       coalesce(${fx.days('first', fx.agg('max', 'd', `d <= ${end}`))}, 0) AS txd,
       ${fx.days('first', end)} AS td,
       coalesce(${fx.agg('avg', 'v', repeat)}, 0) AS m,
       ${fx.agg('count', null, `d > ${end}`)} AS holdout
     FROM (SELECT customer_id, ${fx.date('ts')} AS d, ${fx.agg('sum', 'amount')} AS v FROM ${transactions} WHERE NOT is_return GROUP BY customer_id, d) AS days
     JOIN (SELECT customer_id, min(${fx.date('ts')}) AS first FROM ${transactions} WHERE NOT is_return GROUP BY customer_id) AS firsts USING (customer_id)
     WHERE first <= ${end}${customers ? ` AND customer_id IN (SELECT customer_id FROM ${customers})` : ''}
     GROUP BY customer_id, first`;
}

/** SummaryRows from the rows of summarySql, ordered by customer id (as the features table). */
export function summaryRows(rows: Record<string, unknown>[], unitDays: number): SummaryRows {
  rows.sort((a, b) => (String(a.id) < String(b.id) ? -1 : String(a.id) > String(b.id) ? 1 : 0));
  return {
    ids: rows.map((r) => String(r.id)),
    x: Float64Array.from(rows, (r) => Number(r.x)),
    tx: Float64Array.from(rows, (r) => Number(r.txd) / unitDays),
    T: Float64Array.from(rows, (r) => Number(r.td) / unitDays),
    m: Float64Array.from(rows, (r) => Number(r.m)),
    holdout: Float64Array.from(rows, (r) => Number(r.holdout)),
  };
}

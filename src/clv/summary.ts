import { type Duck, qi } from '../data/duck.js';

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
 * The buy-till-you-die summary per customer from a cleaned transactions table (customer_id, ts,
 * amount, is_return), as Fader and Hardie define it: purchases are counted by day (same-day lines
 * are one purchase, their values added); x is the number of purchase days after the first, up to the
 * calibration end; t_x the time of the last of them after the first; T the time from the first
 * purchase to the calibration end; m the mean value of the repeat purchases. Times in `unit` days.
 */
export async function summaryData(
  duck: Duck,
  table: string,
  calibrationEnd: string,
  unitDays: number,
  customers?: string,
): Promise<SummaryRows> {
  const rows = await duck.all(
    `WITH days AS (
       SELECT customer_id, CAST(ts AS DATE) AS d, sum(amount) AS v FROM ${qi(table)} WHERE NOT is_return GROUP BY 1, 2
     ), firsts AS (SELECT customer_id, min(d) AS first FROM days GROUP BY 1)
     SELECT f.customer_id AS id,
       count(*) FILTER (WHERE d > f.first AND d <= CAST($end AS DATE)) AS x,
       coalesce(date_diff('day', f.first, max(d) FILTER (WHERE d <= CAST($end AS DATE))), 0) AS txd,
       date_diff('day', f.first, CAST($end AS DATE)) AS td,
       coalesce(avg(v) FILTER (WHERE d > f.first AND d <= CAST($end AS DATE)), 0) AS m,
       count(*) FILTER (WHERE d > CAST($end AS DATE)) AS holdout
     FROM days JOIN firsts f USING (customer_id)
     WHERE f.first <= CAST($end AS DATE) ${customers ? `AND f.customer_id IN (SELECT customer_id FROM ${qi(customers)})` : ''}
     GROUP BY f.customer_id, f.first ORDER BY f.customer_id`,
    { end: calibrationEnd },
  );
  return {
    ids: rows.map((r) => String(r.id)),
    x: Float64Array.from(rows, (r) => Number(r.x)),
    tx: Float64Array.from(rows, (r) => Number(r.txd) / unitDays),
    T: Float64Array.from(rows, (r) => Number(r.td) / unitDays),
    m: Float64Array.from(rows, (r) => Number(r.m)),
    holdout: Float64Array.from(rows, (r) => Number(r.holdout)),
  };
}

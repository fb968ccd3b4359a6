import { append } from '../core/arrays.js';
import type { ColumnSummary, DataOverview, Histogram } from '../data/overview.js';
import { PURCHASE_ORDER } from '../features/orders.js';
import { COLUMN_TYPES, sqlKit } from '../sql/dialect.js';
import type { EngineParams, Queryable, Row } from '../sql/query.js';
import { AGGREGATE_SLICE, aggregateRow, engineQuantiles } from '../sql/tables.js';

/** A column of a table in an engine, summarised as `segmint inspect` shows a file's. */
export interface EngineColumnSummary extends ColumnSummary {
  mean: number | null;
  q25: number | null;
  median: number | null;
  q75: number | null;
}

/**
 * Nulls, min and max of every column of a table in an engine, in one scan. With `detail: true`
 * (what `segmint inspect` asks for) also the exact distinct count, the mean and quartiles of numbers,
 * numbers stored as text read as numbers, and the five most frequent values of text columns, which
 * cost a sort or hash per column; with 'counts' (the run's data overview) the distinct counts and
 * top values only.
 */
export async function summarizeTable(
  engine: Queryable,
  table: string,
  columns: { name: string; type: string }[],
  detail: boolean | 'counts' = false,
  /** When given, only these columns get the detail (distinct counts, top values); the others nulls, min and max. */
  detailed?: ReadonlySet<string>,
): Promise<EngineColumnSummary[]> {
  const kit = sqlKit(engine.dialect);
  const { q, fx } = kit;
  const ref = table.split('.').map(q).join('.');
  const plain = (c: { name: string; type: string }) =>
    !COLUMN_TYPES.numeric(c.type) && !COLUMN_TYPES.temporal(c.type) && !COLUMN_TYPES.boolean(c.type);
  // Numbers stored as text ("1286.01" in a text column) are summarised as numbers: text order
  // would call "99.99" the maximum.
  // 'counts' (the run's data overview): distinct counts and top values, no quartiles.
  const full = detail === true;
  const textual = full ? columns.filter(plain) : [];
  const asText = (c: { name: string }) => fx.trim(fx.text(q(c.name)));
  // Wide tables are summarised a slice of columns at a time (aggregateRow).
  const row = (parts: string[]): Promise<Row> => aggregateRow(engine, ref, parts);
  const counts: Row = await row(
    textual.flatMap((c, i) => [
      `sum(CASE WHEN ${q(c.name)} IS NOT NULL AND ${asText(c)} <> '' THEN 1 ELSE 0 END) AS e${i}`,
      `sum(CASE WHEN ${fx.parseDouble(asText(c))} IS NOT NULL THEN 1 ELSE 0 END) AS p${i}`,
    ]),
  );
  const numericText = new Set(
    textual
      .filter(
        (_, i) => Number(counts[`e${i}`] ?? 0) > 0 && Number(counts[`e${i}`]) === Number(counts[`p${i}`]),
      )
      .map((c) => c.name),
  );
  const cols = columns.map((c, i) => ({
    ...c,
    i,
    num: COLUMN_TYPES.numeric(c.type) || numericText.has(c.name),
    value: numericText.has(c.name) ? fx.parseDouble(asText(c)) : q(c.name),
  }));
  /** Whether a column's top values are listed: text (not numbers, not times). */
  const detailOf = (c: { name: string }) => !!detail && (!detailed || detailed.has(c.name));
  const topOf = (c: (typeof cols)[number]) => detailOf(c) && !c.num && !COLUMN_TYPES.temporal(c.type);
  const sel = cols.flatMap((c) => [
    `count(*) - count(${q(c.name)}) AS n${c.i}`,
    COLUMN_TYPES.boolean(c.type) ? `${fx.nullText} AS lo${c.i}` : `${fx.text(`min(${c.value})`)} AS lo${c.i}`,
    COLUMN_TYPES.boolean(c.type) ? `${fx.nullText} AS hi${c.i}` : `${fx.text(`max(${c.value})`)} AS hi${c.i}`,
    // A text column's distinct count comes with its top values (one grouping), where the
    // dialect counts the groups in the same query.
    ...(detailOf(c) && !(kit.d.windows && topOf(c))
      ? [`${fx.agg('countDistinct', q(c.name))} AS d${c.i}`]
      : []),
    ...(full && c.num ? [`avg(${fx.double(c.value)}) AS m${c.i}`] : []),
  ]);
  const r: Row = await row(sel);
  const text = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const numeric = cols.filter((c) => c.num);
  const wanted = numeric.flatMap((c) => [0.25, 0.5, 0.75].map((p) => ({ expr: fx.double(c.value), p })));
  const qs: (number | null)[] = [];
  for (let i = 0; full && i < wanted.length; i += AGGREGATE_SLICE)
    append(qs, await engineQuantiles(engine, ref, wanted.slice(i, i + AGGREGATE_SLICE)));
  const out: EngineColumnSummary[] = [];
  for (const c of cols) {
    const k = numeric.indexOf(c);
    const top = topOf(c)
      ? await engine.all(
          `SELECT ${fx.text(q(c.name))} AS v, count(*) AS n${kit.d.windows ? ', count(*) OVER () AS d' : ''} FROM ${ref} WHERE ${q(c.name)} IS NOT NULL GROUP BY ${fx.text(q(c.name))} ORDER BY n DESC, v LIMIT 5`,
        )
      : [];
    const distinct = !detailOf(c)
      ? null
      : kit.d.windows && topOf(c)
        ? Number(top[0]?.d ?? 0)
        : Number(r[`d${c.i}`] ?? 0);
    out.push({
      name: c.name,
      type: numericText.has(c.name) ? `${c.type} (numbers as text)` : c.type,
      nulls: Number(r[`n${c.i}`] ?? 0),
      distinct,
      min: text(r[`lo${c.i}`]),
      max: text(r[`hi${c.i}`]),
      top: top.map((t) => ({ value: String(t.v), count: Number(t.n) })),
      mean: full && c.num && r[`m${c.i}`] !== null ? Number(r[`m${c.i}`]) : null,
      q25: k >= 0 ? (qs[3 * k] ?? null) : null,
      median: k >= 0 ? (qs[3 * k + 1] ?? null) : null,
      q75: k >= 0 ? (qs[3 * k + 2] ?? null) : null,
    });
  }
  return out;
}

/**
 * A histogram of `expr` over `from` with `bins` equal bins up to the 99th percentile, computed in
 * the engine (any dialect): the quantiles through the engine's own, the bins by floor().
 */
export async function histogram(
  engine: Queryable,
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

/**
 * The order distributions the report draws, from the window's orders (features/orders.ts: the
 * temporary table where the engine has one, else its query): orders with a purchase line, their
 * value and items, and orders per customer.
 */
export async function orderDistributions(
  engine: Queryable,
  ord: string | null,
  params: EngineParams,
): Promise<DataOverview['distributions']> {
  if (!ord) return { orderValue: null, itemsPerOrder: null, ordersPerCustomer: null };
  const { fx } = sqlKit(engine.dialect);
  const orders = `(SELECT customer_id, ${fx.fromExact('value')} AS value, ${fx.fromExact('items')} AS items FROM ${ord} WHERE ${PURCHASE_ORDER}) AS o`;
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

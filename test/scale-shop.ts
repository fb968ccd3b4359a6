// An Online Retail-shaped order-lines file at any size, written by DuckDB from a seed (no row is
// held in JavaScript): the scale test and bench/scale.ts use it. Columns as Online Retail II:
// Invoice, StockCode, Description, Quantity, InvoiceDate, Price, Customer ID, Country. Customers
// differ in how often they buy (a skewed order count), how many lines an order has, how much they
// spend and how recently they were active, so a segmentation has something to find; ~1% of lines
// are cancellations (C-invoices), ~2% lack a customer, ~0.3% are exact duplicates, postage lines
// are mixed in.
import { Duck } from '../src/sql/duckdb.js';

/** The roles of Online Retail II's columns (this file's, the demo's, the fixtures'), as a recipe's transactions source names them. */
export const ONLINE_RETAIL_ROLES = {
  customer: 'Customer ID',
  order: 'Invoice',
  time: 'InvoiceDate',
  quantity: 'Quantity',
  price: 'Price',
  product: 'StockCode',
  country: 'Country',
};

export interface ScaleShop {
  lines: number;
  customers: number;
}

/**
 * Writes `path` (CSV) with about `customers` x `linesPerCustomer` lines. Deterministic for a given
 * seed and DuckDB version (hash() of the seed and row numbers stands in for random draws).
 */
export async function writeScaleShop(
  path: string,
  opts: { customers: number; linesPerCustomer: number; seed: number; threads?: number },
): Promise<ScaleShop> {
  const duck = await Duck.open(':memory:', opts.threads);
  try {
    // u(x): a uniform draw in [0, 1) from the seed and a key.
    const u = (key: string) => `((hash($seed, ${key}) % 1000003) / 1000003.0)`;
    // Orders per customer: 1 + a geometric-ish count whose mean depends on the customer's kind;
    // lines per order so that the mean lines per customer is about linesPerCustomer.
    await duck.exec(
      `CREATE TEMP TABLE c AS
       SELECT i AS cid,
              ${u("i, 'kind'")} AS kind,
              ${u("i, 'last'")} AS last_u,
              ${u("i, 'country'")} AS cu
       FROM range($n) t(i)`,
      { n: opts.customers, seed: opts.seed },
    );
    await duck.exec(
      `CREATE TEMP TABLE o AS
       SELECT cid, o AS ord, cu,
              -- heavy buyers (kind < 0.15) buy often and recently; lapsed ones (kind > 0.7) stopped
              CASE WHEN kind < 0.15 THEN 1.0 WHEN kind > 0.7 THEN 0.35 ELSE 0.7 END * last_u AS act,
              kind
       FROM c, LATERAL (SELECT unnest(range(1 + CAST(floor(-ln(1 - ${u("cid, 'n'")}) *
              CASE WHEN kind < 0.15 THEN 9 WHEN kind < 0.5 THEN 2.5 ELSE 0.8 END) AS BIGINT))) AS o)`,
      { seed: opts.seed },
    );
    const meanOrders = Number(
      (await duck.all('SELECT count(*)::DOUBLE / count(DISTINCT cid) AS m FROM o'))[0].m,
    );
    const perOrder = Math.max(1, opts.linesPerCustomer / meanOrders);
    await duck.exec(
      `COPY (
        WITH od AS (
          SELECT cid, ord, cu, kind,
                 row_number() OVER (ORDER BY cid, ord) AS oid,
                 -- the order's day: customers are active up to (act) of the year, orders spread before
                 TIMESTAMP '2010-12-01 08:00:00'
                   + to_days(CAST(floor(373 * greatest(0, act - 0.6 * ${u("cid, ord, 'd'")})) AS INTEGER))
                   + to_minutes(CAST(floor(600 * ${u("cid, ord, 'm'")}) AS INTEGER)) AS ts,
                 1 + CAST(floor(-ln(1 - ${u("cid, ord, 'l'")}) * $perOrder * 0.999) AS BIGINT) AS nl
          FROM o
        ), ln AS (
          SELECT od.*, l, ${u("oid, l, 'p'")} AS pu, ${u("oid, l, 'q'")} AS qu
          FROM od, LATERAL (SELECT unnest(range(nl)) AS l)
        ), shaped AS (
          SELECT
            CASE WHEN ${u("oid, 'cancel'")} < 0.01 THEN 'C' ELSE '' END || CAST(489434 + oid AS VARCHAR) AS "Invoice",
            CASE WHEN l = 0 AND ${u("oid, 'post'")} < 0.05 THEN 'POST' ELSE CAST(20000 + CAST(floor(pu * 4000) AS BIGINT) AS VARCHAR) END AS "StockCode",
            'ITEM ' || CAST(CAST(floor(pu * 4000) AS BIGINT) AS VARCHAR) AS "Description",
            (CASE WHEN ${u("oid, 'cancel'")} < 0.01 THEN -1 ELSE 1 END)
              * (1 + CAST(floor(qu * CASE WHEN kind < 0.15 THEN 24 ELSE 8 END) AS BIGINT)) AS "Quantity",
            strftime(ts, '%Y-%m-%d %H:%M:%S') AS "InvoiceDate",
            round(0.29 + exp(0.6 + 0.8 * sqrt(-2 * ln(1 - pu)) * cos(6.283185307179586 * qu)) , 2) AS "Price",
            CASE WHEN ${u("oid, 'anon'")} < 0.02 THEN NULL ELSE CAST(12346 + cid AS VARCHAR) || '.0' END AS "Customer ID",
            CASE WHEN cu < 0.88 THEN 'United Kingdom' WHEN cu < 0.91 THEN 'Germany' WHEN cu < 0.94 THEN 'France'
                 WHEN cu < 0.96 THEN 'EIRE' ELSE 'Netherlands' END AS "Country",
            oid, l
          FROM ln
        )
        SELECT "Invoice", "StockCode", "Description", "Quantity", "InvoiceDate", "Price", "Customer ID", "Country"
        FROM shaped, LATERAL (SELECT unnest(range(CASE WHEN ${u("oid, l, 'dup'")} < 0.003 THEN 2 ELSE 1 END)))
        ORDER BY oid, l
      ) TO '${path.replace(/'/g, "''")}' (HEADER, DELIMITER ',')`,
      { seed: opts.seed, perOrder },
    );
    const stats = await duck.all(
      `SELECT count(*) AS lines, count(DISTINCT "Customer ID") AS customers FROM read_csv($p, types = {'Customer ID': 'VARCHAR'})`,
      { p: path },
    );
    return { lines: Number(stats[0].lines), customers: Number(stats[0].customers) };
  } finally {
    duck.close();
  }
}

import { SegmintError } from '../core/errors.js';
import { COLUMN_TYPES, replaceTableSql, sqlKit, tableRef } from './dialect.js';
import type { Duck } from './duckdb.js';
import {
  createTableSql,
  type Engine,
  type EngineColumn,
  type EngineParams,
  type Queryable,
  type Row,
} from './query.js';

/** Table swaps (a failure leaves the last good table) and quantiles computed in the engine. */

/**
 * Runs the statements that replace a table: in one transaction where the engine has transactional
 * DDL (DuckDB, PostgreSQL), so a failure changes nothing; elsewhere (ClickHouse) staged and renamed,
 * so a failure leaves the last good table.
 */
async function swap(engine: Engine, steps: string[], params?: EngineParams): Promise<void> {
  const tx = sqlKit(engine.dialect).d.transactionalDdl;
  if (tx) await engine.exec('BEGIN TRANSACTION');
  try {
    for (const sql of steps) await engine.exec(sql, params);
    if (tx) await engine.exec('COMMIT');
  } catch (e) {
    if (tx) await engine.exec('ROLLBACK').catch(() => {});
    throw e;
  }
}

/**
 * Replaces table `name` in the engine by the rows of `select` (with bound parameters): a typed
 * staging table is filled by INSERT ... SELECT (PostgreSQL takes no parameters in CREATE TABLE AS),
 * then swapped in.
 */
export async function replaceTable(
  engine: Engine,
  name: string,
  columns: EngineColumn[],
  select: string,
  params?: EngineParams,
): Promise<void> {
  const kit = sqlKit(engine.dialect);
  await swap(
    engine,
    replaceTableSql(name, select, engine.dialect, (staging) => [
      createTableSql(staging, columns, engine.dialect),
      `INSERT INTO ${staging.split('.').map(kit.q).join('.')} (${columns.map((c) => kit.q(c.name)).join(', ')}) ${select}`,
    ]),
    params,
  );
}

/** Replaces table `name` by CREATE TABLE AS `select` (no parameters), staged and swapped in; returns its rows. */
export async function replaceTableAs(engine: Engine, name: string, select: string): Promise<number> {
  await swap(engine, replaceTableSql(name, select, engine.dialect));
  return Number((await engine.all(`SELECT count(*) AS n FROM ${tableRef(name, engine.dialect)}`))[0].n);
}

/**
 * Interpolated quantiles (numpy's default, DuckDB's quantile_cont, PostgreSQL's percentile_cont)
 * of expressions over `from`, computed in the engine: in one query where the dialect has them;
 * otherwise (ClickHouse 18) from the two order statistics around (n - 1) p, interpolated here.
 * Null where an expression has no values.
 */
export async function engineQuantiles(
  engine: Queryable,
  from: string,
  items: { expr: string; p: number }[],
  params?: EngineParams,
): Promise<(number | null)[]> {
  if (!items.length) return [];
  const d = sqlKit(engine.dialect).d;
  const one = async (cols: string[]) =>
    (await engine.all(`SELECT ${cols.join(', ')} FROM ${from}`, params))[0] ?? {};
  if (d.quantile('x', 0.5) !== null) {
    const r = await one(items.map((it, i) => `${d.quantile(it.expr, it.p)} AS q${i}`));
    return items.map((_, i) => (r[`q${i}`] === null || r[`q${i}`] === undefined ? null : Number(r[`q${i}`])));
  }
  const stat = d.orderStatistic;
  if (!stat)
    throw new SegmintError(
      'ENGINE_UNSUPPORTED',
      `${engine.dialect} has no quantile segmint can compute exactly.`,
    );
  const counts = await one(items.map((it, i) => `count(${it.expr}) AS n${i}`));
  const cols: string[] = [];
  const at = items.map((it, i) => {
    const n = Number(counts[`n${i}`] ?? 0);
    if (!n) return null;
    const h = (n - 1) * it.p;
    const lo = Math.floor(h);
    const hi = Math.ceil(h);
    cols.push(`${stat(it.expr, (lo + 0.5) / n)} AS lo${i}`, `${stat(it.expr, (hi + 0.5) / n)} AS hi${i}`);
    return h - lo;
  });
  const r = cols.length ? await one(cols) : {};
  return at.map((frac, i) => {
    if (frac === null) return null;
    const lo = Number(r[`lo${i}`]);
    return lo + frac * (Number(r[`hi${i}`]) - lo);
  });
}

/**
 * Replaces table `name` in the engine by `rows` (typed `columns`), staged and swapped in, in one
 * transaction where the engine's DDL is transactional: a failure leaves the last good table.
 */
export async function replaceTableWithRows(
  engine: Engine,
  name: string,
  columns: EngineColumn[],
  rows: Row[],
): Promise<void> {
  const d = sqlKit(engine.dialect).d;
  let staging = '';
  const steps = replaceTableSql(name, '', engine.dialect, (at) => {
    staging = at;
    return [createTableSql(at, columns, engine.dialect)];
  });
  if (d.transactionalDdl) await engine.exec('BEGIN TRANSACTION');
  try {
    await engine.exec(steps[0]);
    await engine.exec(steps[1]);
    for (let i = 0; i < rows.length; i += 10_000) await engine.insert(staging, rows.slice(i, i + 10_000));
    for (const sql of steps.slice(2)) await engine.exec(sql);
    if (d.transactionalDdl) await engine.exec('COMMIT');
  } catch (e) {
    if (d.transactionalDdl) await engine.exec('ROLLBACK').catch(() => {});
    throw e;
  }
}

/**
 * Writes the rows of a DuckDB query into table `table` of an engine, replacing it atomically
 * (replaceTableWithRows): numbers as doubles, the rest as text. `where` names the recipe key in
 * errors. Returns the number of rows.
 */
export async function writeQueryToEngine(
  duck: Duck,
  query: string,
  engine: Engine,
  table: string,
  where: string,
): Promise<number> {
  const r = await duck.columns(query);
  const n = r.values[0]?.length ?? 0;
  const columns: EngineColumn[] = r.names.map((name, j) => ({
    name,
    type: COLUMN_TYPES.numeric(r.types[j]) ? 'double' : 'text',
  }));
  const rows: Row[] = Array.from({ length: n }, (_, i) =>
    Object.fromEntries(r.names.map((name, j) => [name, r.values[j][i] ?? null])),
  );
  try {
    await replaceTableWithRows(engine, table, columns, rows);
  } catch (e) {
    throw new SegmintError(
      'DB_ERROR',
      `${engine.dialect}: writing ${table} failed, the previous table is unchanged: ${(e as Error).message.replace(/^(PostgreSQL|ClickHouse): /, '')}`,
      { where: { path: where }, ...(e instanceof SegmintError && e.details ? { details: e.details } : {}) },
    );
  }
  return n;
}

/** Expressions in one aggregate statement over a wide table (more go in further statements). */
export const AGGREGATE_SLICE = 192;

/**
 * One row of aggregates over `from`, computed a slice of expressions at a time: one statement with
 * thousands of aggregates (a count(DISTINCT) per column of a 1,500-column file) held 3.5 GB in
 * DuckDB; slices keep what it plans and holds bounded. Each expression must carry its own alias.
 */
export async function aggregateRow(
  engine: { all(sql: string): Promise<Row[]> },
  from: string,
  parts: readonly string[],
): Promise<Row> {
  const out: Row = {};
  for (let i = 0; i < parts.length; i += AGGREGATE_SLICE)
    Object.assign(
      out,
      (await engine.all(`SELECT ${parts.slice(i, i + AGGREGATE_SLICE).join(', ')} FROM ${from}`))[0] ?? {},
    );
  return out;
}

import { resolve } from 'node:path';
import { type SummaryRows, summaryRows, summarySql } from '../clv/summary.js';
import { type EngineSpec, engineOf, type Recipe } from '../config/recipe.js';
import { addDays } from '../core/dates.js';
import { SegmintError } from '../core/errors.js';
import {
  type CleanResult,
  checkFilterColumns,
  givenReferenceDate,
  noCustomerSourceError,
  noCustomersError,
  onlyReturnsWarning,
  sourcesByKind,
  unmatchedWarning,
  windowRule,
} from '../data/cleaning-rules.js';
import type { DataOverview } from '../data/overview.js';
import { guessKind, guessRoles } from '../data/sniff.js';
import { checkRoleColumns, checkRoleNames, JOIN_WARN_SHARE, joinPartialWarning } from '../data/sources.js';
import {
  type Agg,
  countryUnknownWarning,
  type FeatureColumn,
  type FeatureResult,
  featureValue,
  planFeatures,
} from '../features/build.js';
import { ORDER_COLUMNS, ordersSql, PURCHASE_ORDER, productsSql } from '../features/orders.js';
import { COLUMN_TYPES, type SqlKit, sqlKit } from '../sql/dialect.js';
import type { Duck } from '../sql/duckdb.js';
import { openEngine } from '../sql/open.js';
import {
  cancelOnAbort,
  createTableSql,
  type Engine,
  type EngineColumn,
  type EngineParams,
} from '../sql/query.js';
import { replaceTable } from '../sql/tables.js';
import { cleanCoupons, cleanCustomers, cleanEvents, cleanTransactions } from './clean.js';
import { orderDistributions, summarizeTable } from './inspect.js';
import type { EngineRunOptions } from './kmeans.js';
import { EngineSession, type EngineSource, ORDERS } from './session.js';

type Kind = 'transactions' | 'customers' | 'events' | 'coupons';

/** What cleaning and features inside an engine give back: the same as in-process, minus the rows. */
export interface EngineFeatures {
  data: Omit<CleanResult, 'sources' | 'byKind'> & { byKind: Partial<Record<Kind, EngineSource>> };
  feats: FeatureResult;
  /** The table in the engine that holds the customer x feature rows. */
  table: string;
  overview: DataOverview;
  /**
   * The cleaned order lines up to the reference date and the customers analysed, as relations in
   * the engine (with `params` bound), for further queries while the engine is open.
   */
  relations: { transactions: string | null; window: string | null; universe: string };
  params: EngineParams;
  /** Queries sent to the engine, and rows they returned (none of them order lines). */
  queries: number;
  rowsReturned: number;
}

/**
 * Cleans the recipe's sources and builds its customer x feature table inside an engine (DuckDB,
 * PostgreSQL or ClickHouse, single node or through a Distributed table), with the same rules,
 * ledger and feature definitions as the embedded pipeline. Each rule is a condition on the source
 * rows; only the distinct, normalised order lines are kept, in a temporary table where the engine
 * has them (PostgreSQL, DuckDB). Counts for the ledger come from a few aggregation queries, and one
 * INSERT ... SELECT writes the features table (staged, then swapped in). What comes back: counts,
 * the reference date, the top categories and per-column summaries of the source tables.
 */
export async function buildFeaturesInEngine(
  engine: Engine,
  recipe: Recipe,
  run: EngineRunOptions = {},
  given?: { sources: EngineSource[]; featuresTable: string },
): Promise<EngineFeatures> {
  const untie = cancelOnAbort(engine, run.signal);
  try {
    return await build(engine, recipe, run, given);
  } catch (e) {
    if (run.signal?.aborted && !(e instanceof SegmintError && e.code === 'CANCELLED'))
      throw new SegmintError('CANCELLED', 'Building the features in the engine was cancelled.', {
        details: { cause: (e as Error).message },
      });
    throw e;
  } finally {
    untie();
  }
}

async function build(
  engine: Engine,
  recipe: Recipe,
  run: EngineRunOptions,
  given?: { sources: EngineSource[]; featuresTable: string },
): Promise<EngineFeatures> {
  const phases = [
    'reading the tables',
    ...(['transactions', 'customers', 'events', 'coupons'] as const)
      .filter((k) => Object.values(recipe.sources).some((x) => x.kind === k))
      .map((k) => `cleaning ${k}`),
    'the window and the customers',
    'building the features',
  ];
  const s = new EngineSession(engine, recipe, run, phases);
  const {
    kit,
    ledger,
    warnings,
    params,
    all,
    one,
    step,
    stopped,
    tableRef,
    countRows,
    countRules,
    lastRemaining,
  } = s;
  const { fx } = kit;
  const featuresTable = given?.featuresTable ?? engineOf(recipe)?.featuresTable ?? 'segmint_features';

  // ---- the sources: tables in the engine, or the files the embedded DuckDB has read (and joined)
  step(phases[0]);
  const sources: EngineSource[] = given ? [...given.sources] : [];
  for (const [name, spec] of given ? [] : Object.entries(recipe.sources)) {
    const where = `sources.${name}`;
    if (!spec.table)
      throw new SegmintError(
        'ENGINE_UNSUPPORTED',
        `${where}: with engine ${engine.dialect}, a source is a table in that database (table: ...), not ${spec.path ? 'a file' : 'a PostgreSQL source'}.`,
        {
          where: { path: `${where}.${spec.path ? 'path' : 'postgres'}` },
          hint: 'Load the file into the database and name its table, or leave engine: out to read files in the embedded DuckDB.',
        },
      );
    if (spec.id)
      throw new SegmintError(
        'ENGINE_UNSUPPORTED',
        `${where}.id: a database table has no row order to number its rows by.`,
        {
          where: { path: `${where}.id` },
          hint: 'Add an id column to the table (or a view with row_number()) and name it in roles.customer.',
        },
      );
    if (spec.kind === 'lookup' || spec.join.length)
      throw new SegmintError(
        'ENGINE_UNSUPPORTED',
        `${where}: joins are not run by segmint inside an engine.`,
        {
          where: { path: `${where}.${spec.join.length ? 'join' : 'kind'}` },
          hint: 'Create a view that joins the tables in the database and name the view as the source table.',
        },
      );
    checkRoleNames(name, spec);
    const file = `${engine.dialect}:${spec.table}`;
    const columns = await engine.describe(spec.table);
    if (!columns.length)
      throw new SegmintError(
        'DATA_TABLE_NOT_FOUND',
        `${where}.table: there is no table "${spec.table}" in ${engine.dialect}, or it has no columns this user can see.`,
        { where: { path: `${where}.table`, file } },
      );
    checkRoleColumns(name, spec, columns, file);
    const rows = Number((await one(`SELECT count(*) AS n FROM ${tableRef(spec.table)}`)).n);
    sources.push({ name, spec, table: spec.table, columns, rows, file });
  }
  // A join that matched under JOIN_WARN_SHARE of its rows is said (none at all stopped reading).
  for (const src of sources)
    for (const j of src.joins ?? [])
      if (j.rows > 0 && j.matched / j.rows < JOIN_WARN_SHARE) warnings.push(joinPartialWarning(src.name, j));
  const byKind = sourcesByKind(sources);
  checkFilterColumns(recipe.cleaning.filters, sources);
  for (const src of sources) {
    await s.detectTimes(src, [src.spec.roles.time, src.spec.roles.joined]);
    await s.detectIds(src, [src.spec.roles.customer, src.spec.roles.order, src.spec.roles.session]);
  }
  // ---- each kind of source cleaned (src/engine/clean.ts)
  const txSrc = byKind.transactions;
  const tx0 = txSrc ? await cleanTransactions(s, txSrc) : null;
  const txNorm = tx0?.txNorm ?? null;
  const returnsCounted = tx0?.returnsCounted ?? false;
  const custSrc = byKind.customers;
  const cust = custSrc ? await cleanCustomers(s, custSrc) : null;
  const evSrc = byKind.events;
  let ev = evSrc ? await cleanEvents(s, evSrc) : null;
  const cpSrc = byKind.coupons;
  let cp = cpSrc ? await cleanCoupons(s, cpSrc) : null;

  // ---- reference date and window
  step('the window and the customers');
  let referenceDate = givenReferenceDate(recipe.window.referenceDate);
  let dated = !!referenceDate;
  if (!referenceDate) {
    const maxFrom = txNorm ?? ev ?? cp;
    const expr = maxFrom ? 'max(ts)' : custSrc?.spec.roles.joined ? 'max(__joined)' : null;
    const r = expr ? await one(`SELECT ${fx.text(fx.date(expr))} AS d FROM ${maxFrom ?? cust}`, params) : {};
    if (r.d && Number(String(r.d).slice(0, 4)) >= 9999)
      throw new SegmintError(
        'DATA_BAD_DATE',
        `The latest date in the data is ${String(r.d)}, a placeholder rather than a real date, so the reference date (the day after the last one) cannot be set from it.`,
        {
          where: { path: 'window.referenceDate' },
          hint: 'Set window.referenceDate to the day after the last real date; rows on or after it are left out and counted in the ledger.',
        },
      );
    referenceDate = r.d ? addDays(String(r.d), 1) : '1970-01-01';
    dated = !!r.d;
  }
  referenceDate = referenceDate.slice(0, 10);
  const days = recipe.window.days;
  const windowStart = days ? addDays(referenceDate, -days) : null;
  params.ref = referenceDate;
  if (windowStart) params.start = windowStart;
  const before = `ts < ${fx.dayStart('$ref')}`;
  const inWindow = `${before}${windowStart ? ` AND ts >= ${fx.dayStart('$start')}` : ''}`;
  let tx: string | null = null;
  let txHist: string | null = null;
  let histRange: { from: string; to: string } | null = null;
  if (txSrc && txNorm) {
    const counted = returnsCounted ? 'NOT is_return' : '';
    const c = counted ? ` AND ${counted}` : '';
    const w = await one(
      `SELECT sum(CASE WHEN ${before}${c} THEN 1 ELSE 0 END) AS hist, sum(CASE WHEN ${inWindow}${c} THEN 1 ELSE 0 END) AS win, ${fx.text(fx.date(fx.agg('min', 'ts', before)))} AS a, ${fx.text(fx.date(fx.agg('max', 'ts', before)))} AS b FROM ${txNorm}`,
    );
    const [hist, win] = [Number(w.hist ?? 0), Number(w.win ?? 0)];
    if (w.a && hist) histRange = { from: String(w.a), to: String(w.b) };
    const prior = lastRemaining(txSrc);
    if (prior - hist)
      ledger.push({
        source: txSrc.name,
        rule: 'on or after the reference date',
        removed: prior - hist,
        remaining: hist,
      });
    txHist = `(SELECT * FROM ${txNorm} WHERE ${before}) AS tx_hist`;
    tx = `(SELECT * FROM ${txNorm} WHERE ${inWindow}) AS tx`;
    if (windowStart)
      ledger.push({
        source: txSrc.name,
        rule: `outside the ${days}-day window`,
        removed: hist - win,
        remaining: win,
        note: 'earlier lines still count for tenure_days',
      });
  }
  const windowed = async (src: EngineSource | undefined, rel: string | null, alias: string) => {
    if (!src || !rel) return rel;
    if (alias === 'cp' && !s.role(src, 'time')) return `(SELECT * FROM ${rel}) AS cp`;
    const [kept] = await countRules(rel, [inWindow]);
    const prior = lastRemaining(src);
    if (prior - kept)
      ledger.push({
        source: src.name,
        rule: windowRule(windowStart, days),
        removed: prior - kept,
        remaining: kept,
      });
    return `(SELECT * FROM ${rel} WHERE ${inWindow}) AS ${alias}`;
  };
  ev = await windowed(evSrc, ev, 'ev');
  cp = await windowed(cpSrc, cp, 'cp');

  // ---- the window's orders (features/orders.ts), once: a temporary table where the engine has
  // them; what the order features, the customers analysed and the order distributions read.
  let ord: string | null = null;
  let ordHist: string | null = null;
  if (tx && txHist) {
    ord = `(${ordersSql(kit, tx)}) AS ord`;
    if (kit.d.tempTables) {
      stopped();
      await engine.exec(`DROP TABLE IF EXISTS ${ORDERS}`);
      await engine.exec(createTableSql(ORDERS, ORDER_COLUMNS, engine.dialect, { temporary: true }));
      await engine.exec(
        `INSERT INTO ${ORDERS} (${ORDER_COLUMNS.map((c) => kit.q(c.name)).join(', ')}) ${ordersSql(kit, tx)}`,
        params,
      );
      s.queries += 3;
      ord = `${ORDERS} AS ord`;
    }
    // Without a window the history is the window: its orders are the same.
    ordHist = windowStart ? `(${ordersSql(kit, txHist)}) AS ord_hist` : ord;
  }

  // ---- the customers analysed
  let universe: string;
  let customers: number;
  if (ord) {
    universe = `(SELECT DISTINCT customer_id FROM ${ord} WHERE ${PURCHASE_ORDER}) AS u`;
    const r = await one(
      `SELECT count(DISTINCT customer_id) AS a, ${fx.agg('countDistinct', 'customer_id', PURCHASE_ORDER)} AS n FROM ${ord}`,
    );
    customers = Number(r.n ?? 0);
    if (Number(r.a) > customers) warnings.push(onlyReturnsWarning(Number(r.a) - customers));
  } else if (cust) {
    universe = `(SELECT customer_id FROM ${cust}) AS u`;
    customers = await countRows(universe);
  } else {
    throw noCustomerSourceError();
  }
  if (customers === 0) {
    const first =
      txNorm && txSrc ? (await one(`SELECT ${fx.text(fx.date('min(ts)'))} AS d FROM ${txNorm}`)).d : null;
    throw noCustomersError(
      windowStart,
      referenceDate,
      ledger,
      txSrc ?? custSrc,
      first ? String(first) : null,
    );
  }
  if (tx && cust) {
    const matched = Number(
      (
        await one(
          `SELECT count(*) AS n FROM ${universe} WHERE customer_id IN (SELECT customer_id FROM ${cust})`,
          params,
        )
      ).n,
    );
    if (customers > matched) warnings.push(unmatchedWarning(customers - matched, custSrc!.name));
  }
  const has = { transactions: !!txSrc, customers: !!custSrc, events: !!evSrc, coupons: !!cpSrc };

  // ---- features: one aggregate subquery per table, joined one at a time (ClickHouse 18 takes one
  // JOIN per SELECT), then INSERT ... SELECT into a staged table that is swapped in.
  step('building the features');
  const plan = await planFeatures(
    recipe.features,
    recipe.cleaning,
    {
      kit,
      has,
      byKind,
      txRelation: tx ?? '',
      custRelation: cust,
      universe,
      all: (sql, p) => all(sql, { ...params, ...p }),
      type: COLUMN_TYPES,
      numericText: async (col) => {
        const v = fx.trim(fx.text(kit.q(col)));
        return !(await countRows(
          cust!,
          `${kit.q(col)} IS NOT NULL AND ${v} <> '' AND ${fx.parseDouble(v)} IS NULL`,
        ));
      },
    },
    recipe.dictionary,
  );
  Object.assign(params, plan.params);
  const relations: Record<Agg['table'], string | null> = {
    tx,
    tx_hist: txHist,
    ord,
    ord_hist: ordHist,
    prod: tx ? `(${productsSql(tx)}) AS prod` : null,
    ev,
    cp,
  };
  const select = featuresSelect(
    kit,
    universe,
    plan.aggs,
    relations,
    cust,
    plan.extraSelect,
    plan.columns.map((c) => c.name),
    plan.post,
  );
  const columns: EngineColumn[] = [
    { name: 'customer_id', type: 'text', notNull: true },
    ...plan.columns.map((c) => ({
      name: c.name,
      type: c.type === 'numeric' ? ('double' as const) : ('text' as const),
    })),
  ];
  try {
    stopped();
    await replaceTable(engine, featuresTable, columns, select, params);
  } catch (e) {
    if (
      e instanceof SegmintError &&
      recipe.features.some((f) => typeof f === 'object' && f.feature === 'custom')
    )
      throw new SegmintError('RECIPE_INVALID', `A feature's SQL failed in ${engine.dialect}: ${e.message}`, {
        where: { path: 'features' },
        hint: `Custom SQL runs in ${engine.dialect} here, so write it in that dialect; it sees the columns customer_id, order_id, ts, quantity, price, amount, product, category, country, status, is_return (transactions); ts, type, duration, session (events); ts, redeemed (coupons); and every other column of the source (and of what it joins) that it names.`,
        details: e.details,
      });
    throw e;
  }
  s.queries += 4;
  const distance = plan.columns.find((c) => c.feature === 'country_distance');
  if (distance) {
    const unknown = await countRows(tableRef(featuresTable), `${kit.q(distance.name)} IS NULL`);
    if (unknown) plan.warnings.push(countryUnknownWarning(unknown));
  }

  // ---- what the report shows of the data: per column its nulls, min and max, one scan per source;
  // on the embedded DuckDB also exact distinct counts and top values (a sort per column, which a
  // warehouse table would make costly); and the order distributions.
  const overview: DataOverview = {
    sources: [],
    distributions: await orderDistributions(s.queryable, run.overview === false ? null : ord, params),
  };
  for (const src of run.overview === false ? [] : sources) {
    // Distinct counts and top values for the columns segmint reads: every column of a customers
    // table (its attributes) or a lookup, the roles of the others (a free-text description of
    // each order line is not read, and its top values cost a grouping of every line).
    const read =
      src.spec.kind === 'customers' || src.spec.kind === 'lookup'
        ? undefined
        : new Set(Object.values(src.spec.roles));
    const columns = await summarizeTable(
      s.queryable,
      src.table,
      src.columns.filter((c) => c.name !== '__row'),
      given ? 'counts' : false,
      read,
    );
    overview.sources.push({
      name: src.name,
      kind: src.spec.kind,
      file: src.file,
      rows: src.rows,
      dateRange: src === txSrc ? histRange : null,
      columns: columns.map(({ mean: _m, q25: _a, median: _b, q75: _c, ...c }) => c),
    });
  }
  return {
    data: { ledger, warnings, referenceDate, dated, windowStart, has, byKind, customers },
    feats: { columns: plan.columns, warnings: plan.warnings, revenueColumn: plan.revenueColumn },
    table: featuresTable,
    overview,
    relations: { transactions: txHist, window: tx, universe },
    params,
    queries: s.queries,
    rowsReturned: s.rowsReturned,
  };
}

/**
 * The SELECT of the features table: the universe, left-joined to one aggregate subquery per
 * cleaned table and to the customers' expressions, one join per level; explicit column lists.
 */
function featuresSelect(
  kit: SqlKit,
  universe: string,
  aggs: Agg[],
  relations: Record<Agg['table'], string | null>,
  cust: string | null,
  extra: { expr: string; name: string }[],
  order: string[],
  post: { expr: string; name: string }[],
): string {
  const { q } = kit;
  let cur = `SELECT customer_id FROM ${universe}`;
  let carried: string[] = [];
  const join = (sub: string, names: string[], alias: string) => {
    const all = [...carried, ...names];
    cur = `SELECT customer_id${all.length ? `, ${all.map(q).join(', ')}` : ''} FROM (${cur}) AS l_${alias} LEFT JOIN (${sub}) AS ${alias} USING (customer_id)`;
    carried = all;
  };
  for (const t of [...new Set(aggs.map((a) => a.table))]) {
    const list = aggs.filter((a) => a.table === t);
    join(
      `SELECT customer_id, ${list.map((a) => `${a.expr} AS ${q(a.name)}`).join(', ')} FROM ${relations[t]} GROUP BY customer_id`,
      list.map((a) => a.name),
      `${t}_a`,
    );
  }
  if (cust && extra.length)
    join(
      `SELECT customer_id, ${extra.map((e) => `${e.expr} AS ${q(e.name)}`).join(', ')} FROM ${cust}`,
      extra.map((e) => e.name),
      'cx',
    );
  const value = new Map<string, string>();
  for (const a of aggs) value.set(a.name, featureValue(kit, a, q(a.name)));
  for (const p of post) value.set(p.name, p.expr);
  return `SELECT customer_id, ${order.map((n) => `${value.get(n) ?? q(n)} AS ${q(n)}`).join(', ')} FROM (${cur}) AS f`;
}

/**
 * Copies the features table from the engine into DuckDB table `features` (ordered by
 * customer_id, as the embedded pipeline leaves it): one row per customer, streamed.
 */
export async function pullFeatures(
  engine: Engine,
  duck: Duck,
  table: string,
  columns: FeatureColumn[],
): Promise<number> {
  const kit = sqlKit(engine.dialect);
  const ids: string[] = [];
  const values = columns.map(() => [] as (number | string | null)[]);
  const sql = `SELECT customer_id, ${columns.map((c) => kit.q(c.name)).join(', ')} FROM ${table.split('.').map(kit.q).join('.')}`;
  for await (const row of engine.stream(sql)) {
    ids.push(String(row.customer_id));
    columns.forEach((c, j) => {
      const v = row[c.name];
      values[j].push(v === null || v === undefined ? null : c.type === 'numeric' ? Number(v) : String(v));
    });
  }
  await duck.createFromColumns('features_pulled', [
    { name: 'customer_id', type: 'VARCHAR', values: ids },
    ...columns.map((c, j) => ({
      name: c.name,
      type: c.type === 'numeric' ? ('DOUBLE' as const) : ('VARCHAR' as const),
      values: values[j],
    })),
  ]);
  await duck.exec('CREATE OR REPLACE TABLE features AS SELECT * FROM features_pulled ORDER BY customer_id');
  await duck.exec('DROP TABLE features_pulled');
  return ids.length;
}

/** Opens the recipe's engine; a DuckDB database file is found relative to the recipe. */
export function openRecipeEngine(spec: EngineSpec, baseDir: string): Promise<Engine> {
  return openEngine(
    {
      type: spec.type,
      url: spec.url,
      database: spec.type === 'duckdb' && spec.database ? resolve(baseDir, spec.database) : spec.database,
    },
    'engine',
  );
}

/** The CLV summary per customer (x, t_x, T, m, holdout), computed in the engine from the cleaned lines. */
export async function clvSummaryInEngine(
  engine: Engine,
  built: EngineFeatures,
  calibrationEnd: string,
  unitDays: number,
): Promise<SummaryRows | null> {
  if (!built.relations.transactions) return null;
  const sql = summarySql(sqlKit(engine.dialect), built.relations.transactions, built.relations.universe);
  return summaryRows(await engine.all(sql, { ...built.params, end: calibrationEnd }), unitDays);
}

/**
 * What a table in an engine looks like to `segmint init`: its columns (engine types, and the
 * DuckDB-style class the role guesser reads), the kind of source it seems to be and the roles.
 */
export async function sniffEngineTable(
  engine: Engine,
  table: string,
): Promise<{
  table: string;
  columns: { name: string; type: string }[];
  kind: ReturnType<typeof guessKind>;
  roles: Record<string, string>;
}> {
  const columns = await engine.describe(table);
  if (!columns.length)
    throw new SegmintError(
      'DATA_TABLE_NOT_FOUND',
      `There is no table "${table}" in ${engine.dialect}, or it has no columns this user can see.`,
      { where: { file: `${engine.dialect}:${table}` } },
    );
  const typed = columns.map((c) => ({
    name: c.name,
    type: COLUMN_TYPES.numeric(c.type)
      ? 'DOUBLE'
      : COLUMN_TYPES.temporal(c.type)
        ? 'TIMESTAMP'
        : COLUMN_TYPES.boolean(c.type)
          ? 'BOOLEAN'
          : 'VARCHAR',
  }));
  const kind = guessKind(typed, table.split('.').at(-1)!);
  return { table, columns, kind, roles: guessRoles(typed, kind) };
}

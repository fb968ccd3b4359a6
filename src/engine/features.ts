import { resolve } from 'node:path';
import { type SummaryRows, summaryRows, summarySql } from '../clv/summary.js';
import { type EngineSpec, engineOf, type Recipe, type SourceSpec } from '../config/recipe.js';
import { addDays } from '../core/dates.js';
import { SegmintError, type Warning } from '../core/errors.js';
import { type CleanResult, type LedgerEntry, sourcesByKind } from '../data/clean.js';
import {
  givenReferenceDate,
  noCustomerSourceError,
  noCustomersError,
  noPurchasesError,
  onlyReturnsWarning,
  requireRole,
  transactionRoles,
  unmatchedWarning,
  windowRule,
} from '../data/cleaning-rules.js';
import type { Duck } from '../data/duck.js';
import type { DataOverview } from '../data/overview.js';
import { checkRoleColumns, checkRoleNames } from '../data/sources.js';
import {
  type Agg,
  type FeatureColumn,
  type FeatureResult,
  featureValue,
  type PlanSource,
  planFeatures,
} from '../features/build.js';
import { type SqlKit, sqlKit } from '../model/sql.js';
import {
  cancelOnAbort,
  checkAbort,
  createTableSql,
  type Engine,
  type EngineColumn,
  type EngineParams,
  engineQuantiles,
  openEngine,
  replaceTable,
} from './engine.js';
import type { EngineRunOptions } from './kmeans.js';

/** The temporary table of cleaned, normalised order lines (where the engine keeps temporary tables). */
const LINES = 'segmint_lines';
const LINE_COLUMNS: EngineColumn[] = [
  { name: 'customer_id', type: 'text' },
  { name: 'order_id', type: 'text' },
  { name: 'ts', type: 'timestamp' },
  { name: 'quantity', type: 'double' },
  { name: 'price', type: 'double' },
  { name: 'amount', type: 'double' },
  { name: 'product', type: 'text' },
  { name: 'category', type: 'text' },
  { name: 'country', type: 'text' },
  { name: 'status', type: 'text' },
  { name: 'is_return', type: 'boolean' },
];

type Kind = 'transactions' | 'customers' | 'events' | 'coupons';

/** One source as the engine sees it: a table with its columns (engine type names). */
export interface EngineSource extends PlanSource {
  spec: SourceSpec;
  table: string;
  rows: number;
}

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
  relations: { transactions: string | null; universe: string };
  params: EngineParams;
  /** Queries sent to the engine, and rows they returned (none of them order lines). */
  queries: number;
  rowsReturned: number;
}

/** Engine column types in the three classes the planner asks about. */
export const ENGINE_TYPES = {
  numeric: (t: string) =>
    /^(Nullable\()?(U?Int\d+|Float\d+|Decimal.*|TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|FLOAT|DOUBLE.*|DECIMAL.*|REAL|NUMERIC.*|smallint|integer|bigint|real|double precision|numeric.*)\)?$/i.test(
      t,
    ),
  temporal: (t: string) => /^(Nullable\()?(Date|DateTime.*|DATE|TIMESTAMP.*|timestamp.*|date)\)?$/.test(t),
  boolean: (t: string) => /^(BOOLEAN|boolean)$/.test(t),
};

interface Rule {
  rule: string;
  keep: string;
  note?: string;
}

/**
 * Cleans the recipe's sources and builds its customer x feature table inside an engine (DuckDB,
 * PostgreSQL or ClickHouse, single node or through a Distributed table), with the same rules,
 * ledger and feature definitions as the embedded pipeline. Each rule is a condition on the source
 * rows; the cleaned tables are never materialised: counts for the ledger come from a few
 * aggregation queries, and one INSERT ... SELECT writes the features table (staged, then swapped).
 * Only counts, the reference date, the top categories and the ledger come back.
 */
export async function buildFeaturesInEngine(
  engine: Engine,
  recipe: Recipe,
  run: EngineRunOptions = {},
): Promise<EngineFeatures> {
  const untie = cancelOnAbort(engine, run.signal);
  try {
    return await build(engine, recipe, run);
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

async function build(engine: Engine, recipe: Recipe, run: EngineRunOptions): Promise<EngineFeatures> {
  const kit = sqlKit(engine.dialect);
  const { q, fx } = kit;
  const cl = recipe.cleaning;
  const spec = engineOf(recipe);
  const featuresTable = spec?.featuresTable ?? 'segmint_features';
  const ledger: LedgerEntry[] = [];
  const warnings: Warning[] = [];
  let queries = 0;
  let rowsReturned = 0;
  /** Values bound into the SQL: filter values, product codes, the reference date, ... */
  const params: EngineParams = {};
  const stopped = () => checkAbort(run.signal, 'Building the features in the engine');
  const all = async (sql: string, p: EngineParams = params) => {
    stopped();
    queries++;
    const rows = await engine.all(sql, p);
    rowsReturned += rows.length;
    return rows;
  };
  const one = async (sql: string, p: EngineParams = params) => (await all(sql, p))[0] ?? {};
  const tableRef = (t: string) => t.split('.').map(q).join('.');

  const phases = [
    'reading the tables',
    ...(['transactions', 'customers', 'events', 'coupons'] as const)
      .filter((k) => Object.values(recipe.sources).some((x) => x.kind === k))
      .map((k) => `cleaning ${k}`),
    'the window and the customers',
    'building the features',
  ];
  let phase = 0;
  const step = (label: string) => {
    stopped();
    run.onProgress?.(phase++, phases.length, label);
  };

  // ---- the sources: tables in the engine
  step(phases[0]);
  const sources: EngineSource[] = [];
  for (const [name, s] of Object.entries(recipe.sources)) {
    const where = `sources.${name}`;
    if (!s.table)
      throw new SegmintError(
        'ENGINE_UNSUPPORTED',
        `${where}: with engine ${engine.dialect}, a source is a table in that database (table: ...), not ${s.path ? 'a file' : 'a PostgreSQL source'}.`,
        {
          where: { path: `${where}.${s.path ? 'path' : 'postgres'}` },
          hint: 'Load the file into the database and name its table, or leave engine: out to read files in the embedded DuckDB.',
        },
      );
    if (s.kind === 'lookup' || s.join.length)
      throw new SegmintError(
        'ENGINE_UNSUPPORTED',
        `${where}: joins are not run by segmint inside an engine.`,
        {
          where: { path: `${where}.${s.join.length ? 'join' : 'kind'}` },
          hint: 'Create a view that joins the tables in the database and name the view as the source table.',
        },
      );
    checkRoleNames(name, s);
    const file = `${engine.dialect}:${s.table}`;
    const columns = await engine.describe(s.table);
    if (!columns.length)
      throw new SegmintError(
        'DATA_TABLE_NOT_FOUND',
        `${where}.table: there is no table "${s.table}" in ${engine.dialect}, or it has no columns this user can see.`,
        { where: { path: `${where}.table`, file } },
      );
    checkRoleColumns(name, s, columns, file);
    const rows = Number((await one(`SELECT count(*) AS n FROM ${tableRef(s.table)}`)).n);
    sources.push({ name, spec: s, table: s.table, columns, rows, file });
  }
  const byKind = sourcesByKind(sources);
  const typeOf = (src: EngineSource, col: string) => src.columns.find((c) => c.name === col)?.type ?? '';
  const role = (src: EngineSource, r: string): string | undefined => src.spec.roles[r];
  const textOf = (col: string) => fx.text(q(col));
  const timeOf = (src: EngineSource, col: string): string => {
    const t = typeOf(src, col);
    if (ENGINE_TYPES.temporal(t)) return fx.timestamp(q(col));
    if (ENGINE_TYPES.numeric(t))
      throw new SegmintError(
        'ENGINE_UNSUPPORTED',
        `sources.${src.name}.roles: column "${col}" is a number (${t}); inside an engine the time must be a date, a timestamp or ISO text.`,
        { where: { path: `sources.${src.name}.roles`, column: col } },
      );
    return fx.parseTimestamp(fx.trim(textOf(col)));
  };
  const numberOf = (src: EngineSource, col: string): string => {
    const t = typeOf(src, col);
    if (ENGINE_TYPES.numeric(t)) return fx.double(q(col));
    if (ENGINE_TYPES.boolean(t)) return `CASE WHEN ${q(col)} THEN ${kit.num(1)} ELSE ${kit.num(0)} END`;
    return fx.parseDouble(fx.trim(textOf(col)));
  };
  let pn = 0;
  const bind = (v: string | number): string => {
    const k = `c${pn++}`;
    params[k] = v;
    return `$${k}`;
  };

  /** Remaining (counted) rows of `from` after each rule, cumulatively, in one scan. */
  const countRules = async (from: string, rules: string[], counted = ''): Promise<number[]> => {
    if (!rules.length) return [];
    const c = counted ? ` AND ${counted}` : '';
    const sel = rules.map(
      (_, i) => `sum(CASE WHEN ${rules.slice(0, i + 1).join(' AND ')}${c} THEN 1 ELSE 0 END) AS c${i}`,
    );
    const r = await one(`SELECT ${sel.join(', ')} FROM ${from}`, params);
    return rules.map((_, i) => Number(r[`c${i}`] ?? 0));
  };
  const countRows = async (from: string, where = ''): Promise<number> =>
    Number((await one(`SELECT count(*) AS n FROM ${from}${where ? ` WHERE ${where}` : ''}`, params)).n);

  /** Applies rules to a source relation: ledger lines, and the relation of the rows kept. */
  const applyRules = async (src: EngineSource, from: string, rules: Rule[], alias: string) => {
    const remaining = await countRules(
      from,
      rules.map((r) => `(${r.keep})`),
    );
    let before = await countRows(from);
    rules.forEach((r, i) => {
      ledger.push({
        source: src.name,
        rule: r.rule,
        removed: before - remaining[i],
        remaining: remaining[i],
        ...(r.note ? { note: r.note } : {}),
      });
      before = remaining[i];
    });
    return rules.length
      ? `(SELECT * FROM ${from} WHERE ${rules.map((r) => `(${r.keep})`).join(' AND ')}) AS ${alias}`
      : from;
  };

  const filterRules = (src: EngineSource): Rule[] =>
    cl.filters.flatMap((f) => {
      if (!src.columns.some((c) => c.name === f.column)) return [];
      const values = 'in' in f ? f.in : f.notIn;
      const cond = `${textOf(f.column)} IN (${values.map((v) => bind(String(v))).join(', ')})`;
      return [
        {
          rule: `filter ${f.column} ${'in' in f ? 'in' : 'not in'} [${values.join(', ')}]`,
          keep: 'in' in f ? fx.orFalse(cond) : `NOT ${fx.orFalse(cond)}`,
        },
      ];
    });

  /** Unreadable text dates/numbers: an error naming the column and a value, or a rule that drops them. */
  const badRows = async (
    src: EngineSource,
    from: string,
    checks: { column: string; parsed: string; code: 'DATA_BAD_DATE' | 'DATA_BAD_NUMBER' }[],
  ): Promise<Rule[]> => {
    const text = checks.filter(
      (k) => !ENGINE_TYPES.numeric(typeOf(src, k.column)) && !ENGINE_TYPES.temporal(typeOf(src, k.column)),
    );
    if (!text.length) return [];
    const conds = text.map(
      (k) => `(${q(k.column)} IS NOT NULL AND ${fx.trim(textOf(k.column))} <> '' AND ${k.parsed} IS NULL)`,
    );
    const n = await countRows(from, conds.join(' OR '));
    if (!n) return [];
    if (cl.badRows === 'error') {
      for (const [i, k] of text.entries()) {
        const r = await all(`SELECT ${textOf(k.column)} AS v FROM ${from} WHERE ${conds[i]} LIMIT 1`, params);
        if (!r.length) continue;
        throw new SegmintError(
          k.code,
          `${src.file}, column "${k.column}": "${String(r[0].v)}" is not ${k.code === 'DATA_BAD_DATE' ? 'a date/time' : 'a number'} (${n} row(s) of source "${src.name}" have unreadable values).`,
          { where: { file: src.file, column: k.column, value: String(r[0].v) }, details: { rows: n } },
        );
      }
    }
    return [{ rule: 'unreadable date or number', keep: `NOT (${conds.join(' OR ')})` }];
  };

  const lastRemaining = (src: EngineSource) => ledger.filter((l) => l.source === src.name).at(-1)!.remaining;
  const readRows = (src: EngineSource) =>
    ledger.push({ source: src.name, rule: 'rows read', removed: 0, remaining: src.rows });

  // ---- transactions: source rows -> filters, unreadable, missing id -> distinct -> product codes
  // -> normalised lines -> non-positive prices -> capping; the window comes after the reference date.
  const txSrc = byKind.transactions;
  let txNorm: string | null = null;
  let returnsCounted = false;
  let purchases = 0;
  if (txSrc) {
    step('cleaning transactions');
    readRows(txSrc);
    const {
      customer: cCust,
      time: cTime,
      price: cPrice,
      amount: cAmount,
      quantity: cQty,
      order: cOrder,
    } = transactionRoles(txSrc);
    const timeE = timeOf(txSrc, cTime);
    const qtyE = cQty ? numberOf(txSrc, cQty) : kit.num(1);
    const priceE = cPrice ? numberOf(txSrc, cPrice) : null;
    const amountE = cAmount ? numberOf(txSrc, cAmount) : null;
    const src0 = `${tableRef(txSrc.table)} AS t0`;
    const checks = [
      { column: cTime, parsed: timeE, code: 'DATA_BAD_DATE' as const },
      ...(
        [
          [cQty, qtyE],
          [cPrice, priceE],
          [cAmount, amountE],
        ] as const
      )
        .filter(([c, e]) => c && e)
        .map(([c, e]) => ({ column: c!, parsed: e!, code: 'DATA_BAD_NUMBER' as const })),
    ];
    const filtered = await applyRules(txSrc, src0, filterRules(txSrc), 'tf');
    const rel = await applyRules(
      txSrc,
      filtered,
      [
        ...(await badRows(txSrc, filtered, checks)),
        { rule: 'missing customer id', keep: `${fx.id(q(cCust))} IS NOT NULL` },
      ],
      't1',
    );
    const amountRaw = amountE ?? `(${qtyE}) * (${priceE})`;
    const cancelCond =
      cl.cancellations === 'keep'
        ? '1 = 0'
        : `(${cOrder && cl.cancelPrefix ? `${fx.startsWith(fx.id(q(cOrder)), bind(cl.cancelPrefix))} OR ` : ''}${fx.orFalse(`${cQty ? qtyE : amountRaw} < 0`)})`;
    const txt = (r: string) => {
      const c = role(txSrc, r);
      return c ? `NULLIF(${fx.trim(textOf(c))}, '')` : fx.nullText;
    };
    const orderE = cOrder ? fx.id(q(cOrder)) : `concat(${fx.id(q(cCust))}, '@', ${fx.text(timeE)})`;
    const normalised = `SELECT ${fx.id(q(cCust))} AS customer_id, ${orderE} AS order_id, ${timeE} AS ts,
        CASE WHEN ${cancelCond} THEN -abs(${qtyE}) ELSE ${qtyE} END AS quantity,
        ${priceE ?? fx.div(amountE!, qtyE)} AS price,
        CASE WHEN ${cancelCond} THEN -abs(${amountRaw}) ELSE ${amountRaw} END AS amount,
        ${txt('product')} AS product, ${txt('category')} AS category, ${txt('country')} AS country, ${txt('status')} AS status,
        ${cancelCond} AS is_return
      FROM ${cl.duplicates === 'drop' ? `(SELECT DISTINCT * FROM ${rel}) AS t2` : rel}`;
    // The distinct, normalised lines are computed once: kept in a temporary table where the
    // engine has them (PostgreSQL, DuckDB); ClickHouse scans its shards again for each query.
    let lines = `(${normalised}) AS n0`;
    if (kit.d.tempTables) {
      stopped();
      await engine.exec(`DROP TABLE IF EXISTS ${LINES}`);
      await engine.exec(createTableSql(LINES, LINE_COLUMNS, engine.dialect, { temporary: true }));
      await engine.exec(
        `INSERT INTO ${LINES} (${LINE_COLUMNS.map((c) => c.name).join(', ')}) ${normalised}`,
        params,
      );
      queries += 3;
      lines = `${LINES} AS n0`;
    }
    const cProduct = role(txSrc, 'product');
    const productKeep =
      cProduct && cl.nonProductCodes.length
        ? fx.orTrue(
            `upper(product) NOT IN (${cl.nonProductCodes.map((c) => bind(c.toUpperCase())).join(', ')})`,
          )
        : null;
    const priceKeep =
      cl.nonPositivePrice === 'drop'
        ? `(is_return OR ${fx.orFalse(`${priceE ? 'price' : 'amount'} > 0`)})`
        : null;
    if (cl.cancellations === 'drop') returnsCounted = true;
    const when = (...c: (string | null)[]) => {
      const conds = c.filter(Boolean);
      return `sum(CASE WHEN ${conds.length ? conds.join(' AND ') : '1 = 1'} THEN 1 ELSE 0 END)`;
    };
    // One scan counts what the rules after the duplicates remove.
    const c = await one(
      `SELECT count(*) AS n, ${when(productKeep)} AS kept, ${when(productKeep, 'is_return')} AS ret, ${when(productKeep, priceKeep, returnsCounted ? 'NOT is_return' : null)} AS priced, ${when(productKeep, priceKeep, 'NOT is_return')} AS purchases FROM ${lines}`,
    );
    const [n, kept, ret, priced] = [c.n, c.kept, c.ret, c.priced].map((v) => Number(v ?? 0));
    // Capping changes values, not rows: whether any purchase is left is known now.
    purchases = Number(c.purchases ?? 0);
    const push = (rule: string, remaining: number, extra: Partial<LedgerEntry> = {}) =>
      ledger.push({
        source: txSrc.name,
        rule,
        removed: lastRemaining(txSrc) - remaining,
        remaining,
        ...extra,
      });
    if (cl.duplicates === 'drop') push('exact duplicate rows', n);
    if (productKeep) push('non-product codes (postage, fees, adjustments)', kept);
    if (cl.cancellations === 'drop')
      push('cancellations and returns', kept - ret, {
        note: 'left out of purchase features; counted in return_rate',
      });
    else if (cl.cancellations === 'net')
      push('cancellations and returns', kept, { note: `${ret} line(s) netted against purchases` });
    if (priceKeep) push(priceE ? 'non-positive price' : 'non-positive amount', priced);
    const keep = [productKeep, priceKeep].filter(Boolean);
    txNorm = keep.length ? `(SELECT * FROM ${lines} WHERE ${keep.join(' AND ')}) AS n1` : lines;
    if (cl.cap) {
      for (const [i, col] of cl.cap.columns.entries()) {
        const lower = cl.cap.lower !== undefined;
        const [qHi, qLo] = await engineQuantiles(
          { dialect: engine.dialect, all },
          `${txNorm} WHERE NOT is_return`,
          [{ expr: col, p: cl.cap.upper }, ...(lower ? [{ expr: col, p: cl.cap.lower! }] : [])],
        );
        const b = { hi: qHi, lo: qLo };
        const hi = kit.num(Number(b.hi));
        const lo = lower ? kit.num(Number(b.lo)) : '';
        const outside = `(${col} > ${hi}${lower ? ` OR ${col} < ${lo}` : ''})`;
        const changed = await countRows(txNorm, `NOT is_return AND ${outside}`);
        const capped = lower ? `least(greatest(${col}, ${lo}), ${hi})` : `least(${col}, ${hi})`;
        const cols = ['quantity', 'price', 'amount'].map((c) =>
          c === col
            ? `CASE WHEN is_return THEN ${c} ELSE ${capped} END AS ${c}`
            : c === 'amount'
              ? `CASE WHEN is_return THEN amount ELSE ${col === 'quantity' ? `${capped} * price` : `quantity * ${capped}`} END AS amount`
              : c,
        );
        txNorm = `(SELECT customer_id, order_id, ts, ${cols.join(', ')}, product, category, country, status, is_return FROM ${txNorm}) AS k${i}`;
        ledger.push({
          source: txSrc.name,
          rule: `cap ${col} at percentile ${cl.cap.upper}${lower ? ` (and ${cl.cap.lower} below)` : ''}`,
          removed: 0,
          remaining: lastRemaining(txSrc),
          note: `${changed} value(s) capped`,
        });
      }
    }
    if (purchases === 0) throw noPurchasesError(txSrc, ledger);
  }

  // ---- customers: one row per id, with the joined date as __joined
  const custSrc = byKind.customers;
  let cust: string | null = null;
  if (custSrc) {
    step('cleaning customers');
    readRows(custSrc);
    const cCust = requireRole(custSrc, 'customer', 'for a customers source');
    const cJoined = role(custSrc, 'joined');
    const src0 = `${tableRef(custSrc.table)} AS c0`;
    const joinedE = cJoined ? timeOf(custSrc, cJoined) : null;
    const rel = await applyRules(
      custSrc,
      src0,
      [...filterRules(custSrc), { rule: 'missing customer id', keep: `${fx.id(q(cCust))} IS NOT NULL` }],
      'c1',
    );
    const n = lastRemaining(custSrc);
    const distinct = Number(
      (await one(`SELECT count(DISTINCT ${fx.id(q(cCust))}) AS n FROM ${rel}`, params)).n,
    );
    if (distinct < n)
      throw new SegmintError(
        'DATA_DUPLICATE_ID',
        `Source "${custSrc.name}" has ${n - distinct} repeated customer id(s) in column "${cCust}"; inside an engine segmint cannot tell which row comes first.`,
        {
          where: { file: custSrc.file, column: cCust, path: `sources.${custSrc.name}.roles.customer` },
          hint: 'Point the source at a view with one row per customer (e.g. the latest by a timestamp).',
        },
      );
    ledger.push({
      source: custSrc.name,
      rule: 'repeated customer id (first row kept)',
      removed: 0,
      remaining: n,
    });
    const checks = cJoined
      ? await badRows(custSrc, rel, [{ column: cJoined, parsed: joinedE!, code: 'DATA_BAD_DATE' }])
      : [];
    const kept = checks.length ? await applyRules(custSrc, rel, checks, 'c2') : rel;
    const others = custSrc.columns.filter((c) => c.name !== 'customer_id' && c.name !== '__joined');
    cust = `(SELECT ${fx.id(q(cCust))} AS customer_id, ${others.map((c) => q(c.name)).join(', ')}${joinedE ? `, ${joinedE} AS __joined` : ''} FROM ${kept}) AS c`;
  }

  // ---- events and coupons: normalised, then missing ids
  const normalise = async (
    src: EngineSource,
    select: (rel: string) => string,
    checks: { column: string; parsed: string; code: 'DATA_BAD_DATE' | 'DATA_BAD_NUMBER' }[],
    alias: string,
  ): Promise<string> => {
    readRows(src);
    const src0 = `${tableRef(src.table)} AS ${alias}0`;
    const filtered = await applyRules(src, src0, filterRules(src), `${alias}f`);
    const rel = await applyRules(src, filtered, await badRows(src, filtered, checks), `${alias}1`);
    const norm = `(${select(rel)}) AS ${alias}2`;
    return applyRules(
      src,
      norm,
      [{ rule: 'missing customer id', keep: 'customer_id IS NOT NULL' }],
      `${alias}3`,
    );
  };
  const evSrc = byKind.events;
  let ev: string | null = null;
  if (evSrc) {
    step('cleaning events');
    const cCust = requireRole(evSrc, 'customer', 'for an events source');
    const cTime = requireRole(evSrc, 'time', 'for an events source');
    const timeE = timeOf(evSrc, cTime);
    const cDur = role(evSrc, 'duration');
    const durE = cDur ? numberOf(evSrc, cDur) : fx.nullDouble;
    const cType = role(evSrc, 'type');
    const cSess = role(evSrc, 'session');
    ev = await normalise(
      evSrc,
      (rel) =>
        `SELECT ${fx.id(q(cCust))} AS customer_id, ${timeE} AS ts, ${cType ? `NULLIF(${fx.trim(textOf(cType))}, '')` : fx.nullText} AS type, ${durE} AS duration, ${cSess ? fx.id(q(cSess)) : fx.nullText} AS session FROM ${rel}`,
      [
        { column: cTime, parsed: timeE, code: 'DATA_BAD_DATE' },
        ...(cDur ? [{ column: cDur, parsed: durE, code: 'DATA_BAD_NUMBER' as const }] : []),
      ],
      'e',
    );
  }
  const cpSrc = byKind.coupons;
  let cp: string | null = null;
  if (cpSrc) {
    step('cleaning coupons');
    const cCust = requireRole(cpSrc, 'customer', 'for a coupons source');
    const cRed = requireRole(
      cpSrc,
      'redeemed',
      'for a coupons source (a flag, or the time the coupon was used)',
    );
    const cTime = role(cpSrc, 'time');
    const timeE = cTime ? timeOf(cpSrc, cTime) : fx.nullTimestamp;
    const rt = typeOf(cpSrc, cRed);
    const redE = ENGINE_TYPES.boolean(rt)
      ? fx.orFalse(q(cRed))
      : ENGINE_TYPES.numeric(rt)
        ? fx.orFalse(`${q(cRed)} <> 0`)
        : ENGINE_TYPES.temporal(rt)
          ? `${q(cRed)} IS NOT NULL`
          : fx.orFalse(
              `lower(${fx.trim(textOf(cRed))}) IN ('1', 'true', 't', 'yes', 'y', 'redeemed', 'burned', 'used')`,
            );
    cp = await normalise(
      cpSrc,
      (rel) => `SELECT ${fx.id(q(cCust))} AS customer_id, ${timeE} AS ts, ${redE} AS redeemed FROM ${rel}`,
      cTime ? [{ column: cTime, parsed: timeE, code: 'DATA_BAD_DATE' }] : [],
      'p',
    );
  }

  // ---- reference date and window
  step('the window and the customers');
  let referenceDate = givenReferenceDate(recipe.window.referenceDate);
  if (!referenceDate) {
    const maxFrom = txNorm ?? ev ?? cp;
    const expr = maxFrom ? 'max(ts)' : custSrc?.spec.roles.joined ? 'max(__joined)' : null;
    const r = expr ? await one(`SELECT ${fx.text(fx.date(expr))} AS d FROM ${maxFrom ?? cust}`, params) : {};
    referenceDate = r.d ? addDays(String(r.d), 1) : '1970-01-01';
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
    if (alias === 'cp' && !role(src, 'time')) return `(SELECT * FROM ${rel}) AS cp`;
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

  // ---- the customers analysed
  let universe: string;
  let customers: number;
  if (tx) {
    universe = `(SELECT DISTINCT customer_id FROM ${tx} WHERE NOT is_return) AS u`;
    const r = await one(
      `SELECT count(DISTINCT customer_id) AS a, ${fx.agg('countDistinct', 'customer_id', 'NOT is_return')} AS n FROM ${tx}`,
    );
    customers = Number(r.n ?? 0);
    if (Number(r.a) > customers) warnings.push(onlyReturnsWarning(Number(r.a) - customers));
  } else if (cust) {
    universe = `(SELECT customer_id FROM ${cust}) AS u`;
    customers = await countRows(universe);
  } else {
    throw noCustomerSourceError();
  }
  if (customers === 0) throw noCustomersError(windowStart, referenceDate, ledger);
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
  const plan = await planFeatures(recipe, {
    kit,
    has,
    byKind,
    txRelation: tx ?? '',
    all: (sql, p) => all(sql, { ...params, ...(p as EngineParams) }),
    type: ENGINE_TYPES,
  });
  Object.assign(params, plan.params);
  const relations: Record<Agg['table'], string | null> = { tx, tx_hist: txHist, ev, cp };
  const select = featuresSelect(
    kit,
    universe,
    plan.aggs,
    relations,
    cust,
    plan.extraSelect,
    plan.columns.map((c) => c.name),
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
        hint: `Custom SQL runs in ${engine.dialect} here, so write it in that dialect; it sees the columns customer_id, order_id, ts, quantity, price, amount, product, category, country, status, is_return (transactions); ts, type, duration, session (events); ts, redeemed (coupons).`,
        details: e.details,
      });
    throw e;
  }
  queries += 4;

  // ---- what the report shows of the data: per column its nulls, min and max, one scan per source
  // (distinct counts and top values would cost a sort per column, so they are left out here)
  const overview: DataOverview = {
    sources: [],
    distributions: { orderValue: null, itemsPerOrder: null, ordersPerCustomer: null },
  };
  for (const s of sources) {
    const cols = s.columns.map((c, i) => ({ ...c, i }));
    const r = await one(
      `SELECT ${cols
        .map(
          (c) =>
            `count(*) - count(${q(c.name)}) AS n${c.i}, ${ENGINE_TYPES.boolean(c.type) ? `${fx.nullText} AS lo${c.i}, ${fx.nullText}` : `${fx.text(`min(${q(c.name)})`)} AS lo${c.i}, ${fx.text(`max(${q(c.name)})`)}`} AS hi${c.i}`,
        )
        .join(', ')} FROM ${tableRef(s.table)}`,
    );
    overview.sources.push({
      name: s.name,
      kind: s.spec.kind,
      file: s.file,
      rows: s.rows,
      dateRange: s === txSrc ? histRange : null,
      columns: cols.map((c) => ({
        name: c.name,
        type: c.type,
        nulls: Number(r[`n${c.i}`] ?? 0),
        distinct: null,
        min: r[`lo${c.i}`] === null || r[`lo${c.i}`] === undefined ? null : String(r[`lo${c.i}`]),
        max: r[`hi${c.i}`] === null || r[`hi${c.i}`] === undefined ? null : String(r[`hi${c.i}`]),
        top: [],
      })),
    });
  }
  return {
    data: { ledger, warnings, referenceDate, windowStart, has, byKind, customers },
    feats: { columns: plan.columns, warnings: plan.warnings, revenueColumn: plan.revenueColumn },
    table: featuresTable,
    overview,
    relations: { transactions: txHist, universe },
    params,
    queries,
    rowsReturned,
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

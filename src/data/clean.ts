import type { Recipe } from '../config/recipe.js';
import { SegmintError, type Warning } from '../core/errors.js';
import {
  checkFilterColumns,
  couponRoles,
  dropsDuplicates,
  duplicatesKeptWarning,
  givenReferenceDate,
  noCustomerSourceError,
  noCustomersError,
  noPurchasesError,
  onlyReturnsWarning,
  orderKeyOf,
  REDEEMED_WORDS_SQL,
  requireRole,
  transactionRoles,
  unmatchedWarning,
  windowRule,
} from './cleaning-rules.js';
import { type Duck, qi } from './duck.js';
import {
  type BadValueCheck,
  checkFinite,
  findBadValues,
  idExpression,
  numberExpression,
  timeExpression,
} from './parse.js';
import type { LoadedSource } from './sources.js';

/** One line of the cleaning ledger: what a rule removed (or changed) from which source. */
export interface LedgerEntry {
  source: string;
  rule: string;
  removed: number;
  remaining: number;
  note?: string;
}

export interface CleanResult {
  ledger: LedgerEntry[];
  warnings: Warning[];
  /** ISO date (YYYY-MM-DD) the features are computed as of. */
  referenceDate: string;
  /** First day of the analysis window (inclusive), or null for the whole history. */
  windowStart: string | null;
  /** Which normalised tables exist: tx (window) / tx_hist, cust, ev, cp. */
  has: { transactions: boolean; customers: boolean; events: boolean; coupons: boolean };
  sources: Map<string, LoadedSource>;
  /** Kind -> the source that feeds it. */
  byKind: Partial<Record<'transactions' | 'customers' | 'events' | 'coupons', LoadedSource>>;
  /** Customers in the analysis (table `universe`). */
  customers: number;
}

function role(src: LoadedSource, name: string): string | undefined {
  return src.spec.roles[name];
}

const typeOf = (src: LoadedSource, col: string): string =>
  src.columns.find((c) => c.name === col)?.type ?? 'VARCHAR';

interface Rule {
  rule: string;
  keep: string;
  note?: string;
}

/** The source of each kind (lookups aside); two sources of one kind are an error. */
export function sourcesByKind<S extends { name: string; spec: { kind: string } }>(
  sources: Iterable<S>,
): Partial<Record<'transactions' | 'customers' | 'events' | 'coupons', S>> {
  const byKind: Partial<Record<'transactions' | 'customers' | 'events' | 'coupons', S>> = {};
  for (const s of sources) {
    if (s.spec.kind === 'lookup') continue;
    if (byKind[s.spec.kind as 'transactions']) {
      throw new SegmintError(
        'RECIPE_INVALID',
        `Sources "${byKind[s.spec.kind as 'transactions']!.name}" and "${s.name}" are both of kind ${s.spec.kind}; a recipe takes one of each kind.`,
        {
          where: { path: `sources.${s.name}.kind` },
          hint: 'Combine the files with a glob path (e.g. data/orders-*.csv), or make one of them kind: lookup and join it.',
        },
      );
    }
    byKind[s.spec.kind as 'transactions'] = s;
  }

  return byKind;
}

/**
 * Normalises every source by its roles into the standard tables, applies the cleaning rules in a
 * fixed order (each counted in the ledger), then the analysis window.
 *
 * Standard tables: `tx_hist` (customer_id, order_id, ts, quantity, price, amount, product,
 * category, country, status, is_return; every cleaned line up to the reference date), `tx` (the
 * window), `cust`, `ev`, `cp`, and `universe` (the customers analysed).
 */
export async function cleanSources(
  duck: Duck,
  recipe: Recipe,
  sources: Map<string, LoadedSource>,
): Promise<CleanResult> {
  const ledger: LedgerEntry[] = [];
  const warnings: Warning[] = [];
  const cl = recipe.cleaning;
  checkFilterColumns(cl.filters, [...sources.values()]);
  // Rows of a table that still count. Once cancellations are set aside (cancellations: drop), the
  // transaction tables keep them only for return_rate, so the ledger counts purchase lines.
  let countedWhere: Record<string, string> = {};
  const count = async (duck: Duck, table: string): Promise<number> =>
    Number(
      (
        await duck.one(
          `SELECT count(*) AS n FROM ${qi(table)}${countedWhere[table] ? ` WHERE ${countedWhere[table]}` : ''}`,
        )
      ).n,
    );
  /** Replaces `table` by its rows that satisfy `keep`; returns how many counted rows went. */
  const keepWhere = async (
    duck: Duck,
    table: string,
    keep: string,
    params?: Record<string, string | number>,
  ): Promise<number> => {
    const before = await count(duck, table);
    await duck.exec(
      `CREATE OR REPLACE TABLE ${qi(table)} AS SELECT * FROM ${qi(table)} WHERE ${keep} ORDER BY __row`,
      params,
    );
    return before - (await count(duck, table));
  };
  const byKind = sourcesByKind(sources.values());

  const applyRules = async (
    src: LoadedSource,
    table: string,
    rules: Rule[],
    params?: Record<string, string | number>,
  ) => {
    for (const r of rules) {
      const removed = await keepWhere(duck, table, r.keep, params);
      ledger.push({
        source: src.name,
        rule: r.rule,
        removed,
        remaining: await count(duck, table),
        ...(r.note ? { note: r.note } : {}),
      });
    }
  };

  const filterRules = (src: LoadedSource): { rules: Rule[]; params: Record<string, string | number> } => {
    const params: Record<string, string | number> = {};
    const rules: Rule[] = [];
    cl.filters.forEach((f, i) => {
      if (!src.columns.some((c) => c.name === f.column)) return;
      const values = 'in' in f ? f.in : f.notIn;
      const names = values.map((v, j) => {
        params[`f${i}_${j}`] = typeof v === 'number' ? String(v) : v;
        return `$f${i}_${j}`;
      });
      const cond = `CAST(${qi(f.column)} AS VARCHAR) IN (${names.join(', ')})`;
      rules.push({
        rule: `filter ${f.column} ${'in' in f ? 'in' : 'not in'} [${values.join(', ')}]`,
        keep: 'in' in f ? `coalesce(${cond}, false)` : `NOT coalesce(${cond}, false)`,
      });
    });
    return { rules, params };
  };

  const badRows = async (src: LoadedSource, table: string, checks: BadValueCheck[]) => {
    const { bad, firstError } = await findBadValues(duck, table, checks, {
      file: src.file,
      lineOffset: src.lineOffset,
      source: src.name,
    });
    if (!bad) return;
    if (cl.badRows === 'error' && firstError) throw firstError;
    const cond = checks
      .map((k) => `(${k.raw} IS NOT NULL AND trim(CAST(${k.raw} AS VARCHAR)) <> '' AND ${k.parsed} IS NULL)`)
      .join(' OR ');
    await applyRules(src, table, [{ rule: 'unreadable date or number', keep: `NOT (${cond})` }]);
  };

  const readRows = (src: LoadedSource) =>
    ledger.push({ source: src.name, rule: 'rows read', removed: 0, remaining: src.rows });

  // ---- transactions
  const txSrc = byKind.transactions;
  if (txSrc) {
    readRows(txSrc);
    const {
      customer: cCust,
      time: cTime,
      price: cPrice,
      amount: cAmount,
      quantity: cQty,
      order: cOrder,
    } = transactionRoles(txSrc);
    const decimal = txSrc.spec.csv?.decimal;
    const timeE = await timeExpression(duck, txSrc.table, cTime, typeOf(txSrc, cTime), txSrc.spec.dateFormat);
    const qtyE = cQty ? numberExpression(cQty, typeOf(txSrc, cQty), decimal) : '1.0';
    const priceE = cPrice ? numberExpression(cPrice, typeOf(txSrc, cPrice), decimal) : null;
    const amountE = cAmount ? numberExpression(cAmount, typeOf(txSrc, cAmount), decimal) : null;
    const orderKey = orderKeyOf(txSrc).key;
    const orderE = {
      column: () => idExpression(cOrder!),
      row: () => `(${idExpression(cCust)} || '#' || CAST(__row AS VARCHAR))`,
      time: () => `(${idExpression(cCust)} || '@' || CAST(${timeE} AS VARCHAR))`,
      day: () => `(${idExpression(cCust)} || '@' || CAST(CAST(${timeE} AS DATE) AS VARCHAR))`,
    }[orderKey]();
    const txt = (r: string) => {
      const c = role(txSrc, r);
      return c ? `NULLIF(trim(CAST(${qi(c)} AS VARCHAR)), '')` : 'NULL::VARCHAR';
    };
    const origCols = txSrc.columns.filter((c) => c.name !== '__row').map((c) => qi(c.name));
    await duck.exec(`CREATE OR REPLACE TABLE tx_stage AS SELECT * FROM ${qi(txSrc.table)} ORDER BY __row`);
    const { rules, params } = filterRules(txSrc);
    await applyRules(txSrc, 'tx_stage', rules, params);
    const checks: BadValueCheck[] = [{ column: cTime, raw: qi(cTime), parsed: timeE, code: 'DATA_BAD_DATE' }];
    for (const [c, e] of [
      [cQty, qtyE],
      [cPrice, priceE],
      [cAmount, amountE],
    ] as const) {
      if (c && e) checks.push({ column: c, raw: qi(c), parsed: e, code: 'DATA_BAD_NUMBER' });
    }
    await badRows(txSrc, 'tx_stage', checks);
    await checkFinite(
      duck,
      'tx_stage',
      checks.filter((k) => k.code === 'DATA_BAD_NUMBER').map((k) => ({ column: k.column, expr: k.parsed })),
      { file: txSrc.file, lineOffset: txSrc.lineOffset },
    );
    await applyRules(txSrc, 'tx_stage', [
      { rule: 'missing customer id', keep: `${idExpression(cCust)} IS NOT NULL` },
    ]);
    if (!dropsDuplicates(cl, txSrc) && cl.duplicates === 'auto') {
      const repeated = Number(
        (
          await duck.one(
            `SELECT count(*) AS n FROM (SELECT row_number() OVER (PARTITION BY ${origCols.join(', ')}) AS k FROM tx_stage) AS d WHERE k > 1`,
          )
        ).n,
      );
      if (repeated) warnings.push(duplicatesKeptWarning(txSrc, repeated));
    }
    if (dropsDuplicates(cl, txSrc)) {
      const removed = await (async () => {
        const before = await count(duck, 'tx_stage');
        await duck.exec(
          `CREATE OR REPLACE TABLE tx_stage AS SELECT * FROM tx_stage QUALIFY row_number() OVER (PARTITION BY ${origCols.join(', ')} ORDER BY __row) = 1 ORDER BY __row`,
        );
        return before - (await count(duck, 'tx_stage'));
      })();
      ledger.push({
        source: txSrc.name,
        rule: 'exact duplicate rows',
        removed,
        remaining: await count(duck, 'tx_stage'),
      });
    }
    const cProduct = role(txSrc, 'product');
    if (cProduct && cl.nonProductCodes.length) {
      const p: Record<string, string> = {};
      const names = cl.nonProductCodes.map((code, i) => {
        p[`np${i}`] = code.toUpperCase();
        return `$np${i}`;
      });
      await applyRules(
        txSrc,
        'tx_stage',
        [
          {
            rule: 'non-product codes (postage, fees, adjustments)',
            keep: `coalesce(upper(trim(CAST(${qi(cProduct)} AS VARCHAR))) NOT IN (${names.join(', ')}), true)`,
          },
        ],
        p,
      );
    }
    const amountRaw = amountE ?? `(${qtyE}) * (${priceE})`;
    const cancelCond =
      cl.cancellations === 'keep'
        ? 'false'
        : `(${cOrder && cl.cancelPrefix ? `starts_with(${idExpression(cOrder)}, $cprefix) OR ` : ''}coalesce(${cQty ? qtyE : amountRaw} < 0, false))`;
    const cparams =
      cOrder && cl.cancelPrefix && cl.cancellations !== 'keep' ? { cprefix: cl.cancelPrefix } : undefined;
    await duck.exec(
      `CREATE OR REPLACE TABLE tx_norm AS SELECT __row,
        ${idExpression(cCust)} AS customer_id,
        ${orderE} AS order_id,
        ${timeE} AS ts,
        CASE WHEN ${cancelCond} THEN -abs(${qtyE}) ELSE ${qtyE} END AS quantity,
        ${priceE ?? `(${amountE}) / NULLIF(${qtyE}, 0)`} AS price,
        CASE WHEN ${cancelCond} THEN -abs(${amountRaw}) ELSE ${amountRaw} END AS amount,
        ${txt('product')} AS product, ${txt('category')} AS category, ${txt('country')} AS country, ${txt('status')} AS status,
        ${cancelCond} AS is_return
      FROM tx_stage ORDER BY __row`,
      cparams,
    );
    await duck.exec('DROP TABLE tx_stage');
    const returns = Number((await duck.one('SELECT count(*) AS n FROM tx_norm WHERE is_return')).n);
    if (cl.cancellations === 'drop') {
      countedWhere = { tx_norm: 'NOT is_return', tx_hist: 'NOT is_return', tx: 'NOT is_return' };
      ledger.push({
        source: txSrc.name,
        rule: 'cancellations and returns',
        removed: returns,
        remaining: await count(duck, 'tx_norm'),
        note: 'left out of purchase features; counted in return_rate',
      });
    } else if (cl.cancellations === 'net') {
      ledger.push({
        source: txSrc.name,
        rule: 'cancellations and returns',
        removed: 0,
        remaining: await count(duck, 'tx_norm'),
        note: `${returns} line(s) netted against purchases`,
      });
    }
    if (cl.nonPositivePrice === 'drop') {
      await applyRules(txSrc, 'tx_norm', [
        {
          rule: priceE ? 'non-positive price' : 'non-positive amount',
          keep: `is_return OR coalesce(${priceE ? 'price' : 'amount'} > 0, false)`,
        },
      ]);
    }
    if (cl.cap) {
      for (const col of cl.cap.columns) {
        const lower = cl.cap.lower !== undefined;
        const q = await duck.one(
          `SELECT quantile_cont(${col}, ${cl.cap.upper}) AS hi${lower ? `, quantile_cont(${col}, ${cl.cap.lower}) AS lo` : ''} FROM tx_norm WHERE NOT is_return`,
        );
        const bounds = { hi: Number(q.hi), ...(lower ? { lo: Number(q.lo) } : {}) };
        const outside = `${col} > CAST($hi AS DOUBLE)${lower ? ` OR ${col} < CAST($lo AS DOUBLE)` : ''}`;
        const changed = Number(
          (await duck.one(`SELECT count(*) AS n FROM tx_norm WHERE NOT is_return AND (${outside})`, bounds))
            .n,
        );
        const capped = lower
          ? `least(greatest(${col}, CAST($lo AS DOUBLE)), CAST($hi AS DOUBLE))`
          : `least(${col}, CAST($hi AS DOUBLE))`;
        await duck.exec(`UPDATE tx_norm SET ${col} = ${capped} WHERE NOT is_return`, bounds);
        if (col !== 'amount')
          await duck.exec('UPDATE tx_norm SET amount = quantity * price WHERE NOT is_return');
        ledger.push({
          source: txSrc.name,
          rule: `cap ${col} at percentile ${cl.cap.upper}${lower ? ` (and ${cl.cap.lower} below)` : ''}`,
          removed: 0,
          remaining: await count(duck, 'tx_norm'),
          note: `${changed} value(s) capped`,
        });
      }
    }
    const purchases = Number((await duck.one('SELECT count(*) AS n FROM tx_norm WHERE NOT is_return')).n);
    if (purchases === 0) throw noPurchasesError(txSrc, ledger);
  }

  // ---- customers
  const custSrc = byKind.customers;
  if (custSrc) {
    readRows(custSrc);
    const cCust = requireRole(custSrc, 'customer', 'for a customers source');
    await duck.exec(
      `CREATE OR REPLACE TABLE cust AS SELECT ${idExpression(cCust)} AS customer_id, * FROM ${qi(custSrc.table)} ORDER BY __row`,
    );
    const { rules, params } = filterRules(custSrc);
    await applyRules(custSrc, 'cust', rules, params);
    await applyRules(custSrc, 'cust', [{ rule: 'missing customer id', keep: 'customer_id IS NOT NULL' }]);
    const before = await count(duck, 'cust');
    await duck.exec(
      'CREATE OR REPLACE TABLE cust AS SELECT * FROM cust QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY __row) = 1 ORDER BY __row',
    );
    ledger.push({
      source: custSrc.name,
      rule: 'repeated customer id (first row kept)',
      removed: before - (await count(duck, 'cust')),
      remaining: await count(duck, 'cust'),
    });
    const cJoined = role(custSrc, 'joined');
    if (cJoined) {
      const e = await timeExpression(
        duck,
        custSrc.table,
        cJoined,
        typeOf(custSrc, cJoined),
        custSrc.spec.dateFormat,
      );
      await badRows(custSrc, 'cust', [
        { column: cJoined, raw: qi(cJoined), parsed: e, code: 'DATA_BAD_DATE' },
      ]);
      await duck.exec(`CREATE OR REPLACE TABLE cust AS SELECT *, ${e} AS __joined FROM cust ORDER BY __row`);
    }
  }

  // ---- events
  const evSrc = byKind.events;
  if (evSrc) {
    readRows(evSrc);
    const cCust = requireRole(evSrc, 'customer', 'for an events source');
    const cTime = requireRole(evSrc, 'time', 'for an events source');
    const timeE = await timeExpression(duck, evSrc.table, cTime, typeOf(evSrc, cTime), evSrc.spec.dateFormat);
    const cDur = role(evSrc, 'duration');
    const durE = cDur ? numberExpression(cDur, typeOf(evSrc, cDur), evSrc.spec.csv?.decimal) : 'NULL::DOUBLE';
    await duck.exec(`CREATE OR REPLACE TABLE ev_stage AS SELECT * FROM ${qi(evSrc.table)} ORDER BY __row`);
    const { rules, params } = filterRules(evSrc);
    await applyRules(evSrc, 'ev_stage', rules, params);
    const checks: BadValueCheck[] = [{ column: cTime, raw: qi(cTime), parsed: timeE, code: 'DATA_BAD_DATE' }];
    if (cDur) checks.push({ column: cDur, raw: qi(cDur), parsed: durE, code: 'DATA_BAD_NUMBER' });
    await badRows(evSrc, 'ev_stage', checks);
    const cType = role(evSrc, 'type');
    const cSess = role(evSrc, 'session');
    await duck.exec(
      `CREATE OR REPLACE TABLE ev AS SELECT __row, ${idExpression(cCust)} AS customer_id, ${timeE} AS ts,
        ${cType ? `NULLIF(trim(CAST(${qi(cType)} AS VARCHAR)), '')` : 'NULL::VARCHAR'} AS type,
        ${durE} AS duration, ${cSess ? idExpression(cSess) : 'NULL::VARCHAR'} AS session
       FROM ev_stage ORDER BY __row`,
    );
    await duck.exec('DROP TABLE ev_stage');
    await applyRules(evSrc, 'ev', [{ rule: 'missing customer id', keep: 'customer_id IS NOT NULL' }]);
  }

  // ---- coupons
  const cpSrc = byKind.coupons;
  if (cpSrc) {
    readRows(cpSrc);
    const { customer: cCust, redeemed: cRed, time: cTime } = couponRoles(cpSrc);
    const timeE = cTime
      ? await timeExpression(duck, cpSrc.table, cTime, typeOf(cpSrc, cTime), cpSrc.spec.dateFormat)
      : 'NULL::TIMESTAMP';
    const rt = typeOf(cpSrc, cRed);
    const redE =
      rt === 'BOOLEAN'
        ? `coalesce(${qi(cRed)}, false)`
        : /INT|DOUBLE|FLOAT|DECIMAL/.test(rt)
          ? `coalesce(${qi(cRed)} <> 0, false)`
          : /DATE|TIMESTAMP/.test(rt)
            ? `${qi(cRed)} IS NOT NULL`
            : `coalesce(lower(trim(CAST(${qi(cRed)} AS VARCHAR))) IN ${REDEEMED_WORDS_SQL}, false)`;
    await duck.exec(`CREATE OR REPLACE TABLE cp_stage AS SELECT * FROM ${qi(cpSrc.table)} ORDER BY __row`);
    const { rules, params } = filterRules(cpSrc);
    await applyRules(cpSrc, 'cp_stage', rules, params);
    if (cTime)
      await badRows(cpSrc, 'cp_stage', [
        { column: cTime, raw: qi(cTime), parsed: timeE, code: 'DATA_BAD_DATE' },
      ]);
    await duck.exec(
      `CREATE OR REPLACE TABLE cp AS SELECT __row, ${idExpression(cCust)} AS customer_id, ${timeE} AS ts, ${redE} AS redeemed FROM cp_stage ORDER BY __row`,
    );
    await duck.exec('DROP TABLE cp_stage');
    await applyRules(cpSrc, 'cp', [{ rule: 'missing customer id', keep: 'customer_id IS NOT NULL' }]);
  }

  // ---- reference date and window
  let referenceDate = givenReferenceDate(recipe.window.referenceDate);
  if (!referenceDate) {
    const maxTable = txSrc ? 'tx_norm' : evSrc ? 'ev' : cpSrc ? 'cp' : null;
    const r = maxTable
      ? await duck.one(
          `SELECT strftime(CAST(max(ts) AS DATE) + INTERVAL 1 DAY, '%Y-%m-%d') AS d FROM ${maxTable}`,
        )
      : custSrc?.spec.roles.joined
        ? await duck.one(
            `SELECT strftime(CAST(max(__joined) AS DATE) + INTERVAL 1 DAY, '%Y-%m-%d') AS d FROM cust`,
          )
        : { d: null };
    referenceDate = r.d ? String(r.d) : '1970-01-01';
  }
  referenceDate = referenceDate.slice(0, 10);
  const days = recipe.window.days;
  const windowStart = days
    ? String(
        (
          await duck.one(
            `SELECT strftime(CAST($ref AS DATE) - to_days(CAST($days AS INTEGER)), '%Y-%m-%d') AS d`,
            { ref: referenceDate, days },
          )
        ).d,
      )
    : null;
  const inWindow = `ts < CAST($ref AS TIMESTAMP)${windowStart ? ' AND ts >= CAST($start AS TIMESTAMP)' : ''}`;
  const wparams: Record<string, string> = {
    ref: referenceDate,
    ...(windowStart ? { start: windowStart } : {}),
  };
  if (txSrc) {
    await duck.exec(
      'CREATE OR REPLACE TABLE tx_hist AS SELECT * FROM tx_norm WHERE ts < CAST($ref AS TIMESTAMP) ORDER BY __row',
      { ref: referenceDate },
    );
    const after = (await count(duck, 'tx_norm')) - (await count(duck, 'tx_hist'));
    if (after)
      ledger.push({
        source: txSrc.name,
        rule: 'on or after the reference date',
        removed: after,
        remaining: await count(duck, 'tx_hist'),
      });
    await duck.exec('DROP TABLE tx_norm');
    await duck.exec(
      `CREATE OR REPLACE TABLE tx AS SELECT * FROM tx_hist WHERE ${inWindow} ORDER BY __row`,
      wparams,
    );
    if (windowStart) {
      const out = (await count(duck, 'tx_hist')) - (await count(duck, 'tx'));
      ledger.push({
        source: txSrc.name,
        rule: `outside the ${days}-day window`,
        removed: out,
        remaining: await count(duck, 'tx'),
        note: 'earlier lines still count for tenure_days',
      });
    }
  }
  for (const [src, t] of [
    [evSrc, 'ev'],
    [cpSrc, 'cp'],
  ] as const) {
    if (!src || (t === 'cp' && !role(src, 'time'))) continue;
    const removed = await keepWhere(duck, t, inWindow, wparams);
    if (removed)
      ledger.push({
        source: src.name,
        rule: windowRule(windowStart, days),
        removed,
        remaining: await count(duck, t),
      });
  }

  // ---- the customers analysed
  if (txSrc) {
    await duck.exec(
      'CREATE OR REPLACE TABLE universe AS SELECT DISTINCT customer_id FROM tx WHERE NOT is_return ORDER BY customer_id',
    );
    const all = Number((await duck.one('SELECT count(DISTINCT customer_id) AS n FROM tx')).n);
    const n = await count(duck, 'universe');
    if (all > n) warnings.push(onlyReturnsWarning(all - n));
  } else if (custSrc) {
    await duck.exec('CREATE OR REPLACE TABLE universe AS SELECT customer_id FROM cust ORDER BY customer_id');
  } else {
    throw noCustomerSourceError();
  }
  const customers = await count(duck, 'universe');
  if (customers === 0) throw noCustomersError(windowStart, referenceDate, ledger);
  if (txSrc && custSrc) {
    const unmatched = Number(
      (await duck.one('SELECT count(*) AS n FROM universe u ANTI JOIN cust c USING (customer_id)')).n,
    );
    if (unmatched) warnings.push(unmatchedWarning(unmatched, custSrc.name));
  }
  return {
    ledger,
    warnings,
    referenceDate,
    windowStart,
    has: { transactions: !!txSrc, customers: !!custSrc, events: !!evSrc, coupons: !!cpSrc },
    sources,
    byKind,
    customers,
  };
}

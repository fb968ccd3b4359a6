import type { LedgerEntry } from '../data/cleaning-rules.js';
import {
  couponRoles,
  dropsDuplicates,
  duplicatesKeptWarning,
  noPurchasesError,
  orderKeyOf,
  REDEEMED_WORDS_SQL,
  requireRole,
  transactionRoles,
  zeroSpendWarning,
} from '../data/cleaning-rules.js';
import { COLUMN_TYPES } from '../sql/dialect.js';
import { createTableSql } from '../sql/query.js';
import { engineQuantiles } from '../sql/tables.js';
import { type EngineSession, type EngineSource, LINE_COLUMNS, LINES, type Rule } from './session.js';

// The cleaning of each kind of source, in any engine (the embedded DuckDB included): each rule is a
// condition on the source's rows; each function returns the relation (SQL) of its cleaned rows and
// adds its lines to the session's ledger.

/**
 * Order lines: source rows -> filters, unreadable values, missing ids -> exact duplicates ->
 * normalised lines (product codes, cancellations, non-positive prices counted in one scan) ->
 * capping. The reference date and the window come later, over all sources.
 */
export async function cleanTransactions(
  s: EngineSession,
  txSrc: EngineSource,
): Promise<{ txNorm: string; returnsCounted: boolean; purchases: number }> {
  const { kit, engine, ledger, params, recipe } = s;
  const { q, fx } = kit;
  const cl = recipe.cleaning;
  const {
    one,
    bind,
    countRows,
    applyRules,
    filterRules,
    badRows,
    lastRemaining,
    readRows,
    textOf,
    timeOf,
    numberOf,
    tableRef,
    role,
    stopped,
    step,
  } = s;
  let txNorm: string;
  let returnsCounted = false;
  let purchases = 0;
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
      { rule: 'missing customer id', keep: s.hasId(txSrc, cCust) },
      ...statusRule(s, txSrc),
    ],
    't1',
  );
  // A purchase log has no money: its amount and price are NULL (no money feature reads them).
  const amountRaw = amountE ?? (priceE ? `(${qtyE}) * (${priceE})` : fx.nullDouble);
  const cancelCond =
    cl.cancellations === 'keep'
      ? '1 = 0'
      : `(${cOrder && cl.cancelPrefix ? `${fx.startsWith(s.idOf(txSrc, cOrder), bind(cl.cancelPrefix))} OR ` : ''}${fx.orFalse(`${cQty ? qtyE : amountRaw} < 0`)})`;
  const txt = (r: string) => {
    const c = role(txSrc, r);
    return c ? `NULLIF(${fx.trim(textOf(c))}, '')` : fx.nullText;
  };
  const orderE = {
    column: () => s.idOf(txSrc, cOrder!),
    row: () => fx.rowId(),
    time: () => `concat(${s.idOf(txSrc, cCust)}, '@', ${fx.text(timeE)})`,
    day: () => `concat(${s.idOf(txSrc, cCust)}, '@', ${fx.text(fx.date(timeE))})`,
  }[orderKeyOf(txSrc).key]();
  const dropDuplicates = dropsDuplicates(cl, txSrc);
  if (!dropDuplicates && cl.duplicates === 'auto') {
    // The rows of `rel` are the ledger's last count; only the distinct ones need a scan.
    const all = lastRemaining(txSrc);
    const distinct = await countRows(`(SELECT DISTINCT * FROM ${rel}) AS d0`);
    if (all > distinct) s.warnings.push(duplicatesKeptWarning(txSrc, all - distinct));
  }
  const extra = s.extraColumns(
    txSrc,
    LINE_COLUMNS.map((c) => c.name),
  );
  const extraSel = extra.map((x) => `, ${x.expr} AS ${q(x.name)}`).join('');
  const extraNames = extra.map((x) => `, ${q(x.name)}`).join('');
  const lineColumns = [...LINE_COLUMNS, ...extra.map((x) => ({ name: x.name, type: x.type }))];
  const normalised = `SELECT ${s.idOf(txSrc, cCust)} AS customer_id, ${orderE} AS order_id, ${timeE} AS ts,
      CASE WHEN ${cancelCond} THEN -abs(${qtyE}) ELSE ${qtyE} END AS quantity,
      ${priceE ?? (amountE ? fx.div(amountE, qtyE) : fx.nullDouble)} AS price,
      CASE WHEN ${cancelCond} THEN -abs(${amountRaw}) ELSE ${amountRaw} END AS amount,
      ${txt('product')} AS product, ${txt('category')} AS category, ${txt('country')} AS country, ${txt('status')} AS status,
      ${cancelCond} AS is_return${extraSel}
    FROM ${dropDuplicates ? `(SELECT DISTINCT * FROM ${rel}) AS t2` : rel}`;
  // The distinct, normalised lines are computed once: kept in a temporary table where the
  // engine has them (PostgreSQL, DuckDB); ClickHouse scans its shards again for each query.
  let lines = `(${normalised}) AS n0`;
  if (kit.d.tempTables) {
    stopped();
    await engine.exec(`DROP TABLE IF EXISTS ${LINES}`);
    await engine.exec(createTableSql(LINES, lineColumns, engine.dialect, { temporary: true }));
    await engine.exec(
      `INSERT INTO ${LINES} (${lineColumns.map((c) => q(c.name)).join(', ')}) ${normalised}`,
      params,
    );
    s.queries += 3;
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
    cl.nonPositivePrice === 'drop' && (priceE || amountE)
      ? `(is_return OR ${fx.orFalse(`${priceE ? 'price' : 'amount'} > 0`)})`
      : null;
  if (cl.cancellations === 'drop') returnsCounted = true;
  const when = (...c: (string | null)[]) => {
    const conds = c.filter(Boolean);
    return `sum(CASE WHEN ${conds.length ? conds.join(' AND ') : '1 = 1'} THEN 1 ELSE 0 END)`;
  };
  // One scan counts what the rules after the duplicates remove.
  const c = await one(
    `SELECT count(*) AS n, ${when(productKeep)} AS kept, ${when(productKeep, 'is_return')} AS ret, ${when(productKeep, priceKeep, returnsCounted ? 'NOT is_return' : null)} AS priced, ${when(productKeep, priceKeep, 'NOT is_return')} AS purchases${priceKeep ? `, ${fx.agg('countDistinct', 'customer_id', [productKeep, 'NOT is_return'].filter(Boolean).join(' AND '))} AS buyers, ${fx.agg('countDistinct', 'customer_id', [productKeep, priceKeep, 'NOT is_return'].filter(Boolean).join(' AND '))} AS payers` : ''} FROM ${lines}`,
  );
  // Customers whose every purchase line has a price of 0 or less vanish with that rule: counted.
  const unpaid = Number(c.buyers ?? 0) - Number(c.payers ?? 0);
  if (unpaid > 0) s.warnings.push(zeroSpendWarning(unpaid, priceE ? 'price' : 'amount'));
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
  if (dropDuplicates) push('exact duplicate rows', n);
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
      const [qHi, qLo] = await engineQuantiles(s.queryable, `${txNorm} WHERE NOT is_return`, [
        { expr: col, p: cl.cap.upper },
        ...(lower ? [{ expr: col, p: cl.cap.lower! }] : []),
      ]);
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
      txNorm = `(SELECT customer_id, order_id, ts, ${cols.join(', ')}, product, category, country, status, is_return${extraNames} FROM ${txNorm}) AS k${i}`;
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
  return { txNorm, returnsCounted, purchases };
}

/**
 * With a status role, orders whose status says they never became a purchase (canceled, failed,
 * unavailable, ... : cleaning.cancelStatuses) are dropped and counted, unless cancellations: keep.
 */
function statusRule(s: EngineSession, src: EngineSource): Rule[] {
  const col = s.role(src, 'status');
  const words = s.recipe.cleaning.cancelStatuses;
  if (!col || !words.length || s.recipe.cleaning.cancellations === 'keep') return [];
  const { fx } = s.kit;
  const status = `lower(${fx.trim(s.textOf(col))})`;
  return [
    {
      rule: 'cancelled or failed order status',
      keep: `NOT ${fx.orFalse(`${status} IN (${words.map((w) => s.bind(w.toLowerCase().trim())).join(', ')})`)}`,
      note: `status "${col}" in cleaning.cancelStatuses`,
    },
  ];
}

/** Customers: one row per id, with the joined date as __joined. */
export async function cleanCustomers(s: EngineSession, custSrc: EngineSource): Promise<string> {
  const { kit, ledger, params } = s;
  const { q, fx } = kit;
  const { one, applyRules, filterRules, badRows, lastRemaining, readRows, timeOf, tableRef, role, step } = s;
  step('cleaning customers');
  readRows(custSrc);
  const cCust = requireRole(custSrc, 'customer', 'for a customers source');
  const cJoined = role(custSrc, 'joined');
  // A file is read with its row numbers: "first" is the first in the file.
  const src0 = `${tableRef(custSrc.lines?.table ?? custSrc.table)} AS c0`;
  const joinedE = cJoined ? timeOf(custSrc, cJoined) : null;
  const rel = await applyRules(
    custSrc,
    src0,
    [...filterRules(custSrc), { rule: 'missing customer id', keep: s.hasId(custSrc, cCust) }],
    'c1',
  );
  const n = lastRemaining(custSrc);
  const distinct = Number(
    (await one(`SELECT count(DISTINCT ${s.idOf(custSrc, cCust)}) AS n FROM ${rel}`, params)).n,
  );
  // One row per customer: the first in the source's order. A file has one (its lines); a
  // database table has none, so there the first by the row's values, column by column.
  const order = custSrc.lines ? ['__row'] : custSrc.columns.map((c) => fx.text(q(c.name)));
  const single =
    distinct < n
      ? `(${fx.firstPerKey(`(SELECT ${s.idOf(custSrc, cCust)} AS segmint_cid, * FROM ${rel}) AS cd`, 'segmint_cid', order)}) AS c1d`
      : rel;
  ledger.push({
    source: custSrc.name,
    rule: 'repeated customer id (first row kept)',
    removed: n - distinct,
    remaining: distinct,
    ...(distinct < n && !custSrc.lines
      ? { note: 'a table has no row order: the first by its values is kept' }
      : {}),
  });
  const checks = cJoined
    ? await badRows(custSrc, single, [{ column: cJoined, parsed: joinedE!, code: 'DATA_BAD_DATE' }])
    : [];
  const kept = checks.length ? await applyRules(custSrc, single, checks, 'c2') : single;
  const others = custSrc.columns.filter((c) => c.name !== 'customer_id' && c.name !== '__joined');
  return `(SELECT ${s.idOf(custSrc, cCust)} AS customer_id, ${others.map((c) => q(c.name)).join(', ')}${joinedE ? `, ${joinedE} AS __joined` : ''} FROM ${kept}) AS c`;
}

/** A source normalised by `select`, after the filters and unreadable values, then missing ids. */
async function normalise(
  s: EngineSession,
  src: EngineSource,
  select: (rel: string) => string,
  checks: { column: string; parsed: string; code: 'DATA_BAD_DATE' | 'DATA_BAD_NUMBER' }[],
  alias: string,
): Promise<string> {
  const { readRows, tableRef, applyRules, filterRules, badRows } = s;
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
}

/** Events: normalised (customer_id, ts, type, duration, session), then missing ids. */
export async function cleanEvents(s: EngineSession, evSrc: EngineSource): Promise<string> {
  const { kit } = s;
  const { q, fx } = kit;
  const { textOf, timeOf, numberOf, role, step } = s;
  step('cleaning events');
  const cCust = requireRole(evSrc, 'customer', 'for an events source');
  const cTime = requireRole(evSrc, 'time', 'for an events source');
  const timeE = timeOf(evSrc, cTime);
  const cDur = role(evSrc, 'duration');
  const durE = cDur ? numberOf(evSrc, cDur) : fx.nullDouble;
  const cType = role(evSrc, 'type');
  const cSess = role(evSrc, 'session');
  return normalise(
    s,
    evSrc,
    (rel) =>
      `SELECT ${s.idOf(evSrc, cCust)} AS customer_id, ${timeE} AS ts, ${cType ? `NULLIF(${fx.trim(textOf(cType))}, '')` : fx.nullText} AS type, ${durE} AS duration, ${cSess ? s.idOf(evSrc, cSess) : fx.nullText} AS session${s
        .extraColumns(evSrc, ['customer_id', 'ts', 'type', 'duration', 'session'])
        .map((x) => `, ${x.expr} AS ${q(x.name)}`)
        .join('')} FROM ${rel}`,
    [
      { column: cTime, parsed: timeE, code: 'DATA_BAD_DATE' },
      ...(cDur ? [{ column: cDur, parsed: durE, code: 'DATA_BAD_NUMBER' as const }] : []),
    ],
    'e',
  );
}

/** Coupons: normalised (customer_id, ts, redeemed), then missing ids. */
export async function cleanCoupons(s: EngineSession, cpSrc: EngineSource): Promise<string> {
  const { kit } = s;
  const { q, fx } = kit;
  const { typeOf, textOf, timeOf, step } = s;
  step('cleaning coupons');
  const { customer: cCust, redeemed: cRed, time: cTime } = couponRoles(cpSrc);
  const timeE = cTime ? timeOf(cpSrc, cTime) : fx.nullTimestamp;
  const rt = typeOf(cpSrc, cRed);
  const redE = COLUMN_TYPES.boolean(rt)
    ? fx.orFalse(q(cRed))
    : COLUMN_TYPES.numeric(rt)
      ? fx.orFalse(`${q(cRed)} <> 0`)
      : COLUMN_TYPES.temporal(rt)
        ? `${q(cRed)} IS NOT NULL`
        : fx.orFalse(`lower(${fx.trim(textOf(cRed))}) IN ${REDEEMED_WORDS_SQL}`);
  return normalise(
    s,
    cpSrc,
    (rel) =>
      `SELECT ${s.idOf(cpSrc, cCust)} AS customer_id, ${timeE} AS ts, ${redE} AS redeemed${s
        .extraColumns(cpSrc, ['customer_id', 'ts', 'redeemed'])
        .map((x) => `, ${x.expr} AS ${q(x.name)}`)
        .join('')} FROM ${rel}`,
    cTime ? [{ column: cTime, parsed: timeE, code: 'DATA_BAD_DATE' }] : [],
    'p',
  );
}

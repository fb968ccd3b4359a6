import { basename, extname } from 'node:path';
import type { SourceSpec } from '../config/recipe.js';
import { COLUMN_TYPES } from '../sql/dialect.js';
import { type Duck, qi } from '../sql/duckdb.js';
import { aggregateRow } from '../sql/tables.js';
import { readerSql } from './read.js';
import { guessRoles, norm, ROLE_PATTERNS, type SniffResult } from './sniff.js';

/**
 * Schema discovery for `segmint init`: from the rows of every file (up to a limit), the keys of
 * each table (columns unique and never empty), the foreign keys (a column named like another
 * table's key whose values that key contains), and from that graph the recipe: which table holds
 * the purchases, what is joined onto it (the order header onto its lines, the customer table for
 * a person key, lookups whose names replace codes), what is summed per order first (a one-to-many
 * child with amounts, such as payments), and what is left out, each with its reason.
 */

type Kind = SourceSpec['kind'];

/** What init read of one column (over the rows it sniffed). */
export interface ColumnFacts {
  distinct: number;
  nonNull: number;
  /** A text column whose every non-empty value reads as a number. */
  numericText: boolean;
  /** A number column's smallest and largest value, and whether every value is whole. */
  range?: { min: number; max: number; whole: boolean };
}

export interface TableFacts extends SniffResult {
  /** The DuckDB table holding the rows read. */
  table: string;
  /** A short name for the recipe (from the file name). */
  name: string;
  rows: number;
  stats: Map<string, ColumnFacts>;
  keys: string[];
}

export interface ForeignKey {
  from: string;
  column: string;
  to: string;
  key: string;
  /** Share of the column's distinct values found in the key. */
  contained: number;
  /** Whether the column repeats in its table (many rows of `from` per row of `to`). */
  many: boolean;
}

/** A source of the recipe init writes, with the comments that say why. */
export interface PlannedSource {
  facts: TableFacts;
  name: string;
  kind: Kind;
  roles: Record<string, string>;
  join: { source: string; on: Record<string, string>; aggregate?: Record<string, 'sum' | 'count'> }[];
  id?: 'row';
  notes: string[];
}

export interface SchemaPlan {
  sources: PlannedSource[];
  foreignKeys: ForeignKey[];
  /** Lines init prints and writes as comments: the graph and what was decided. */
  graph: string[];
  /** Files left out of the recipe, with the reason. */
  /** Tables left out: the file (and sheet, for a workbook), the table's name, and why. */
  unused: { file: string; sheet?: string; table: string; reason: string }[];
  /** Columns of the customer-level table: key-like (left out) or codes (categorical), with why. */
  columns: { excluded: { name: string; why: string }[]; categorical: { name: string; why: string }[] };
  /** What one row of the analysed table is, when init had to decide it (no id column). */
  rowsAre?: string;
}

const idLike = (name: string) =>
  /(^|[^a-z])(id|key|code|no|number|uuid|guid)$/i.test(name) || /id$/.test(norm(name));
const matches = (role: string, name: string) => ROLE_PATTERNS[role].some((re) => re.test(norm(name)));

/**
 * Short source names from file names: lower case, words joined by "_"; a first or last word that
 * more than half of several files share (a shop's prefix, a "dataset" suffix) says nothing about
 * the table and is dropped; names stay unique.
 */
export function tableNames(files: string[]): string[] {
  const base = files.map((f) =>
    basename(f, extname(f))
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, ''),
  );
  const common = (word: (n: string) => string | undefined) => {
    if (base.length < 2) return null;
    const counts = new Map<string, number>();
    for (const n of base) {
      const w = word(n);
      if (w) counts.set(w, (counts.get(w) ?? 0) + 1);
    }
    const [w, c] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [];
    return w && c > base.length / 2 ? w : null;
  };
  const first = common((n) => (n.includes('_') ? n.slice(0, n.indexOf('_')) : undefined));
  const last = common((n) => (n.includes('_') ? n.slice(n.lastIndexOf('_') + 1) : undefined));
  const used = new Set<string>();
  return base.map((b) => {
    let n = b;
    if (first && n.startsWith(`${first}_`) && n.length > first.length + 1) n = n.slice(first.length + 1);
    if (last && n.endsWith(`_${last}`) && n.length > last.length + 1) n = n.slice(0, -last.length - 1);
    if (!/^[a-z]/.test(n)) n = `t_${n}`;
    const stem = n;
    for (let i = 2; used.has(n); i++) n = `${stem}_${i}`;
    used.add(n);
    return n;
  });
}

/** Reads the facts of the tables: row counts, exact distinct and non-empty counts per column, keys. */
export async function tableFacts(
  duck: Duck,
  sniffs: (SniffResult & { table: string })[],
): Promise<TableFacts[]> {
  const out: TableFacts[] = [];
  // A workbook's sheets are named for the sheet, not the workbook.
  const names = tableNames(sniffs.map((s) => (s.sheet !== undefined ? `${s.sheet}.sheet` : s.file)));
  for (const [k, s] of sniffs.entries()) {
    const name = names[k];
    const t = qi(s.table);
    const sel = s.columns.flatMap((c, i) => [
      `count(DISTINCT ${qi(c.name)}) AS d${i}`,
      `count(${qi(c.name)}) FILTER (WHERE trim(CAST(${qi(c.name)} AS VARCHAR)) <> '') AS n${i}`,
      c.type === 'VARCHAR'
        ? `count(${qi(c.name)}) FILTER (WHERE trim(${qi(c.name)}) <> '' AND TRY_CAST(${
            // With a decimal comma, "1.234,56" is a number as the run reads it.
            s.csv.decimal === ','
              ? `replace(replace(trim(${qi(c.name)}), '.', ''), ',', '.')`
              : `trim(${qi(c.name)})`
          } AS DOUBLE) IS NULL) AS x${i}`
        : `0 AS x${i}`,
      ...(COLUMN_TYPES.numeric(c.type)
        ? [
            `CAST(min(${qi(c.name)}) AS DOUBLE) AS lo${i}`,
            `CAST(max(${qi(c.name)}) AS DOUBLE) AS hi${i}`,
            `coalesce(bool_and(${qi(c.name)} = round(${qi(c.name)})), false) AS w${i}`,
          ]
        : []),
    ]);
    const r = await aggregateRow(duck, t, ['count(*) AS rows', ...sel]);
    const rows = Number(r.rows);
    const stats = new Map<string, ColumnFacts>();
    for (const [i, c] of s.columns.entries())
      stats.set(c.name, {
        distinct: Number(r[`d${i}`]),
        nonNull: Number(r[`n${i}`]),
        numericText: c.type === 'VARCHAR' && Number(r[`n${i}`]) > 0 && Number(r[`x${i}`]) === 0,
        ...(COLUMN_TYPES.numeric(c.type) && r[`lo${i}`] !== null
          ? { range: { min: Number(r[`lo${i}`]), max: Number(r[`hi${i}`]), whole: r[`w${i}`] === true } }
          : {}),
      });
    // A key: unique, never empty, and an identifier (text or whole numbers; not a measurement).
    const keys = s.columns
      .filter((c) => {
        const st = stats.get(c.name)!;
        return (
          rows > 1 &&
          st.distinct === rows &&
          st.nonNull === rows &&
          !COLUMN_TYPES.temporal(c.type) &&
          !/DOUBLE|FLOAT|DECIMAL|REAL/.test(c.type) &&
          (idLike(c.name) || c.type === 'VARCHAR')
        );
      })
      .map((c) => c.name)
      .sort((a, b) => Number(idLike(b)) - Number(idLike(a)));
    out.push({ ...s, name, rows, stats, keys });
  }
  return out;
}

/** Whether two column names can be the same key: equal once normalised, or one is the other's table + id. */
function sameKey(col: string, key: string, keyTable: string): boolean {
  const a = norm(col);
  const b = norm(key);
  if (a === b) return true;
  const table = norm(keyTable).replace(/s$/, '');
  return b === 'id' && (a === `${table}id` || a.endsWith(`${table}id`));
}

/** Foreign keys: a column named like another table's key, whose distinct values that key contains (>= 90%). */
export async function foreignKeys(duck: Duck, tables: TableFacts[]): Promise<ForeignKey[]> {
  const out: ForeignKey[] = [];
  for (const a of tables)
    for (const b of tables) {
      if (a === b) continue;
      for (const key of b.keys)
        for (const c of a.columns) {
          if (a.keys.length === 1 && a.keys[0] === c.name && !matches('order', c.name)) continue;
          if (!sameKey(c.name, key, b.name)) continue;
          // Compared as the run reads ids: "00001" is not 1.
          const r = await duck.one(
            `SELECT count(DISTINCT x) AS n, count(DISTINCT x) FILTER (WHERE x IN (SELECT x FROM ${idsAsRead(b, key)})) AS m FROM ${idsAsRead(a, c.name)}`,
          );
          const n = Number(r.n);
          const contained = n ? Number(r.m) / n : 0;
          if (contained < 0.9) continue;
          const st = a.stats.get(c.name)!;
          out.push({
            from: a.name,
            column: c.name,
            to: b.name,
            key,
            contained,
            many: st.distinct < st.nonNull,
          });
        }
    }
  return out;
}

const rolesOf = (t: TableFacts, kind: Kind) => guessRoles(t.columns, kind);
const has = (t: TableFacts, role: string) =>
  t.columns.some((c) => matches(role, c.name) && (role !== 'time' || isTimeLike(t, c.name)));
const isTimeLike = (t: TableFacts, col: string) => {
  const type = t.columns.find((c) => c.name === col)?.type ?? '';
  const numericText = !!t.stats.get(col)?.numericText;
  return (
    COLUMN_TYPES.temporal(type) ||
    (type === 'VARCHAR' && !numericText) ||
    // Numbers that are dates (yyyymmdd, with the dateFormat the sniffer found) or periods, typed or
    // as text (a blank-separated export reads every column as text).
    ((COLUMN_TYPES.numeric(type) || numericText) && !!(t.timeUnit || t.dateFormat))
  );
};
const money = (t: TableFacts) =>
  t.columns.find((c) => (matches('price', c.name) || matches('amount', c.name)) && numericCol(t, c.name))
    ?.name;
const numericCol = (t: TableFacts, col: string) => {
  const type = t.columns.find((c) => c.name === col)?.type ?? '';
  return COLUMN_TYPES.numeric(type) || !!t.stats.get(col)?.numericText;
};

/**
 * The person key of a customers table: among its customer-like columns, one that repeats where
 * the table's own key does not (customer_unique_id beside a per-order customer_id).
 */
function personKey(t: TableFacts): string | null {
  const candidates = t.columns.filter(
    (c) => matches('customer', c.name) && !t.keys.includes(c.name) && idLike(c.name),
  );
  const key = t.keys.find((k) => matches('customer', k));
  if (!key) return null;
  const best = candidates.sort((x, y) => t.stats.get(x.name)!.distinct - t.stats.get(y.name)!.distinct)[0];
  return best && t.stats.get(best.name)!.distinct < t.rows ? best.name : null;
}

/** A table of names for codes: a key and a text column that is not an id (a name, a label). */
function labelOf(t: TableFacts, key: string): string | null {
  const text = t.columns.filter(
    (c) => c.name !== key && c.type === 'VARCHAR' && !idLike(c.name) && !t.stats.get(c.name)?.numericText,
  );
  const pick =
    text.find((c) => /english|_en$|label|name|title|desc/i.test(c.name)) ??
    text.find((c) => matches('category', c.name)) ??
    text[0];
  return pick?.name ?? null;
}

/**
 * Discovers the recipe's sources from the tables: one table of purchases (joined with its header
 * and the customer table when the lines alone lack the customer or the time), lookups for codes,
 * a customers table for attributes; and for a single customer-level table without an id, rows as
 * customers.
 */
/**
 * How many rows of each file `segmint init` reads to find keys, joins and roles (one more is read,
 * so a longer file is known to be longer).
 */
export const INIT_ROWS = 200_000;

/** A table's rows as init read them: all of them, or "more than INIT_ROWS" for a longer file. */
export const rowsRead = (rows: number): string =>
  rows > INIT_ROWS
    ? `more than ${INIT_ROWS.toLocaleString('en-US')} rows (keys and joins judged on the first ${rows.toLocaleString('en-US')})`
    : `${rows.toLocaleString('en-US')} rows`;

/**
 * A relation (column x) of a column's values as a run reads them: an id column of a CSV file is
 * read as text there, so "00001" stays "00001" (the sniffed table may hold it as the number 1).
 * The rows init read (INIT_ROWS + 1 at most); other formats from the sniffed table.
 */
function idsAsRead(t: TableFacts, col: string): string {
  if (t.format === 'csv' && t.csv.delimiter !== 'whitespace' && t.sheet === undefined) {
    const { sql } = readerSql(t.file, 'csv', t.csv, [col], true);
    return `(SELECT CAST(${qi(col)} AS VARCHAR) AS x FROM ${sql} LIMIT ${INIT_ROWS + 1}) AS ids`;
  }
  return `(SELECT CAST(${qi(col)} AS VARCHAR) AS x FROM ${qi(t.table)}) AS ids`;
}

/** What names a table left out: its file, its sheet (a workbook's), its name. */
const leftOut = (t: TableFacts) => ({
  file: t.file,
  ...(t.sheet !== undefined ? { sheet: t.sheet } : {}),
  table: t.name,
});

export async function discoverSchema(duck: Duck, all: TableFacts[]): Promise<SchemaPlan> {
  // A file without rows (empty, or a header only) says nothing about keys or roles: left out.
  const tables = all.filter((t) => t.rows > 0);
  const fks = await foreignKeys(duck, tables);
  const graph: string[] = [];
  for (const t of tables)
    graph.push(
      `${t.name}: ${rowsRead(t.rows)}; key ${t.keys.length ? t.keys.join(' or ') : 'none (no column is unique and never empty)'}`,
    );
  for (const f of fks)
    graph.push(
      `${f.from}.${f.column} -> ${f.to}.${f.key} (${f.many ? 'many to one' : 'one to one'}; ${Math.round(f.contained * 100)}% of values found)`,
    );
  const unused: SchemaPlan['unused'] = all
    .filter((t) => t.rows === 0)
    .map((t) => ({
      ...leftOut(t),
      reason: `${t.name} has no rows (the file is empty or holds a header only)`,
    }));
  const used = new Set<TableFacts>();
  const byName = new Map(tables.map((t) => [t.name, t]));
  const sources: PlannedSource[] = [];

  // ---- the table of purchases: a table with money, a customer and a time; or an order header
  // with the customer and the time, and the money in a one-to-many child (payments, or the lines).
  const fksFrom = (t: TableFacts) => fks.filter((f) => f.from === t.name);
  let tx: PlannedSource | null = null;
  /** Joins the customer table the header points to, for its person key over a per-order id. */
  const customerChain = (
    h: TableFacts,
    roles: Record<string, string>,
    join: PlannedSource['join'],
    notes: string[],
  ) => {
    const hCust =
      rolesOf(h, 'transactions').customer ?? fksFrom(h).find((g) => matches('customer', g.column))?.column;
    if (hCust) roles.customer = hCust;
    const toCustomers = fksFrom(h).find((g) => g.column === hCust);
    const custTable = toCustomers ? byName.get(toCustomers.to) : undefined;
    if (!custTable || !toCustomers) return;
    const person = personKey(custTable);
    used.add(custTable);
    if (!person) return;
    join.push({ source: custTable.name, on: { [toCustomers.column]: toCustomers.key } });
    roles.customer = person;
    notes.push(
      `customer: ${person} from ${custTable.name} (a person: ${custTable.stats.get(person)!.distinct.toLocaleString('en-US')} distinct in ${custTable.rows.toLocaleString('en-US')} rows), not ${toCustomers.column} (one id per order there)`,
    );
  };
  // An order header (unique order key, a time, a customer) and its one-to-many children.
  const headers = tables.filter((h) => {
    const r = rolesOf(h, 'transactions');
    return (
      r.time &&
      h.keys.some((k) => matches('order', k)) &&
      (has(h, 'customer') || fksFrom(h).some((g) => matches('customer', g.column)))
    );
  });
  const childrenOf = (h: TableFacts) =>
    fks
      .filter((f) => f.to === h.name && f.many && h.keys.includes(f.key))
      .map((f) => ({ f, c: byName.get(f.from)! }));
  const paid = headers
    .map((h) => ({
      h,
      pay: childrenOf(h).find(({ c }) =>
        c.columns.some(
          (x) => matches('amount', x.name) && numericCol(c, x.name) && !matches('price', x.name),
        ),
      ),
    }))
    .find((x) => x.pay && !money(x.h));
  const lined = headers
    .map((h) => ({ h, line: childrenOf(h).find(({ c }) => money(c)) }))
    .find((x) => x.line && !money(x.h));
  // A table with money, a time and a customer; an order header that holds its own money (one row
  // per order with its total) is one too, when no child of it is the money.
  const purchases = (t: TableFacts) => !!money(t) && has(t, 'time') && !!rolesOf(t, 'transactions').customer;
  const direct =
    tables.find((t) => purchases(t) && !headers.includes(t)) ?? headers.find((h) => purchases(h));
  if (paid?.pay) {
    // What the customer paid: the payments summed per order, onto the order header; the lines
    // counted per order give the items.
    const { h, pay } = paid;
    const orderKey = pay.f.key;
    const col = pay.c.columns.find(
      (x) => matches('amount', x.name) && numericCol(pay.c, x.name) && !matches('price', x.name),
    )!.name;
    used.add(h).add(pay.c);
    const hRoles = rolesOf(h, 'transactions');
    const roles: Record<string, string> = { order: orderKey, time: hRoles.time!, amount: `${col}_sum` };
    if (hRoles.status) roles.status = hRoles.status;
    const join: PlannedSource['join'] = [
      { source: pay.c.name, on: { [orderKey]: pay.f.column }, aggregate: { [col]: 'sum' } },
    ];
    const notes = [
      `one row per order (${orderKey}); spend: ${col} of ${pay.c.name} (what the customer paid, shipping included), summed per order before the join`,
    ];
    const line = childrenOf(h).find(({ c }) => c !== pay.c && money(c));
    if (line) {
      const count = line.c.columns.find((x) => x.name !== line.f.column)!.name;
      join.push({ source: line.c.name, on: { [orderKey]: line.f.column }, aggregate: { [count]: 'count' } });
      roles.quantity = `${count}_count`;
      used.add(line.c);
      notes.push(
        `items: the rows of ${line.c.name} per order (products are per line, so unique_products and categories need the lines as the source)`,
      );
    }
    customerChain(h, roles, join, notes);
    tx = { facts: h, name: h.name, kind: 'transactions', roles, join, notes };
  } else if (lined?.line && !direct) {
    // Order lines with a price, joined with their header for the customer and the time.
    const { h, line } = lined;
    const lines = line.c;
    const fk = line.f;
    used.add(lines).add(h);
    const roles = rolesOf(lines, 'transactions');
    delete roles.customer;
    delete roles.time;
    delete roles.status;
    const hRoles = rolesOf(h, 'transactions');
    const join: PlannedSource['join'] = [{ source: h.name, on: { [fk.column]: fk.key } }];
    const notes = [
      `one row per order line; ${h.name} (one row per ${fk.key}) is joined on for the time and the customer`,
    ];
    roles.order = fk.column;
    roles.time = hRoles.time!;
    if (hRoles.status) roles.status = hRoles.status;
    customerChain(h, roles, join, notes);
    // Lookups of the lines' codes (products -> their category, and its name in English).
    if (!roles.category)
      for (const f of fksFrom(lines)) {
        const look = byName.get(f.to)!;
        if (look === h) continue;
        const cat = look.columns.find((c) => matches('category', c.name) && c.type === 'VARCHAR');
        if (!cat) continue;
        join.push({ source: look.name, on: { [f.column]: f.key } });
        used.add(look);
        roles.category = cat.name;
        const names = fksFrom(look).find((g) => g.column === cat.name);
        const namesTable = names ? byName.get(names.to) : undefined;
        const label = namesTable ? labelOf(namesTable, names!.key) : null;
        if (namesTable && label && label !== cat.name) {
          join.push({ source: namesTable.name, on: { [cat.name]: names!.key } });
          used.add(namesTable);
          roles.category = label;
          notes.push(`category: ${label} from ${namesTable.name}, the name of ${look.name}.${cat.name}`);
        } else notes.push(`category: ${cat.name} from ${look.name}`);
        break;
      }
    notes.push(
      `spend: ${roles.price ? `${roles.quantity ? `${roles.quantity} x ` : ''}${roles.price}` : money(lines)} of ${lines.name}${lines.columns.some((c) => /freight|shipping|delivery|postage/i.test(c.name) && numericCol(lines, c.name)) ? ' (shipping costs left out)' : ''}`,
    );
    tx = { facts: lines, name: lines.name, kind: 'transactions', roles, join, notes };
  } else if (direct) {
    used.add(direct);
    tx = {
      facts: direct,
      name: direct.name,
      kind: 'transactions',
      roles: rolesOf(direct, 'transactions'),
      join: [],
      notes: [],
    };
  }
  // The table the purchases' customer column points to, keyed by it: the customers table (its
  // columns are the attributes), not a table "joined but unread".
  const customersOfTx = (t: TableFacts) =>
    !!tx &&
    guessKindOf(t) === 'customers' &&
    fks.some((f) => f.to === t.name && f.from === tx!.facts.name && f.column === tx!.roles.customer);
  // A log of purchases without money (who bought when: an app's purchase events, a panel's
  // shopping trips): a customer that repeats and a time, no price or amount, no event type.
  if (!tx) {
    const log = tables.find((t) => {
      const r = rolesOf(t, 'transactions');
      const st = r.customer ? t.stats.get(r.customer) : undefined;
      return (
        !money(t) &&
        r.customer &&
        has(t, 'time') &&
        !!st &&
        st.distinct < st.nonNull &&
        !has(t, 'type') &&
        !has(t, 'duration') &&
        !has(t, 'session')
      );
    });
    if (log) {
      used.add(log);
      const roles = rolesOf(log, 'transactions');
      tx = {
        facts: log,
        name: log.name,
        kind: 'transactions',
        roles,
        join: [],
        notes: [
          `a log of purchases: ${roles.customer} repeats, each row a purchase at ${roles.time}; no price or amount, so spend features are left out`,
        ],
      };
    }
  }
  for (const t of tables)
    if (
      tx &&
      !used.has(t) &&
      !customersOfTx(t) &&
      fks.some(
        (f) =>
          (f.from === t.name || f.to === t.name) &&
          (used.has(byName.get(f.from)!) || used.has(byName.get(f.to)!)),
      )
    )
      unused.push({
        ...leftOut(t),
        // The link from a table the purchases use, first; ties by name (the same in any file order).
        reason: `${t.name} is joined to the purchases by ${
          fks
            .filter((f) => f.from === t.name || f.to === t.name)
            .map((f) => ({ f, from: used.has(byName.get(f.from)!) ? 0 : 1, name: `${f.from}.${f.column}` }))
            .sort((a, b) => a.from - b.from || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0].name
        }, but no feature reads it`,
      });
  if (tx) {
    if (tx.roles.price && tx.roles.amount && !tx.roles.amount.endsWith('_sum')) delete tx.roles.amount;
    sources.push(tx);
    for (const j of tx.join) {
      const t = byName.get(j.source)!;
      sources.push({ facts: t, name: t.name, kind: 'lookup', roles: {}, join: [], notes: [] });
    }
  }

  // ---- customers, events, coupons: tables of those kinds the purchases do not already use
  const columns: SchemaPlan['columns'] = { excluded: [], categorical: [] };
  let rowsAre: string | undefined;
  const leftover: TableFacts[] = [];
  // Tables of people first (their lookups are joined onto them), then events and coupons.
  const order = (t: TableFacts) => ({ customers: 0, events: 1, coupons: 2 })[guessKindOf(t) as 'events'] ?? 3;
  for (const t of [...tables].sort((a, b) => order(a) - order(b))) {
    if (used.has(t)) continue;
    if (unused.some((u) => u.table === t.name)) continue;
    const kind = guessKindOf(t);
    if (kind === 'lookup') {
      leftover.push(t);
      continue;
    }
    if (tx && kind === 'customers' && !rolesOf(t, 'customers').customer) {
      unused.push({
        ...leftOut(t),
        reason: tx
          ? `${t.name} is not joined to the purchases by a key segmint found`
          : `${t.name} looks like a lookup table, and nothing points to it`,
      });
      continue;
    }
    // A customers table beside the purchases must share customers with them: none of its ids
    // among the purchases' customer ids (as text, as the run compares them) says it describes
    // other people (a summary of a sample with its own numbering, say), whatever its column names.
    const custCol = rolesOf(t, 'customers').customer;
    const txCust = tx?.roles.customer;
    if (
      tx &&
      kind === 'customers' &&
      custCol &&
      txCust &&
      tx.facts.columns.some((c) => c.name === txCust) &&
      !fks.some((f) => f.to === t.name || f.from === t.name)
    ) {
      const r = await duck.one(
        `SELECT count(DISTINCT x) AS n, count(DISTINCT x) FILTER (WHERE x IN (SELECT x FROM ${idsAsRead(tx.facts, txCust)})) AS m FROM ${idsAsRead(t, custCol)}`,
      );
      if (Number(r.n) > 0 && Number(r.m) === 0) {
        unused.push({
          ...leftOut(t),
          reason: `none of the ${Number(r.n).toLocaleString('en-US')} ${custCol} values of ${t.name} is a ${txCust} of ${tx.facts.name}: it describes other customers`,
        });
        continue;
      }
    }
    if (sources.some((s) => s.kind === kind)) {
      unused.push({
        ...leftOut(t),
        reason: `a recipe takes one ${kind} source, and ${sources.find((s) => s.kind === kind)!.facts.name} is it`,
      });
      continue;
    }
    if (
      tx &&
      kind === 'customers' &&
      !fks.some((f) => f.to === t.name || f.from === t.name) &&
      !rolesOf(t, 'customers').customer
    ) {
      unused.push({ ...leftOut(t), reason: `${t.name} has no customer id the purchases share` });
      continue;
    }
    used.add(t);
    const roles = rolesOf(t, kind);
    const src: PlannedSource = { facts: t, name: kind, kind, roles, join: [], notes: [] };
    if (kind === 'customers') {
      if (!roles.customer) {
        src.id = 'row';
        rowsAre =
          has(t, 'duration') ||
          /session|visit|click/i.test(t.name) ||
          t.columns.some((c) => /bounce|exitrate|pagevalue|session/i.test(norm(c.name)))
            ? 'one visit (session): no person is named, so the visits are segmented'
            : 'one customer: the table has no id column, so the row number is the id';
        src.notes.push(`no id column: id: row (each row is ${rowsAre})`);
      }
      const cols = customerColumns(t, roles);
      // Codes with a table of names (gender_id -> genders.gender_name): the name is joined on
      // and is a category; the code is left out.
      const taken = new Set(t.columns.map((c) => c.name));
      for (const f of fks.filter((g) => g.from === t.name && !Object.values(roles).includes(g.column))) {
        const look = byName.get(f.to)!;
        const label = used.has(look) ? null : labelOf(look, f.key);
        if (!label) continue;
        used.add(look);
        src.join.push({ source: look.name, on: { [f.column]: f.key } });
        sources.push({ facts: look, name: look.name, kind: 'lookup', roles: {}, join: [], notes: [] });
        const as = taken.has(label) ? `${look.name}_${label}` : label;
        taken.add(as);
        cols.excluded = cols.excluded.filter((e) => e.name !== f.column);
        cols.categorical = cols.categorical.filter((e) => e.name !== f.column);
        cols.excluded.push({ name: f.column, why: `a code: its name (${as}) is joined from ${look.name}` });
        cols.categorical.push({ name: as, why: `the name of ${f.column}, from ${look.name}` });
        src.notes.push(`${f.column} -> ${look.name}.${f.key}: ${as} replaces the code`);
      }
      Object.assign(columns, cols);
    }
    sources.push(src);
  }
  for (const t of leftover)
    if (!used.has(t) && !unused.some((u) => u.table === t.name))
      unused.push({
        ...leftOut(t),
        reason: sources.length
          ? `${t.name} is not joined to what is segmented by a key segmint found, or no feature reads it`
          : `${t.name} looks like a lookup table, and nothing points to it`,
      });
  return { sources, foreignKeys: fks, graph, unused, columns, ...(rowsAre ? { rowsAre } : {}) };
}

function guessKindOf(t: TableFacts): Kind {
  // Events need a person and a time; a table of visits without them is one row per visit.
  const r = t.kind === 'events' ? rolesOf(t, 'events') : null;
  if (t.kind !== 'lookup' && !(r && (!r.customer || !r.time))) return t.kind;
  // A table with no customer column: one row per customer (or visit) when it has measurements.
  const numeric = t.columns.filter((c) => numericCol(t, c.name) && !t.keys.includes(c.name));
  return numeric.length >= 2 && t.keys.every((k) => !matches('order', k) && !matches('product', k))
    ? 'customers'
    : 'lookup';
}

/**
 * What the columns of a customer-level table mean: keys and identifiers are never features;
 * whole-number codes (browser, region, traffic type, operating system, ...) and booleans-as-text
 * with few values become categories; the rest is left to the attributes feature.
 */
export function customerColumns(t: TableFacts, roles: Record<string, string>): SchemaPlan['columns'] {
  const excluded: { name: string; why: string }[] = [];
  const categorical: { name: string; why: string }[] = [];
  const roleCols = new Set(Object.values(roles));
  for (const c of t.columns) {
    if (roleCols.has(c.name)) continue;
    const st = t.stats.get(c.name)!;
    if (t.keys.includes(c.name) || (idLike(c.name) && st.distinct > 50)) {
      excluded.push({
        name: c.name,
        why: t.keys.includes(c.name) ? 'a key (unique per row)' : 'an identifier',
      });
      continue;
    }
    if (/zip|postal|postcode|phone|email|e_mail|address|street/i.test(c.name)) {
      excluded.push({ name: c.name, why: 'contact or location detail, not a behaviour' });
      continue;
    }
    if (c.type === 'VARCHAR' && !st.numericText && st.distinct > Math.max(50, t.rows / 20)) {
      excluded.push({
        name: c.name,
        why: `free text (${st.distinct.toLocaleString('en-US')} distinct values)`,
      });
      continue;
    }
    const whole = /INT/.test(c.type);
    if (
      whole &&
      st.distinct > 2 &&
      st.distinct <= 30 &&
      /(type|code|region|browser|system|systems|os|category|class|group|segment|status|gender|channel|source|device|platform|country|city|state|area|zone|store|branch)$/i.test(
        c.name.replace(/[^A-Za-z]/g, ''),
      )
    )
      categorical.push({
        name: c.name,
        why: `a code (${st.distinct} whole-number values named like a category)`,
      });
  }
  return { excluded, categorical };
}

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRng } from '../src/core/rng.js';
import { sqlKit } from '../src/sql/dialect.js';
import type { Engine } from '../src/sql/query.js';

export type ColType = 'text' | 'int' | 'double' | 'timestamp' | 'date' | 'bool';
export type Value = string | number | boolean | null;
export interface ShopTable {
  name: string;
  columns: { name: string; type: ColType }[];
  rows: Value[][];
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');
const stamp = (ms: number) => new Date(ms).toISOString().slice(0, 19).replace('T', ' ');

/**
 * A small shop in four tables for comparing engines: order lines with cancellations (C-prefixed
 * invoices), exact duplicates, missing customers, postage lines and zero prices; sessions and
 * wishlist events; coupons; customers with a signup date, a channel and an age with gaps. Prices
 * and durations sit on a 1/1024 grid so every sum is exact in any order, in any engine.
 */
export function engineShop(seed = 7, customers = 160): ShopTable[] {
  const rng = createRng(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const t0 = Date.UTC(2024, 0, 1);
  const day = 86_400_000;
  const cats = ['Home', 'Kitchen', 'Toys', 'Garden', 'Books', 'Sports'];
  const orders: Value[][] = [];
  let invoice = 10000;
  for (let c = 0; c < customers; c++) {
    if (c % 11 === 5) continue; // customers without orders
    const n = int(1, 6);
    for (let o = 0; o < n; o++) {
      const inv = String(invoice++);
      const ts = stamp(t0 + int(0, 180) * day + int(0, 86_399) * 1000);
      const lines = int(1, 4);
      for (let l = 0; l < lines; l++) {
        const p = int(1, 40);
        const row: Value[] = [
          inv,
          `P${pad(p, 2)}`,
          int(1, 12),
          ts,
          int(0, 40) === 0 ? 0 : int(256, 40960) / 1024,
          c % 37 === 3 && l === 0 ? null : `K${pad(c, 4)}`,
          c % 23 === 4 ? 'Atlantis' : c % 3 === 0 ? 'United Kingdom' : c % 3 === 1 ? 'Germany' : 'France',
          p % 9 === 0 ? null : cats[(p * 7) % cats.length],
          // An order status, as a header carries it: some orders canceled (case and spaces vary).
          Number(inv) % 29 === 0 ? ' Canceled ' : Number(inv) % 31 === 0 ? null : 'shipped',
        ];
        orders.push(row);
        if (int(0, 60) === 0) orders.push([...row]);
      }
      if (int(0, 25) === 0)
        orders.push([inv, 'POST', 1, ts, 18, `K${pad(c, 4)}`, 'United Kingdom', null, 'shipped']);
      if (int(0, 14) === 0)
        orders.push([
          `C${inv}`,
          `P${pad(int(1, 40), 2)}`,
          -int(1, 3),
          stamp(t0 + int(0, 180) * day + int(0, 86_399) * 1000),
          int(256, 8192) / 1024,
          `K${pad(c, 4)}`,
          'United Kingdom',
          'Home',
          'shipped',
        ]);
    }
  }
  orders.push(['99999', 'P01', 2, stamp(t0 + 20 * day), 4, 'K9000', 'Nowhere', 'Home', 'shipped']);
  const events: Value[][] = [];
  for (let i = 0; i < customers * 6; i++) {
    const c = int(0, customers + 5);
    const type = ['session', 'session', 'wishlist_add', 'review'][int(0, 3)];
    events.push([
      c >= customers ? 'Z999' : `K${pad(c, 4)}`,
      stamp(t0 + int(0, 180) * day + int(0, 86_399) * 1000),
      type,
      type === 'session' ? int(64, 40960) / 1024 : null,
      `s${int(0, customers * 3)}`,
    ]);
  }
  const coupons: Value[][] = [];
  for (let i = 0; i < customers * 2; i++)
    coupons.push([
      `Q${pad(i, 5)}`,
      `K${pad(int(0, customers - 1), 4)}`,
      stamp(t0 + int(0, 180) * day).slice(0, 10),
      int(0, 2) === 0,
    ]);
  const people: Value[][] = [];
  for (let c = 0; c < customers; c++)
    if (c % 13 !== 7)
      people.push([
        `K${pad(c, 4)}`,
        stamp(t0 - int(0, 700) * day).slice(0, 10),
        ['web', 'app', 'store'][c % 3],
        c % 10 === 4 ? null : int(18, 80),
      ]);
  // A customer entered twice (the same row) and one entered again with a later signup: one row
  // per customer is kept, the first in the file, which is also the first by its values.
  people.push([...people[0]], [people[1][0], '2030-01-01', 'store', 99]);
  return [
    {
      name: 'orders',
      columns: [
        { name: 'invoice', type: 'text' },
        { name: 'stock_code', type: 'text' },
        { name: 'quantity', type: 'int' },
        { name: 'invoice_date', type: 'timestamp' },
        { name: 'price', type: 'double' },
        { name: 'customer_id', type: 'text' },
        { name: 'country', type: 'text' },
        { name: 'category', type: 'text' },
        { name: 'status', type: 'text' },
      ],
      rows: orders,
    },
    {
      name: 'events',
      columns: [
        { name: 'customer', type: 'text' },
        { name: 'event_time', type: 'timestamp' },
        { name: 'event_type', type: 'text' },
        { name: 'minutes', type: 'double' },
        { name: 'session_id', type: 'text' },
      ],
      rows: events,
    },
    {
      name: 'coupons',
      columns: [
        { name: 'coupon', type: 'text' },
        { name: 'customer', type: 'text' },
        { name: 'claimed_at', type: 'date' },
        { name: 'redeemed', type: 'bool' },
      ],
      rows: coupons,
    },
    {
      name: 'customers',
      columns: [
        { name: 'customer_id', type: 'text' },
        { name: 'signup_date', type: 'date' },
        { name: 'channel', type: 'text' },
        { name: 'age', type: 'int' },
      ],
      rows: people,
    },
  ];
}

/** The sources of the shop for a recipe: `file` gives CSV paths, else tables in the engine. */
export function shopSources(file: boolean) {
  const at = (name: string) => (file ? { path: `${name}.csv` } : { table: name });
  return {
    orders: {
      kind: 'transactions',
      ...at('orders'),
      roles: {
        customer: 'customer_id',
        order: 'invoice',
        time: 'invoice_date',
        quantity: 'quantity',
        price: 'price',
        product: 'stock_code',
        category: 'category',
        country: 'country',
        status: 'status',
      },
    },
    events: {
      kind: 'events',
      ...at('events'),
      roles: {
        customer: 'customer',
        time: 'event_time',
        type: 'event_type',
        duration: 'minutes',
        session: 'session_id',
      },
    },
    coupons: {
      kind: 'coupons',
      ...at('coupons'),
      roles: { customer: 'customer', time: 'claimed_at', redeemed: 'redeemed' },
    },
    customers: {
      kind: 'customers',
      ...at('customers'),
      roles: { customer: 'customer_id', joined: 'signup_date' },
    },
  };
}

/** Writes each table as <name>.csv into `dir` (empty cells for NULL). */
export function writeShopCsv(dir: string, tables: ShopTable[]): void {
  const cell = (v: Value) => (v === null ? '' : String(v));
  for (const t of tables)
    writeFileSync(
      join(dir, `${t.name}.csv`),
      `${[t.columns.map((c) => c.name).join(','), ...t.rows.map((r) => r.map(cell).join(','))].join('\n')}\n`,
    );
}

const TYPES: Record<'duckdb' | 'postgres' | 'clickhouse', Record<ColType, string>> = {
  duckdb: {
    text: 'VARCHAR',
    int: 'INTEGER',
    double: 'DOUBLE',
    timestamp: 'TIMESTAMP',
    date: 'DATE',
    bool: 'BOOLEAN',
  },
  postgres: {
    text: 'TEXT',
    int: 'INTEGER',
    double: 'DOUBLE PRECISION',
    timestamp: 'TIMESTAMP',
    date: 'DATE',
    bool: 'BOOLEAN',
  },
  clickhouse: {
    text: 'Nullable(String)',
    int: 'Nullable(Int32)',
    double: 'Nullable(Float64)',
    timestamp: 'DateTime',
    date: 'Date',
    bool: 'UInt8',
  },
};

/** CREATE TABLE for a shop table with the dialect's types (ClickHouse: a MergeTree, or `engineClause`). */
export function shopDdl(
  t: ShopTable,
  dialect: 'duckdb' | 'postgres' | 'clickhouse',
  name = t.name,
  engineClause = '',
): string {
  const kit = sqlKit(dialect);
  const cols = t.columns.map((c) => `${kit.q(c.name)} ${TYPES[dialect][c.type]}`).join(', ');
  return `CREATE TABLE ${kit.q(name)} (${cols})${dialect === 'clickhouse' ? engineClause || ' ENGINE = MergeTree ORDER BY tuple()' : ''}`;
}

/** Loads rows into an existing table of the engine (in chunks). */
export async function loadShopRows(
  engine: Engine,
  t: ShopTable,
  rows: Value[][],
  name = t.name,
): Promise<void> {
  const kit = sqlKit(engine.dialect);
  if (engine.dialect === 'clickhouse') {
    await engine.insert(
      name,
      rows.map((r) =>
        Object.fromEntries(
          t.columns.map((c, j) => [c.name, typeof r[j] === 'boolean' ? Number(r[j]) : r[j]]),
        ),
      ),
    );
    return;
  }
  const lit = (v: Value) =>
    v === null
      ? 'NULL'
      : typeof v === 'boolean'
        ? v
          ? 'TRUE'
          : 'FALSE'
        : typeof v === 'number'
          ? String(v)
          : kit.str(v);
  for (let i = 0; i < rows.length; i += 2000)
    await engine.exec(
      `INSERT INTO ${kit.q(name)} VALUES ${rows
        .slice(i, i + 2000)
        .map((r) => `(${r.map(lit).join(', ')})`)
        .join(', ')}`,
    );
}

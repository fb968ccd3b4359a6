import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { createRng, deriveSeed, type Rng, randNormal } from '../core/rng.js';
import { writeFileAtomic } from '../pipeline/atomic.js';

/** The behaviours planted in the demo shop; the run should find segments close to these. */
export const PERSONAS = {
  champion: {
    share: 0.08,
    orders: [14, 30],
    lines: [18, 30],
    qty: [6, 16],
    recentBias: 0.9,
    active: [0, 1],
    sessions: [40, 80],
    minutes: [9, 16],
    wishlist: [10, 25],
    reviews: [3, 8],
    coupons: [1, 4],
    burn: 0.5,
  },
  loyal: {
    share: 0.17,
    orders: [7, 14],
    lines: [12, 22],
    qty: [4, 10],
    recentBias: 0.6,
    active: [0, 1],
    sessions: [20, 45],
    minutes: [6, 11],
    wishlist: [4, 12],
    reviews: [1, 4],
    coupons: [1, 4],
    burn: 0.5,
  },
  bigTicket: {
    share: 0.06,
    orders: [2, 5],
    lines: [25, 45],
    qty: [24, 80],
    recentBias: 0.4,
    active: [0, 1],
    sessions: [4, 12],
    minutes: [4, 8],
    wishlist: [0, 3],
    reviews: [0, 1],
    coupons: [0, 1],
    burn: 0.5,
  },
  bargain: {
    share: 0.2,
    orders: [5, 12],
    lines: [4, 9],
    qty: [1, 4],
    recentBias: 0.5,
    active: [0, 1],
    sessions: [25, 60],
    minutes: [2, 4],
    wishlist: [2, 8],
    reviews: [0, 2],
    coupons: [8, 20],
    burn: 0.85,
  },
  lapsed: {
    share: 0.2,
    orders: [2, 6],
    lines: [8, 18],
    qty: [2, 8],
    recentBias: 0,
    active: [0, 0.4],
    sessions: [2, 8],
    minutes: [3, 7],
    wishlist: [0, 3],
    reviews: [0, 1],
    coupons: [2, 6],
    burn: 0.1,
  },
  newcomer: {
    share: 0.11,
    orders: [1, 2],
    lines: [6, 14],
    qty: [2, 6],
    recentBias: 1,
    active: [0.92, 1],
    sessions: [3, 10],
    minutes: [5, 9],
    wishlist: [1, 5],
    reviews: [0, 1],
    coupons: [1, 3],
    burn: 0.3,
  },
  occasional: {
    share: 0.18,
    orders: [2, 4],
    lines: [6, 14],
    qty: [2, 6],
    recentBias: 0.3,
    active: [0, 1],
    sessions: [5, 15],
    minutes: [4, 8],
    wishlist: [0, 4],
    reviews: [0, 2],
    coupons: [3, 9],
    burn: 0.15,
  },
} as const;
export type Persona = keyof typeof PERSONAS;

export interface DemoOptions {
  dir: string;
  customers: number;
  seed: number;
}

export interface DemoFiles {
  transactions: string;
  events: string;
  customers: string;
  coupons: string;
  recipe: string;
  lines: number;
  personas: Record<Persona, number>;
}

const START = Date.UTC(2010, 11, 1, 8, 0, 0);
const END = Date.UTC(2011, 11, 9, 18, 0, 0);
const DAY = 86400000;
const CATEGORIES = [
  'Home Decor',
  'Kitchen',
  'Garden',
  'Toys',
  'Stationery',
  'Lighting',
  'Gifts',
  'Textiles',
] as const;
const WORDS = [
  'VINTAGE',
  'HEART',
  'CERAMIC',
  'RETRO',
  'PAPER',
  'GLASS',
  'WOODEN',
  'SET OF 4',
  'RED',
  'PINK',
  'BLUE',
  'STAR',
  'BIRD',
  'FLOWER',
  'REGENCY',
  'CHRISTMAS',
] as const;
const NOUNS: Record<(typeof CATEGORIES)[number], string[]> = {
  'Home Decor': ['FRAME', 'CLOCK', 'SIGN', 'MIRROR'],
  Kitchen: ['MUG', 'TEACUP', 'CAKE TIN', 'JAM JAR'],
  Garden: ['PLANTER', 'WATERING CAN', 'BIRD FEEDER'],
  Toys: ['SPACEBOY', 'DOLLY', 'SKIPPING ROPE', 'JIGSAW'],
  Stationery: ['NOTEBOOK', 'WRAP', 'GIFT TAG', 'PENCILS'],
  Lighting: ['T-LIGHT HOLDER', 'LANTERN', 'LAMP', 'LIGHTS'],
  Gifts: ['GIFT BOX', 'KEYRING', 'PURSE'],
  Textiles: ['CUSHION COVER', 'APRON', 'TOTE BAG', 'TEA TOWEL'],
};
const COUNTRIES = [
  ['United Kingdom', 0.88],
  ['Germany', 0.025],
  ['France', 0.022],
  ['EIRE', 0.02],
  ['Netherlands', 0.01],
  ['Spain', 0.008],
  ['Belgium', 0.008],
  ['Switzerland', 0.007],
  ['Portugal', 0.006],
  ['Norway', 0.005],
  ['Australia', 0.005],
  ['Japan', 0.004],
] as const;

const between = (rng: Rng, [a, b]: readonly [number, number]): number => a + (b - a) * rng();
const intBetween = (rng: Rng, r: readonly [number, number]): number =>
  Math.floor(between(rng, [r[0], r[1] + 1]));
const pad = (n: number) => String(n).padStart(2, '0');
const stamp = (ms: number): string => {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:00`;
};
const csvField = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

interface Product {
  code: string;
  description: string;
  category: string;
  price: number;
}

function makeProducts(rng: Rng, n: number): Product[] {
  const out: Product[] = [];
  for (let i = 0; i < n; i++) {
    const category = CATEGORIES[i % CATEGORIES.length];
    const nouns = NOUNS[category];
    const description = `${WORDS[Math.floor(rng() * WORDS.length)]} ${WORDS[Math.floor(rng() * WORDS.length)]} ${nouns[Math.floor(rng() * nouns.length)]}`;
    const price = Math.round(Math.exp(0.6 + 0.8 * randNormal(rng)) * 100) / 100 + 0.29;
    out.push({
      code: `${20000 + i * 7}${i % 5 === 0 ? 'B' : ''}`,
      description,
      category,
      price: Math.min(price, 60),
    });
  }
  return out;
}

/** Picks a time between the persona's active span, biased to the end of the year by recentBias. */
function orderTime(rng: Rng, p: (typeof PERSONAS)[Persona]): number {
  const [a, b] = p.active;
  let u = rng();
  if (rng() < p.recentBias) u = 1 - u * u * 0.6;
  const span = END - START;
  const t = START + span * (a + (b - a) * u);
  const day = Math.floor((t - START) / DAY);
  return START + day * DAY + Math.floor(rng() * 10 * 60) * 60000;
}

/**
 * A file written through a buffer to a temporary name beside it, renamed into place by `close()`;
 * `abort()` removes the temporary file. Memory stays at the buffer's size whatever is written.
 */
class StreamedFile {
  private readonly tmp: string;
  private readonly fd: number;
  private chunks: string[] = [];
  private size = 0;
  constructor(readonly path: string) {
    this.tmp = join(dirname(path), `.tmp-${basename(path)}-${process.pid}`);
    this.fd = openSync(this.tmp, 'w');
  }
  line(text: string): void {
    this.chunks.push(text, '\n');
    this.size += text.length + 1;
    if (this.size >= 1 << 20) this.flush();
  }
  private flush(): void {
    if (this.chunks.length) writeSync(this.fd, this.chunks.join(''));
    this.chunks = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
    renameSync(this.tmp, this.path);
  }
  abort(): void {
    try {
      closeSync(this.fd);
    } catch {}
    rmSync(this.tmp, { force: true });
  }
}

/**
 * The orders of one day, kept apart until the transactions file is written in time order: each
 * day's orders in memory until they pass a size, then appended to that day's temporary file.
 * An order is one line "t,customer,country,product:qty;product:qty...".
 */
class DayBuckets {
  private readonly buffers = new Map<number, string[]>();
  private buffered = 0;
  constructor(
    private readonly dir: string,
    private readonly spillBytes: number,
  ) {
    mkdirSync(dir, { recursive: true });
  }
  add(day: number, order: string): void {
    let b = this.buffers.get(day);
    if (!b) {
      b = [];
      this.buffers.set(day, b);
    }
    b.push(order);
    this.buffered += order.length + 1;
    if (this.buffered >= this.spillBytes) this.spill();
  }
  private file = (day: number) => join(this.dir, `day-${day}`);
  private spill(): void {
    for (const [day, b] of this.buffers) appendFileSync(this.file(day), `${b.join('\n')}\n`);
    this.buffers.clear();
    this.buffered = 0;
  }
  /** The orders of `day` in the order they were added. */
  take(day: number): string[] {
    const f = this.file(day);
    const spilled = existsSync(f) ? readFileSync(f, 'utf8').split('\n').slice(0, -1) : [];
    rmSync(f, { force: true });
    const b = this.buffers.get(day) ?? [];
    this.buffers.delete(day);
    return b.length ? (spilled.length ? spilled.concat(b) : b) : spilled;
  }
}

/**
 * Generates a synthetic shop in Online Retail II format (Invoice, StockCode, Description,
 * Quantity, InvoiceDate, Price, Customer ID, Country) with cancellations, missing customer ids,
 * postage lines, zero prices and duplicated lines; plus engagement events, a customers table
 * and coupons, all from one seed. Planted personas: see PERSONAS.
 *
 * Streamed, in bounded memory at any size: customers, events and coupons are written as each
 * customer is drawn; orders go to per-day buckets and the transactions file is written a day at a
 * time, in time order. `onProgress` hears how many customers are drawn, then how many days written.
 */
export function generateDemoShop(
  opts: DemoOptions & {
    onProgress?: (phase: 'customers' | 'orders', done: number, total: number) => void;
    /** Orders held in memory before they go to the day files (64 MB; tests make it small). */
    spillBytes?: number;
  },
): DemoFiles {
  const rng = createRng(deriveSeed(opts.seed, 1));
  const products = makeProducts(rng, 480);
  const productIndex = new Map(products.map((p, i) => [p, i]));
  const cheap = products.filter((p) => p.price < 2.5);
  const dataDir = join(opts.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const personaNames = Object.keys(PERSONAS) as Persona[];
  const counts = Object.fromEntries(personaNames.map((p) => [p, 0])) as Record<Persona, number>;
  const files = {
    transactions: join(dataDir, 'transactions.csv'),
    events: join(dataDir, 'events.csv'),
    customers: join(dataDir, 'customers.csv'),
    coupons: join(dataDir, 'coupons.csv'),
    recipe: join(opts.dir, 'recipe.yaml'),
  };
  const scratch = join(dataDir, `.tmp-orders-${process.pid}`);
  const open: StreamedFile[] = [];
  const stream = (path: string, header: string) => {
    const f = new StreamedFile(path);
    open.push(f);
    f.line(header);
    return f;
  };
  try {
    const custRows = stream(files.customers, 'Customer ID,signup_date,channel,newsletter');
    const eventRows = stream(files.events, 'customer_id,event_time,event_type,session_minutes');
    const couponRows = stream(files.coupons, 'coupon_id,customer_id,claimed_at,redeemed');
    const buckets = new DayBuckets(scratch, opts.spillBytes ?? 64 << 20);
    let couponId = 1;
    for (let c = 0; c < opts.customers; c++) {
      if (c % 10000 === 0) opts.onProgress?.('customers', c, opts.customers);
      const id = 12346 + c;
      let u = rng();
      let persona: Persona = 'occasional';
      for (const p of personaNames) {
        if (u < PERSONAS[p].share) {
          persona = p;
          break;
        }
        u -= PERSONAS[p].share;
      }
      counts[persona]++;
      const p = PERSONAS[persona];
      let cu = rng();
      let country = 0;
      for (const [i, [, share]] of COUNTRIES.entries()) {
        if (cu < share) {
          country = i;
          break;
        }
        cu -= share;
      }
      const nOrders = intBetween(rng, p.orders);
      let first = END;
      for (let o = 0; o < nOrders; o++) {
        const t = orderTime(rng, p);
        first = Math.min(first, t);
        const nLines = intBetween(rng, p.lines);
        const lines: string[] = [];
        for (let l = 0; l < nLines; l++) {
          const pool = persona === 'bargain' && rng() < 0.85 ? cheap : products;
          const prod = pool[Math.floor(rng() * pool.length)];
          lines.push(`${productIndex.get(prod)}:${Math.max(1, Math.round(between(rng, p.qty)))}`);
        }
        buckets.add(Math.floor((t - START) / DAY), `${t},${id},${country},${lines.join(';')}`);
      }
      const signup = first - Math.floor(rng() * 200) * DAY;
      const channel =
        persona === 'bargain'
          ? rng() < 0.7
            ? 'app'
            : 'web'
          : rng() < 0.15
            ? 'store'
            : rng() < 0.6
              ? 'web'
              : 'app';
      custRows.line(
        `${id},${stamp(signup).slice(0, 10)},${channel},${rng() < (persona === 'champion' || persona === 'loyal' ? 0.7 : 0.3) ? 1 : 0}`,
      );
      const nSessions = intBetween(rng, p.sessions);
      for (let s = 0; s < nSessions; s++) {
        const t = orderTime(rng, p) + Math.floor(rng() * 8) * 3600000;
        const minutes = Math.max(0.2, between(rng, p.minutes) + randNormal(rng));
        eventRows.line(`${id},${stamp(t)},session,${minutes.toFixed(2)}`);
      }
      for (let s = intBetween(rng, p.wishlist); s > 0; s--)
        eventRows.line(`${id},${stamp(orderTime(rng, p))},wishlist_add,`);
      for (let s = intBetween(rng, p.reviews); s > 0; s--)
        eventRows.line(`${id},${stamp(orderTime(rng, p))},review,`);
      for (let s = intBetween(rng, p.coupons); s > 0; s--) {
        couponRows.line(
          `CP${String(couponId++).padStart(6, '0')},${id},${stamp(orderTime(rng, p))},${rng() < p.burn ? 'yes' : 'no'}`,
        );
      }
    }
    opts.onProgress?.('customers', opts.customers, opts.customers);
    const out = stream(
      files.transactions,
      'Invoice,StockCode,Description,Quantity,InvoiceDate,Price,Customer ID,Country',
    );
    let invoice = 489434;
    let lines = 0;
    const days = Math.floor((END - START) / DAY) + 1;
    for (let day = 0; day < days; day++) {
      if (day % 30 === 0) opts.onProgress?.('orders', day, days);
      // Orders in time order, ties by customer, then as drawn (a stable sort of the day's orders).
      const orders = buckets.take(day).map((text) => {
        const [t, customer, country, lineText] = text.split(',');
        return { t: Number(t), customer: Number(customer), country: Number(country), lineText };
      });
      orders.sort((a, b) => a.t - b.t || a.customer - b.customer);
      for (const o of orders) {
        const countryName = COUNTRIES[o.country][0];
        const orderLines = o.lineText.split(';').map((x) => {
          const [pi, q] = x.split(':');
          return [products[Number(pi)], Number(q)] as const;
        });
        const inv = String(invoice++);
        const noCustomer = rng() < 0.03;
        const cust = noCustomer ? '' : `${o.customer}.0`;
        const when = stamp(o.t);
        for (const [prod, qty] of orderLines) {
          const price = rng() < 0.002 ? 0 : prod.price;
          const row = `${inv},${prod.code},${csvField(prod.description)},${qty},${when},${price.toFixed(2)},${cust},${countryName}`;
          out.line(row);
          lines++;
          if (rng() < 0.005) {
            out.line(row);
            lines++;
          }
        }
        if (countryName !== 'United Kingdom') {
          out.line(`${inv},POST,POSTAGE,${1 + Math.floor(rng() * 3)},${when},18.00,${cust},${countryName}`);
          lines++;
        }
        if (!noCustomer && rng() < 0.025) {
          const back = orderLines.slice(0, 1 + Math.floor(rng() * Math.min(3, orderLines.length)));
          const later = stamp(Math.min(o.t + (1 + Math.floor(rng() * 10)) * DAY, END));
          for (const [prod, qty] of back) {
            out.line(
              `C${inv},${prod.code},${csvField(prod.description)},-${Math.max(1, Math.floor(qty / 2))},${later},${prod.price.toFixed(2)},${cust},${countryName}`,
            );
            lines++;
          }
        }
      }
    }
    opts.onProgress?.('orders', days, days);
    for (const f of open.splice(0)) f.close();
    writeFileAtomic(files.recipe, DEMO_RECIPE(opts.seed));
    return { ...files, lines, personas: counts };
  } finally {
    for (const f of open) f.abort();
    rmSync(scratch, { recursive: true, force: true });
  }
}

const DEMO_RECIPE = (seed: number) => `# segmint recipe for the generated demo shop (seed ${seed}).
# Edit and re-run with: segmint run recipe.yaml
version: 1
name: demo-shop
sources:
  transactions:
    kind: transactions
    path: data/transactions.csv          # Online Retail II format
    roles:
      customer: Customer ID
      order: Invoice
      time: InvoiceDate
      quantity: Quantity
      price: Price
      product: StockCode
      country: Country
  events:
    kind: events
    path: data/events.csv
    roles: { customer: customer_id, time: event_time, type: event_type, duration: session_minutes }
  customers:
    kind: customers
    path: data/customers.csv
    roles: { customer: Customer ID, joined: signup_date }
  coupons:
    kind: coupons
    path: data/coupons.csv
    roles: { customer: customer_id, time: claimed_at, coupon: coupon_id, redeemed: redeemed }
cleaning:
  cancellations: drop        # C-invoices and negative quantities feed return_rate only
features:
  - recency_days
  - frequency
  - monetary
  - avg_order_value
  - unique_products
  - tenure_days
  - return_rate
  - sessions
  - avg_session_minutes
  - { feature: event_count, type: wishlist_add, as: wishlist_adds }
  - { feature: event_count, type: review, as: reviews }
  - coupons_claimed
  - coupon_burn_rate
prep:
  log: auto
  scaler: standard
cluster:
  k: { min: 3, max: 8, select: silhouette }
  nInit: 10
  seed: ${seed}
output:
  dir: out
`;

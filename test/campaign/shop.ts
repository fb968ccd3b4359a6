/**
 * A shop with two plainly different kinds of customer (frequent big spenders and occasional small
 * ones) and a planted campaign effect: after the start date, treated customers of the frequent
 * kind order 10% more often; nothing changes for the others. Orders are written as order lines
 * (one line per order) with an invoice id, a customer, a time, a quantity and a price.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addDays } from '../../src/core/dates.js';
import { createRng, type Rng } from '../../src/core/rng.js';

export const START = '2026-04-01';
export const PRE_DAYS = 90;
export const POST_DAYS = 28;

export function poisson(rng: Rng, lambda: number): number {
  const L = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rng();
  } while (p > L);
  return k - 1;
}

export interface ShopKind {
  prefix: string;
  customers: number;
  /** Orders per customer over the pre-period and over the campaign period. */
  preRate: number;
  postRate: number;
  price: number;
}

export const KINDS: ShopKind[] = [
  { prefix: 'F', customers: 3000, preRate: 6, postRate: 2, price: 40 },
  { prefix: 'O', customers: 3000, preRate: 1.2, postRate: 0.5, price: 15 },
];

const HEADER = 'Invoice,Customer,Date,Quantity,Price\n';

function lines(
  rng: Rng,
  from: string,
  days: number,
  tag: string,
  rateOf: (id: string, kind: ShopKind) => number,
  kinds: ShopKind[],
  atLeastOne: boolean,
  priceFactor: (kind: ShopKind, dayIndex: number) => number = () => 1,
): string {
  const out: string[] = [];
  let invoice = 0;
  for (const kind of kinds)
    for (let i = 0; i < kind.customers; i++) {
      const id = `${kind.prefix}${String(i).padStart(5, '0')}`;
      let n = poisson(rng, rateOf(id, kind));
      if (atLeastOne) n = Math.max(1, n);
      for (let j = 0; j < n; j++) {
        const dayIndex = Math.floor(rng() * days);
        const day = addDays(from, dayIndex);
        const hour = String(Math.floor(rng() * 24)).padStart(2, '0');
        const qty = 1 + Math.floor(rng() * 3);
        const price = (kind.price * (0.5 + rng()) * priceFactor(kind, dayIndex)).toFixed(2);
        out.push(`${tag}${invoice++},${id},${day} ${hour}:00:00,${qty},${price}`);
      }
    }
  return out.join('\n');
}

/** Writes orders-pre.csv and a recipe (reference date = START) into dir; returns the recipe path. */
export function writeShop(dir: string, seed = 1, kinds = KINDS, orders = true): string {
  const rng = createRng(seed);
  if (orders)
    writeFileSync(
      join(dir, 'orders-pre.csv'),
      `${HEADER}${lines(rng, addDays(START, -PRE_DAYS), PRE_DAYS, 'P', (_, k) => k.preRate, kinds, true)}\n`,
    );
  const recipe = join(dir, 'segmint.yaml');
  writeFileSync(
    recipe,
    `name: campaign-shop
sources:
  orders:
    kind: transactions
    path: orders-*.csv
    roles: { order: Invoice, customer: Customer, time: Date, quantity: Quantity, price: Price }
window: { referenceDate: ${START} }
features: [recency_days, frequency, monetary]
prep: { log: [frequency, monetary] }
cluster: { k: 2, nInit: 3, seed: 7 }
output: { dir: out, report: false }
`,
  );
  return recipe;
}

/**
 * Writes orders-post.csv: the campaign period's orders, the treated customers of `lifted` (a
 * customer prefix) ordering `lift` times as often.
 */
export function writePost(
  dir: string,
  seed: number,
  treated: Set<string>,
  lifted: string,
  lift = 1.1,
  kinds = KINDS,
): void {
  const rng = createRng(1000 + seed);
  const rate = (id: string, k: ShopKind) => k.postRate * (k.prefix === lifted && treated.has(id) ? lift : 1);
  writeFileSync(
    join(dir, 'orders-post.csv'),
    `${HEADER}${lines(rng, START, POST_DAYS, 'Q', rate, kinds, false)}\n`,
  );
}

/**
 * Two months of orders for drift: 60 days as usual, then 30 days in which customers of kind
 * `shifted` pay `factor` times as much (they order as often as before). Returns the recipe; its
 * reference date is the end of the first 60 days and its window 60 days, so a second run with
 * window.referenceDate = 30 days later sees the shifted month.
 */
export function writeMonths(
  dir: string,
  shifted: string | null,
  factor: number,
  seed = 5,
  kinds = KINDS,
): string {
  const rng = createRng(seed);
  const from = addDays(START, -60);
  const rate = (_: string, k: ShopKind) => k.preRate;
  writeFileSync(
    join(dir, 'orders-pre.csv'),
    `${HEADER}${lines(rng, from, 90, 'P', rate, kinds, true, (k, d) => (k.prefix === shifted && d >= 60 ? factor : 1))}\n`,
  );
  const recipe = writeShop(dir, seed, kinds, false);
  writeFileSync(
    recipe,
    readFileSync(recipe, 'utf8').replace(
      `window: { referenceDate: ${START} }`,
      `window: { referenceDate: ${START}, days: 60 }`,
    ),
  );
  return recipe;
}

/**
 * Coupons for the campaign shop: everyone claims about one coupon a month; treated customers of
 * `lifted` redeem with probability `treatedRate`, everyone else with `baseRate`. Writes
 * coupons-pre.csv (before START) or coupons-post.csv (the campaign period).
 */
export function writeCoupons(
  dir: string,
  period: 'pre' | 'post',
  seed: number,
  treated: Set<string>,
  lifted: string,
  rates = { baseRate: 0.3, treatedRate: 0.5 },
  kinds = KINDS,
): void {
  const rng = createRng(5000 + seed);
  const out: string[] = [];
  let n = 0;
  const [from, days] = period === 'pre' ? [addDays(START, -PRE_DAYS), PRE_DAYS] : [START, POST_DAYS];
  for (const kind of kinds)
    for (let i = 0; i < kind.customers; i++) {
      const id = `${kind.prefix}${String(i).padStart(5, '0')}`;
      const p =
        period === 'post' && kind.prefix === lifted && treated.has(id) ? rates.treatedRate : rates.baseRate;
      for (let c = poisson(rng, days / 28); c > 0; c--)
        out.push(
          `K${n++},${id},${addDays(from, Math.floor(rng() * days))} 12:00:00,${rng() < p ? 'true' : 'false'}`,
        );
    }
  writeFileSync(join(dir, `coupons-${period}.csv`), `Coupon,Customer,Claimed,Redeemed\n${out.join('\n')}\n`);
}

/** The recipe's coupons source, to append under sources: of the shop's recipe. */
export const COUPONS_SOURCE = `  coupons:
    kind: coupons
    path: coupons-*.csv
    roles: { coupon: Coupon, customer: Customer, time: Claimed, redeemed: Redeemed }
`;

import type { SqlKit } from '../sql/dialect.js';
import type { EngineColumn } from '../sql/query.js';

/**
 * The orders of the cleaned order lines, and the base measures every order feature is built
 * from, declared once. An order is the lines of one `order_id` of one customer (cleaning decides
 * what an order id is: the order column, or a key from the customer and the time). One row per
 * order keeps what the order features read, so they aggregate a table of orders (a tenth of the
 * lines in a shop of order lines) instead of the lines with distinct counts:
 *
 * - `lines`: its purchase lines (not returns); an order with none is a cancellation only.
 * - `first_ts`, `last_ts`: the times of its first and last purchase line.
 * - `value`, `items`: the amount and the quantity of its purchase lines, exact partial sums.
 * - `net`: the amount of all its lines, returns negative (`cleaning.cancellations: net`).
 * - `returned`: the amount of its return lines, as a positive exact sum.
 *
 * Sums are exact decimals all the way (fx.exactSum, then fx.sumOfExact), so a customer's spend
 * has the same bits as the sum of their lines at once, whatever the engine's parallelism.
 */
export const ORDER_COLUMNS: EngineColumn[] = [
  { name: 'customer_id', type: 'text' },
  { name: 'order_id', type: 'text' },
  { name: 'lines', type: 'double' },
  { name: 'first_ts', type: 'timestamp' },
  { name: 'last_ts', type: 'timestamp' },
  { name: 'value', type: 'exact' },
  { name: 'items', type: 'exact' },
  { name: 'net', type: 'exact' },
  { name: 'returned', type: 'exact' },
];

/** A purchase line: not a cancellation or return. */
export const PURCHASE = 'NOT is_return';

/** The orders of a relation of cleaned lines, one row per (customer, order), in ORDER_COLUMNS' order. */
export function ordersSql(kit: SqlKit, lines: string): string {
  const { fx } = kit;
  const R = 'is_return';
  return `SELECT customer_id, order_id, ${fx.agg('count', null, PURCHASE)} AS lines, ${fx.agg('min', 'ts', PURCHASE)} AS first_ts, ${fx.agg('max', 'ts', PURCHASE)} AS last_ts, ${fx.exactSum('amount', PURCHASE)} AS value, ${fx.exactSum('quantity', PURCHASE)} AS items, ${fx.exactSum('amount')} AS net, ${fx.exactSum('abs(amount)', R)} AS returned FROM ${lines} GROUP BY customer_id, order_id`;
}

/**
 * The distinct products each customer bought (purchase lines, a product given): one row per
 * (customer, product). A count over it is the distinct products, grouped in two steps (pairs, then
 * customers), which engines do faster than a distinct count per customer.
 */
export function productsSql(lines: string): string {
  return `SELECT customer_id, product FROM ${lines} WHERE ${PURCHASE} AND product IS NOT NULL GROUP BY customer_id, product`;
}

/** An order with a purchase line in it. */
export const PURCHASE_ORDER = 'lines > 0';

/**
 * The base measures over a customer's orders (aggregates over the orders relation, grouped by
 * customer): how many orders they placed, what they spent (net of returns where the recipe nets
 * them), the items, the returned value, and the first and last purchase.
 */
export function orderMeasures(kit: SqlKit, netReturns: boolean) {
  const { fx } = kit;
  return {
    orders: fx.agg('count', null, PURCHASE_ORDER),
    money: fx.sumOfExact(netReturns ? 'net' : 'value'),
    /** Spend on purchases alone (returns not netted): what a share or a rate is of. */
    purchased: fx.sumOfExact('value'),
    items: fx.sumOfExact('items'),
    returned: fx.sumOfExact('returned'),
    // Limited to purchase orders: ClickHouse's minIf over no rows is 1970, not NULL.
    first: fx.agg('min', 'first_ts', PURCHASE_ORDER),
    last: fx.agg('max', 'last_ts', PURCHASE_ORDER),
  };
}
export type OrderMeasures = ReturnType<typeof orderMeasures>;

import type { OrderKey, Recipe } from '../config/recipe.js';
import { SegmintError, type Warning } from '../core/errors.js';
import { closest } from '../core/nearest.js';

/**
 * The cleaning's vocabulary: the ledger, what cleaning gives the later stages, required roles, the
 * reference date, empty results and the warnings about customers. The rules themselves are
 * conditions rendered per dialect in src/engine/clean.ts (every engine, the embedded DuckDB too).
 */
interface RoleSource {
  name: string;
  spec: { roles: Record<string, string> };
  columns: readonly { name: string }[];
}

/** The column a role names, or a RECIPE_INVALID error that lists the source's columns. */
export function requireRole(src: RoleSource, name: string, why: string): string {
  const c = src.spec.roles[name];
  if (!c) {
    throw new SegmintError('RECIPE_INVALID', `sources.${src.name}.roles.${name} is required ${why}.`, {
      where: { path: `sources.${src.name}.roles.${name}` },
      hint: `Name the column that holds the ${name}, e.g. roles: { ${name}: "..." }; the source has ${src.columns.map((c) => `"${c.name}"`).join(', ')}.`,
    });
  }
  return c;
}

/** window.referenceDate as given, checked to be an ISO date (undefined when not given). */
export function givenReferenceDate(d: string | undefined): string | undefined {
  if (d !== undefined && !/^\d{4}-\d{2}-\d{2}/.test(d)) {
    throw new SegmintError('RECIPE_INVALID', `window.referenceDate "${d}" is not an ISO date.`, {
      where: { path: 'window.referenceDate' },
      hint: 'Write it as YYYY-MM-DD.',
    });
  }
  return d;
}

/**
 * What to do when one cleaning rule removes the last rows of a source, by the rule's ledger name
 * (the first whose pattern matches). `roles` are the source's roles, for naming its columns.
 */
const EMPTIED_BY: { rule: RegExp; hint: (src: string, roles: Record<string, string>) => string }[] = [
  {
    rule: /^filter /,
    hint: () => 'Loosen cleaning.filters: no row has the values they keep.',
  },
  {
    rule: /^unreadable date or number/,
    hint: (src, r) =>
      `Every row has a date or number segmint cannot read: check that roles.time ("${r.time ?? ''}") holds dates (or set sources.${src}.dateFormat), and that the number columns hold numbers (csv.decimal for a decimal comma).`,
  },
  {
    rule: /^missing customer id/,
    hint: (src, r) =>
      `The column roles.customer names ("${r.customer ?? ''}") is empty on every row: set sources.${src}.roles.customer to the column that holds the customer.`,
  },
  {
    rule: /^cancelled or failed order status/,
    hint: () =>
      'Every order has a status in cleaning.cancelStatuses: check that list against the statuses in the data, or set cleaning.cancellations: keep.',
  },
  {
    rule: /^non-product codes/,
    hint: () => 'Every line has a product code in cleaning.nonProductCodes: shorten that list.',
  },
  {
    rule: /^cancellations and returns/,
    hint: (_src, r) =>
      `Every line reads as a cancellation (its order id starts with cleaning.cancelPrefix${r.order ? ` in "${r.order}"` : ''}, or its quantity is below 0): check cleaning.cancelPrefix and roles.quantity, or set cleaning.cancellations: keep.`,
  },
  {
    rule: /^non-positive (price|amount)/,
    hint: (_src, r) =>
      `Every line has ${r.price ? `a price ("${r.price}")` : `an amount ("${r.amount ?? ''}")`} of 0 or below: check that the role names the right column, or set cleaning.nonPositivePrice: keep.`,
  },
  {
    rule: /^on or after the reference date/,
    hint: () =>
      'window.referenceDate is on or before the first line of the data: set it after the first date, or leave it out (the day after the last line).',
  },
  {
    rule: /^outside the \d+-day window/,
    hint: () => 'No line falls in the window: widen window.days or move window.referenceDate.',
  },
];

/**
 * Why a source has no rows left, from its ledger: the file held none, or the rule that removed the
 * last of them, with what to do about that rule.
 */
export function emptiedBy(
  ledger: LedgerEntry[],
  src: { name: string; spec: { roles: Record<string, string> } },
): { cause: string; hint: string } {
  const own = ledger.filter((e) => e.source === src.name);
  const read = own.find((e) => e.rule === 'rows read');
  if (read && read.remaining === 0)
    return {
      cause: 'the file has no data rows (a header at most)',
      hint: `Check that the file is the whole export, and that sources.${src.name}.path points at it.`,
    };
  const last = own.find((e) => e.remaining === 0 && e.removed > 0);
  if (!last)
    return { cause: 'no rows are left', hint: 'Loosen the cleaning rules, filters or the analysis window.' };
  const known = EMPTIED_BY.find((x) => x.rule.test(last.rule));
  return {
    cause: `the rule "${last.rule}" removed the last ${last.removed.toLocaleString('en-US')} row(s)`,
    hint: known
      ? known.hint(src.name, src.spec.roles)
      : 'Loosen the cleaning rules, filters or the analysis window.',
  };
}

export function noPurchasesError(
  src: { name: string; file: string; spec: { roles: Record<string, string> } },
  ledger: LedgerEntry[],
): SegmintError {
  const why = emptiedBy(ledger, src);
  return new SegmintError(
    'DATA_EMPTY',
    `No purchase lines of source "${src.name}" are left after cleaning: ${why.cause}.`,
    {
      where: { file: src.file },
      hint: why.hint,
      details: { ledger },
    },
  );
}

export function noCustomerSourceError(): SegmintError {
  return new SegmintError(
    'RECIPE_INVALID',
    'The recipe needs a source of kind transactions or customers: it says who the customers are.',
    {
      where: { path: 'sources' },
      hint: 'Set kind: transactions on the order lines, or kind: customers on a one-row-per-customer table.',
    },
  );
}

export function noCustomersError(
  windowStart: string | null,
  referenceDate: string,
  ledger: LedgerEntry[],
  src?: { name: string; file: string; spec: { roles: Record<string, string> } },
  firstDate?: string | null,
): SegmintError {
  const why = src ? emptiedBy(ledger, src) : null;
  const begins = firstDate ? ` (the data begins on ${firstDate})` : '';
  return new SegmintError(
    'DATA_EMPTY',
    `No customers are left after cleaning${windowStart ? ` in the window ${windowStart} to ${referenceDate}` : ` before the reference date ${referenceDate}`}${why ? `: ${why.cause}` : ''}${begins}.`,
    {
      ...(src ? { where: { file: src.file } } : {}),
      ...(why ? { hint: why.hint } : {}),
      details: { ledger },
    },
  );
}

export const onlyReturnsWarning = (n: number): Warning => ({
  code: 'CUSTOMERS_ONLY_RETURNS',
  message: `${n} customer(s) with only cancellations in the window were left out.`,
});

export const zeroSpendWarning = (n: number, what: 'price' | 'amount'): Warning => ({
  code: 'CUSTOMERS_ZERO_SPEND',
  message: `${n} customer(s) whose every purchase line has ${what === 'price' ? 'a price' : 'an amount'} of 0 or less were left out (cleaning.nonPositivePrice: keep counts them).`,
});

export const unmatchedWarning = (n: number, source: string): Warning => ({
  code: 'CUSTOMERS_UNMATCHED',
  message: `${n} customer(s) with transactions are missing from source "${source}"; their attributes are imputed.`,
});

/** The ledger line of the analysis window for events and coupons. */
export const windowRule = (windowStart: string | null, days: number | undefined): string =>
  windowStart ? `outside the ${days}-day window` : 'on or after the reference date';

/**
 * The columns of a transactions source by role; customer and time are required. Without a price or
 * an amount it is a log of purchases (who bought when): the counts and times of purchases are
 * features, what they cost is not.
 */
export function transactionRoles(src: RoleSource) {
  const why = 'for a transactions source';
  const r = src.spec.roles;
  const customer = requireRole(src, 'customer', why);
  const time = requireRole(src, 'time', why);
  return { customer, time, price: r.price, amount: r.amount, quantity: r.quantity, order: r.order };
}

/**
 * What one order is in a transactions source, and why: its order column when it has one;
 * otherwise the recipe's orderKey, or by default every row when there is no product column (the
 * rows are orders, as in CDNOW or the R package rfm's data) and the customer's rows at one time
 * when there is (they are order lines).
 */
export function orderKeyOf(src: RoleSource & { spec: { orderKey?: OrderKey | undefined } }): {
  key: OrderKey | 'column';
  reason: string;
} {
  const r = src.spec.roles;
  if (r.order) {
    if (src.spec.orderKey)
      throw new SegmintError(
        'RECIPE_INVALID',
        `sources.${src.name}: orderKey ${src.spec.orderKey} is for transactions without an order column, but roles.order is "${r.order}".`,
        { where: { path: `sources.${src.name}.orderKey` }, hint: 'Remove orderKey, or remove roles.order.' },
      );
    return { key: 'column', reason: `the order column "${r.order}"` };
  }
  if (src.spec.orderKey) return { key: src.spec.orderKey, reason: 'orderKey in the recipe' };
  return r.product
    ? {
        key: 'time',
        reason: 'no order column; rows with a product are order lines, one order per customer and time',
      }
    : { key: 'row', reason: 'no order column and no product column: each row is one order' };
}

/**
 * Whether exact duplicate rows are dropped: `auto` drops them where an order column makes a
 * repeated row a double entry, and keeps them (they can be real purchases) where there is none.
 */
export function dropsDuplicates(cl: Pick<Recipe['cleaning'], 'duplicates'>, src: RoleSource): boolean {
  return cl.duplicates === 'auto' ? Boolean(src.spec.roles.order) : cl.duplicates === 'drop';
}

/** The warning for exact duplicate rows kept as purchases (cleaning.duplicates auto, no order id). */
export const duplicatesKeptWarning = (src: RoleSource, n: number): Warning => ({
  code: 'DUPLICATES_KEPT',
  message: `${n.toLocaleString('en-US')} exact duplicate row(s) in ${src.name} were kept as separate purchases: it has no order id, so a repeated row can be a real purchase. Set cleaning.duplicates: drop if they are double entries.`,
});

/**
 * Every cleaning filter must name a column of some source: a misspelt one would keep everyone
 * silently. The error names the nearest column.
 */
export function checkFilterColumns(
  filters: Recipe['cleaning']['filters'],
  sources: readonly { name: string; columns: readonly { name: string }[] }[],
): void {
  const all = [...new Set(sources.flatMap((s) => s.columns.map((c) => c.name).filter((c) => c !== '__row')))];
  filters.forEach((f, i) => {
    if (all.includes(f.column)) return;
    const near = closest(f.column, all);
    throw new SegmintError(
      'DATA_COLUMN_MISSING',
      `cleaning.filters[${i}]: no source has the column "${f.column}".${near ? ` Did you mean "${near}"?` : ''}`,
      {
        where: { path: `cleaning.filters[${i}].column`, column: f.column },
        hint: `The sources have: ${all.map((c) => `"${c}"`).join(', ')}.`,
      },
    );
  });
}

/** Text that marks a coupon as redeemed, as an SQL list (lowercase, trimmed values compare). */
export const REDEEMED_WORDS_SQL = `(${['1', 'true', 't', 'yes', 'y', 'redeemed', 'burned', 'used'].map((w) => `'${w}'`).join(', ')})`;

/** The columns of a coupons source: customer and redeemed are required, time is optional. */
export function couponRoles(src: RoleSource) {
  return {
    customer: requireRole(src, 'customer', 'for a coupons source'),
    redeemed: requireRole(src, 'redeemed', 'for a coupons source (a flag, or the time the coupon was used)'),
    time: src.spec.roles.time,
  };
}

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
  /** ISO date (YYYY-MM-DD) the features are computed as of (1970-01-01 when nothing is dated). */
  referenceDate: string;
  /** Whether any source has a time (or the recipe gave a reference date): else there is no "as of". */
  dated: boolean;
  /** First day of the analysis window (inclusive), or null for the whole history. */
  windowStart: string | null;
  /** Which normalised tables exist: tx (window) / tx_hist, cust, ev, cp. */
  has: { transactions: boolean; customers: boolean; events: boolean; coupons: boolean };
  /** Customers in the analysis (table `universe`). */
  customers: number;
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

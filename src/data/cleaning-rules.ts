import { SegmintError, type Warning } from '../core/errors.js';
import type { LedgerEntry } from './clean.js';

/**
 * What the embedded cleaning (src/data/clean.ts) and the cleaning inside an engine
 * (src/engine/features.ts) say alike: required roles, the reference date, empty results and the
 * warnings about customers, so both give the same ledger, errors and warnings.
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

export function noPurchasesError(src: { name: string; file: string }, ledger: LedgerEntry[]): SegmintError {
  return new SegmintError(
    'DATA_EMPTY',
    `No purchase lines of source "${src.name}" are left after cleaning.`,
    {
      where: { file: src.file },
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
): SegmintError {
  return new SegmintError(
    'DATA_EMPTY',
    `No customers are left after cleaning${windowStart ? ` in the window ${windowStart} to ${referenceDate}` : ''}.`,
    { details: { ledger } },
  );
}

export const onlyReturnsWarning = (n: number): Warning => ({
  code: 'CUSTOMERS_ONLY_RETURNS',
  message: `${n} customer(s) with only cancellations in the window were left out.`,
});

export const unmatchedWarning = (n: number, source: string): Warning => ({
  code: 'CUSTOMERS_UNMATCHED',
  message: `${n} customer(s) with transactions are missing from source "${source}"; their attributes are imputed.`,
});

/** The ledger line of the analysis window for events and coupons. */
export const windowRule = (windowStart: string | null, days: number | undefined): string =>
  windowStart ? `outside the ${days}-day window` : 'on or after the reference date';

/** The columns of a transactions source by role; customer, time and a price or an amount are required. */
export function transactionRoles(src: RoleSource) {
  const why = 'for a transactions source';
  const r = src.spec.roles;
  const customer = requireRole(src, 'customer', why);
  const time = requireRole(src, 'time', why);
  if (!r.price && !r.amount) requireRole(src, 'price', `${why} (or roles.amount for a line total)`);
  return { customer, time, price: r.price, amount: r.amount, quantity: r.quantity, order: r.order };
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

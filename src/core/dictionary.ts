import { z } from 'zod';

/**
 * The feature dictionary: what each feature column means to a reader. Every label a person sees
 * (segment names and descriptions, report charts and tables, rules text, the CLI) comes from here;
 * machine names stay in CSV/Parquet columns and JSON keys. The catalogue's kinds carry their
 * meaning; a customer attribute takes its label from the column as the user wrote it; the recipe's
 * `dictionary:` overrides any of it by feature name.
 */

export const UNITS = [
  'days',
  'orders',
  'money',
  'count',
  'items',
  'share',
  'minutes',
  'km',
  'rank',
  'year',
] as const;
export type Unit = (typeof UNITS)[number];

export interface Meaning {
  /** Plain words, as a chart axis or a table header shows it ("Days since last order"). */
  label: string;
  /** How its numbers read (null: a plain number). */
  unit: Unit | null;
  /** Which direction is good for the shop (null: neither; a description, not a judgement). */
  good: 'higher' | 'lower' | null;
  /**
   * What a customer without a value means: `zero` is no activity (a count of nothing is 0);
   * `unknown` is not on file (imputed, and counted as imputed).
   */
  missing: 'zero' | 'unknown';
  /**
   * Whether the value is a count of days since an event up to the reference date, so it grows by
   * one for each day that passes with nothing happening (recency, tenure): drift between two runs
   * compares it after moving the earlier run's values by the days between their reference dates.
   */
  ages?: boolean;
}

/** One entry of the recipe's `dictionary:` (every field optional; unset fields keep segmint's). */
export const DictionaryEntry = z.strictObject({
  label: z.string().min(1).max(80).optional().describe('plain-words name shown to people.'),
  unit: z
    .enum(UNITS)
    .nullable()
    .optional()
    .describe(`how its numbers read: ${UNITS.join(', ')} (null: a plain number).`),
  good: z
    .enum(['higher', 'lower'])
    .nullable()
    .optional()
    .describe('which direction is good for the shop (null: neither).'),
  missing: z
    .enum(['zero', 'unknown'])
    .optional()
    .describe('zero: a missing value is no activity (0); unknown: not on file (imputed).'),
});
export type DictionaryEntry = z.infer<typeof DictionaryEntry>;

/** A feature's meaning with the recipe's entry for it laid over. */
export function withEntry(m: Meaning, e: DictionaryEntry | undefined): Meaning {
  if (!e) return m;
  return {
    label: e.label ?? m.label,
    unit: e.unit === undefined ? m.unit : e.unit,
    good: e.good === undefined ? m.good : e.good,
    missing: e.missing ?? m.missing,
    ...(m.ages ? { ages: true } : {}),
  };
}

/**
 * Short forms column names use, spelled out in a label made from the name ("NumWebPurchases" ->
 * "Number of web purchases", "AcceptedCmp3" -> "Accepted campaign 3"). Only whole words, and only in
 * labels segmint makes from a machine name; a label written as words is kept as written.
 */
const ABBREVIATIONS: Record<string, string> = {
  num: 'number of',
  nbr: 'number of',
  cnt: 'count of',
  qty: 'quantity',
  amt: 'amount of',
  mnt: 'amount of',
  avg: 'average',
  pct: 'percent',
  perc: 'percent',
  cmp: 'campaign',
  cust: 'customer',
  prod: 'product',
  prods: 'products',
  txn: 'transaction',
  txns: 'transactions',
  yr: 'year',
  yrs: 'years',
  mth: 'month',
  mths: 'months',
  wk: 'week',
  wks: 'weeks',
  dt: 'date',
  freq: 'frequency',
  rev: 'revenue',
  disc: 'discount',
};

/**
 * A label from a column name as the user wrote it: kept as written when it already reads as words
 * ("Annual Income (k$)"), else snake_case and camelCase split into words with the first capital and
 * short forms spelled out ("num_web_visits" -> "Number of web visits", "MntWines" -> "Amount of
 * wines", "AcceptedCmp3" -> "Accepted campaign 3").
 */
export function labelOf(column: string): string {
  if (/\s/.test(column.trim())) return column.trim();
  // An acronym ("CO2", "RFM") is kept as written.
  if (/^[A-Z][A-Z0-9]+$/.test(column)) return column;
  const words = column
    .replace(/[_]+/g, ' ')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .trim()
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean);
  // A short form is spelled out where a word follows it or it stands alone ("Num" -> "Number of"
  // only before what is counted; "of" is left off at the end).
  const w = words
    .map((x, i) => {
      // A numbered short form ("cmp3") keeps its number.
      const [, short, n] = /^([a-z]+)([0-9]*)$/.exec(x) ?? [];
      const long = short && Object.hasOwn(ABBREVIATIONS, short) ? ABBREVIATIONS[short] : undefined;
      if (!long) return x;
      if (n) return `${long.replace(/ of$/, '')} ${n}`;
      return i === words.length - 1 ? long.replace(/ of$/, '') : long;
    })
    .join(' ');
  return w ? w[0].toUpperCase() + w.slice(1) : column;
}

/**
 * A label inside a sentence: "Days since last order" -> "days since last order"; a label written
 * in title case or starting with an acronym ("Annual Income (k$)", "RFM score") stays as it is.
 */
export function inSentence(label: string): string {
  return /^[A-Z][a-z]*(\s[^A-Z]|[^\sA-Za-z]|$)/.test(label) && !/^[A-Z][a-z]*\s+[A-Z]/.test(label)
    ? label[0].toLowerCase() + label.slice(1)
    : label;
}

const group = (v: number, digits: number) =>
  v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * A figure in its unit's format: days and counts whole with separators (or one decimal under 10
 * where not whole), money with 2 decimals, shares as percentages, years without separators.
 */
export function formatValue(v: number | null, unit: Unit | null): string {
  if (v === null || Number.isNaN(v)) return 'n/a';
  switch (unit) {
    case 'share':
      return `${(100 * v).toFixed(Math.abs(v) < 0.1 ? 1 : 0)}%`;
    case 'money':
      return group(v, 2);
    case 'year':
      return v.toFixed(0);
    case 'days':
    case 'orders':
    case 'count':
    case 'items':
    case 'rank':
    case 'km':
    case 'minutes':
      return Number.isInteger(v) || Math.abs(v) >= 10 ? group(Math.round(v), 0) : group(v, 1);
    default: {
      if (Number.isInteger(v)) return Math.abs(v) >= 10000 ? group(v, 0) : String(v);
      const a = Math.abs(v);
      if (a >= 100) return group(v, 0);
      if (a >= 1) return String(Number(v.toFixed(2)));
      return String(Number(v.toPrecision(2)));
    }
  }
}

/** A standardized difference as shown: one decimal with its sign, and 0.0 for what rounds to 0 (never "-0.0"). */
export function sdText(z: number): string {
  const t = z.toFixed(1);
  if (Number(t) === 0) return '0.0 sd';
  return `${z > 0 ? '+' : ''}${t} sd`;
}

import { type DictionaryEntry, labelOf, type Meaning, withEntry } from '../core/dictionary.js';
import { SegmintError, type Warning } from '../core/errors.js';
import type { SqlKit } from '../sql/dialect.js';
import type { EngineParams, Row } from '../sql/query.js';
import { type FeatureObject, type FeatureSpec, planOf } from './catalogue.js';
import { orderMeasures, PURCHASE } from './orders.js';

/** The kinds of source a feature reads. */
export type SourceKind = 'transactions' | 'customers' | 'events' | 'coupons';

/** One column of the customer x feature table. */
/**
 * Names no feature may take: the properties every JavaScript object has ("constructor",
 * "__proto__", "toString", ...), which a lookup by feature name would find on any record.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

export interface FeatureColumn {
  name: string;
  type: 'numeric' | 'categorical';
  /** The catalogue entry it comes from. */
  feature: string;
  /** Plain-words meaning, for reports. */
  description: string;
  /** Its entry of the feature dictionary: label, unit, good direction, what missing means. */
  meaning: Meaning;
}

export interface FeatureResult {
  /** Table `features`: customer_id, then one column per FeatureColumn, ordered by customer_id. */
  columns: FeatureColumn[];
  warnings: Warning[];
  /** Revenue column used for revenue shares, if any. */
  revenueColumn: string | null;
}

export interface Agg {
  /**
   * What it aggregates, grouped by customer: the cleaned lines of the window (`tx`) or of the
   * whole history before the reference date (`tx_hist`), their orders (`ord`, `ord_hist`: one row
   * per order, features/orders.ts), the distinct products each customer bought in the window
   * (`prod`: one row per customer and product, productsSql), the events (`ev`) or the coupons (`cp`).
   */
  table: 'tx' | 'tx_hist' | 'ord' | 'ord_hist' | 'prod' | 'ev' | 'cp';
  expr: string;
  name: string;
  /** Value when the customer has no row in the table: counts are 0, averages unknown. */
  empty: '0' | 'NULL';
}

/** An aggregate's value in the feature table: a double, 0 for counts of customers without rows. */
export function featureValue(kit: SqlKit, a: Agg, ref: string): string {
  return kit.fx.double(a.empty === '0' ? `coalesce(${ref}, 0)` : ref);
}

/** What the feature planner needs to know about one source: its roles and columns (engine types). */
export interface PlanSource {
  name: string;
  spec: { roles: Record<string, string> };
  columns: { name: string; type: string }[];
  file: string;
}

/**
 * Where the features are planned for: the dialect to render, the sources, and a way to ask the
 * cleaned tables a question (the top categories, whether a text column holds numbers).
 */
export interface FeatureContext {
  kit: SqlKit;
  has: Record<SourceKind, boolean>;
  byKind: Partial<Record<'transactions' | 'customers' | 'events' | 'coupons', PlanSource>>;
  /** The cleaned transactions (window) as a relation to select from. */
  txRelation: string;
  all(sql: string, params?: EngineParams): Promise<Row[]>;
  type: { numeric(t: string): boolean; temporal(t: string): boolean; boolean(t: string): boolean };
  /** The cleaned customers and the customers analysed, as relations (rank of country_distance). */
  custRelation: string | null;
  universe: string;
  /** Whether every non-empty value of a text customer column reads as a number. */
  numericText(column: string): Promise<boolean>;
}

/** The feature catalogue rendered for one dialect: aggregates per table and per-customer expressions. */
export interface FeaturePlan {
  aggs: Agg[];
  /** Expressions over the customers table `c` (and, for DuckDB, the country join). */
  extraSelect: { expr: string; name: string }[];
  joins: string[];
  /** Engines only: expressions over the joined columns (e.g. `__country`), computed last. */
  post: { expr: string; name: string }[];
  columns: FeatureColumn[];
  warnings: Warning[];
  revenueColumn: string | null;
  params: EngineParams;
}

/**
 * Plans the features of a recipe for a dialect from the catalogue: each feature becomes an
 * aggregate over one cleaned table (grouped by customer) or an expression over the customers
 * table. Values from the recipe are bound parameters ($ref, $p0, ...).
 */
export async function planFeatures(
  features: readonly FeatureSpec[],
  cleaning: { cancellations: string },
  ctx: FeatureContext,
  dictionary: Record<string, DictionaryEntry> = {},
): Promise<FeaturePlan> {
  const { kit } = ctx;
  const plan: FeaturePlan = {
    aggs: [],
    extraSelect: [],
    post: [],
    joins: [],
    columns: [],
    warnings: [],
    revenueColumn: null,
    params: {},
  };
  let pi = 0;
  const netReturns = cleaning.cancellations === 'net';
  const used = new Set<string>();
  for (const [i, raw] of features.entries()) {
    const spec: FeatureObject = typeof raw === 'string' ? { feature: raw } : raw;
    const path = `features[${i}]`;
    const f = spec.feature;
    const entry = planOf(f);
    const column = (
      name: string,
      type: FeatureColumn['type'],
      description: string,
      empty: Agg['empty'] | null,
      meaning?: Partial<Meaning> & { column?: string },
    ) => {
      if (RESERVED_NAMES.has(name))
        throw new SegmintError(
          'RECIPE_INVALID',
          `${path}: "${name}" cannot name a feature: every JavaScript object already has a property of that name.`,
          {
            where: { path },
            hint:
              f === 'attributes' || f === 'attribute'
                ? `Leave the column out with { feature: attributes, exclude: ["${name}"] }, or make a custom feature of it under another name (as:).`
                : `Give the feature another name with as:, e.g. as: ${name.replace(/^_+|_+$/g, '')}_value.`,
          },
        );
      if (used.has(name))
        throw new SegmintError('RECIPE_INVALID', `${path}: the feature name "${name}" is used twice.`, {
          where: { path },
          hint: 'Give one of them another name with `as:`.',
        });
      used.add(name);
      // The column's meaning: the plan's for this column, else the kind's, else from its
      // description and whether no row means 0; the recipe's dictionary laid over. A name given
      // with as: labels the column unless the plan said otherwise.
      const kindMeaning = entry.meaning ?? {};
      const base: Meaning = {
        label: meaning?.label ?? (spec.as ? labelOf(spec.as) : (kindMeaning.label ?? description)),
        unit: meaning?.unit !== undefined ? meaning.unit : (kindMeaning.unit ?? null),
        good: meaning?.good !== undefined ? meaning.good : (kindMeaning.good ?? null),
        missing: meaning?.missing ?? kindMeaning.missing ?? (empty === '0' ? 'zero' : 'unknown'),
        ...((meaning?.ages ?? kindMeaning.ages) ? { ages: true } : {}),
      };
      // The recipe's entry by the feature's name, or by the column it comes from as the data spells it.
      const entryOf = dictionary[name] ?? (meaning?.column ? dictionary[meaning.column] : undefined);
      plan.columns.push({ name, type, feature: f, description, meaning: withEntry(base, entryOf) });
    };
    const needs = entry.needs === 'from' ? (spec.from ?? 'transactions') : entry.needs;
    if (needs && !ctx.has[needs])
      throw new SegmintError('RECIPE_INVALID', `${path}: feature "${f}" needs a source of kind ${needs}.`, {
        where: { path },
        hint: `Add a ${needs} source, or remove the feature.`,
      });
    const tx = ctx.byKind.transactions;
    if (entry.money && tx && !tx.spec.roles.price && !tx.spec.roles.amount)
      throw new SegmintError(
        'RECIPE_INVALID',
        `${path}: feature "${f}" reads what the purchases cost, and source "${tx.name}" has no money (no roles.price or roles.amount): it is a log of purchases.`,
        {
          where: { path },
          hint: `Name the column with the line total in sources.${tx.name}.roles.amount (or the unit price in roles.price), or leave "${f}" out; recency_days, frequency and tenure_days need no money.`,
        },
      );
    await entry.plan(spec as Record<string, unknown>, {
      kit,
      ctx,
      path,
      name: (d) => spec.as ?? d,
      P: PURCHASE,
      order: orderMeasures(kit, netReturns),
      netReturns,
      agg: (a, description, meaning) => {
        plan.aggs.push(a);
        column(a.name, 'numeric', description, a.empty, meaning);
      },
      select: (name, expr, description, type = 'numeric', meaning) => {
        plan.extraSelect.push({ name, expr });
        column(name, type, description, null, meaning);
      },
      post: (name, expr, description, meaning) => {
        plan.post.push({ name, expr });
        column(name, 'numeric', description, null, meaning);
      },
      helper: (h) => {
        if ('table' in h) {
          if (!plan.aggs.some((a) => a.name === h.name)) plan.aggs.push(h);
        } else if (!plan.extraSelect.some((e) => e.name === h.name)) plan.extraSelect.push(h);
      },
      bind: (v) => {
        const k = `p${pi++}`;
        plan.params[k] = v;
        return `$${k}`;
      },
      warn: (w) => plan.warnings.push(w),
      revenue: (name) => {
        plan.revenueColumn ??= name;
      },
    });
  }
  if (!plan.columns.length)
    throw new SegmintError('DATA_NO_FEATURES', 'The recipe yields no feature columns.', {
      where: { path: 'features' },
    });
  return plan;
}

export const countryUnknownWarning = (n: number): Warning => ({
  code: 'COUNTRY_UNKNOWN',
  message: `${n} customer(s) have a country segmint has no coordinates for; their distance is imputed.`,
});

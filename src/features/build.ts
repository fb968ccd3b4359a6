import type { FeatureObject, FeatureSpec, Recipe } from '../config/recipe.js';
import { SegmintError, type Warning } from '../core/errors.js';
import type { CleanResult } from '../data/cleaning-rules.js';
import { missingColumnError } from '../data/sources.js';
import type { SqlKit } from '../sql/dialect.js';
import type { Params } from '../sql/duckdb.js';
import { COUNTRY_CENTROIDS, findCountry, haversineKm } from './countries.js';

/** One column of the customer x feature table. */
export interface FeatureColumn {
  name: string;
  type: 'numeric' | 'categorical';
  /** The catalogue entry it comes from. */
  feature: string;
  /** Plain-words meaning, for reports. */
  description: string;
}

export interface FeatureResult {
  /** Table `features`: customer_id, then one column per FeatureColumn, ordered by customer_id. */
  columns: FeatureColumn[];
  warnings: Warning[];
  /** Revenue column used for revenue shares, if any. */
  revenueColumn: string | null;
}

/** Catalogue features computed from the transactions table. */
export const TX_FEATURES: ReadonlySet<string> = new Set([
  'recency_days',
  'frequency',
  'monetary',
  'avg_order_value',
  'avg_items_per_order',
  'unique_products',
  'tenure_days',
  'avg_days_between_orders',
  'return_rate',
  'category_share',
  'country_distance',
]);

const normalise = (f: FeatureSpec): FeatureObject => (typeof f === 'string' ? { feature: f } : f);

const sanitize = (s: string): string =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40) || 'x';

export interface Agg {
  table: 'tx' | 'tx_hist' | 'ev' | 'cp';
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
  has: CleanResult['has'];
  byKind: Partial<Record<'transactions' | 'customers' | 'events' | 'coupons', PlanSource>>;
  /** The cleaned transactions (window) as a relation to select from. */
  txRelation: string;
  all(sql: string, params?: Params): Promise<Record<string, unknown>[]>;
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
  params: Params;
}

/**
 * Plans the feature catalogue of a recipe for a dialect: each feature becomes an aggregate over one
 * cleaned table (grouped by customer) or an expression over the customers table. Values from the
 * recipe are bound parameters ($ref, $p0, ...).
 */
export async function planFeatures(recipe: Recipe, ctx: FeatureContext): Promise<FeaturePlan> {
  const { kit } = ctx;
  const { fx } = kit;
  const data = ctx;
  const aggs: Agg[] = [];
  const columns: FeatureColumn[] = [];
  const warnings: Warning[] = [];
  const extraSelect: { expr: string; name: string }[] = [];
  const post: { expr: string; name: string }[] = [];
  const params: Params = {};
  const joins: string[] = [];
  let pi = 0;
  const bind = (v: string): string => {
    const k = `p${pi++}`;
    params[k] = v;
    return `$${k}`;
  };
  const mode = recipe.cleaning.cancellations;
  const P = 'NOT is_return';
  const money = mode === 'net' ? fx.agg('sum', 'amount') : fx.agg('sum', 'amount', P);
  const orders = fx.agg('countDistinct', 'order_id', P);
  const used = new Set<string>();
  const add = (
    name: string,
    type: FeatureColumn['type'],
    feature: string,
    description: string,
    path: string,
  ) => {
    if (used.has(name)) {
      throw new SegmintError('RECIPE_INVALID', `${path}: the feature name "${name}" is used twice.`, {
        where: { path },
        hint: 'Give one of them another name with `as:`.',
      });
    }
    used.add(name);
    columns.push({ name, type, feature, description });
  };
  const need = (has: boolean, kind: string, path: string, feature: string) => {
    if (!has) {
      throw new SegmintError(
        'RECIPE_INVALID',
        `${path}: feature "${feature}" needs a source of kind ${kind}.`,
        {
          where: { path },
          hint: `Add a ${kind} source, or remove the feature.`,
        },
      );
    }
  };
  let revenueColumn: string | null = null;
  const custSrc = data.byKind.customers;
  const evSrc = data.byKind.events;

  for (const [i, spec] of recipe.features.map(normalise).entries()) {
    const path = `features[${i}]`;
    const f = spec.feature;
    const nm = (d: string) => spec.as ?? d;
    if (TX_FEATURES.has(f) && f !== 'country_distance') need(data.has.transactions, 'transactions', path, f);
    switch (f) {
      case 'recency_days':
        aggs.push({
          table: 'tx',
          name: nm(f),
          empty: 'NULL',
          expr: fx.days(fx.agg('max', 'ts', P), '$ref'),
        });
        add(nm(f), 'numeric', f, 'Days from the last purchase to the reference date', path);
        break;
      case 'frequency':
        aggs.push({ table: 'tx', name: nm(f), empty: '0', expr: orders });
        add(nm(f), 'numeric', f, 'Distinct orders in the window', path);
        break;
      case 'monetary':
        aggs.push({ table: 'tx', name: nm(f), empty: '0', expr: money });
        add(
          nm(f),
          'numeric',
          f,
          `Total spend (quantity x price${mode === 'net' ? ', net of returns' : ''})`,
          path,
        );
        revenueColumn ??= nm(f);
        break;
      case 'avg_order_value':
        aggs.push({ table: 'tx', name: nm(f), empty: 'NULL', expr: fx.div(money, orders) });
        add(nm(f), 'numeric', f, 'Average spend per order', path);
        break;
      case 'avg_items_per_order':
        aggs.push({
          table: 'tx',
          name: nm(f),
          empty: 'NULL',
          expr: fx.div(fx.agg('sum', 'quantity', P), orders),
        });
        add(nm(f), 'numeric', f, 'Average items (quantity) per order', path);
        break;
      case 'unique_products':
        aggs.push({
          table: 'tx',
          name: nm(f),
          empty: '0',
          expr: fx.agg('countDistinct', 'product', P),
        });
        add(nm(f), 'numeric', f, 'Distinct products bought', path);
        break;
      case 'tenure_days':
        aggs.push({
          table: 'tx_hist',
          name: nm(f),
          empty: 'NULL',
          expr: fx.days(fx.agg('min', 'ts', P), '$ref'),
        });
        add(nm(f), 'numeric', f, 'Days since the first purchase (whole history)', path);
        break;
      case 'avg_days_between_orders':
        aggs.push({
          table: 'tx',
          name: nm(f),
          empty: 'NULL',
          expr: fx.div(
            `(${fx.epoch(fx.agg('max', 'ts', P))} - ${fx.epoch(fx.agg('min', 'ts', P))}) / ${kit.num(86400)}`,
            `${orders} - 1`,
          ),
        });
        add(nm(f), 'numeric', f, 'Average days between orders (missing for one-order customers)', path);
        break;
      case 'return_rate':
        aggs.push({
          table: 'tx',
          name: nm(f),
          empty: '0',
          expr: fx.div(
            `coalesce(${fx.agg('sum', 'abs(amount)', 'is_return')}, 0)`,
            fx.agg('sum', 'amount', P),
          ),
        });
        add(nm(f), 'numeric', f, 'Value returned or cancelled / value purchased', path);
        break;
      case 'category_share': {
        const top = spec.top ?? 5;
        const cats = await ctx.all(
          `SELECT category, ${fx.agg('sum', 'amount')} AS v FROM ${ctx.txRelation} WHERE ${P} AND category IS NOT NULL GROUP BY category ORDER BY v DESC, category LIMIT ${top}`,
        );
        if (!cats.length) {
          warnings.push({
            code: 'NO_CATEGORIES',
            message: `${path}: no category values in the transactions (is roles.category set?); category_share adds nothing.`,
          });
        }
        for (const c of cats) {
          const col = `${spec.as ?? 'share'}_${sanitize(String(c.category))}`;
          aggs.push({
            table: 'tx',
            name: col,
            empty: '0',
            expr: fx.div(
              `coalesce(${fx.agg('sum', 'amount', `${P} AND category = ${bind(String(c.category))}`)}, 0)`,
              fx.agg('sum', 'amount', P),
            ),
          });
          add(col, 'numeric', f, `Share of spend on "${String(c.category)}"`, path);
        }
        break;
      }
      case 'sessions':
        need(data.has.events, 'events', path, f);
        aggs.push({
          table: 'ev',
          name: nm(f),
          empty: '0',
          expr: evSrc?.spec.roles.session
            ? 'count(DISTINCT session)'
            : evSrc?.spec.roles.duration
              ? 'count(duration)'
              : 'count(*)',
        });
        add(nm(f), 'numeric', f, 'Browsing sessions', path);
        break;
      case 'avg_session_minutes':
        need(data.has.events, 'events', path, f);
        if (!evSrc?.spec.roles.duration) {
          throw new SegmintError(
            'RECIPE_INVALID',
            `${path}: avg_session_minutes needs roles.duration on source "${evSrc?.name}".`,
            {
              where: { path: `sources.${evSrc?.name}.roles.duration` },
            },
          );
        }
        aggs.push({ table: 'ev', name: nm(f), empty: 'NULL', expr: fx.agg('avg', 'duration') });
        add(nm(f), 'numeric', f, 'Average session length (minutes)', path);
        break;
      case 'event_count': {
        need(data.has.events, 'events', path, f);
        if (!spec.type)
          throw new SegmintError(
            'RECIPE_INVALID',
            `${path}.type: event_count needs the event type to count, e.g. type: wishlist_add.`,
            { where: { path: `${path}.type` } },
          );
        const name = spec.as ?? sanitize(spec.type);
        aggs.push({
          table: 'ev',
          name,
          empty: '0',
          expr: fx.agg('count', null, `type = ${bind(spec.type)}`),
        });
        add(name, 'numeric', f, `Events of type "${spec.type}"`, path);
        break;
      }
      case 'coupons_claimed':
        need(data.has.coupons, 'coupons', path, f);
        aggs.push({ table: 'cp', name: nm(f), empty: '0', expr: 'count(*)' });
        add(nm(f), 'numeric', f, 'Coupons claimed', path);
        break;
      case 'coupons_burned':
        need(data.has.coupons, 'coupons', path, f);
        aggs.push({ table: 'cp', name: nm(f), empty: '0', expr: fx.agg('count', null, 'redeemed') });
        add(nm(f), 'numeric', f, 'Coupons redeemed', path);
        break;
      case 'coupon_burn_rate':
        need(data.has.coupons, 'coupons', path, f);
        aggs.push({
          table: 'cp',
          name: nm(f),
          empty: 'NULL',
          expr: fx.div(fx.agg('count', null, 'redeemed'), 'count(*)'),
        });
        add(nm(f), 'numeric', f, 'Share of claimed coupons redeemed', path);
        break;
      case 'customer_tenure_days':
        need(data.has.customers, 'customers', path, f);
        if (!custSrc?.spec.roles.joined) {
          throw new SegmintError(
            'RECIPE_INVALID',
            `${path}: customer_tenure_days needs roles.joined on source "${custSrc?.name}".`,
            {
              where: { path: `sources.${custSrc?.name}.roles.joined` },
            },
          );
        }
        extraSelect.push({
          name: nm(f),
          expr: fx.days('c.__joined', '$ref'),
        });
        add(nm(f), 'numeric', f, 'Days since the customer joined', path);
        break;
      case 'attribute':
      case 'attributes': {
        need(data.has.customers, 'customers', path, f);
        const src = custSrc!;
        const roleCols = new Set(Object.values(src.spec.roles));
        let cols: string[];
        if (f === 'attribute') {
          if (!spec.column)
            throw new SegmintError('RECIPE_INVALID', `${path}.column: attribute needs the column to take.`, {
              where: { path: `${path}.column` },
            });
          cols = [spec.column];
        } else {
          cols =
            spec.columns ?? src.columns.map((c) => c.name).filter((c) => !roleCols.has(c) && c !== '__row');
          if (spec.exclude) cols = cols.filter((c) => !spec.exclude!.includes(c));
        }
        for (const col of cols) {
          const meta = src.columns.find((c) => c.name === col);
          if (!meta) {
            throw missingColumnError(
              col,
              src.columns.map((c) => c.name),
              src.file,
              `${path}.column${f === 'attributes' ? 's' : ''}`,
            );
          }
          const name = f === 'attribute' && spec.as ? spec.as : sanitize(col);
          const c = `c.${kit.q(col)}`;
          if (ctx.type.temporal(meta.type)) {
            extraSelect.push({ name: `${name}_days`, expr: fx.days(c, '$ref') });
            add(`${name}_days`, 'numeric', f, `Days since ${col}`, path);
          } else if ((ctx.type.numeric(meta.type) || ctx.type.boolean(meta.type)) && !spec.categorical) {
            extraSelect.push({ name, expr: fx.double(c) });
            add(name, 'numeric', f, `Customer attribute ${col}`, path);
          } else {
            const numericText = !spec.categorical && (await ctx.numericText(col));
            if (numericText) {
              extraSelect.push({ name, expr: fx.parseDouble(fx.trim(fx.text(c))) });
              add(name, 'numeric', f, `Customer attribute ${col}`, path);
            } else {
              extraSelect.push({ name, expr: fx.text(c) });
              add(name, 'categorical', f, `Customer attribute ${col} (categorical)`, path);
            }
          }
        }
        break;
      }
      case 'country_distance': {
        const home = findCountry(spec.home ?? 'GB');
        if (!home) {
          throw new SegmintError(
            'RECIPE_INVALID',
            `${path}.home: "${spec.home}" is not a country segmint knows.`,
            {
              where: { path: `${path}.home` },
              hint: 'Use an ISO code such as GB, DE or US, or an English country name.',
            },
          );
        }
        const custCountry = custSrc?.spec.roles.country;
        const name = spec.as ?? (spec.rank ? 'country_distance_rank' : 'country_distance_km');
        const describe = spec.rank
          ? `Rank of the distance from ${home.code}`
          : `Great-circle km from ${home.code}`;
        post.push({
          name,
          expr: await countryDistanceExpr(
            ctx,
            home,
            spec.rank === true,
            custCountry,
            path,
            aggs,
            extraSelect,
          ),
        });
        add(name, 'numeric', f, describe, path);
        break;
      }
      case 'custom': {
        if (!spec.as || !spec.sql) {
          throw new SegmintError(
            'RECIPE_INVALID',
            `${path}: a custom feature needs as: (its name) and sql: (an aggregate expression).`,
            { where: { path } },
          );
        }
        const from = spec.from ?? 'transactions';
        need(data.has[from], from, path, f);
        aggs.push({
          table: from === 'transactions' ? 'tx' : from === 'events' ? 'ev' : 'cp',
          name: spec.as,
          empty: 'NULL',
          expr: fx.double(`(${spec.sql})`),
        });
        add(spec.as, 'numeric', f, `Custom: ${spec.sql}`, path);
        break;
      }
    }
  }
  if (!columns.length)
    throw new SegmintError('DATA_NO_FEATURES', 'The recipe yields no feature columns.', {
      where: { path: 'features' },
    });

  return { aggs, extraSelect, post, joins, columns, warnings, revenueColumn, params };
}

export const countryUnknownWarning = (n: number): Warning => ({
  code: 'COUNTRY_UNKNOWN',
  message: `${n} customer(s) have a country segmint has no coordinates for; their distance is imputed.`,
});

/**
 * country_distance in any engine, without a coordinate table there: the customer's country (the
 * most frequent in the transactions, the smallest on ties; or the customers source's column)
 * becomes `__country`, and the distance (or its dense rank among the customers analysed, unknown
 * countries last) is a CASE over the country names with the values computed here by the haversine
 * formula.
 */
async function countryDistanceExpr(
  ctx: FeatureContext,
  home: { lat: number; lon: number },
  rank: boolean,
  custCountry: string | undefined,
  path: string,
  aggs: Agg[],
  extraSelect: { expr: string; name: string }[],
): Promise<string> {
  const { kit } = ctx;
  const { fx } = kit;
  const mode = fx.mode('country');
  const fromTx = ctx.has.transactions && !!ctx.byKind.transactions?.spec.roles.country;
  if (fromTx && mode) {
    if (!aggs.some((a) => a.name === '__country'))
      aggs.push({ table: 'tx', name: '__country', empty: 'NULL', expr: mode });
  } else if (!fromTx && custCountry) {
    if (!extraSelect.some((e) => e.name === '__country'))
      extraSelect.push({ name: '__country', expr: fx.text(`c.${kit.q(custCountry)}`) });
  } else
    throw new SegmintError(
      fromTx ? 'ENGINE_UNSUPPORTED' : 'RECIPE_INVALID',
      fromTx
        ? `${path}: ${kit.dialect} has no way segmint knows to take each customer's most frequent country.`
        : `${path}: country_distance needs roles.country on the transactions or customers source.`,
      { where: { path } },
    );
  const key = (x: string) => `lower(${fx.trim(fx.text(x))})`;
  const km = new Map<string, number>();
  for (const [code, lat, lon, names] of COUNTRY_CENTROIDS)
    for (const n of [code, ...names]) km.set(n.toLowerCase(), haversineKm(home.lat, home.lon, lat, lon));
  const byName = (value: (name: string, v: number) => number, otherwise: string) =>
    // The searched CASE: ClickHouse 18 gets `CASE x WHEN ...` wrong on text.
    `CASE ${[...km].map(([n, v]) => `WHEN ${key(kit.q('__country'))} = ${kit.str(n)} THEN ${kit.num(value(n, v))}`).join(' ')} ELSE ${otherwise} END`;
  if (!rank) return byName((_, v) => v, 'NULL');
  // The dense rank is over the customers analysed (those with a purchase in the window).
  const present = await ctx.all(
    fromTx
      ? `SELECT DISTINCT ${key('m')} AS v FROM (SELECT customer_id, ${mode} AS m FROM ${ctx.txRelation} GROUP BY customer_id HAVING ${fx.agg('count', null, 'NOT is_return')} > 0) AS x`
      : `SELECT DISTINCT ${key(kit.q(custCountry!))} AS v FROM ${ctx.custRelation} WHERE customer_id IN (SELECT customer_id FROM ${ctx.universe})`,
  );
  const known = [
    ...new Set(present.flatMap((r) => (km.has(String(r.v)) ? [km.get(String(r.v))!] : []))),
  ].sort((a, b) => a - b);
  const unknown = present.some((r) => r.v === null || !km.has(String(r.v)));
  return byName((_, v) => known.indexOf(v) + 1, unknown ? kit.num(known.length + 1) : 'NULL');
}

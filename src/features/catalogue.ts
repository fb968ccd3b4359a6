import { z } from 'zod';
import { labelOf, type Meaning } from '../core/dictionary.js';
import { SegmintError, type Warning } from '../core/errors.js';
import { missingColumnError } from '../core/nearest.js';
import type { SqlKit } from '../sql/dialect.js';
import type { Agg, FeatureColumn, FeatureContext, SourceKind } from './build.js';
import { COUNTRY_CENTROIDS, findCountry, haversineKm } from './countries.js';
import type { OrderMeasures } from './orders.js';

/**
 * The feature catalogue: one entry per feature kind, holding its whole definition: the source it
 * needs, its options (zod), its line in the README, what `segmint init` suggests, the trait the
 * naming reads from it, and how it is planned as SQL (aggregates over one cleaned table through the
 * dialect kit, or expressions over the customers table). The recipe schema, the README tables, the
 * planner, init and the naming all derive from this table; nothing else lists the features.
 */

/** What a feature's plan writes into: aggregates and expressions, each with its output column. */
export interface Planner {
  kit: SqlKit;
  ctx: FeatureContext;
  /** The recipe path of the feature (features[i]). */
  path: string;
  /** The output name: the feature's `as:`, else `d`. */
  name(d: string): string;
  /** The purchase lines (not returns) as a condition, for aggregates over the lines (`tx`). */
  P: string;
  /** The base measures over a customer's orders (tables `ord` and `ord_hist`): features/orders.ts. */
  order: OrderMeasures;
  netReturns: boolean;
  /** An aggregate over a cleaned table, grouped by customer, as an output column. */
  agg(a: Agg, description: string, meaning?: ColumnMeaning): void;
  /** An expression over the customers table `c` as an output column. */
  select(
    name: string,
    expr: string,
    description: string,
    type?: FeatureColumn['type'],
    meaning?: ColumnMeaning,
  ): void;
  /** An expression over the joined columns, computed last (engines). */
  post(name: string, expr: string, description: string, meaning?: ColumnMeaning): void;
  /** A helper aggregate or customer expression that is not an output column (e.g. `__country`). */
  helper(a: Agg | { name: string; expr: string }): void;
  /** Binds a value from the recipe; returns its placeholder. */
  bind(value: string): string;
  warn(w: Warning): void;
  /** Marks the column that holds revenue (the first monetary). */
  revenue(name: string): void;
}

/** A column's dictionary entry as its plan gives it; `column`: the data's column it comes from (the recipe's dictionary may name it so). */
export type ColumnMeaning = Partial<Meaning> & { column?: string };

/** The roles a source of the needed kind has, as `segmint init` saw them. */
export type InitRoles = Record<string, string | undefined>;

interface KindDef<O extends z.ZodRawShape> {
  /** What it computes: the README's catalogue line. */
  doc: string;
  /** The source kind it needs; `from` for custom (its option says); null when it decides itself. */
  needs: SourceKind | 'from' | null;
  /** It reads the money of the purchases (roles.price or roles.amount): a purchase log without money cannot give it. */
  money?: boolean;
  /** Its options besides `feature` and `as`. */
  options?: O;
  /** The trait of a segment its value shows (naming and personas read it). */
  trait?: Trait;
  /** Its dictionary entry (label, unit, good direction, what missing means); multi-column kinds give theirs per column. */
  meaning?: Partial<Meaning>;
  /** The line `segmint init` writes for a source with these roles (null: none). */
  init?: (roles: InitRoles, engine: boolean) => string | null;
  plan(spec: { as?: string | undefined } & z.infer<z.ZodObject<O>>, p: Planner): void | Promise<void>;
}

/**
 * A trait segment naming reads (explain's `Trait`, named here by its string: the naming room sits
 * above and takes the catalogue's word through the run; a test checks each is one it knows).
 */
export type Trait = string;

type AnyKind = Omit<KindDef<z.ZodRawShape>, 'plan'> & {
  plan(spec: Record<string, unknown> & { as?: string | undefined }, p: Planner): void | Promise<void>;
};
const kind = <O extends z.ZodRawShape = Record<never, never>>(d: KindDef<O>): AnyKind =>
  d as unknown as AnyKind;

const identifier = z.string().min(1);

/** A column name as segmint writes it: lower case, [a-z0-9_], at most 40 characters. */
export const sanitize = (s: string): string =>
  s
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40) || 'x';

/** Options shared by kinds: one schema, described once. */
const categorical = z.boolean().optional().describe('force categorical (one-hot) treatment.');

function requireRole(p: Planner, kindName: SourceKind, role: string, feature: string): void {
  const src = p.ctx.byKind[kindName];
  if (!src?.spec.roles[role])
    throw new SegmintError(
      'RECIPE_INVALID',
      `${p.path}: ${feature} needs roles.${role} on source "${src?.name}".`,
      {
        where: { path: `sources.${src?.name}.roles.${role}` },
      },
    );
}

/** Customer columns (attribute, attributes) as numeric, days-before or one-hot features. */
async function customerColumns(
  p: Planner,
  feature: string,
  cols: string[],
  as: string | undefined,
  cat: boolean,
) {
  const { kit, ctx } = p;
  const { fx } = kit;
  const src = ctx.byKind.customers!;
  for (const col of cols) {
    const meta = src.columns.find((c) => c.name === col);
    if (!meta)
      throw missingColumnError(
        col,
        src.columns.map((c) => c.name),
        src.file,
        `${p.path}.column${feature === 'attributes' ? 's' : ''}`,
      );
    const name = as ?? sanitize(col);
    const c = `c.${kit.q(col)}`;
    // Labelled as the user wrote the column; nothing is known of which way is good.
    const label = as ? labelOf(as) : labelOf(col);
    const attr = { label, unit: null, good: null, missing: 'unknown', column: col } as const;
    if (ctx.type.temporal(meta.type))
      p.select(`${name}_days`, fx.days(c, '$ref'), `Days since ${col}`, 'numeric', {
        ...attr,
        label: `Days since ${col}`,
        unit: 'days',
        ages: true,
      });
    else if ((ctx.type.numeric(meta.type) || ctx.type.boolean(meta.type)) && !cat)
      p.select(name, fx.double(c), `Customer attribute ${col}`, 'numeric', attr);
    else if (!cat && (await ctx.numericText(col)))
      p.select(name, fx.parseDouble(fx.trim(fx.text(c))), `Customer attribute ${col}`, 'numeric', attr);
    else p.select(name, fx.text(c), `Customer attribute ${col} (categorical)`, 'categorical', attr);
  }
}

export const CATALOGUE = {
  recency_days: kind({
    doc: 'Days from the last purchase in the window to the reference date.',
    // Not `ages`: each order starts it again, so in a steady shop its spread holds still from run
    // to run (tenure, days since a first or a once-only event, does age).
    meaning: { label: 'Days since last order', unit: 'days', good: 'lower', missing: 'unknown' },
    needs: 'transactions',
    trait: 'recency',
    init: () => 'recency_days',
    plan: (_s, p) =>
      p.agg(
        {
          table: 'ord',
          name: p.name('recency_days'),
          empty: 'NULL',
          expr: p.kit.fx.days(p.order.last, '$ref'),
        },
        'Days from the last purchase to the reference date',
      ),
  }),
  frequency: kind({
    doc: 'Distinct orders in the window (not order lines; cancellation invoices excluded).',
    meaning: { label: 'Orders', unit: 'orders', good: 'higher', missing: 'zero' },
    needs: 'transactions',
    trait: 'frequency',
    init: () => 'frequency',
    plan: (_s, p) =>
      p.agg(
        { table: 'ord', name: p.name('frequency'), empty: '0', expr: p.order.orders },
        'Distinct orders in the window',
      ),
  }),
  monetary: kind({
    doc: 'Sum of quantity x price in the window; net of returns with `cleaning.cancellations: net`.',
    meaning: { label: 'Spend', unit: 'money', good: 'higher', missing: 'zero' },
    needs: 'transactions',
    money: true,
    trait: 'monetary',
    init: () => 'monetary',
    plan: (_s, p) => {
      p.agg(
        { table: 'ord', name: p.name('monetary'), empty: '0', expr: p.order.money },
        `Total spend (quantity x price${p.netReturns ? ', net of returns' : ''})`,
      );
      p.revenue(p.name('monetary'));
    },
  }),
  avg_order_value: kind({
    doc: 'monetary / frequency.',
    meaning: { label: 'Average order value', unit: 'money', good: 'higher', missing: 'unknown' },
    needs: 'transactions',
    money: true,
    init: () => 'avg_order_value',
    plan: (_s, p) =>
      p.agg(
        {
          table: 'ord',
          name: p.name('avg_order_value'),
          empty: 'NULL',
          expr: p.kit.fx.div(p.order.money, p.order.orders),
        },
        'Average spend per order',
      ),
  }),
  avg_items_per_order: kind({
    doc: 'Sum of quantities / frequency.',
    meaning: { label: 'Items per order', unit: 'items', good: 'higher', missing: 'unknown' },
    needs: 'transactions',
    init: (r) => (r.quantity ? 'avg_items_per_order' : null),
    plan: (_s, p) =>
      p.agg(
        {
          table: 'ord',
          name: p.name('avg_items_per_order'),
          empty: 'NULL',
          expr: p.kit.fx.div(p.order.items, p.order.orders),
        },
        'Average items (quantity) per order',
      ),
  }),
  unique_products: kind({
    doc: 'Distinct products bought (needs roles.product).',
    meaning: { label: 'Different products bought', unit: 'count', good: 'higher', missing: 'zero' },
    needs: 'transactions',
    init: (r) => (r.product ? 'unique_products' : null),
    plan: (_s, p) =>
      p.agg(
        {
          table: 'prod',
          name: p.name('unique_products'),
          empty: '0',
          expr: p.kit.fx.agg('count', null),
        },
        'Distinct products bought',
      ),
  }),
  tenure_days: kind({
    doc: 'Days from the first purchase (whole history, not just the window) to the reference date.',
    meaning: { label: 'Days since first order', unit: 'days', good: null, missing: 'unknown', ages: true },
    needs: 'transactions',
    trait: 'tenure',
    init: () => 'tenure_days',
    plan: (_s, p) =>
      p.agg(
        {
          table: 'ord_hist',
          name: p.name('tenure_days'),
          empty: 'NULL',
          expr: p.kit.fx.days(p.order.first, '$ref'),
        },
        'Days since the first purchase (whole history)',
      ),
  }),
  avg_days_between_orders: kind({
    doc: 'Days between first and last purchase / (orders - 1); missing (imputed) for one-order customers.',
    meaning: { label: 'Days between orders', unit: 'days', good: 'lower', missing: 'unknown' },
    needs: 'transactions',
    plan: (_s, p) => {
      const { fx, num } = p.kit;
      p.agg(
        {
          table: 'ord',
          name: p.name('avg_days_between_orders'),
          empty: 'NULL',
          expr: fx.div(
            `(${fx.epoch(p.order.last)} - ${fx.epoch(p.order.first)}) / ${num(86400)}`,
            `${p.order.orders} - 1`,
          ),
        },
        'Average days between orders (missing for one-order customers)',
      );
    },
  }),
  return_rate: kind({
    doc: 'Value of cancelled/returned lines / value purchased.',
    meaning: { label: 'Share of spend returned', unit: 'share', good: 'lower', missing: 'zero' },
    needs: 'transactions',
    money: true,
    init: (r) => (r.order ? 'return_rate' : null),
    plan: (_s, p) => {
      const { fx } = p.kit;
      p.agg(
        {
          table: 'ord',
          name: p.name('return_rate'),
          empty: '0',
          expr: fx.div(`coalesce(${p.order.returned}, 0)`, p.order.purchased),
        },
        'Value returned or cancelled / value purchased',
      );
    },
  }),
  category_share: kind({
    doc: '`share_<category>`: share of spend in each of the `top` (default 5) categories by total spend (needs roles.category).',
    needs: 'transactions',
    money: true,
    options: {
      top: z.number().int().positive().max(1000).optional().describe('how many top categories (default 5).'),
    },
    init: (r) => (r.category ? '{ feature: category_share, top: 5 }' : null),
    plan: async (s, p) => {
      const { fx } = p.kit;
      const cats = await p.ctx.all(
        `SELECT category, ${fx.agg('sum', 'amount')} AS v FROM ${p.ctx.txRelation} WHERE ${p.P} AND category IS NOT NULL GROUP BY category ORDER BY v DESC, category LIMIT ${s.top ?? 5}`,
      );
      if (!cats.length)
        p.warn({
          code: 'NO_CATEGORIES',
          message: `${p.path}: no category values in the transactions (is roles.category set?); category_share adds nothing.`,
        });
      for (const c of cats)
        p.agg(
          {
            table: 'tx',
            name: `${s.as ?? 'share'}_${sanitize(String(c.category))}`,
            empty: '0',
            expr: fx.div(
              `coalesce(${fx.agg('sum', 'amount', `${p.P} AND category = ${p.bind(String(c.category))}`)}, 0)`,
              fx.agg('sum', 'amount', p.P),
            ),
          },
          `Share of spend on "${String(c.category)}"`,
          { label: `Share of spend on ${String(c.category)}`, unit: 'share', good: null, missing: 'zero' },
        );
    },
  }),
  sessions: kind({
    doc: 'Browsing sessions from the events source: distinct roles.session, else rows with a duration, else all rows.',
    meaning: { label: 'Sessions', unit: 'count', good: 'higher', missing: 'zero' },
    needs: 'events',
    trait: 'engagement',
    init: () => 'sessions',
    plan: (_s, p) => {
      const roles = p.ctx.byKind.events?.spec.roles;
      const expr = roles?.session
        ? 'count(DISTINCT session)'
        : roles?.duration
          ? 'count(duration)'
          : 'count(*)';
      p.agg({ table: 'ev', name: p.name('sessions'), empty: '0', expr }, 'Browsing sessions');
    },
  }),
  avg_session_minutes: kind({
    doc: "Average of roles.duration over the customer's events.",
    meaning: { label: 'Minutes per session', unit: 'minutes', good: 'higher', missing: 'unknown' },
    needs: 'events',
    trait: 'engagement',
    init: (r) => (r.duration ? 'avg_session_minutes' : null),
    plan: (_s, p) => {
      requireRole(p, 'events', 'duration', 'avg_session_minutes');
      p.agg(
        {
          table: 'ev',
          name: p.name('avg_session_minutes'),
          empty: 'NULL',
          expr: p.kit.fx.agg('avg', 'duration'),
        },
        'Average session length (minutes)',
      );
    },
  }),
  event_count: kind({
    doc: 'Events whose roles.type equals `type` (e.g. `wishlist_add`, `review`); name it with `as`.',
    needs: 'events',
    trait: 'engagement',
    options: { type: z.string().optional().describe('the event type value counted.') },
    init: (r) => (r.type ? '# - { feature: event_count, type: wishlist_add, as: wishlist_adds }' : null),
    plan: (s, p) => {
      if (!s.type)
        throw new SegmintError(
          'RECIPE_INVALID',
          `${p.path}.type: event_count needs the event type to count, e.g. type: wishlist_add.`,
          { where: { path: `${p.path}.type` } },
        );
      const name = s.as ?? sanitize(s.type);
      p.agg(
        { table: 'ev', name, empty: '0', expr: p.kit.fx.agg('count', null, `type = ${p.bind(s.type)}`) },
        `Events of type "${s.type}"`,
        {
          label: s.as ? labelOf(s.as) : `${labelOf(s.type)} events`,
          unit: 'count',
          good: null,
          missing: 'zero',
        },
      );
    },
  }),
  coupons_claimed: kind({
    doc: 'Coupons in the coupons source.',
    meaning: { label: 'Coupons claimed', unit: 'count', good: null, missing: 'zero' },
    needs: 'coupons',
    trait: 'couponsClaimed',
    init: () => 'coupons_claimed',
    plan: (_s, p) =>
      p.agg(
        { table: 'cp', name: p.name('coupons_claimed'), empty: '0', expr: 'count(*)' },
        'Coupons claimed',
      ),
  }),
  coupons_burned: kind({
    doc: 'Coupons whose roles.redeemed is true (yes/1/true/a timestamp).',
    meaning: { label: 'Coupons redeemed', unit: 'count', good: null, missing: 'zero' },
    needs: 'coupons',
    init: () => 'coupons_burned',
    plan: (_s, p) =>
      p.agg(
        {
          table: 'cp',
          name: p.name('coupons_burned'),
          empty: '0',
          expr: p.kit.fx.agg('count', null, 'redeemed'),
        },
        'Coupons redeemed',
      ),
  }),
  coupon_burn_rate: kind({
    doc: 'coupons_burned / coupons_claimed (missing when none claimed).',
    meaning: { label: 'Share of claimed coupons redeemed', unit: 'share', good: null, missing: 'unknown' },
    needs: 'coupons',
    trait: 'burnRate',
    init: () => 'coupon_burn_rate',
    plan: (_s, p) =>
      p.agg(
        {
          table: 'cp',
          name: p.name('coupon_burn_rate'),
          empty: 'NULL',
          expr: p.kit.fx.div(p.kit.fx.agg('count', null, 'redeemed'), 'count(*)'),
        },
        'Share of claimed coupons redeemed',
      ),
  }),
  attribute: kind({
    doc: 'One column of the customers source (`column`); numbers stay numeric, text is one-hot encoded, dates become days before the reference date.',
    needs: 'customers',
    options: { column: identifier.optional().describe('the customers-table column.'), categorical },
    plan: async (s, p) => {
      if (!s.column)
        throw new SegmintError('RECIPE_INVALID', `${p.path}.column: attribute needs the column to take.`, {
          where: { path: `${p.path}.column` },
        });
      await customerColumns(p, 'attribute', [s.column], s.as, s.categorical === true);
    },
  }),
  attributes: kind({
    doc: 'Every non-role column of the customers source (or `columns`, minus `exclude`), typed as for attribute.',
    needs: 'customers',
    options: {
      columns: z.array(identifier).optional().describe('columns to take (default: all non-role columns).'),
      exclude: z.array(identifier).optional().describe('columns to leave out.'),
      categorical,
    },
    plan: async (s, p) => {
      const src = p.ctx.byKind.customers!;
      const roleCols = new Set(Object.values(src.spec.roles));
      let cols = s.columns ?? src.columns.map((c) => c.name).filter((c) => !roleCols.has(c) && c !== '__row');
      if (s.exclude) cols = cols.filter((c) => !s.exclude!.includes(c));
      await customerColumns(p, 'attributes', cols, undefined, s.categorical === true);
    },
  }),
  customer_tenure_days: kind({
    doc: "Days from the customer's roles.joined date to the reference date.",
    meaning: { label: 'Days since joining', unit: 'days', good: null, missing: 'unknown', ages: true },
    needs: 'customers',
    trait: 'tenure',
    init: (r) => (r.joined ? 'customer_tenure_days' : null),
    plan: (_s, p) => {
      requireRole(p, 'customers', 'joined', 'customer_tenure_days');
      p.select(
        p.name('customer_tenure_days'),
        p.kit.fx.days('c.__joined', '$ref'),
        'Days since the customer joined',
      );
    },
  }),
  country_distance: kind({
    doc: "Great-circle km from `home` (ISO code or name, default GB) to the customer's most frequent country; `rank: true` for the rank of that distance.",
    needs: null,
    options: {
      home: z.string().optional().describe('home country (name or ISO code).'),
      rank: z.boolean().optional().describe('use the rank of the distance instead of kilometres.'),
    },
    init: (r, engine) => (r.country && !engine ? '# - { feature: country_distance, home: GB }' : null),
    plan: async (s, p) => {
      const home = findCountry(s.home ?? 'GB');
      if (!home)
        throw new SegmintError(
          'RECIPE_INVALID',
          `${p.path}.home: "${s.home}" is not a country segmint knows.`,
          {
            where: { path: `${p.path}.home` },
            hint: 'Use an ISO code such as GB, DE or US, or an English country name.',
          },
        );
      const name = s.as ?? (s.rank ? 'country_distance_rank' : 'country_distance_km');
      p.post(
        name,
        await countryDistanceExpr(p, home, s.rank === true),
        s.rank ? `Rank of the distance from ${home.code}` : `Great-circle km from ${home.code}`,
        s.rank
          ? { label: `Distance rank from ${home.code}`, unit: 'rank', good: null, missing: 'unknown' }
          : { label: `Distance from ${home.code} (km)`, unit: 'km', good: null, missing: 'unknown' },
      );
    },
  }),
  custom: kind({
    doc: 'Your own aggregate SQL (`sql`) over the cleaned table `from` (transactions, events or coupons), named `as`.',
    needs: 'from',
    options: {
      sql: z.string().optional().describe('an aggregate SQL expression over the cleaned table.'),
      from: z
        .enum(['transactions', 'events', 'coupons'])
        .optional()
        .describe('which cleaned table (default transactions).'),
    },
    plan: (s, p) => {
      if (!s.as || !s.sql)
        throw new SegmintError(
          'RECIPE_INVALID',
          `${p.path}: a custom feature needs as: (its name) and sql: (an aggregate expression).`,
          { where: { path: p.path } },
        );
      const from = s.from ?? 'transactions';
      p.agg(
        {
          table: from === 'transactions' ? 'tx' : from === 'events' ? 'ev' : 'cp',
          name: s.as,
          empty: 'NULL',
          expr: p.kit.fx.double(`(${s.sql})`),
        },
        `Custom: ${s.sql}`,
      );
    },
  }),
} satisfies Record<string, AnyKind>;

export type FeatureKind = keyof typeof CATALOGUE;
export const FEATURE_KINDS = Object.keys(CATALOGUE) as [FeatureKind, ...FeatureKind[]];
const entry = (k: FeatureKind): AnyKind => CATALOGUE[k];

/**
 * The run's feature column that shows a trait (the first whose catalogue kind carries it, numeric):
 * how the CLI table, the report, RFM scoring and run.json find recency, frequency and monetary,
 * by what the catalogue says a kind shows rather than by its name.
 */
export function traitColumn<C extends { feature: string; name: string; type?: string }>(
  columns: readonly C[],
  trait: Trait,
): C | undefined {
  return columns.find(
    (c) =>
      (c.type === undefined || c.type === 'numeric') &&
      Object.hasOwn(CATALOGUE, c.feature) &&
      entry(c.feature as FeatureKind).trait === trait,
  );
}

/** Kinds computed from the transactions (the scoring API needs order lines for them). */
export const TX_FEATURES: ReadonlySet<string> = new Set(
  FEATURE_KINDS.filter((k) => entry(k).needs === 'transactions' || k === 'country_distance'),
);

/** The trait a feature kind shows, for naming (undefined: none). */
export const traitOf = (kindName: string): Trait | undefined =>
  kindName in CATALOGUE ? entry(kindName as FeatureKind).trait : undefined;

/** The feature lines `segmint init` writes for a source of `kind` with these roles, in catalogue order. */
export const initFeatures = (kindName: SourceKind, roles: InitRoles, engine: boolean): string[] =>
  FEATURE_KINDS.flatMap((k) => {
    const e = entry(k);
    // A purchase log without money: no feature that reads money.
    const moneyless = kindName === 'transactions' && e.money && !roles.price && !roles.amount;
    const line =
      !moneyless && (e.needs === kindName || (k === 'country_distance' && kindName === 'transactions'))
        ? e.init?.(roles, engine)
        : null;
    return line ? [line.startsWith('#') ? `  ${line}` : `  - ${line}`] : [];
  });

// ---- the recipe's `features[]` item, from the catalogue: every kind's options, each allowed only on its kinds
const owners = new Map<string, FeatureKind[]>();
const optionShape: Record<string, z.ZodType> = {};
for (const k of FEATURE_KINDS)
  for (const [o, schema] of Object.entries(entry(k).options ?? {})) {
    owners.set(o, [...(owners.get(o) ?? []), k]);
    optionShape[o] = schema as z.ZodType;
  }
for (const [o, ks] of owners) {
  const schema = optionShape[o];
  optionShape[o] = schema.describe(`${ks.join(', ')}: ${schema.description ?? ''}`);
}

export const featureName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'use letters, digits and _ only');

export const FeatureObject = z
  .strictObject({
    feature: z.enum(FEATURE_KINDS),
    as: featureName.optional().describe('Output column name.'),
    ...(optionShape as {
      top: z.ZodOptional<z.ZodNumber>;
      type: z.ZodOptional<z.ZodString>;
      column: z.ZodOptional<z.ZodString>;
      columns: z.ZodOptional<z.ZodArray<z.ZodString>>;
      exclude: z.ZodOptional<z.ZodArray<z.ZodString>>;
      categorical: z.ZodOptional<z.ZodBoolean>;
      home: z.ZodOptional<z.ZodString>;
      rank: z.ZodOptional<z.ZodBoolean>;
      sql: z.ZodOptional<z.ZodString>;
      from: z.ZodOptional<z.ZodEnum<{ transactions: 'transactions'; events: 'events'; coupons: 'coupons' }>>;
    }),
  })
  .superRefine((o, ctx) => {
    for (const key of Object.keys(o)) {
      const ks = owners.get(key);
      if (ks && !ks.includes(o.feature))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `${key} is an option of ${ks.join(', ')}, not of ${o.feature}`,
        });
    }
  });
export type FeatureObject = z.infer<typeof FeatureObject>;
export const FeatureSpec = z.union([z.enum(FEATURE_KINDS), FeatureObject]);
export type FeatureSpec = z.infer<typeof FeatureSpec>;

/** The planner's view of an entry. */
export const planOf = (k: FeatureKind): AnyKind => entry(k);

/**
 * country_distance in any engine, without a coordinate table there: the customer's country (the
 * most frequent in the transactions, the smallest on ties; or the customers source's column)
 * becomes `__country`, and the distance (or its dense rank among the customers analysed, unknown
 * countries last) is a CASE over the country names with the values computed here by the haversine
 * formula.
 */
async function countryDistanceExpr(
  p: Planner,
  home: { lat: number; lon: number },
  rank: boolean,
): Promise<string> {
  const { kit, ctx, path } = p;
  const { fx } = kit;
  const custCountry = ctx.byKind.customers?.spec.roles.country;
  const mode = fx.mode('country');
  const fromTx = ctx.has.transactions && !!ctx.byKind.transactions?.spec.roles.country;
  if (fromTx && mode) p.helper({ table: 'tx', name: '__country', empty: 'NULL', expr: mode });
  else if (!fromTx && custCountry) p.helper({ name: '__country', expr: fx.text(`c.${kit.q(custCountry)}`) });
  else
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

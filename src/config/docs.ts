import { z } from 'zod';
import { FEATURE_KINDS, Recipe } from './recipe.js';

type Js = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  properties?: Record<string, Js>;
  additionalProperties?: Js | boolean;
  items?: Js;
  anyOf?: Js[];
  oneOf?: Js[];
  minimum?: number;
  exclusiveMinimum?: number;
  maximum?: number;
  exclusiveMaximum?: number;
};

/** What each catalogue feature computes; the README's feature table is generated from this. */
export const FEATURE_DOCS: Record<(typeof FEATURE_KINDS)[number], string> = {
  recency_days: 'Days from the last purchase in the window to the reference date.',
  frequency: 'Distinct orders in the window (not order lines; cancellation invoices excluded).',
  monetary: 'Sum of quantity x price in the window; net of returns with `cleaning.cancellations: net`.',
  avg_order_value: 'monetary / frequency.',
  avg_items_per_order: 'Sum of quantities / frequency.',
  unique_products: 'Distinct products bought (needs roles.product).',
  tenure_days: 'Days from the first purchase (whole history, not just the window) to the reference date.',
  avg_days_between_orders:
    'Days between first and last purchase / (orders - 1); missing (imputed) for one-order customers.',
  return_rate: 'Value of cancelled/returned lines / value purchased.',
  category_share:
    '`share_<category>`: share of spend in each of the `top` (default 5) categories by total spend (needs roles.category).',
  sessions:
    'Browsing sessions from the events source: distinct roles.session, else rows with a duration, else all rows.',
  avg_session_minutes: "Average of roles.duration over the customer's events.",
  event_count: 'Events whose roles.type equals `type` (e.g. `wishlist_add`, `review`); name it with `as`.',
  coupons_claimed: 'Coupons in the coupons source.',
  coupons_burned: 'Coupons whose roles.redeemed is true (yes/1/true/a timestamp).',
  coupon_burn_rate: 'coupons_burned / coupons_claimed (missing when none claimed).',
  attribute:
    'One column of the customers source (`column`); numbers stay numeric, text is one-hot encoded, dates become days before the reference date.',
  attributes:
    'Every non-role column of the customers source (or `columns`, minus `exclude`), typed as for attribute.',
  customer_tenure_days: "Days from the customer's roles.joined date to the reference date.",
  country_distance:
    "Great-circle km from `home` (ISO code or name, default GB) to the customer's most frequent country; `rank: true` for the rank of that distance.",
  custom:
    'Your own aggregate SQL (`sql`) over the cleaned table `from` (transactions, events or coupons), named `as`.',
};

const props0 = (s: Js): boolean =>
  !!(s.properties ?? (s.anyOf ?? s.oneOf)?.find((a) => a.properties)) &&
  !(s.anyOf ?? s.oneOf)?.some((a) => a.type === 'integer');

function typeOf(s: Js): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.enum && s.enum.length > 8) return 'feature name (see the catalogue)';
  if (s.enum) return s.enum.map((e) => `\`${String(e)}\``).join(' | ');
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return alts.map(typeOf).join(' or ');
  if (
    s.type === 'array' &&
    s.items &&
    (s.items.anyOf ?? s.items.oneOf)?.some((a) => a.enum && a.enum.length > 8)
  )
    return 'list of feature names or objects';
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'values'}`;
  if (s.type === 'object' && s.properties) return 'object';
  if (s.type === 'object') return 'map';
  let t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? 'any');
  const lo = s.minimum ?? s.exclusiveMinimum;
  const hi = s.maximum ?? s.exclusiveMaximum;
  if (lo !== undefined && lo > -9e15) t += ` ≥ ${lo}`;
  if (hi !== undefined && hi < 9e15) t += `, ≤ ${hi}`;
  return t;
}

const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** Markdown table of every recipe option: key, type, default, meaning. Generated from the zod schema. */
export function recipeReference(): string {
  const root = z.toJSONSchema(Recipe, { io: 'input', unrepresentable: 'any' }) as Js;
  const rows: string[] = ['| key | type | default | meaning |', '|---|---|---|---|'];
  const walk = (s: Js, path: string) => {
    const alts = s.anyOf ?? s.oneOf;
    const objectAlt = alts?.find((a) => a.properties);
    if (path) {
      const simple =
        s.default !== undefined &&
        (typeof s.default !== 'object' ||
          Array.isArray(s.default) ||
          Object.keys(s.default as object).length === 0 ||
          !props0(s));
      const def = simple ? `\`${JSON.stringify(s.default)}\`` : '';
      const desc = s.description ?? objectAlt?.description ?? '';
      rows.push(`| \`${path}\` | ${esc(typeOf(s))} | ${esc(def)} | ${esc(desc)} |`);
    }
    const props = s.properties ?? objectAlt?.properties;
    if (props) for (const [k, v] of Object.entries(props)) walk(v, path ? `${path}.${k}` : k);
    if (
      s.type === 'object' &&
      s.additionalProperties &&
      typeof s.additionalProperties === 'object' &&
      s.additionalProperties.properties
    ) {
      walk(s.additionalProperties, `${path}.<name>`);
    }
    if (s.type === 'array' && s.items && (s.items.properties || s.items.anyOf)) {
      const item = s.items.anyOf?.find((a) => a.properties) ?? s.items;
      if (item.properties) for (const [k, v] of Object.entries(item.properties)) walk(v, `${path}[].${k}`);
    }
  };
  walk(root, '');
  return rows.join('\n');
}

export function featureReference(): string {
  return [
    '| feature | what it computes |',
    '|---|---|',
    ...FEATURE_KINDS.map((k) => `| \`${k}\` | ${esc(FEATURE_DOCS[k])} |`),
  ].join('\n');
}

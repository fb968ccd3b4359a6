import { z } from 'zod';
import { CATALOGUE } from '../features/catalogue.js';
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

/** What each catalogue feature computes (the catalogue's own line); the README's table is generated from it. */
export const FEATURE_DOCS: Record<(typeof FEATURE_KINDS)[number], string> = Object.fromEntries(
  FEATURE_KINDS.map((k) => [k, CATALOGUE[k].doc]),
) as Record<(typeof FEATURE_KINDS)[number], string>;

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
    '| feature | needs | options | what it computes |',
    '|---|---|---|---|',
    ...FEATURE_KINDS.map((k) => {
      const e: { needs: string | null; options?: Record<string, unknown> } = CATALOGUE[k];
      const needs = e.needs === 'from' ? 'the `from` source' : (e.needs ?? 'transactions or customers');
      const options = ['as', ...Object.keys(e.options ?? {})].map((o) => `\`${o}\``).join(', ');
      return `| \`${k}\` | ${needs} | ${options} | ${esc(FEATURE_DOCS[k])} |`;
    }),
  ].join('\n');
}

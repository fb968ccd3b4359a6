import { relative } from 'node:path';
import { append } from '../core/arrays.js';
import { labelOf } from '../core/dictionary.js';
import { redactUrl } from '../core/redact.js';
import { orderKeyOf } from '../data/cleaning-rules.js';
import type { ColumnFacts, SchemaPlan } from '../data/schema.js';
import type { SniffResult } from '../data/sniff.js';
import { initFeatures } from '../features/catalogue.js';

/**
 * The recipe `segmint init` writes, commented, from what it guessed. A module of its own so that
 * the CLI's start-up loads none of it (nor zod, nor the catalogue) until init runs.
 */

export const yamlStr = (s: string): string =>
  /^[A-Za-z_][\w ./-]*$/.test(s) && !/^(true|false|null|yes|no|on|off)$/i.test(s) ? s : JSON.stringify(s);

/** A source for `init`: a sniffed file, or a table of an engine; with what schema discovery decided. */
export type InitSource = Pick<SniffResult, 'columns' | 'kind' | 'roles'> &
  Partial<Pick<SniffResult, 'csv' | 'dateFormat' | 'timeUnit' | 'sheet'>> & {
    file: string;
    table?: string;
    name?: string;
    join?: { source: string; on: Record<string, string>; aggregate?: Record<string, string> }[];
    id?: 'row';
    notes?: string[];
    /** What init read of each column (files), for the guesses it writes down. */
    stats?: ReadonlyMap<string, ColumnFacts>;
  };

/**
 * A unit init guesses for a customer column, with why (written beside it in the recipe): a year
 * where the column is named for one and holds whole numbers from 1800 to 2200.
 */
export function guessedUnit(
  name: string,
  facts: ColumnFacts | undefined,
): { unit: 'year' | 'share'; why: string } | null {
  const r = facts?.range;
  if (!r) return null;
  const words = name
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/);
  // A share: named for a rate or a share ("BounceRates", "return_ratio", "pct_new") with every
  // value from 0 to 1 and not only 0 and 1 (that is a flag).
  const shareWord = words.some((w) =>
    ['rate', 'rates', 'ratio', 'share', 'pct', 'percent', 'percentage', 'proportion', 'fraction'].includes(w),
  );
  if (shareWord && r.min >= 0 && r.max <= 1 && !r.whole)
    return {
      unit: 'share',
      why: `guessed: named for a rate or share, every value from ${r.min} to ${r.max}; shown as %`,
    };
  if (!r.whole || r.min < 1800 || r.max > 2200) return null;
  // The word "year" (or "yr") in the name, not a period ("last year", "per year", "years").
  const at = words.findIndex((w) => w === 'year' || w === 'yr');
  if (at < 0 || ['last', 'this', 'per', 'previous', 'prior', 'next', 'a'].includes(words[at - 1] ?? ''))
    return null;
  return {
    unit: 'year',
    why: `guessed: named for a year, whole numbers from ${r.min} to ${r.max}`,
  };
}

/** What schema discovery adds to the recipe's comments and features (files only). */
export type InitExtras = Partial<Pick<SchemaPlan, 'graph' | 'unused' | 'columns' | 'rowsAre'>>;

/** Writes a commented recipe from sniffed files, or from tables of an engine. */
export function recipeText(
  sniffs: InitSource[],
  recipeDir: string,
  engine?: { type: string; url?: string | undefined; database?: string | undefined },
  extras: InitExtras = {},
): string {
  const names = new Map<InitSource, string>();
  const used = new Set<string>();
  for (const s of sniffs) {
    let n = s.name ?? (s.kind === 'lookup' ? 'lookup' : s.kind);
    for (let i = 2; used.has(n); i++) n = `${s.name ?? s.kind}${i}`;
    used.add(n);
    names.set(s, n);
  }
  const has = (k: string) => sniffs.some((s) => s.kind === k);
  const tx = sniffs.find((s) => s.kind === 'transactions');
  const out: string[] = [
    '# segmint recipe written by `segmint init`. Check the roles, then run: segmint run <this file>',
    '# Every option is described in the README (recipe reference).',
  ];
  if (extras.graph?.length)
    append(out, [
      '#',
      "# What init found in the files (keys, and columns whose values another table's key holds):",
      ...extras.graph.map((g) => `#   ${g}`),
    ]);
  if (extras.unused?.length)
    append(out, [
      '# Left out:',
      ...extras.unused.map(
        (u) => `#   ${u.file}${u.sheet !== undefined ? ` (sheet "${u.sheet}")` : ''}: ${u.reason}`,
      ),
    ]);
  out.push('version: 1', 'name: my-segmentation');
  if (engine) {
    append(out, [
      '# cleaning and features run inside this database; only one row per customer comes back',
      'engine:',
      `  type: ${engine.type}`,
      // A URL with a password stays out of the file: the recipe is meant to be shared and versioned.
      ...(engine.url
        ? redactUrl(engine.url) === engine.url
          ? [`  url: ${yamlStr(engine.url)}`]
          : [
              `  # url: ${yamlStr(redactUrl(engine.url))}   # set it with its password in ${engine.type === 'clickhouse' ? 'SEGMINT_CLICKHOUSE_URL' : 'SEGMINT_PG_URL'}`,
            ]
        : []),
      ...(engine.database ? [`  database: ${yamlStr(engine.database)}`] : []),
    ]);
  }
  out.push('sources:');
  for (const s of sniffs) {
    out.push(
      `  ${names.get(s)}:`,
      `    kind: ${s.kind}          # transactions | customers | events | coupons | lookup`,
    );
    for (const n of s.notes ?? []) out.push(`    # ${n}`);
    if (s.table) out.push(`    table: ${yamlStr(s.table)}`);
    else {
      const rel = relative(recipeDir, s.file);
      out.push(`    path: ${yamlStr(rel && !rel.startsWith('..') ? rel : s.file)}`);
      if (s.sheet !== undefined) out.push(`    sheet: ${yamlStr(s.sheet)}`);
    }
    const csv = Object.entries(s.csv ?? {});
    if (csv.length)
      out.push(
        `    csv: { ${csv.map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`).join(', ')} }`,
      );
    if (s.dateFormat) out.push(`    dateFormat: ${JSON.stringify(s.dateFormat)}`);
    if (s.timeUnit)
      out.push(
        `    timeUnit: ${s.timeUnit}             # the time column counts ${s.timeUnit}s (1, 2, ...), not dates: read as ${s.timeUnit}s after 1970-01-01`,
      );
    out.push(`    # columns: ${s.columns.map((c) => `${c.name} (${c.type})`).join(', ')}`);
    if (s.id)
      out.push('    id: row                   # no id column: the row number (1 = first data row) is the id');
    const roles = Object.entries(s.roles);
    if (roles.length) {
      out.push('    roles:');
      for (const [r, c] of roles) out.push(`      ${r}: ${yamlStr(c)}`);
    } else if (s.kind !== 'lookup' && !s.id)
      out.push('    roles: {}   # TODO: name the customer column at least');
    if (s.join?.length) {
      out.push('    join:');
      for (const j of s.join) {
        const on = Object.entries(j.on)
          .map(([l, r]) => `${yamlStr(l)}: ${yamlStr(r)}`)
          .join(', ');
        const agg = j.aggregate
          ? `, aggregate: { ${Object.entries(j.aggregate)
              .map(([c, f]) => `${yamlStr(c)}: ${f}`)
              .join(', ')} }`
          : '';
        out.push(`      - { source: ${yamlStr(j.source)}, on: { ${on} }${agg} }`);
      }
    }
    if (s.kind === 'transactions' && !s.roles.order) {
      const { key, reason } = orderKeyOf({
        name: names.get(s)!,
        spec: { roles: s.roles },
        columns: s.columns,
      });
      out.push(`    orderKey: ${key}              # ${reason} (row | time | day)`);
    }
  }
  out.push(
    'cleaning:',
    '  cancellations: drop        # drop | net | keep  (order ids starting with cancelPrefix, or negative quantities)',
    '  cancelPrefix: C',
    '  badRows: error             # error | drop',
    '  duplicates: auto           # auto (drop exact duplicate rows where there is an order id, else keep and warn) | drop | keep',
  );
  out.push(
    '# window:',
    '#   days: 365                # only the last N days before the reference date',
    '#   referenceDate: 2011-12-10  # default: the day after the last transaction',
  );
  out.push('features:');
  const dictionary: string[] = [];
  // The catalogue says which features a source with these roles gets, in catalogue order.
  if (tx) append(out, initFeatures('transactions', tx.roles, !!engine));
  for (const kind of ['events', 'coupons'] as const)
    if (has(kind)) append(out, initFeatures(kind, sniffs.find((s) => s.kind === kind)!.roles, !!engine));
  if (has('customers')) {
    const c = sniffs.find((s) => s.kind === 'customers')!;
    append(out, initFeatures('customers', c.roles, !!engine));
    const cols = extras.columns ?? { excluded: [], categorical: [] };
    for (const k of cols.categorical)
      out.push(`  - { feature: attribute, column: ${yamlStr(k.name)}, categorical: true }   # ${k.why}`);
    const skip = [...cols.excluded, ...cols.categorical];
    for (const e of cols.excluded) out.push(`  # left out: ${e.name}: ${e.why}`);
    const exclude = skip.length ? `, exclude: [${skip.map((e) => yamlStr(e.name)).join(', ')}]` : '';
    out.push(
      tx
        ? `  # - { feature: attributes${exclude} }   # customer columns as features`
        : `  - { feature: attributes${exclude} }   # every other non-role column; text columns are one-hot encoded`,
    );
    // What the customer columns mean to a reader: segmint labels them as written and knows no unit
    // or good direction for them; a user who does says so here, and names and reports use it.
    const roleCols = new Set(Object.values(c.roles));
    const attrs = c.columns.filter((x) => !roleCols.has(x.name) && !skip.some((e) => e.name === x.name));
    if (attrs.length) {
      dictionary.push(
        '# dictionary:   # what the features mean to a reader: the labels names, reports and rules use;',
        '#               # unit: days | orders | money | count | items | share | minutes | km | rank | year;',
        '#               # good: higher | lower (which way is good for the shop); missing: zero | unknown',
      );
      // Guessed units are written as entries in force (the guess said beside them); the rest as
      // commented examples to fill in.
      const guessed = attrs
        .map((a) => ({ a, g: guessedUnit(a.name, c.stats?.get(a.name)) }))
        .filter((x) => x.g);
      if (guessed.length) {
        dictionary[0] =
          'dictionary:     # what the features mean to a reader: the labels names, reports and rules use;';
        for (const { a, g } of guessed)
          dictionary.push(
            `  ${yamlStr(a.name)}: { label: ${yamlStr(labelOf(a.name))}, unit: ${g!.unit} }   # ${g!.why}`,
          );
      }
      for (const a of attrs.slice(0, 40))
        if (!guessed.some((x) => x.a === a))
          dictionary.push(`#   ${yamlStr(a.name)}: { label: ${yamlStr(labelOf(a.name))} }`);
    }
  }
  append(out, dictionary);
  out.push(
    'prep:',
    '  impute: median             # median | mean | zero | constant',
    '  log: auto                  # auto | none | [feature, ...]',
    '  scaler: standard           # standard | minmax | robust | none',
    '  # weights: { monetary: 2 }',
    'cluster:',
    '  method: kmeans',
    '  k: { min: 3, max: 8, select: silhouette }   # from 3: two segments seldom give marketing anything to act on; or a number; select: elbow | silhouette | calinski | davies | stability',
    '  nInit: 10',
    '  seed: 42',
    'output:',
    '  dir: segmint-out',
    '  formats: [csv, parquet]',
  );
  return `${out.join('\n')}\n`;
}

import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { SegmintError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { orderKeyOf } from '../data/cleaning-rules.js';
import type { SchemaPlan } from '../data/schema.js';
import type { SniffResult } from '../data/sniff.js';
import { action, addCommon, type CommonOpts, engineFromFlags, printJson } from './common.js';
import type { Io } from './output.js';

const yamlStr = (s: string): string =>
  /^[A-Za-z_][\w ./-]*$/.test(s) && !/^(true|false|null|yes|no|on|off)$/i.test(s) ? s : JSON.stringify(s);

/** A source for `init`: a sniffed file, or a table of an engine; with what schema discovery decided. */
export type InitSource = Pick<SniffResult, 'columns' | 'kind' | 'roles'> &
  Partial<Pick<SniffResult, 'csv' | 'dateFormat' | 'timeUnit'>> & {
    file: string;
    table?: string;
    name?: string;
    join?: { source: string; on: Record<string, string>; aggregate?: Record<string, string> }[];
    id?: 'row';
    notes?: string[];
  };

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
    out.push(
      '#',
      "# What init found in the files (keys, and columns whose values another table's key holds):",
      ...extras.graph.map((g) => `#   ${g}`),
    );
  if (extras.unused?.length)
    out.push('# Left out:', ...extras.unused.map((u) => `#   ${u.file}: ${u.reason}`));
  out.push('version: 1', 'name: my-segmentation');
  if (engine) {
    out.push(
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
    );
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
  if (tx) {
    out.push('  - recency_days', '  - frequency', '  - monetary', '  - avg_order_value');
    if (tx.roles.quantity) out.push('  - avg_items_per_order');
    if (tx.roles.product) out.push('  - unique_products');
    out.push('  - tenure_days');
    if (tx.roles.order) out.push('  - return_rate');
    if (tx.roles.category) out.push('  - { feature: category_share, top: 5 }');
    if (tx.roles.country && !engine) out.push('  # - { feature: country_distance, home: GB }');
  }
  if (has('events')) {
    const ev = sniffs.find((s) => s.kind === 'events')!;
    out.push('  - sessions');
    if (ev.roles.duration) out.push('  - avg_session_minutes');
    if (ev.roles.type) out.push('  # - { feature: event_count, type: wishlist_add, as: wishlist_adds }');
  }
  if (has('coupons')) out.push('  - coupons_claimed', '  - coupons_burned', '  - coupon_burn_rate');
  if (has('customers')) {
    const c = sniffs.find((s) => s.kind === 'customers')!;
    if (c.roles.joined) out.push('  - customer_tenure_days');
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
  }
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

export function registerInit(program: Command, io: Io): void {
  addCommon(
    program
      .command('init')
      .description('look at data files, guess what each column is, and write a commented recipe to edit')
      .argument('<files...>', 'data files (CSV, Parquet, JSON), or with --engine the tables')
      .option('-o, --out <file>', 'recipe file to write', 'segmint.yaml')
      .option('-f, --force', 'overwrite an existing recipe file')
      .option(
        '--engine <engine>',
        'the arguments are tables in this database (duckdb, postgres, clickhouse); the recipe runs there',
      )
      .option(
        '--url <url>',
        'with --engine postgres or clickhouse: the connection URL (default from the environment)',
      )
      .option('--database <file>', 'with --engine duckdb: the database file'),
  ).action(
    action(io, async (files: string[], opts: CommonOpts & InitOpts) => {
      const out = resolve(opts.out);
      if (existsSync(out) && statSync(out).isDirectory())
        throw new SegmintError('USAGE', `${out} is a folder; --out names the recipe file to write.`, {
          hint: `Give a file name, e.g. --out ${join(opts.out, 'segmint.yaml')}.`,
          where: { file: out },
        });
      if (existsSync(out) && !opts.force) {
        throw new SegmintError('USAGE', `${out} exists already.`, {
          hint: 'Pass --force to overwrite it, or --out to write elsewhere.',
          where: { file: out },
        });
      }
      if (opts.engine) return initFromEngine(files, opts, out, io);
      const [{ Duck }, { sniffFile }, { tableFacts, discoverSchema }, { writeFileAtomic }] =
        await Promise.all([
          import('../sql/duckdb.js'),
          import('../data/sniff.js'),
          import('../data/schema.js'),
          import('../pipeline/atomic.js'),
        ]);
      const duck = await Duck.open();
      try {
        const sniffs: (SniffResult & { table: string })[] = [];
        for (const [i, f] of files.entries())
          sniffs.push({
            ...(await sniffFile(duck, f, process.cwd(), undefined, { table: `__init_${i}`, limit: 200_000 })),
            table: `__init_${i}`,
          });
        const plan = await discoverSchema(duck, await tableFacts(duck, sniffs));
        const sources: InitSource[] = plan.sources.map((p) => ({
          file: p.facts.file,
          format: p.facts.format,
          csv: p.facts.csv,
          ...(p.facts.dateFormat ? { dateFormat: p.facts.dateFormat } : {}),
          ...(p.facts.timeUnit ? { timeUnit: p.facts.timeUnit } : {}),
          columns: p.facts.columns,
          name: p.name,
          kind: p.kind,
          roles: p.roles,
          join: p.join,
          notes: p.notes,
          ...(p.id ? { id: p.id } : {}),
        }));
        writeFileAtomic(out, recipeText(sources, dirname(out), undefined, plan));
        if (opts.json)
          printJson(io, {
            recipe: out,
            sources: sources.map((s) => ({
              name: s.name,
              file: s.file,
              kind: s.kind,
              roles: s.roles,
              join: s.join ?? [],
              id: s.id ?? null,
              csv: s.csv,
              dateFormat: s.dateFormat ?? null,
              timeUnit: s.timeUnit ?? null,
              columns: s.columns,
            })),
            graph: plan.graph,
            foreignKeys: plan.foreignKeys,
            unused: plan.unused,
            columns: plan.columns,
            rowsAre: plan.rowsAre ?? null,
          });
        else printGuesses(io, sources, out, plan);
      } finally {
        duck.close();
      }
    }),
  );
}

interface InitOpts {
  out: string;
  force?: boolean;
  engine?: string;
  url?: string;
  database?: string;
}

/** `segmint init --engine`: the tables' columns from the database, the same guesses, an engine recipe. */
async function initFromEngine(
  tables: string[],
  opts: CommonOpts & InitOpts,
  out: string,
  io: Io,
): Promise<void> {
  const [{ openEngine }, { sniffEngineTable }, { writeFileAtomic }] = await Promise.all([
    import('../sql/open.js'),
    import('../engine/features.js'),
    import('../pipeline/atomic.js'),
  ]);
  const target = engineFromFlags(opts);
  const { type, database } = target;
  const engine = await openEngine(target, '--engine');
  try {
    const sources: InitSource[] = [];
    for (const t of tables) {
      const s = await sniffEngineTable(engine, t);
      sources.push({ ...s, file: `${type}:${t}` });
    }
    const recipeDatabase =
      type === 'duckdb' && database ? relative(dirname(out), database) || database : opts.database;
    writeFileAtomic(
      out,
      recipeText(sources, dirname(out), { type, url: opts.url, database: recipeDatabase }),
    );
    if (opts.json)
      printJson(io, {
        recipe: out,
        engine: type,
        sources: sources.map((s) => ({ table: s.table, kind: s.kind, roles: s.roles, columns: s.columns })),
      });
    else printGuesses(io, sources, out);
  } finally {
    await engine.close();
  }
}

/** What init guessed, per source, and what to do next. */
function printGuesses(io: Io, sources: InitSource[], out: string, extras: InitExtras = {}): void {
  if (extras.graph?.length) io.out(`found:\n${extras.graph.map((g) => `  ${g}\n`).join('')}\n`);
  for (const s of sources) {
    const roles = [
      ...(s.id ? ['id = row number'] : []),
      ...Object.entries(s.roles).map(([r, c]) => `${r} = ${c}`),
    ];
    const joins = s.join?.length
      ? `; joins ${s.join.map((j) => j.source + (j.aggregate ? ' (summarised per key)' : '')).join(', ')}`
      : '';
    io.out(
      `${s.name ? `${s.name} (${s.table ?? s.file})` : (s.table ?? s.file)}: ${s.kind}; ${roles.join(', ') || (s.kind === 'lookup' ? 'joined by the source above' : 'no roles found')}${joins}\n`,
    );
    for (const n of s.notes ?? []) io.out(`  ${n}\n`);
  }
  for (const u of extras.unused ?? []) io.out(`left out: ${u.file}: ${u.reason}\n`);
  if (extras.rowsAre) io.out(`each row is ${extras.rowsAre}\n`);
  io.out(
    `\nwrote ${out}\nnext: check the roles, then run  segmint run ${relative(process.cwd(), out) || out}\n`,
  );
}

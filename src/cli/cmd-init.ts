import { existsSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Command } from 'commander';
import { SegmintError } from '../core/errors.js';
import type { SniffResult } from '../data/sniff.js';
import { action, addCommon, type CommonOpts, engineFromFlags, printJson } from './common.js';
import type { Io } from './output.js';
import type { InitExtras, InitSource } from './recipe-text.js';

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
      const [
        { Duck },
        { sniffFile },
        { tableFacts, discoverSchema, INIT_ROWS },
        { writeFileAtomic },
        { recipeText },
        { isWorkbook, workbookSheets },
        { resolveSourcePath },
      ] = await Promise.all([
        import('../sql/duckdb.js'),
        import('../data/sniff.js'),
        import('../data/schema.js'),
        import('../pipeline/atomic.js'),
        import('./recipe-text.js'),
        import('../data/spreadsheet.js'),
        import('../data/read.js'),
      ]);
      const duck = await Duck.open();
      try {
        const sniffs: (SniffResult & { table: string })[] = [];
        // A workbook is a folder of tables: each of its sheets is read as one.
        const tables: { file: string; sheet?: string }[] = [];
        for (const f of files) {
          if (!isWorkbook(f)) {
            tables.push({ file: f });
            continue;
          }
          const sheets = await workbookSheets(resolveSourcePath(f, process.cwd()));
          for (const s of sheets) tables.push({ file: f, sheet: s.name });
        }
        for (const [i, t] of tables.entries())
          sniffs.push({
            ...(await sniffFile(
              duck,
              t.file,
              process.cwd(),
              undefined,
              { table: `__init_${i}`, limit: INIT_ROWS + 1 },
              t.sheet,
            )),
            table: `__init_${i}`,
          });
        const plan = await discoverSchema(duck, await tableFacts(duck, sniffs));
        if (!plan.sources.length)
          throw new SegmintError(
            'DATA_EMPTY',
            `init found nothing to segment in ${files.length === 1 ? 'the file' : `the ${files.length} files`}: ${plan.unused.map((u) => u.reason).join('; ')}.`,
            {
              where: { file: files[0] },
              hint: 'Give the order lines (customer, date, price or amount) or a table of one row per customer; segmint init <files> reads CSV, Parquet, JSON and Excel workbooks (.xlsx).',
            },
          );
        const sources: InitSource[] = plan.sources.map((p) => ({
          file: p.facts.file,
          ...(p.facts.sheet !== undefined ? { sheet: p.facts.sheet } : {}),
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
          stats: p.facts.stats,
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
  const [{ openEngine }, { sniffEngineTable }, { writeFileAtomic }, { recipeText }] = await Promise.all([
    import('../sql/open.js'),
    import('../engine/features.js'),
    import('../pipeline/atomic.js'),
    import('./recipe-text.js'),
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
/** A table's file, with its sheet for a workbook. */
const where = (s: { file: string; sheet?: string | undefined }) =>
  s.sheet !== undefined ? `${s.file}, sheet "${s.sheet}"` : s.file;

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
      `${s.name ? `${s.name} (${s.table ?? where(s)})` : (s.table ?? where(s))}: ${s.kind}; ${roles.join(', ') || (s.kind === 'lookup' ? 'joined by the source above' : 'no roles found')}${joins}\n`,
    );
    for (const n of s.notes ?? []) io.out(`  ${n}\n`);
  }
  for (const u of extras.unused ?? [])
    io.out(`left out: ${u.file}${u.sheet !== undefined ? ` (sheet "${u.sheet}")` : ''}: ${u.reason}\n`);
  if (extras.rowsAre) io.out(`each row is ${extras.rowsAre}\n`);
  io.out(
    `\nwrote ${out}\nnext: check the roles, then run  segmint run ${relative(process.cwd(), out) || out}\n`,
  );
}

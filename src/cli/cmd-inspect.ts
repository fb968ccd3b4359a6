import type { Command } from 'commander';
import { action, addCommon } from './common.js';
import type { InspectOpts } from './inspect.js';
import type { Io } from './output.js';

export function registerInspect(program: Command, io: Io): void {
  addCommon(
    program
      .command('inspect')
      .description(
        'a first look at a data file: rows, columns, types, nulls, distinct values, ranges, top values',
      )
      .argument('<file>', 'CSV, Parquet, JSON or Excel (.xlsx) file, or with --engine a table')
      .option('--sheet <name>', 'for an Excel workbook: the sheet to inspect (default the first)')
      .option('--engine <engine>', 'the argument is a table in this database: duckdb, postgres or clickhouse')
      .option(
        '--url <url>',
        'with --engine postgres or clickhouse: the connection URL (default from the environment)',
      )
      .option('--database <file>', 'with --engine duckdb: the database file'),
  ).action(
    action(io, async (file: string, opts: InspectOpts) => {
      const { inspectCommand } = await import('./inspect.js');
      await inspectCommand(file, opts, io);
    }),
  );
}

import type { Command } from 'commander';
import { action, addCommon } from './common.js';
import type { Io } from './output.js';
import type { ScoreOpts } from './score.js';

export function registerScore(program: Command, io: Io): void {
  addCommon(
    program
      .command('score')
      .description('assign segments to new customer feature rows with a saved model')
      .requiredOption('--model <file>', 'model.json written by segmint run')
      .option('--input <file>', "CSV, Parquet or JSON with the model's feature columns")
      .option('--id <column>', 'customer id column (default: customer_id, id, or the first column)')
      .option('--out <file>', 'write the scores as CSV here instead of stdout')
      .option(
        '--engine <engine>',
        'score inside a database instead: duckdb, postgres or clickhouse (with --table and --out-table)',
      )
      .option(
        '--table <table>',
        'with --engine or --sql: the table of customer features (customer id + feature columns)',
      )
      .option('--out-table <table>', 'with --engine: the table to write the tags into (replaced atomically)')
      .option('--database <file>', 'with --engine duckdb: the database file')
      .option(
        '--url <url>',
        'with --engine postgres or clickhouse: the connection URL (default SEGMINT_PG_URL, DATABASE_URL, PG*; SEGMINT_CLICKHOUSE_URL)',
      )
      .option(
        '--sql <dialect>',
        'print the scoring SELECT for duckdb, postgres, clickhouse, spark or bigquery, and exit',
      ),
  ).action(
    action(io, async (opts: ScoreOpts) => {
      // The scoring modules load with the command, so `segmint --help` starts at once.
      const { scoreCommand } = await import('./score.js');
      await scoreCommand(opts, io);
    }),
  );
}

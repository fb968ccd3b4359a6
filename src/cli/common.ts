import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SegmintError } from '../core/errors.js';
import type { EngineTarget, EngineType } from '../sql/open.js';
import { ENGINE_NAMES } from '../sql/open.js';
import { type Io, processIo, reportError } from './output.js';

export interface CommonOpts {
  json?: boolean;
  quiet?: boolean;
  set?: string[];
}

export const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function addCommon(cmd: Command, withSet = false): Command {
  cmd
    .option('--json', 'print one JSON document on stdout (for machines)')
    .option('-q, --quiet', 'no progress output');
  if (withSet)
    cmd.option(
      '--set <key.path=value>',
      'override a recipe key (repeatable), e.g. --set cluster.k=4',
      collect,
      [],
    );
  return cmd;
}

/** Runs a command body, turning errors into a message and an exit code. */
export function action<A extends unknown[]>(
  io: Io,
  body: (...args: A) => Promise<void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const opts = args.find(
      (a) => a && typeof a === 'object' && !Array.isArray(a) && 'json' in (a as object),
    ) as CommonOpts | undefined;
    const json =
      !!opts?.json || args.some((a) => a && typeof a === 'object' && (a as CommonOpts).json === true);
    try {
      await body(...args);
    } catch (e) {
      process.exitCode = reportError(e, json, io);
    }
  };
}

export const printJson = (io: Io, value: unknown) =>
  io.out(`${JSON.stringify({ ok: true, ...(value as object) }, null, 2)}\n`);

export { processIo };

/**
 * The engine named by --engine, --url and --database (the DuckDB file resolved from the working
 * directory), for the commands that work inside a database.
 */
export function engineFromFlags(opts: {
  engine?: string;
  url?: string | undefined;
  database?: string | undefined;
}): EngineTarget {
  if (!(ENGINE_NAMES as readonly string[]).includes(opts.engine ?? ''))
    throw new SegmintError('USAGE', `--engine must be duckdb, postgres or clickhouse, not "${opts.engine}".`);
  const type = opts.engine as EngineType;
  if (type === 'duckdb' && !opts.database)
    throw new SegmintError('USAGE', '--database names the DuckDB file with the tables.');
  return { type, url: opts.url, database: type === 'duckdb' ? resolve(opts.database!) : opts.database };
}

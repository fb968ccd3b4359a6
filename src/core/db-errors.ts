import { type ErrorCode, SegmintError } from './errors.js';

export type Database = 'DuckDB' | 'PostgreSQL' | 'ClickHouse';

/**
 * What a database's refusal means for the user, by its message (DuckDB, PostgreSQL and ClickHouse
 * word the same faults differently): the data error that describes the cause where there is one,
 * with the hint for it; DB_ERROR only for what is the database's own trouble.
 */
const CAUSES: { test: RegExp; code: ErrorCode; what: string; hint?: string }[] = [
  {
    test: /(could not convert|conversion error|invalid input syntax for type|cannot parse|CANNOT_PARSE).*(date|time)/i,
    code: 'DATA_BAD_DATE',
    what: 'a value cannot be read as a date',
  },
  {
    test: /out of range|overflow|DECIMAL_OVERFLOW|value too large|is too big|could not cast value .* to DECIMAL/i,
    code: 'DATA_NONFINITE',
    what: 'a value in the data is too large for the arithmetic',
    hint: 'Fix or filter the huge values in the source (a price of 1e308 overflows once multiplied by a quantity); cleaning.cap bounds them for clustering.',
  },
  {
    test: /could not convert|conversion error|invalid input syntax|cannot parse|CANNOT_PARSE|TYPE_MISMATCH/i,
    code: 'DATA_BAD_NUMBER',
    what: 'a value cannot be read as the type its column needs',
    hint: 'Fix or filter the value the message names, set cleaning.badRows: drop to drop such rows, or (for a file) csv.decimal for decimal commas.',
  },
  {
    test: /Table with name .* does not exist|relation .* does not exist|UNKNOWN_TABLE|Table .* doesn't exist|UNKNOWN_DATABASE/i,
    code: 'DATA_TABLE_NOT_FOUND',
    what: 'a table the recipe names is not there',
  },
  {
    test: /Referenced column .* not found|column .* does not exist|Missing columns|UNKNOWN_IDENTIFIER/i,
    code: 'DATA_COLUMN_MISSING',
    what: 'a column the recipe names is not there',
  },
  {
    test: /out of memory|could not allocate|MEMORY_LIMIT_EXCEEDED/i,
    code: 'DB_ERROR',
    what: 'the database ran out of memory',
    hint: 'Give DuckDB more memory (SEGMINT_MEMORY_LIMIT=8GB; by default it takes a sixth of the machine), narrow the window (window.days), or run the recipe in PostgreSQL or ClickHouse (engine:).',
  },
  {
    test: /no space left|could not extend file|NOT_ENOUGH_SPACE/i,
    code: 'DB_ERROR',
    what: 'the disk is full',
    hint: "Free space where the database (or DuckDB's temp folder) writes, then run again.",
  },
  {
    test: /permission denied|ACCESS_DENIED|not enough privileges|must be owner/i,
    code: 'DB_ERROR',
    what: 'the database user may not do this',
    hint: 'Grant the user read access to the source tables and create/insert where segmint writes (engine.featuresTable, score --out-table).',
  },
];

/** The column, table or value a database's message names, where it names one. */
function named(full: string): string {
  const first = (...res: RegExp[]) => {
    for (const re of res) {
      const m = re.exec(full);
      const v = m?.slice(1).find((x) => x !== undefined);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  const column = first(
    /Referenced column "([^"]+)" not found/,
    /column "([^"]+)" does not exist/,
    /Missing columns: '([^']+)'/,
  );
  if (column) return `: column "${column}"`;
  const table = first(
    /Table with name "?([^\s"!]+)"? does not exist/,
    /relation "([^"]+)" does not exist/,
    /Table (\S+) doesn't exist/,
  );
  if (table) return `: table "${table}"`;
  const value = first(
    /string '([^']*)'/,
    /: "([^"]*)"(?:, expected format|\s*$|\n)/,
    /for type [\w ]+: "([^"]*)"/,
    /Could not convert [\w ]*'([^']*)'/,
  );
  if (value !== undefined) return `: the value "${value.length > 60 ? `${value.slice(0, 60)}…` : value}"`;
  return '';
}

export function databaseError(
  db: Database,
  e: unknown,
  opts: { sql?: string; where?: { path?: string } } = {},
): SegmintError {
  if (e instanceof SegmintError) return e;
  const full = e instanceof Error ? e.message : String(e);
  const first = full.split('\n')[0].trim();
  const said = first.length > 300 ? `${first.slice(0, 300)}…` : first;
  const cause = CAUSES.find((c) => c.test.test(full));
  // segmint's sentence first, with what the database named; the database's own words only as a
  // detail (details.database), which the CLI prints on a line of its own.
  return new SegmintError(
    cause?.code ?? 'DB_ERROR',
    cause ? `${cause.what[0].toUpperCase()}${cause.what.slice(1)}${named(full)}.` : `${db}: ${said}`,
    {
      ...(cause?.hint ? { hint: cause.hint } : {}),
      ...(opts.where ? { where: opts.where } : {}),
      details: { ...(opts.sql ? { sql: opts.sql.trim() } : {}), message: full, database: `${db}: ${said}` },
      cause: e,
    },
  );
}

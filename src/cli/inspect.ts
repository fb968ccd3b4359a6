// segmint inspect: a first look at a data file or a table.

import type { ColumnSummary } from '../data/overview.js';
import { loadWhitespaceTable, readableFile, readError, readerSql } from '../data/read.js';
import { decimalCommaColumns, sniffFile } from '../data/sniff.js';
import { workbookSheets } from '../data/spreadsheet.js';
import { sniffEngineTable } from '../engine/features.js';
import { summarizeTable } from '../engine/inspect.js';
import { sqlKit } from '../sql/dialect.js';
import { Duck, duckdbEngine, qi } from '../sql/duckdb.js';
import { openEngine } from '../sql/open.js';
import { type CommonOpts, engineFromFlags, printJson } from './common.js';
import { fmtInt, type Io, table } from './output.js';

/** A column as the report summarises it, plus the numeric summary that inspect prints. */
export interface ColumnOverview extends ColumnSummary {
  mean: number | null;
  q25: number | null;
  median: number | null;
  q75: number | null;
}

export interface Overview {
  file: string;
  /** For an Excel workbook: the sheet shown, and every sheet it has. */
  sheet?: string;
  sheets?: string[];
  rows: number;
  kind: string;
  roles: Record<string, string>;
  columns: ColumnOverview[];
  dateRange: { column: string; from: string; to: string } | null;
}

/** Text columns of `table` whose every value is a decimal-comma number, rewritten as doubles. */
async function decimalCommaAsNumbers(duck: Duck, table: string): Promise<void> {
  for (const name of await decimalCommaColumns(duck, table)) {
    const v = `trim(${qi(name)})`;
    await duck.exec(
      `CREATE OR REPLACE TABLE ${qi(table)} AS SELECT * REPLACE (TRY_CAST(replace(replace(${v}, '.', ''), ',', '.') AS DOUBLE) AS ${qi(name)}) FROM ${qi(table)}`,
    );
  }
}

/** A first look at a data file: rows, per-column types, nulls, distinct counts, ranges and top values. */
export async function inspectFile(path: string, sheet?: string): Promise<Overview> {
  const duck = await Duck.open();
  try {
    const s = await sniffFile(duck, path, process.cwd(), undefined, undefined, sheet);
    // A workbook's sheet is read as the CSV it was written to.
    const r = await readableFile(
      s.file,
      s.format,
      {
        sheet: s.sheet,
        csv:
          s.csv.delimiter || s.csv.decimal
            ? {
                ...(s.csv.delimiter ? { delimiter: s.csv.delimiter } : {}),
                ...(s.csv.header === false ? { header: false } : {}),
                ...(s.csv.decimal ? { decimal: s.csv.decimal } : {}),
              }
            : undefined,
      },
      '--sheet',
    );
    const sheets = s.sheet !== undefined ? (await workbookSheets(s.file)).map((x) => x.name) : undefined;
    try {
      if (s.csv.delimiter === 'whitespace')
        await loadWhitespaceTable(duck, 't', s.file, { delimiter: 'whitespace' });
      else {
        const { sql, params } = readerSql(r.file, r.format, r.csv);
        await duck.exec(`CREATE TABLE t AS SELECT * FROM ${sql}`, params);
        // With a decimal comma, text columns of such numbers ("1.234,56", which the reader's
        // decimal_separator leaves as text) are shown as the numbers the run reads.
        if (s.csv.decimal === ',') await decimalCommaAsNumbers(duck, 't');
      }
    } catch (e) {
      throw readError(e, s.file);
    }
    const rows = Number((await duck.one('SELECT count(*) AS n FROM t')).n);
    // The same summary as for a table in an engine: exact distinct counts, quartiles, top values,
    // numbers stored as text summarised as numbers.
    const columns: ColumnOverview[] = await summarizeTable(
      duckdbEngine(duck),
      't',
      await duck.describe('t'),
      true,
    );
    const timeCol = s.roles.time ?? s.roles.joined;
    let dateRange: Overview['dateRange'] = null;
    if (timeCol) {
      const c = columns.find((x) => x.name === timeCol);
      if (c?.min && c.max) {
        if (s.dateFormat) {
          const r = await duck.one(
            `SELECT CAST(min(try_strptime(CAST(${qi(timeCol)} AS VARCHAR), $f)) AS VARCHAR) AS a, CAST(max(try_strptime(CAST(${qi(timeCol)} AS VARCHAR), $f)) AS VARCHAR) AS b FROM t`,
            { f: s.dateFormat },
          );
          dateRange = { column: timeCol, from: String(r.a), to: String(r.b) };
        } else dateRange = { column: timeCol, from: c.min, to: c.max };
      }
    }
    return {
      file: s.file,
      ...(s.sheet !== undefined ? { sheet: s.sheet, sheets: sheets ?? [] } : {}),
      rows,
      kind: s.kind,
      roles: s.roles,
      columns,
      dateRange,
    };
  } finally {
    duck.close();
  }
}

/**
 * A first look at a table where it lives: the same summary as for a file (exact distinct counts,
 * quartiles, top values), computed by the engine; kind and roles guessed from the column names.
 */
export async function inspectTable(
  table: string,
  opts: { engine?: string; url?: string | undefined; database?: string | undefined },
): Promise<Overview> {
  const target = engineFromFlags(opts);
  const { type } = target;
  const engine = await openEngine(target, '--engine');
  try {
    const s = await sniffEngineTable(engine, table);
    const ref = table.split('.').map(sqlKit(type).q).join('.');
    const rows = Number((await engine.all(`SELECT count(*) AS n FROM ${ref}`))[0]?.n ?? 0);
    const columns = await summarizeTable(engine, table, s.columns, true);
    const timeCol = s.roles.time ?? s.roles.joined;
    const c = timeCol ? columns.find((x) => x.name === timeCol) : undefined;
    return {
      file: `${type}:${table}`,
      rows,
      kind: s.kind,
      roles: s.roles,
      columns,
      dateRange: timeCol && c?.min && c.max ? { column: timeCol, from: c.min, to: c.max } : null,
    };
  } finally {
    await engine.close();
  }
}

const short = (v: string | null, n = 22) => (v === null ? '-' : v.length > n ? `${v.slice(0, n - 1)}…` : v);
const num = (v: number | null) =>
  v === null ? '-' : Math.abs(v) >= 1000 ? fmtInt(v) : Number(v.toPrecision(4)).toString();

/** The options of `segmint inspect`. */
export type InspectOpts = CommonOpts & { engine?: string; url?: string; database?: string; sheet?: string };

/** `segmint inspect`: the summary of a file, or of a table with --engine. */
export async function inspectCommand(file: string, opts: InspectOpts, io: Io): Promise<void> {
  const o = opts.engine ? await inspectTable(file, opts) : await inspectFile(file, opts.sheet);
  if (opts.json) return printJson(io, o);
  io.out(
    `${o.file}${o.sheet !== undefined ? `, sheet "${o.sheet}" (its sheets: ${o.sheets?.map((x) => `"${x}"`).join(', ')}; --sheet to choose)` : ''}\n${fmtInt(o.rows)} rows, ${o.columns.length} columns; looks like ${o.kind}${
      Object.keys(o.roles).length
        ? ` (${Object.entries(o.roles)
            .map(([r, c]) => `${r} = ${c}`)
            .join(', ')})`
        : ''
    }\n`,
  );
  if (o.dateRange) io.out(`dates: ${o.dateRange.from} to ${o.dateRange.to} (${o.dateRange.column})\n`);
  io.out(
    `\n${table(
      ['column', 'type', 'nulls', 'distinct', 'min', 'median', 'max', 'top values'],
      o.columns.map((c) => [
        c.name,
        c.type,
        fmtInt(c.nulls),
        fmtInt(c.distinct),
        short(c.min, 16),
        num(c.median),
        short(c.max, 16),
        short(c.top.map((t) => `${t.value} (${fmtInt(t.count)})`).join(', '), 48),
      ]),
    )}\n`,
  );
}

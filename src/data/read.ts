import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, resolve } from 'node:path';
import type { SourceSpec } from '../config/recipe.js';
import { SegmintError } from '../core/errors.js';
import { type Duck, type Params, qi, qs } from '../sql/duckdb.js';

export type FileFormat = 'csv' | 'parquet' | 'json' | 'xlsx';

export function detectFormat(path: string, declared?: FileFormat): FileFormat {
  if (declared) return declared;
  const ext = extname(path.replace(/\.(gz|zst)$/i, '')).toLowerCase();
  if (ext === '.parquet' || ext === '.pq') return 'parquet';
  if (ext === '.json' || ext === '.ndjson' || ext === '.jsonl') return 'json';
  if (ext === '.xlsx') return 'xlsx';
  return 'csv';
}

/**
 * The file a reader reads for a data file: the file itself, or for a workbook the CSV of its sheet
 * (spreadsheet.ts), with the CSV options that file needs. `sheet` is the sheet's name as read.
 */
export async function readableFile(
  file: string,
  format: FileFormat,
  spec: { sheet?: string | undefined; csv?: CsvOpts | undefined },
  path: string,
): Promise<{ file: string; format: Exclude<FileFormat, 'xlsx'>; csv: CsvOpts | undefined; sheet?: string }> {
  if (format !== 'xlsx') return { file, format, csv: spec.csv };
  const { sheetCsv } = await import('./spreadsheet.js');
  const sheet = await sheetCsv(file, spec.sheet, path);
  return {
    file: sheet.csv,
    format: 'csv',
    csv: { delimiter: ',', quote: '"', header: true },
    sheet: sheet.name,
  };
}

/** Resolves a source path against the recipe folder and checks that it matches a file. */
export function resolveSourcePath(path: string, baseDir: string, where: { path?: string } = {}): string {
  const abs = isAbsolute(path) ? path : resolve(baseDir, path);
  const isGlob = /[*?[]/.test(abs);
  const exists = isGlob ? globHasMatch(abs) : existsSync(abs);
  if (!exists) {
    throw new SegmintError('DATA_FILE_NOT_FOUND', `The data file ${abs} does not exist.`, {
      where: { file: abs, ...(where.path ? { path: where.path } : {}) },
    });
  }
  // A FIFO, a device or a folder would be read for ever (or without end): only files are data.
  if (!isGlob) {
    const st = statSync(abs);
    if (!st.isFile())
      throw new SegmintError(
        'DATA_READ',
        `${abs} is not a regular file (it is ${st.isDirectory() ? 'a folder' : st.isFIFO() ? 'a named pipe' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : 'a socket or other special file'}).`,
        {
          where: { file: abs, ...(where.path ? { path: where.path } : {}) },
          hint: st.isDirectory()
            ? 'Name the files in the folder (a glob such as folder/*.csv reads all of them).'
            : 'Save the data to a file first, then point segmint at that file.',
        },
      );
  }
  return abs;
}

function globHasMatch(pattern: string): boolean {
  const dir = dirname(pattern);
  if (/[*?[]/.test(dir) || !existsSync(dir)) return existsSync(dir) || /[*?[]/.test(dir);
  const re = new RegExp(
    `^${basename(pattern)
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  return readdirSync(dir).some((f) => re.test(f));
}

type CsvOpts = NonNullable<SourceSpec['csv']>;

/**
 * The table-function call that reads a file, with the path and options bound as parameters, or
 * with `literal` written in as quoted literals (for a view, which holds no parameters).
 * `varcharColumns` are forced to VARCHAR so ids keep leading zeros.
 */
export function readerSql(
  file: string,
  format: FileFormat,
  csv: CsvOpts | undefined,
  varcharColumns: readonly string[] = [],
  literal = false,
): { sql: string; params: Params } {
  const params: Params = {};
  const bind = (name: string, value: string) => {
    if (literal) return qs(value);
    params[name] = value;
    return `$${name}`;
  };
  const path = bind('path', file);
  if (format === 'xlsx')
    throw new SegmintError('INTERNAL', 'A workbook is read through the CSV of its sheet (readableFile).');
  if (format === 'parquet') return { sql: `read_parquet(${path})`, params };
  if (format === 'json') return { sql: `read_json_auto(${path})`, params };
  const opts: string[] = [];
  const o = csv ?? {};
  if (o.delimiter)
    opts.push(
      `delim = ${bind('delim', o.delimiter === '\\t' || o.delimiter === 'tab' ? '\t' : o.delimiter)}`,
    );
  if (o.quote !== undefined) opts.push(`quote = ${bind('quote', o.quote)}`);
  if (o.escape !== undefined) opts.push(`escape = ${bind('escape', o.escape)}`);
  if (o.header !== undefined) opts.push(`header = ${o.header ? 'true' : 'false'}`);
  if (o.columns) opts.push(`names = [${o.columns.map(qs).join(', ')}]`);
  if (o.decimal) opts.push(`decimal_separator = ${bind('decsep', o.decimal)}`);
  if (o.encoding) opts.push(`encoding = ${bind('enc', o.encoding)}`);
  if (o.skip !== undefined) opts.push(`skip = ${o.skip}`);
  if (varcharColumns.length)
    opts.push(`types = {${varcharColumns.map((c) => `${qs(c)}: 'VARCHAR'`).join(', ')}}`);
  opts.push('sample_size = 20480');
  return { sql: `read_csv(${path}, ${opts.join(', ')})`, params };
}

/** Column names of a file as its reader sees them (no data read beyond the sniff sample). */
export async function sniffColumns(
  duck: Duck,
  file: string,
  format: FileFormat,
  csv: CsvOpts | undefined,
): Promise<{ name: string; type: string }[]> {
  if (format === 'csv' && csv?.delimiter === 'whitespace') {
    await loadWhitespaceTable(duck, '__sniff_ws', file, csv, 200);
    const cols = await duck.describe('__sniff_ws');
    await duck.exec('DROP TABLE IF EXISTS __sniff_ws');
    return cols;
  }
  const { sql, params } = readerSql(file, format, csv);
  try {
    const r = await duck.all(`DESCRIBE SELECT * FROM ${sql}`, params);
    return r.map((x) => ({ name: String(x.column_name), type: String(x.column_type) }));
  } catch (e) {
    throw readError(e, file);
  }
}

/** The hint for the actual cause of a read failure, from the reader's message. */
/** Why a file cannot be read, by what the reader said: what is wrong, in segmint's words, and the fix. */
const READ_CAUSES: { test: RegExp; what: string; hint: string }[] = [
  {
    test: /not utf-8 encoded|Invalid unicode/i,
    what: 'it is not UTF-8 text',
    hint: "Set the source's csv: { encoding: latin-1 } (or utf-16), or re-save it as UTF-8. If it is not text at all (a spreadsheet, an archive), export it as CSV first.",
  },
  {
    test: /magic bytes|parquet/i,
    what: 'it is not valid Parquet',
    hint: 'Set format: csv or json if it is text, or export it again from its source.',
  },
  {
    test: /unterminated quote|quote/i,
    what: 'a quoted field is not closed',
    hint: "Set the source's csv.quote (or csv.escape) to the file's quoting.",
  },
  {
    test: /json/i,
    what: 'it is not valid JSON',
    hint: 'Give one JSON document (an array of objects), or one object per line.',
  },
];

export function readError(e: unknown, file: string): SegmintError {
  const msg = e instanceof Error ? e.message : String(e);
  const inner =
    e instanceof SegmintError && e.details && typeof e.details === 'object'
      ? String((e.details as { message?: string }).message ?? msg)
      : msg;
  const lineMatch = /[Ll]ine:? (\d+)/.exec(inner);
  const cause = /\.xls$/i.test(file)
    ? {
        what: 'it is an Excel 97-2003 workbook (.xls), which segmint does not read',
        hint: 'Save it as an Excel workbook (.xlsx), whose sheets segmint reads, or export the sheet as CSV.',
      }
    : READ_CAUSES.find((c) => c.test.test(inner));
  // segmint's sentence; the reader's own first line as a detail (printed on a line of its own).
  const said = inner.split('\n')[0].replace(/^DuckDB: /, '');
  return new SegmintError(
    'DATA_READ',
    `Cannot read ${file}: ${cause?.what ?? 'its rows do not parse with the format and csv options segmint found'}${lineMatch ? ` (line ${lineMatch[1]})` : ''}.`,
    {
      where: { file, ...(lineMatch ? { line: Number(lineMatch[1]) } : {}) },
      hint:
        cause?.hint ??
        "Check the source's format and csv options (delimiter, header, quote, skip); segmint inspect shows what is detected.",
      details: { database: `DuckDB: ${said.length > 300 ? `${said.slice(0, 300)}…` : said}` },
      cause: e,
    },
  );
}

/**
 * Reads a file whose fields are separated by runs of blanks (fixed-width-ish exports such as
 * CDNOW_master.txt) into a table of VARCHAR columns (numbers stay text here; the cleaning reads
 * them as numbers). The header is taken from csv.columns, or from the first line when it holds no
 * number.
 */
export async function loadWhitespaceTable(
  duck: Duck,
  table: string,
  file: string,
  csv: CsvOpts,
  limit?: number,
): Promise<void> {
  const lines = `SELECT regexp_split_to_array(trim(line), '\\s+') AS f FROM read_csv($path, columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '', escape = '', header = false, auto_detect = false${csv.skip ? `, skip = ${csv.skip}` : ''}) WHERE trim(line) <> ''`;
  await duck.exec(`CREATE OR REPLACE TEMP TABLE __ws_lines AS ${lines}${limit ? ` LIMIT ${limit}` : ''}`, {
    path: file,
  });
  const first = await duck.one('SELECT f FROM __ws_lines WHERE rowid = 0');
  const firstFields = (first.f as string[] | undefined) ?? [];
  const looksLikeHeader = csv.header ?? firstFields.every((v) => Number.isNaN(Number(v)));
  const names = csv.columns ?? (looksLikeHeader ? firstFields : firstFields.map((_, i) => `column${i}`));
  const skipFirst =
    looksLikeHeader && !csv.columns ? 'WHERE rowid > 0' : csv.header && csv.columns ? 'WHERE rowid > 0' : '';
  const select = names.map((n, i) => `f[${i + 1}] AS ${qi(n)}`).join(', ');
  await duck.exec(
    `CREATE OR REPLACE TABLE ${qi(table)} AS SELECT ${select} FROM __ws_lines ${skipFirst} ORDER BY rowid`,
  );
  await duck.exec('DROP TABLE __ws_lines');
}

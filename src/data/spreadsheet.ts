import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SegmintError } from '../core/errors.js';

/**
 * Spreadsheets (.xlsx): each sheet of a workbook is a table. A workbook is read once, streamed
 * sheet by sheet (bounded memory) by exceljs into one CSV file per sheet in a cache folder keyed by
 * the workbook's path, size and time; from there it is read like any CSV (types sniffed by
 * DuckDB). The first row of a sheet is its header. Cells are written as their values: numbers in
 * full, dates as ISO text (a date without a time as YYYY-MM-DD), formulas as their results, rich
 * text as its text, errors as empty.
 */

/** One sheet of a workbook, as the CSV file it was written to. */
export interface Sheet {
  name: string;
  csv: string;
  rows: number;
}

const CACHE_VERSION = 1;

/** Whether a path names a workbook segmint reads as a spreadsheet. */
export const isWorkbook = (path: string): boolean => /\.xlsx$/i.test(path);

function cacheDir(file: string): string {
  const st = statSync(file);
  const key = createHash('sha256')
    .update(`${CACHE_VERSION}\0${file}\0${st.size}\0${st.mtimeMs}`)
    .digest('hex')
    .slice(0, 24);
  return join(tmpdir(), 'segmint-sheets', key);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** A cell's value as CSV text (unquoted). */
export function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return '';
    const day = `${pad(v.getUTCFullYear(), 4)}-${pad(v.getUTCMonth() + 1)}-${pad(v.getUTCDate())}`;
    const [h, m, s] = [v.getUTCHours(), v.getUTCMinutes(), v.getUTCSeconds()];
    return h || m || s ? `${day} ${pad(h)}:${pad(m)}:${pad(s)}` : day;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : '';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v;
  if (typeof v === 'object') {
    const o = v as { result?: unknown; richText?: { text: string }[]; text?: unknown; error?: unknown };
    if ('error' in o) return '';
    if ('result' in o) return cellText(o.result);
    if (Array.isArray(o.richText)) return o.richText.map((r) => r.text).join('');
    if ('text' in o) return cellText(o.text);
  }
  return String(v);
}

/** A CSV field: quoted where it holds a comma, a quote or a line break. */
const field = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

/**
 * The sheets of a workbook as CSV files (written on first use, then taken from the cache), in the
 * workbook's order. A file that is not a workbook is DATA_READ naming it.
 */
export async function workbookSheets(file: string): Promise<Sheet[]> {
  const dir = cacheDir(file);
  const index = join(dir, 'sheets.json');
  if (existsSync(index)) return JSON.parse(readFileSync(index, 'utf8')) as Sheet[];
  mkdirSync(dir, { recursive: true });
  // Loaded only for a workbook: the CLI starts without it.
  const { default: ExcelJS } = await import('exceljs');
  const sheets: Sheet[] = [];
  try {
    const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, {
      worksheets: 'emit',
      sharedStrings: 'cache',
      hyperlinks: 'ignore',
      styles: 'cache',
      entries: 'ignore',
    });
    for await (const ws of reader) {
      const name = (ws as unknown as { name?: string }).name ?? `Sheet${sheets.length + 1}`;
      const csv = join(dir, `${sheets.length + 1}.csv`);
      const part = `${csv}.part-${process.pid}`;
      const out = createWriteStream(part);
      let width = 0;
      let rows = 0;
      let header = true;
      for await (const row of ws) {
        const values = (row.values as unknown[]).slice(1).map(cellText);
        if (header) {
          // The header: the first row with a value; its width is the table's.
          if (values.every((v) => v === '')) continue;
          width = values.length;
          header = false;
        } else if (values.every((v) => v === '')) continue;
        const line = Array.from({ length: width }, (_, j) => field(values[j] ?? '')).join(',');
        if (!out.write(`${line}\n`)) await once(out, 'drain');
        rows++;
      }
      out.end();
      await once(out, 'finish');
      renameSync(part, csv);
      // Rows after the header.
      sheets.push({ name, csv, rows: Math.max(0, rows - 1) });
    }
  } catch (e) {
    throw new SegmintError(
      'DATA_READ',
      `Cannot read ${file}: it is not an Excel workbook (.xlsx) segmint can open.`,
      {
        where: { file },
        hint: 'Open it in a spreadsheet program and save it as .xlsx again, or export the sheet as CSV.',
        details: { reader: e instanceof Error ? e.message : String(e) },
        cause: e,
      },
    );
  }
  const tmp = `${index}.part-${process.pid}`;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(tmp, JSON.stringify(sheets));
  renameSync(tmp, index);
  return sheets;
}

/** The CSV of one sheet (by name; the first sheet when none is named), or an error listing the sheets. */
export async function sheetCsv(file: string, sheet: string | undefined, path: string): Promise<Sheet> {
  const sheets = await workbookSheets(file);
  if (!sheets.length) throw new SegmintError('DATA_EMPTY', `${file} has no sheets.`, { where: { file } });
  if (sheet === undefined) return sheets[0];
  const found =
    sheets.find((s) => s.name === sheet) ?? sheets.find((s) => s.name.toLowerCase() === sheet.toLowerCase());
  if (!found)
    throw new SegmintError(
      path.startsWith('--') ? 'USAGE' : 'RECIPE_INVALID',
      `${path}: ${file} has no sheet "${sheet}".`,
      {
        where: { file, path },
        hint: `Its sheets are ${sheets.map((s) => `"${s.name}"`).join(', ')}.`,
      },
    );
  return found;
}

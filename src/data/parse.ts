import { SegmintError } from '../core/errors.js';
import { sqlKit } from '../model/sql.js';
import { type Duck, isNumericType, isTemporalType, qi } from './duck.js';

/** strptime formats tried, in order, for text dates that DuckDB's own cast does not read. */
export const DATE_FORMATS = [
  '%d/%m/%Y %H:%M:%S',
  '%d/%m/%Y %H:%M',
  '%m/%d/%Y %H:%M:%S',
  '%m/%d/%Y %H:%M',
  '%d/%m/%Y',
  '%m/%d/%Y',
  '%d-%m-%Y %H:%M:%S',
  '%d-%m-%Y %H:%M',
  '%d-%m-%Y',
  '%m-%d-%Y',
  '%d.%m.%Y %H:%M',
  '%d.%m.%Y',
  '%Y%m%d',
  '%Y/%m/%d %H:%M:%S',
  '%Y/%m/%d',
] as const;

/**
 * Chooses the SQL expression that turns column `col` of `table` into a TIMESTAMP. With a
 * declared format it is used as is; otherwise DuckDB's cast is tried, then each of DATE_FORMATS,
 * and the first that reads every non-empty value wins (or the one that reads most, so the bad
 * rows can be reported).
 */
export async function timeExpression(
  duck: Duck,
  table: string,
  col: string,
  type: string,
  dateFormat?: string,
): Promise<string> {
  const c = qi(col);
  if (isTemporalType(type)) return `CAST(${c} AS TIMESTAMP)`;
  const text = `NULLIF(trim(CAST(${c} AS VARCHAR)), '')`;
  if (dateFormat) return `try_strptime(${text}, '${dateFormat.replace(/'/g, "''")}')`;
  const candidates = [
    `TRY_CAST(${text} AS TIMESTAMP)`,
    ...DATE_FORMATS.map((f) => `try_strptime(${text}, '${f}')`),
  ];
  if (isNumericType(type))
    candidates.unshift(`try_strptime(CAST(CAST(${c} AS BIGINT) AS VARCHAR), '%Y%m%d')`);
  const sel = candidates.map((e, i) => `count(${e}) AS c${i}`).join(', ');
  const counts = await duck.one(
    `SELECT count(${text}) AS n, ${sel} FROM (SELECT ${c} FROM ${qi(table)} LIMIT 50000)`,
  );
  const n = Number(counts.n);
  let best = 0;
  for (let i = 0; i < candidates.length; i++) {
    if (Number(counts[`c${i}`]) === n) return candidates[i];
    if (Number(counts[`c${i}`]) > Number(counts[`c${best}`])) best = i;
  }
  return candidates[best];
}

/** SQL that turns a column into DOUBLE (text with a decimal comma when asked). */
export function numberExpression(col: string, type: string, decimal?: ',' | '.'): string {
  const c = qi(col);
  if (isNumericType(type)) return `CAST(${c} AS DOUBLE)`;
  if (type === 'BOOLEAN') return `CAST(${c} AS DOUBLE)`;
  const text = `NULLIF(trim(CAST(${c} AS VARCHAR)), '')`;
  return decimal === ','
    ? `TRY_CAST(replace(replace(${text}, '.', ''), ',', '.') AS DOUBLE)`
    : `TRY_CAST(${text} AS DOUBLE)`;
}

/** SQL that turns an id column into trimmed text; "13085.0" style float ids lose the ".0". */
export function idExpression(col: string): string {
  return sqlKit('duckdb').fx.id(qi(col));
}

export interface BadValueCheck {
  column: string;
  raw: string;
  parsed: string;
  code: 'DATA_BAD_DATE' | 'DATA_BAD_NUMBER';
}

/**
 * Counts rows of `table` where a non-empty raw value failed to parse; with `error` mode throws a
 * coded error naming the first such row (file line), column and value.
 */
export async function findBadValues(
  duck: Duck,
  table: string,
  checks: BadValueCheck[],
  ctx: { file: string; lineOffset: number; source: string },
): Promise<{ bad: number; firstError: SegmintError | null }> {
  if (!checks.length) return { bad: 0, firstError: null };
  const conds = checks.map(
    (k) => `(${k.raw} IS NOT NULL AND trim(CAST(${k.raw} AS VARCHAR)) <> '' AND ${k.parsed} IS NULL)`,
  );
  const n = Number((await duck.one(`SELECT count(*) AS n FROM ${qi(table)} WHERE ${conds.join(' OR ')}`)).n);
  if (!n) return { bad: 0, firstError: null };
  for (const [i, k] of checks.entries()) {
    const r = await duck.all(
      `SELECT __row, CAST(${k.raw} AS VARCHAR) AS v FROM ${qi(table)} WHERE ${conds[i]} ORDER BY __row LIMIT 1`,
    );
    if (!r.length) continue;
    const row = Number(r[0].__row);
    const line = row + ctx.lineOffset;
    const what = k.code === 'DATA_BAD_DATE' ? 'a date/time' : 'a number';
    const firstError = new SegmintError(
      k.code,
      `${ctx.file}, line ${line}, column "${k.column}": "${r[0].v}" is not ${what} (${n} row(s) of source "${ctx.source}" have unreadable values).`,
      { where: { file: ctx.file, line, column: k.column, value: String(r[0].v) }, details: { rows: n } },
    );
    return { bad: n, firstError };
  }
  return { bad: n, firstError: null };
}

/** Throws DATA_NONFINITE if a DOUBLE expression is +-infinity or NaN on some row. */
export async function checkFinite(
  duck: Duck,
  table: string,
  exprs: { column: string; expr: string }[],
  ctx: { file: string; lineOffset: number },
): Promise<void> {
  for (const { column, expr } of exprs) {
    const r = await duck.all(
      `SELECT __row, ${expr} AS v FROM ${qi(table)} WHERE isinf(${expr}) OR isnan(${expr}) ORDER BY __row LIMIT 1`,
    );
    if (r.length) {
      const line = Number(r[0].__row) + ctx.lineOffset;
      throw new SegmintError(
        'DATA_NONFINITE',
        `${ctx.file}, line ${line}, column "${column}": the value is ${String(r[0].v)}, not a finite number.`,
        {
          where: { file: ctx.file, line, column },
        },
      );
    }
  }
}

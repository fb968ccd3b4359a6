import type { Recipe, SourceSpec } from '../config/recipe.js';
import { SegmintError, type Warning } from '../core/errors.js';
import type { LedgerEntry } from '../data/cleaning-rules.js';
import { DATE_FORMATS } from '../data/parse.js';
import { DECIMAL_COMMA } from '../data/sniff.js';
import type { JoinCoverage } from '../data/sources.js';
import type { PlanSource } from '../features/build.js';
import { COLUMN_TYPES, type IdForm, idFormFrom, type SqlKit, sqlKit, tableRef } from '../sql/dialect.js';
import {
  checkAbort,
  type Engine,
  type EngineColumn,
  type EngineParams,
  type Queryable,
  type Row,
} from '../sql/query.js';
import type { EngineRunOptions } from './kmeans.js';

/**
 * What to do about an unreadable value, for the value it is: a decimal comma ("3,13") is the
 * file's number format (csv.decimal), not a bad row; a date in a form the reader did not take
 * wants a dateFormat; dropping is offered only where it would not drop every row.
 */
export function badValueHint(
  source: string,
  code: 'DATA_BAD_DATE' | 'DATA_BAD_NUMBER',
  value: string,
  every: boolean,
): string {
  if (code === 'DATA_BAD_NUMBER' && new RegExp(DECIMAL_COMMA).test(value.trim()))
    return `"${value}" is a number written with a decimal comma: set sources.${source}.csv: { decimal: "," } (and the delimiter, often ";").`;
  const drop = every ? '' : ', or set cleaning.badRows: drop to leave such rows out (counted in the ledger)';
  return code === 'DATA_BAD_DATE'
    ? `Correct the value, or declare sources.${source}.dateFormat (e.g. "%d.%m.%Y")${drop}.`
    : `Correct the value${drop}.`;
}

/** The largest magnitude a number in the data may have: exact sums use DECIMAL(38, 10). */
export const EXACT_LIMIT = 1e27;

/** One source as the engine sees it: a table with its columns (engine type names). */
export interface EngineSource extends PlanSource {
  spec: SourceSpec;
  table: string;
  rows: number;
  /**
   * Where the source is a file read by the embedded DuckDB: a view of its rows with `__row` (the
   * 1-based data row) and the offset from it to the file's line number, so that an error names
   * the line (found by a second query when a rule fails; the rules never carry row numbers).
   */
  lines?: { table: string; offset: number };
  /** What each of its joins matched (files read by the embedded DuckDB). */
  joins?: JoinCoverage[];
  /** The sheet read, for an Excel workbook (`file` is the workbook). */
  sheet?: string;
}

/** A column of a source carried through cleaning for custom feature SQL. */
export interface ExtraColumn {
  name: string;
  type: 'double' | 'text' | 'timestamp';
  expr: string;
}

/** A cleaning rule: the rows it keeps, as a condition on the source's columns. */
export interface Rule {
  rule: string;
  keep: string;
  note?: string;
}

/** The temporary table of cleaned, normalised order lines (where the engine keeps temporary tables). */
export const LINES = 'segmint_lines';
/** The temporary table of the window's orders (features/orders.ts), where the engine keeps temporary tables. */
export const ORDERS = 'segmint_orders';
export const LINE_COLUMNS: EngineColumn[] = [
  { name: 'customer_id', type: 'text' },
  { name: 'order_id', type: 'text' },
  { name: 'ts', type: 'timestamp' },
  { name: 'quantity', type: 'double' },
  { name: 'price', type: 'double' },
  { name: 'amount', type: 'double' },
  { name: 'product', type: 'text' },
  { name: 'category', type: 'text' },
  { name: 'country', type: 'text' },
  { name: 'status', type: 'text' },
  { name: 'is_return', type: 'boolean' },
];

/**
 * What cleaning inside an engine shares between its steps: the engine and its dialect, the ledger
 * and warnings, the values bound into the SQL, the count of queries and rows that came back, the
 * progress phases; and the helpers that count rules and render typed columns. Methods are arrow
 * functions, so they can be taken off the session.
 */
export class EngineSession {
  readonly kit: SqlKit;
  readonly ledger: LedgerEntry[] = [];
  readonly warnings: Warning[] = [];
  /** Values bound into the SQL: filter values, product codes, the reference date, ... */
  readonly params: EngineParams = {};
  queries = 0;
  rowsReturned = 0;
  private bound = 0;
  private phase = 0;

  constructor(
    readonly engine: Engine,
    readonly recipe: Recipe,
    readonly run: EngineRunOptions,
    readonly phases: string[],
  ) {
    this.kit = sqlKit(engine.dialect);
  }

  stopped = (): void => checkAbort(this.run.signal, 'Building the features in the engine');

  /** Reports the start of the next phase (and stops if the run was cancelled). */
  step = (label: string): void => {
    this.stopped();
    this.run.onProgress?.(this.phase++, this.phases.length, label);
  };

  all = async (sql: string, p: EngineParams = this.params): Promise<Row[]> => {
    this.stopped();
    this.queries++;
    const rows = await this.engine.all(sql, p);
    this.rowsReturned += rows.length;
    return rows;
  };

  one = async (sql: string, p: EngineParams = this.params): Promise<Row> => (await this.all(sql, p))[0] ?? {};

  /** The engine as the SQL helpers take it: queries counted, the session's parameters bound. */
  get queryable(): Queryable {
    return {
      dialect: this.engine.dialect,
      all: this.all,
      exec: (sql, p = this.params) => this.engine.exec(sql, p),
    };
  }

  tableRef = (t: string): string => tableRef(t, this.engine.dialect);

  /** Binds a value from the recipe and returns its placeholder. */
  bind = (v: string | number): string => {
    const k = `c${this.bound++}`;
    this.params[k] = v;
    return `$${k}`;
  };

  typeOf = (src: EngineSource, col: string): string => src.columns.find((c) => c.name === col)?.type ?? '';
  role = (src: EngineSource, r: string): string | undefined => src.spec.roles[r];
  /**
   * A column of ids as the kit's id text (trimmed, "13085.0" as 13085), rendered for its type and,
   * for a text column, the form detectIds found its values in (the same text for every row, at a
   * fraction of the cost of the regular expression).
   */
  idOf = (src: EngineSource, col: string): string =>
    this.kit.fx.idOf(this.kit.q(col), this.typeOf(src, col), this.idForms.get(`${src.name}\0${col}`));
  /** Where a row has an id (`idOf` is not NULL): for a number column or a text one of a known form, where the value is there. */
  hasId = (src: EngineSource, col: string): string =>
    COLUMN_TYPES.numeric(this.typeOf(src, col)) || this.idForms.has(`${src.name}\0${col}`)
      ? `${this.kit.q(col)} IS NOT NULL`
      : `${this.idOf(src, col)} IS NOT NULL`;

  /** Text id columns, per source, whose values detectIds found in a known form. */
  private readonly idForms = new Map<string, IdForm>();

  /**
   * For the text id columns of a source (its customer, order and session roles): a scan per column
   * of its distinct values that counts the values that need the id normalisation's parts
   * (surrounding spaces or empty, ".0", ".0" not of the "13085.0" form). A column with none of the first is read as it is, or with
   * what is before the dot where every ".0" value is of that form; any other keeps the full
   * normalisation.
   */
  detectIds = async (src: EngineSource, cols: (string | undefined)[]): Promise<void> => {
    const text = [...new Set(cols.filter((c): c is string => !!c))].filter((c) => {
      const t = this.typeOf(src, c);
      return t !== '' && !COLUMN_TYPES.numeric(t) && !COLUMN_TYPES.boolean(t) && !COLUMN_TYPES.temporal(t);
    });
    // Over each column's distinct values (an id repeats on many lines): whether any value needs a
    // part of the normalisation is the same question, asked of far fewer values.
    for (const c of text) {
      const q = this.kit.q(c);
      const sel = Object.entries(this.kit.fx.idFormCounts(q)).map(([k, e]) => `${e} AS ${k}`);
      const r = await this.one(
        `SELECT ${sel.join(', ')} FROM (SELECT DISTINCT ${q} FROM ${this.tableRef(src.table)}) AS d`,
        {},
      );
      const n = (k: string) => Number(r[k] ?? 0);
      const form = idFormFrom({ spaced: n('spaced'), dotted: n('dotted'), other: n('other') });
      if (form) this.idForms.set(`${src.name}\0${c}`, form);
      if (n('padded') > 0)
        this.warnings.push({
          code: 'IDS_TRIMMED',
          message: `${n('padded').toLocaleString('en-US')} distinct value(s) of "${c}" in source "${src.name}" have spaces around them; ids are read without them (" 123" and "123" are one id).`,
        });
    }
  };

  textOf = (col: string): string => this.kit.fx.text(this.kit.q(col));

  /** Time expressions chosen by detectTimes, per source and column. */
  private readonly times = new Map<string, string>();

  /**
   * A time column as a timestamp: typed; text by the source's dateFormat; or text (and yyyymmdd
   * numbers) read the way detectTimes found that reads the column (NULL where unreadable).
   */
  timeOf = (src: EngineSource, col: string): string => {
    const { fx, q } = this.kit;
    const t = this.typeOf(src, col);
    if (COLUMN_TYPES.temporal(t)) return fx.finiteTime(fx.timestamp(q(col)));
    const text = `NULLIF(${fx.trim(this.textOf(col))}, '')`;
    // A counted period (day or week number): that many days after 1970-01-01.
    const unit = src.spec.timeUnit;
    if (unit) return fx.fromEpochDays(`(${this.numberOf(src, col)}) * ${unit === 'week' ? 7 : 1}`);
    const format = src.spec.dateFormat;
    if (format) {
      if (!fx.tryStrptime)
        throw new SegmintError(
          'ENGINE_UNSUPPORTED',
          `sources.${src.name}.dateFormat: ${this.engine.dialect} reads dates only in ISO form (YYYY-MM-DD hh:mm:ss) here.`,
          {
            where: { path: `sources.${src.name}.dateFormat` },
            hint: 'Leave dateFormat out and keep the column ISO text, or make it a date/timestamp column.',
          },
        );
      return fx.tryStrptime(COLUMN_TYPES.numeric(t) ? fx.text(`CAST(${q(col)} AS BIGINT)`) : text, format);
    }
    const found = this.times.get(`${src.name}\0${col}`);
    if (found) return found;
    if (COLUMN_TYPES.numeric(t))
      throw new SegmintError(
        'ENGINE_UNSUPPORTED',
        `sources.${src.name}.roles: column "${col}" is a number (${t}); inside ${this.engine.dialect} the time must be a date, a timestamp or ISO text.`,
        { where: { path: `sources.${src.name}.roles`, column: col } },
      );
    return fx.parseTimestamp(text);
  };

  /**
   * For each text (or, where the dialect reads formats, yyyymmdd-number) time column without a
   * declared dateFormat: the reading that reads every non-empty value of a sample of 50,000 rows,
   * tried in order (the dialect's own cast, then DATE_FORMATS), else the one that reads most (so
   * the unreadable rows can be reported).
   */
  detectTimes = async (src: EngineSource, cols: (string | undefined)[]): Promise<void> => {
    const { fx, q } = this.kit;
    if (src.spec.dateFormat || src.spec.timeUnit) return;
    for (const col of cols) {
      if (!col) continue;
      const t = this.typeOf(src, col);
      if (COLUMN_TYPES.temporal(t)) continue;
      const numeric = COLUMN_TYPES.numeric(t);
      if (numeric && !fx.tryStrptime) continue;
      const text = `NULLIF(${fx.trim(this.textOf(col))}, '')`;
      const candidates = numeric
        ? [fx.tryStrptime!(fx.text(`CAST(${q(col)} AS BIGINT)`), '%Y%m%d')]
        : [
            fx.parseTimestamp(text),
            ...(fx.tryStrptime ? DATE_FORMATS.map((f) => fx.tryStrptime!(text, f)) : []),
          ];
      let best = candidates[0];
      if (candidates.length > 1 || numeric) {
        const r = await this.one(
          `SELECT count(${numeric ? q(col) : text}) AS n, ${candidates.map((e, i) => `count(${e}) AS c${i}`).join(', ')} FROM (SELECT ${q(col)} FROM ${this.tableRef(src.table)} LIMIT 50000) AS sample`,
          {},
        );
        const n = Number(r.n ?? 0);
        // A number column none of whose values is a yyyymmdd date is not a time at all.
        if (numeric && n > 0 && Number(r.c0 ?? 0) === 0)
          throw new SegmintError(
            'DATA_BAD_DATE',
            `sources.${src.name}: the time column "${col}" holds numbers (${t}) that are not dates (none reads as yyyymmdd).`,
            {
              where: { path: `sources.${src.name}.roles.time`, column: col },
              hint: `Name the column that holds the dates in roles.time, or set sources.${src.name}.timeUnit: day (or week) if "${col}" counts days (weeks) since 1970-01-01.`,
            },
          );
        let most = -1;
        for (const [i, e] of candidates.entries()) {
          const c = Number(r[`c${i}`] ?? 0);
          if (c === n) {
            best = e;
            break;
          }
          if (c > most) [most, best] = [c, e];
        }
      }
      this.times.set(`${src.name}\0${col}`, best);
    }
  };

  /** A number column as a double: typed, a boolean as 0/1, or text read (NULL where unreadable). */
  numberOf = (src: EngineSource, col: string): string => {
    const { fx, q, num } = this.kit;
    const t = this.typeOf(src, col);
    if (COLUMN_TYPES.numeric(t)) return fx.double(q(col));
    if (COLUMN_TYPES.boolean(t)) return `CASE WHEN ${q(col)} THEN ${num(1)} ELSE ${num(0)} END`;
    const text = fx.trim(this.textOf(col));
    // A file declared with decimal commas: "1.234,5" reads 1234.5.
    return fx.parseDouble(
      src.spec.csv?.decimal === ',' ? `replace(replace(${text}, '.', ''), ',', '.')` : text,
    );
  };

  /** Remaining (counted) rows of `from` after each rule, cumulatively, in one scan. */
  countRules = async (from: string, rules: string[], counted = ''): Promise<number[]> => {
    if (!rules.length) return [];
    const c = counted ? ` AND ${counted}` : '';
    const sel = rules.map(
      (_, i) => `sum(CASE WHEN ${rules.slice(0, i + 1).join(' AND ')}${c} THEN 1 ELSE 0 END) AS c${i}`,
    );
    const r = await this.one(`SELECT ${sel.join(', ')} FROM ${from}`);
    return rules.map((_, i) => Number(r[`c${i}`] ?? 0));
  };

  countRows = async (from: string, where = ''): Promise<number> =>
    Number((await this.one(`SELECT count(*) AS n FROM ${from}${where ? ` WHERE ${where}` : ''}`)).n);

  /** Applies rules to a source relation: ledger lines, and the relation of the rows kept. */
  applyRules = async (src: EngineSource, from: string, rules: Rule[], alias: string): Promise<string> => {
    const remaining = await this.countRules(
      from,
      rules.map((r) => `(${r.keep})`),
    );
    let before = await this.countRows(from);
    rules.forEach((r, i) => {
      this.ledger.push({
        source: src.name,
        rule: r.rule,
        removed: before - remaining[i],
        remaining: remaining[i],
        ...(r.note ? { note: r.note } : {}),
      });
      before = remaining[i];
    });
    return rules.length
      ? `(SELECT * FROM ${from} WHERE ${rules.map((r) => `(${r.keep})`).join(' AND ')}) AS ${alias}`
      : from;
  };

  /** The recipe's row filters that apply to this source. */
  filterRules = (src: EngineSource): Rule[] =>
    this.recipe.cleaning.filters.flatMap((f) => {
      if (!src.columns.some((c) => c.name === f.column)) return [];
      const values = 'in' in f ? f.in : f.notIn;
      const cond = `${this.textOf(f.column)} IN (${values.map((v) => this.bind(String(v))).join(', ')})`;
      const { fx } = this.kit;
      return [
        {
          rule: `filter ${f.column} ${'in' in f ? 'in' : 'not in'} [${values.join(', ')}]`,
          keep: 'in' in f ? fx.orFalse(cond) : `NOT ${fx.orFalse(cond)}`,
        },
      ];
    });

  /** The first row of a source (in file order where it is a file) where `cond` holds: its value of `expr`, and its line. */
  private firstWhere = async (
    src: EngineSource,
    from: string,
    cond: string,
    expr: string,
  ): Promise<{ v: unknown; line: number | null } | null> => {
    const r = src.lines
      ? await this.all(
          `SELECT __row AS r, ${expr} AS v FROM ${this.tableRef(src.lines.table)} WHERE ${cond} ORDER BY __row LIMIT 1`,
        )
      : await this.all(`SELECT ${expr} AS v FROM ${from} WHERE ${cond} LIMIT 1`);
    if (!r.length) return null;
    return { v: r[0].v, line: src.lines ? Number(r[0].r) + src.lines.offset : null };
  };

  /**
   * Unreadable text dates/numbers: an error naming the file's line, the column and the value, or
   * a rule that drops them (cleaning.badRows); and a number that reads as infinite or NaN, which
   * is always an error (DATA_NONFINITE): no rule can say what it meant.
   */
  badRows = async (
    src: EngineSource,
    from: string,
    checks: { column: string; parsed: string; code: 'DATA_BAD_DATE' | 'DATA_BAD_NUMBER' }[],
  ): Promise<Rule[]> => {
    const { fx, q } = this.kit;
    const at = (line: number | null) => (line === null ? '' : `, line ${line}`);
    const numbers = checks.filter((c) => c.code === 'DATA_BAD_NUMBER');
    // Beyond EXACT_LIMIT a value is finite but no exact sum can hold it (sums that feed outputs
    // are exact decimals): named here, with its line, rather than failing later inside a sum.
    const infinite = numbers.map((k) =>
      fx.orFalse(`(${fx.nonFinite(k.parsed)} OR abs(${k.parsed}) >= ${this.kit.num(EXACT_LIMIT)})`),
    );
    const nonFinite = numbers.length ? await this.countRows(from, infinite.join(' OR ')) : 0;
    for (const [i, k] of nonFinite ? numbers.entries() : []) {
      const hit = await this.firstWhere(src, from, infinite[i], k.parsed);
      if (hit)
        throw new SegmintError(
          'DATA_NONFINITE',
          `${src.file}${at(hit.line)}, column "${k.column}": the value is ${hit.v === null ? 'NaN' : String(hit.v)}, ${typeof hit.v === 'number' && Number.isFinite(hit.v) ? `larger than the ${EXACT_LIMIT.toExponential()} segmint's exact sums can hold` : 'not a finite number'}.`,
          {
            where: { file: src.file, ...(hit.line === null ? {} : { line: hit.line }), column: k.column },
            hint: `Remove or correct the value (Infinity, NaN, or a number of ${EXACT_LIMIT.toExponential()} or more) in the data.`,
          },
        );
    }
    const text = checks.filter((k) => !COLUMN_TYPES.temporal(this.typeOf(src, k.column)));
    const unread = text.filter(
      (k) => k.code === 'DATA_BAD_DATE' || !COLUMN_TYPES.numeric(this.typeOf(src, k.column)),
    );
    if (!unread.length) return [];
    const conds = unread.map(
      (k) =>
        `(${q(k.column)} IS NOT NULL AND ${fx.trim(this.textOf(k.column))} <> '' AND ${k.parsed} IS NULL)`,
    );
    const n = await this.countRows(from, conds.join(' OR '));
    if (!n) return [];
    if (this.recipe.cleaning.badRows === 'error') {
      for (const [i, k] of unread.entries()) {
        const hit = await this.firstWhere(src, from, conds[i], this.textOf(k.column));
        if (!hit) continue;
        throw new SegmintError(
          k.code,
          `${src.file}${at(hit.line)}, column "${k.column}": "${String(hit.v)}" is not ${k.code === 'DATA_BAD_DATE' ? 'a date/time' : 'a number'} (${n} row(s) of source "${src.name}" have unreadable values).`,
          {
            where: {
              file: src.file,
              ...(hit.line === null ? {} : { line: hit.line }),
              column: k.column,
              value: String(hit.v),
            },
            details: { rows: n },
            hint: badValueHint(src.name, k.code, String(hit.v), n === src.rows),
          },
        );
      }
    }
    return [{ rule: 'unreadable date or number', keep: `NOT (${conds.join(' OR ')})` }];
  };

  /**
   * The source's other columns that the recipe's custom feature SQL (from this kind of source)
   * names: carried through cleaning beside the standard columns, typed (a number as a double, a
   * time as a timestamp, anything else as text), so `sum(freight_value)` reads the file's column.
   */
  extraColumns = (src: EngineSource, standard: readonly string[]): ExtraColumn[] => {
    const from = src.spec.kind;
    const sql = this.recipe.features
      .flatMap((f) =>
        typeof f === 'object' && f.feature === 'custom' && (f.from ?? 'transactions') === from && f.sql
          ? [f.sql]
          : [],
      )
      .join('\n');
    if (!sql) return [];
    const taken = new Set(standard.map((c) => c.toLowerCase()));
    const roleCols = new Set(Object.values(src.spec.roles));
    return src.columns.flatMap((c) => {
      if (taken.has(c.name.toLowerCase()) || roleCols.has(c.name) || c.name.startsWith('__')) return [];
      const named = new RegExp(
        `(^|[^A-Za-z0-9_])"?${c.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"?($|[^A-Za-z0-9_])`,
        'i',
      );
      if (!named.test(sql)) return [];
      const t = c.type;
      const type: ExtraColumn['type'] =
        COLUMN_TYPES.numeric(t) || COLUMN_TYPES.boolean(t)
          ? 'double'
          : COLUMN_TYPES.temporal(t)
            ? 'timestamp'
            : 'text';
      const expr =
        type === 'double'
          ? this.numberOf(src, c.name)
          : type === 'timestamp'
            ? this.kit.fx.timestamp(this.kit.q(c.name))
            : this.textOf(c.name);
      return [{ name: c.name, type, expr }];
    });
  };

  /** Rows of a source left by its last ledger line. */
  lastRemaining = (src: EngineSource): number =>
    this.ledger.filter((l) => l.source === src.name).at(-1)!.remaining;

  readRows = (src: EngineSource): void => {
    this.ledger.push({ source: src.name, rule: 'rows read', removed: 0, remaining: src.rows });
  };
}

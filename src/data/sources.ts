import type { Recipe, SourceSpec } from '../config/recipe.js';
import { ROLE_NAMES } from '../config/recipe.js';
import { SegmintError, type Warning } from '../core/errors.js';
import { missingColumnError } from '../core/nearest.js';
import { redactUrl } from '../core/redact.js';
import { sqlKit } from '../sql/dialect.js';
import { type Duck, qi } from '../sql/duckdb.js';
import {
  detectFormat,
  loadWhitespaceTable,
  readableFile,
  readError,
  readerSql,
  resolveSourcePath,
  sniffColumns,
} from './read.js';

export interface LoadedSource {
  name: string;
  spec: SourceSpec;
  file: string;
  /** Table holding the raw rows in file order (plus joined columns), with __row = 1-based data row. */
  table: string;
  columns: { name: string; type: string }[];
  rows: number;
  /** Offset from __row to the line number in the file (header and skipped lines). */
  lineOffset: number;
  /**
   * Set when the table was read without keeping the file's row order (faster: DuckDB's parallel
   * reader need not put the rows back in order): the reader's SQL with its values written in, for
   * the rows in file order that only an error naming a line reads.
   */
  fileOrder?: string;
  /** The sheet read, for a workbook (`file` is the workbook). */
  sheet?: string;
  /** The rows with __row (the 1-based data row), and the offset to the file's line number. */
  lines?: { table: string; offset: number };
  /** How much of this source each of its joins matched (in recipe order). */
  joins?: JoinCoverage[];
}

/** What a join matched: the rows of the left source that found a row of the right one. */
export interface JoinCoverage {
  path: string;
  source: string;
  on: Record<string, string>;
  rows: number;
  matched: number;
  /** A few left key values that found no match (as text), for the message. */
  unmatched: string[];
  /** How the keys were compared: as they are, or as id text where their types differ. */
  compared: 'as typed' | 'as id text';
}

/** Under this share of its rows matched, a join is reported (JOIN_PARTIAL); at none, an error. */
export const JOIN_WARN_SHARE = 0.9;

export const joinPartialWarning = (name: string, j: JoinCoverage): Warning => ({
  code: 'JOIN_PARTIAL',
  message: `${j.path}: ${j.matched.toLocaleString('en-US')} of ${j.rows.toLocaleString('en-US')} rows of "${name}" (${((100 * j.matched) / j.rows).toFixed(1)}%) found a row of "${j.source}" on ${Object.entries(
    j.on,
  )
    .map(([l, r]) => `${l} = ${r}`)
    .join(
      ' and ',
    )}${j.compared === 'as id text' ? ' (keys of different types, compared as id text)' : ''}; the others get empty ${j.source} columns. Unmatched values include ${j.unmatched.map((u) => JSON.stringify(u)).join(', ')}.`,
});

/** Every role a source names must be a role of its kind. */
export function checkRoleNames(name: string, spec: SourceSpec): void {
  const roleKeys = Object.keys(spec.roles);
  const allowed: readonly string[] = ROLE_NAMES[spec.kind];
  for (const role of roleKeys) {
    if (!allowed.includes(role)) {
      throw new SegmintError(
        'RECIPE_INVALID',
        `sources.${name}.roles.${role}: "${role}" is not a role of a ${spec.kind} source.`,
        {
          where: { path: `sources.${name}.roles.${role}` },
          hint: allowed.length
            ? `Roles of ${spec.kind} sources: ${allowed.join(', ')}.`
            : 'Lookup sources take no roles; join them onto another source.',
        },
      );
    }
  }
}

/** Every column a role names must be in the source. */
export function checkRoleColumns(
  name: string,
  spec: SourceSpec,
  columns: readonly { name: string }[],
  file: string,
): void {
  for (const [role, col] of Object.entries(spec.roles)) {
    if (!columns.some((c) => c.name === col))
      throw missingColumnError(
        col,
        columns.map((c) => c.name),
        file,
        `sources.${name}.roles.${role}`,
      );
  }
}

const ID_ROLES = new Set(['customer', 'order', 'product', 'session', 'coupon']);

/** Reads one source file into table `src_<name>`. */
async function readSource(
  duck: Duck,
  name: string,
  spec: SourceSpec,
  baseDir: string,
): Promise<LoadedSource> {
  if (spec.postgres) {
    // The PostgreSQL client is loaded only for a recipe that reads from PostgreSQL.
    const [{ readPostgres }, { pgUrl }] = await Promise.all([
      import('./postgres.js'),
      import('../sql/postgres.js'),
    ]);
    const table = `src_${name}`;
    await readPostgres(duck, table, spec.postgres, `sources.${name}.postgres`);
    const columns = await duck.describe(qi(table));
    const rows = Number((await duck.one(`SELECT count(*) AS n FROM ${qi(table)}`)).n);
    const url = pgUrl(spec.postgres.url);
    const file = `postgres:${url ? redactUrl(url) : ''}/${spec.postgres.table ?? '(query)'}`;
    return { name, spec, file, table, columns, rows, lineOffset: 0 };
  }
  if (spec.table)
    throw new SegmintError(
      'ENGINE_UNSUPPORTED',
      `sources.${name}.table: a table source is read inside the recipe's engine, and this step runs in the embedded DuckDB.`,
      {
        where: { path: `sources.${name}.table` },
        hint: 'Set engine: (postgres, clickhouse, or duckdb with engine.database) to run the recipe where the table is; segmint inspect reads files only.',
      },
    );
  const given = resolveSourcePath(spec.path!, baseDir, { path: `sources.${name}.path` });
  // A workbook's sheet is read as the CSV it is written to; messages name the workbook and sheet.
  const readable = await readableFile(given, detectFormat(given, spec.format), spec, `sources.${name}.sheet`);
  const { format } = readable;
  const file = readable.file;
  const shown = readable.sheet !== undefined ? `${given} (sheet "${readable.sheet}")` : given;
  const csvOpts = readable.csv;
  const table = `src_${name}`;
  const cols = await sniffColumns(duck, file, format, csvOpts);
  const colNames = cols.map((c) => c.name);
  const roleKeys = Object.keys(spec.roles);
  checkRoleNames(name, spec);
  const varchar = roleKeys
    .filter((r) => ID_ROLES.has(r))
    .map((r) => spec.roles[r])
    .filter((c) => colNames.includes(c));
  // Only a customers source needs its rows in file order (the first of a repeated id is kept, and
  // `id: row` numbers them); the others are read in any order, and an error that names a line
  // reads the file again in order.
  let fileOrder: string | undefined;
  try {
    if (format === 'csv' && csvOpts?.delimiter === 'whitespace') {
      await loadWhitespaceTable(duck, table, file, csvOpts);
    } else {
      const { sql, params } = readerSql(file, format, csvOpts, varchar);
      const ordered = spec.kind === 'customers';
      if (!ordered) await duck.exec('SET preserve_insertion_order = false');
      try {
        await duck.exec(`CREATE OR REPLACE TABLE ${qi(table)} AS SELECT * FROM ${sql}`, params);
      } finally {
        if (!ordered) await duck.exec('RESET preserve_insertion_order');
      }
      if (!ordered) fileOrder = readerSql(file, format, csvOpts, varchar, true).sql;
    }
  } catch (e) {
    throw readError(e, shown);
  }
  const columns = await duck.describe(qi(table));
  const rows = Number((await duck.one(`SELECT count(*) AS n FROM ${qi(table)}`)).n);
  const header = format === 'csv' && (csvOpts?.header ?? true) ? 1 : 0;
  return {
    name,
    spec,
    file: given,
    ...(readable.sheet !== undefined ? { sheet: readable.sheet } : {}),
    table,
    columns,
    rows,
    lineOffset: header + (csvOpts?.skip ?? 0),
    ...(fileOrder ? { fileOrder } : {}),
  };
}

/** The column that numbers the rows of a source with `id: row` (its customer id). */
export const ROW_ID = 'segmint_row';

/** A source with `id: row` takes the row number as its customer role; said wrong, a coded error. */
function rowIdSource(name: string, src: LoadedSource): LoadedSource {
  if (src.spec.id !== 'row') return src;
  const path = `sources.${name}.id`;
  if (src.spec.kind !== 'customers')
    throw new SegmintError(
      'RECIPE_INVALID',
      `${path}: id: row numbers the rows of a customers source (one row per customer or visit); this source is kind ${src.spec.kind}.`,
      { where: { path }, hint: 'Name the customer column in roles.customer instead.' },
    );
  if (src.spec.roles.customer)
    throw new SegmintError(
      'RECIPE_INVALID',
      `${path}: give either id: row or roles.customer ("${src.spec.roles.customer}"), not both.`,
      { where: { path } },
    );
  return { ...src, spec: { ...src.spec, roles: { ...src.spec.roles, customer: ROW_ID } } };
}

const AGG_SQL: Record<string, (c: string) => string> = {
  sum: (c) => `sum(${c})`,
  count: (c) => `count(${c})`,
  min: (c) => `min(${c})`,
  max: (c) => `max(${c})`,
  mean: (c) => `avg(${c})`,
  countDistinct: (c) => `count(DISTINCT ${c})`,
};

/**
 * The right side of a join: the source itself, or with `aggregate:` a view of it summarised per
 * join key (one row per key, columns <column>_<function>), so a one-to-many child can be joined
 * without repeating the rows it is joined onto.
 */
function joinedSide(
  right: LoadedSource,
  j: SourceSpec['join'][number],
  path: string,
): LoadedSource & { select?: string } {
  if (!j.aggregate) return right;
  const keys = Object.values(j.on);
  const cols = Object.entries(j.aggregate);
  for (const [c] of cols)
    if (!right.columns.some((x) => x.name === c))
      throw missingColumnError(
        c,
        right.columns.map((x) => x.name),
        right.file,
        `${path}.aggregate`,
      );
  const select = `(SELECT ${keys.map(qi).join(', ')}, ${cols.map(([c, f]) => `${AGG_SQL[f](qi(c))} AS ${qi(`${c}_${f}`)}`).join(', ')} FROM ${qi(right.table)} GROUP BY ${keys.map(qi).join(', ')})`;
  return {
    ...right,
    select,
    columns: [
      ...keys.map((k) => right.columns.find((x) => x.name === k) ?? { name: k, type: 'VARCHAR' }),
      ...cols.map(([c, f]) => ({
        name: `${c}_${f}`,
        type: f.startsWith('count')
          ? 'BIGINT'
          : f === 'mean'
            ? 'DOUBLE'
            : right.columns.find((x) => x.name === c)!.type,
      })),
    ],
  };
}

/**
 * Reads every source and applies each source's joins, giving per source the relation the cleaner
 * reads (its table, or a view `data_<name>` of the joined rows) and a view `data_<name>__lines`
 * of the same rows with a `__row` column (the row's position in its own file). A join that multiplies rows (a key
 * not unique on the right side) is an error, since it would silently double revenue.
 */
export async function loadSources(
  duck: Duck,
  recipe: Recipe,
  baseDir: string,
): Promise<Map<string, LoadedSource>> {
  const raw = new Map<string, LoadedSource>();
  for (const [name, spec] of Object.entries(recipe.sources))
    raw.set(name, await readSource(duck, name, spec, baseDir));
  const out = new Map<string, LoadedSource>();
  for (const [name, src0] of raw) {
    const src = rowIdSource(name, src0);
    // The rows with __row, their 1-based position in the file: the table's own order where it
    // kept the file's, else the file read again in order (only an error naming a line reads it).
    const numbered = src.fileOrder
      ? `(SELECT *, row_number() OVER () AS __row FROM ${src.fileOrder})`
      : `(SELECT *, rowid + 1 AS __row${src.spec.id === 'row' ? `, CAST(rowid + 1 AS VARCHAR) AS ${qi(ROW_ID)}` : ''} FROM ${qi(src.table)})`;
    let current = numbered;
    let plain = `(SELECT * FROM ${qi(src.table)})`;
    let columns = [...src.columns];
    const coverages: JoinCoverage[] = [];
    for (const [ji, j] of src.spec.join.entries()) {
      const right = joinedSide(raw.get(j.source)!, j, `sources.${name}.join[${ji}]`);
      const path = `sources.${name}.join[${ji}]`;
      const pairs = Object.entries(j.on);
      for (const [l, r] of pairs) {
        if (!columns.some((c) => c.name === l))
          throw missingColumnError(
            l,
            columns.map((c) => c.name),
            src.file,
            `${path}.on`,
          );
        if (!right.columns.some((c) => c.name === r))
          throw missingColumnError(
            r,
            right.columns.map((c) => c.name),
            right.file,
            `${path}.on`,
          );
      }
      const rightKeys = new Set(pairs.map(([, r]) => r));
      const taken = new Set(columns.map((c) => c.name));
      const extra = right.columns
        .filter((c) => !rightKeys.has(c.name))
        .map((c) => {
          const as = taken.has(c.name) ? `${j.source}_${c.name}` : c.name;
          taken.add(as);
          return { from: c.name, as, type: c.type };
        });
      // Keys of one type compare as they are; of different types (an integer key and the same
      // key read as a decimal because one value was written 9e+05) as id text, by the rule ids
      // follow everywhere (a whole number's digits, "13085.0" as 13085, trimmed).
      const { fx } = sqlKit('duckdb');
      let retyped = false;
      const cond = pairs
        .map(([l, r]) => {
          const lt = columns.find((c) => c.name === l)!.type;
          const rt = right.columns.find((c) => c.name === r)!.type;
          if (lt === rt) return `l.${qi(l)} = r.${qi(r)}`;
          retyped = true;
          return `${fx.idOf(`l.${qi(l)}`, lt)} = ${fx.idOf(`r.${qi(r)}`, rt)}`;
        })
        .join(' AND ');
      const dupes = Number(
        (
          await duck.one(
            `SELECT count(*) AS n FROM (SELECT ${pairs.map(([, r]) => qi(r)).join(', ')} FROM ${right.select ?? qi(right.table)} GROUP BY ALL HAVING count(*) > 1)`,
          )
        ).n,
      );
      if (dupes > 0) {
        throw new SegmintError(
          'DATA_JOIN',
          `${path}: ${dupes} key value(s) appear more than once in source "${j.source}", so the join would duplicate rows of "${name}".`,
          {
            where: { file: right.file, path, column: pairs.map(([, r]) => r).join(', ') },
            hint: `"${j.source}" has many rows per key (a one-to-many child, such as payments per order): summarise it per key with aggregate: { <column>: sum } on this join; or join on more columns.`,
          },
        );
      }
      // What the join matches, with a few keys that found nothing: under JOIN_WARN_SHARE a
      // warning (the run goes on), none at all an error (the joined columns would all be empty).
      const probe = `(SELECT DISTINCT ${pairs.map(([, r]) => qi(r)).join(', ')}, 1 AS __segmint_hit FROM ${right.select ?? qi(right.table)})`;
      const leftKey = pairs.map(([l]) => `CAST(l.${qi(l)} AS VARCHAR)`).join(` || ' / ' || `);
      const cov = await duck.one(
        `SELECT count(*) AS n, count(r.__segmint_hit) AS m FROM ${plain} l LEFT JOIN ${probe} r ON ${cond}`,
      );
      const unmatched = (
        await duck.all(
          `SELECT DISTINCT ${leftKey} AS k FROM ${plain} l LEFT JOIN ${probe} r ON ${cond} WHERE r.__segmint_hit IS NULL AND ${pairs.map(([l]) => `l.${qi(l)} IS NOT NULL`).join(' AND ')} ORDER BY k LIMIT 5`,
        )
      ).map((x) => String(x.k));
      const coverage: JoinCoverage = {
        path,
        source: j.source,
        on: j.on,
        rows: Number(cov.n),
        matched: Number(cov.m),
        unmatched,
        compared: retyped ? 'as id text' : 'as typed',
      };
      coverages.push(coverage);
      if (coverage.rows > 0 && coverage.matched === 0)
        throw new SegmintError(
          'DATA_JOIN',
          `${path}: no row of "${name}" found a row of "${j.source}" (${pairs.map(([l, r]) => `${name}.${l} = ${j.source}.${r}`).join(' and ')}); unmatched values include ${unmatched.map((u) => JSON.stringify(u)).join(', ')}.`,
          {
            where: { file: src.file, path: `${path}.on`, column: pairs.map(([l]) => l).join(', ') },
            hint: `Check that the columns hold the same key: compare a few values of ${pairs.map(([l, r]) => `"${l}" and "${r}"`).join(', ')} (segmint inspect shows them), or join on other columns.`,
          },
        );
      const sel = extra.map((c) => `r.${qi(c.from)} AS ${qi(c.as)}`).join(', ');
      const joined = (left: string) =>
        `(SELECT l.*${sel ? `, ${sel}` : ''} FROM ${left} l ${j.how === 'inner' ? 'INNER' : 'LEFT'} JOIN ${right.select ?? qi(right.table)} r ON ${cond})`;
      current = joined(current);
      plain = joined(plain);
      columns = [...columns, ...extra.map((c) => ({ name: c.as, type: c.type }))];
    }
    // The rows as the cleaner reads them (the file's table itself where nothing is joined), and
    // the same with __row, for an error that names a line.
    const lines = `data_${name}__lines`;
    await duck.exec(`CREATE OR REPLACE VIEW ${qi(lines)} AS SELECT * FROM ${current}`);
    let view = src.table;
    if (src.spec.join.length || src.spec.id === 'row') {
      view = `data_${name}`;
      await duck.exec(
        src.fileOrder
          ? `CREATE OR REPLACE VIEW ${qi(view)} AS SELECT * FROM ${plain}`
          : `CREATE OR REPLACE VIEW ${qi(view)} AS SELECT * EXCLUDE (__row) FROM ${qi(lines)}`,
      );
    }
    const rows = src.spec.join.length
      ? Number((await duck.one(`SELECT count(*) AS n FROM ${qi(view)}`)).n)
      : src.rows;
    if (src.spec.id === 'row') columns = [{ name: ROW_ID, type: 'VARCHAR' }, ...columns];
    out.set(name, {
      ...src,
      table: view,
      columns,
      rows,
      lines: { table: lines, offset: src.lineOffset },
      ...(coverages.length ? { joins: coverages } : {}),
    });
    checkRoleColumns(name, src.spec, columns, src.file);
  }
  return out;
}

import { SegmintError } from '../core/errors.js';
import { type Dialect, sqlKit, tableRef } from './dialect.js';

export type Row = Record<string, unknown>;
/** Named parameters: `$name` in the SQL. */
export type EngineParams = Record<string, string | number>;

/**
 * What the SQL code needs of a database: run a query with named parameters (`$name`) and get plain
 * rows, run a statement. The feature builder, the in-engine prep and k-means, the quantiles and the
 * inspectors take this; an Engine is one.
 */
export interface Queryable {
  dialect: Dialect;
  all(sql: string, params?: EngineParams): Promise<Row[]>;
  exec(sql: string, params?: EngineParams): Promise<void>;
}

/**
 * One interface over the databases segmint pushes work down to. `all` and `exec` take named
 * parameters (`$name`): DuckDB and PostgreSQL bind them; ClickHouse 18 has no server-side
 * parameters, so they become literals escaped by the dialect's own rules there.
 */
export interface Engine extends Queryable {
  /** Rows one at a time, without holding the result. */
  stream(sql: string, params?: EngineParams): AsyncIterable<Row>;
  /** Columns of a table (or view) with the engine's type names, in table order. */
  describe(table: string): Promise<{ name: string; type: string }[]>;
  createTable(name: string, columns: EngineColumn[]): Promise<void>;
  insert(name: string, rows: Row[]): Promise<void>;
  /** Stops the statements running now (they fail); used when a run is cancelled. */
  cancel(): Promise<void>;
  close(): Promise<void>;
}

/** Throws CANCELLED once `signal` is aborted; `what` says what was stopped and where. */
export function checkAbort(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted) throw new SegmintError('CANCELLED', `${what} was cancelled.`);
}

/**
 * Ties a signal to an engine: aborting cancels the statement running in the engine. Returns the
 * function that unties them.
 */
export function cancelOnAbort(engine: Engine, signal: AbortSignal | undefined): () => void {
  if (!signal) return () => {};
  const onAbort = () => void engine.cancel().catch(() => {});
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/**
 * Replaces `$name` placeholders outside quoted text and identifiers, by `render(name)`; names not
 * in `params` are left alone.
 */
export function bindNamed(sql: string, params: EngineParams, render: (name: string) => string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"' || c === '`') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === '\\' && c === "'") j += 2;
        else if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
    } else if (c === '$') {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1));
      if (m && Object.hasOwn(params, m[0])) {
        out += render(m[0]);
        i += 1 + m[0].length;
      } else {
        out += c;
        i++;
      }
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** A column of a table segmint creates in an engine; columns hold NULL unless `notNull`. */
export interface EngineColumn {
  name: string;
  /** `exact`: the dialect's exact decimal (partial sums). */
  type: 'double' | 'text' | 'timestamp' | 'boolean' | 'exact';
  notNull?: boolean;
}

/** CREATE TABLE for `columns` in a dialect (ClickHouse columns are declared Nullable where needed). */
export function createTableSql(
  name: string,
  columns: EngineColumn[],
  dialect: Dialect,
  options: { temporary?: boolean } = {},
): string {
  const kit = sqlKit(dialect);
  const cols = columns.map((c) => {
    const t = c.type === 'double' ? kit.d.double : c.type === 'text' ? kit.d.text : kit.d[c.type];
    return `${kit.q(c.name)} ${c.notNull ? (dialect === 'clickhouse' ? t : `${t} NOT NULL`) : kit.fx.nullable(t)}`;
  });
  return `CREATE ${options.temporary ? 'TEMPORARY ' : ''}TABLE ${tableRef(name, dialect)} (${cols.join(', ')})${options.temporary ? '' : kit.d.createSuffix}`;
}

/**
 * INSERT statements for `rows` with every value a bound parameter ($v0, $v1, ...), in batches of at
 * most 30,000 values (PostgreSQL takes 65,535 per statement). Non-finite numbers go as NULL.
 */
export function insertBatches(
  name: string,
  rows: Row[],
  dialect: Dialect,
): { sql: string; params: EngineParams }[] {
  const kit = sqlKit(dialect);
  const cols = Object.keys(rows[0]);
  const perBatch = Math.max(1, Math.floor(30_000 / cols.length));
  const out: { sql: string; params: EngineParams }[] = [];
  for (let start = 0; start < rows.length; start += perBatch) {
    const params: EngineParams = {};
    let k = 0;
    const tuples = rows.slice(start, start + perBatch).map((r) => {
      const ph = cols.map((c) => {
        const v = r[c];
        if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return 'NULL';
        const key = `v${k++}`;
        params[key] = typeof v === 'number' ? v : String(v);
        return `$${key}`;
      });
      return `(${ph.join(', ')})`;
    });
    out.push({
      sql: `INSERT INTO ${tableRef(name, dialect)} (${cols.map(kit.q).join(', ')}) VALUES ${tuples.join(', ')}`,
      params,
    });
  }
  return out;
}

/** The engine, printing every statement with its time when SEGMINT_DEBUG=sql. */
export const debugged = (engine: Engine): Engine =>
  process.env.SEGMINT_DEBUG === 'sql' ? traced(engine) : engine;

/**
 * An engine that writes every statement it runs, with its time in ms, to stderr
 * (SEGMINT_DEBUG=sql): for finding the slow query of a run.
 */
export function traced(engine: Engine): Engine {
  const time =
    <A extends unknown[], R>(f: (...a: A) => Promise<R>) =>
    async (...a: A): Promise<R> => {
      const t = performance.now();
      try {
        return await f(...a);
      } finally {
        process.stderr.write(
          `[segmint sql ${engine.dialect} ${(performance.now() - t).toFixed(0)} ms] ${String(a[0]).replace(/\s+/g, ' ')}\n`,
        );
      }
    };
  return { ...engine, all: time(engine.all), exec: time(engine.exec) };
}

import { randomUUID } from 'node:crypto';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import pg from 'pg';
import Cursor from 'pg-cursor';
import type { ENGINE_NAMES } from '../config/recipe.js';
import { databaseError } from '../core/db-errors.js';
import { SegmintError } from '../core/errors.js';
import type { Duck } from '../data/duck.js';
import { pgConnect, redactUrl } from '../data/postgres.js';
import { type Dialect, replaceTableSql, sqlKit } from '../model/sql.js';

export type Row = Record<string, unknown>;
/** Named parameters: `$name` in the SQL. */
export type EngineParams = Record<string, string | number>;

/**
 * One interface over the databases segmint pushes work down to. `all` and `exec` take named
 * parameters (`$name`): DuckDB and PostgreSQL bind them; ClickHouse 18 has no server-side
 * parameters, so they become literals escaped by the dialect's own rules there.
 */
export interface Engine {
  dialect: Dialect;
  all(sql: string, params?: EngineParams): Promise<Row[]>;
  exec(sql: string, params?: EngineParams): Promise<void>;
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

const tableRef = (name: string, dialect: Dialect) => name.split('.').map(sqlKit(dialect).q).join('.');

/** A column of a table segmint creates in an engine; columns hold NULL unless `notNull`. */
export interface EngineColumn {
  name: string;
  type: 'double' | 'text' | 'timestamp' | 'boolean';
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
function insertBatches(name: string, rows: Row[], dialect: Dialect): { sql: string; params: EngineParams }[] {
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

/** The embedded DuckDB as an engine; its errors already carry the failing SQL. */
export function duckdbEngine(duck: Duck): Engine {
  return {
    dialect: 'duckdb',
    all: (sql, params) => duck.all(sql, params),
    exec: (sql, params) => duck.exec(sql, params),
    stream: (sql, params) => duck.stream(sql, params),
    describe: (table) => duck.describe(tableRef(table, 'duckdb')),
    createTable: (name, columns) => duck.exec(createTableSql(name, columns, 'duckdb')),
    insert: async (name, rows) => {
      if (rows.length) for (const b of insertBatches(name, rows, 'duckdb')) await duck.exec(b.sql, b.params);
    },
    cancel: async () => duck.con.interrupt(),
    close: async () => {},
  };
}

/**
 * A connected PostgreSQL client as an engine. JIT compilation is switched off for the session on
 * first use (it costs more than it saves on these wide, literal-heavy queries); an error comes back
 * as DB_ERROR with PostgreSQL's message and the SQL that failed.
 */
const PgClient = pg.Client;
/** Rows per page when streaming from PostgreSQL. */
const STREAM_PAGE = 10_000;

export function postgresEngine(client: pg.ClientBase, close: () => Promise<void> = async () => {}): Engine {
  let ready: Promise<unknown> | null = null;
  /** Named parameters to PostgreSQL's positional ones. */
  const bind = (sql: string, params?: EngineParams) => {
    const values: (string | number)[] = [];
    const order = new Map<string, number>();
    const text = params
      ? bindNamed(sql, params, (n) => {
          if (!order.has(n)) {
            values.push(params[n]);
            order.set(n, values.length);
          }
          return `$${order.get(n)}`;
        })
      : sql;
    return { text, values };
  };
  const query = async (sql: string, params?: EngineParams) => {
    ready ??= client.query('SET jit = off').catch(() => {});
    await ready;
    const { text, values } = bind(sql, params);
    try {
      return await client.query(text, values);
    } catch (e) {
      throw databaseError('PostgreSQL', e, { sql });
    }
  };
  return {
    dialect: 'postgres',
    all: async (sql, params) => (await query(sql, params)).rows,
    exec: async (sql, params) => {
      await query(sql, params);
    },
    // A server-side cursor read in pages: the client holds one page, however many rows there are.
    async *stream(sql, params) {
      ready ??= client.query('SET jit = off').catch(() => {});
      await ready;
      const { text, values } = bind(sql, params);
      const cursor = client.query(new Cursor(text, values));
      try {
        for (;;) {
          let rows: Row[];
          try {
            rows = await cursor.read(STREAM_PAGE);
          } catch (e) {
            throw databaseError('PostgreSQL', e, { sql });
          }
          if (!rows.length) break;
          yield* rows;
        }
      } finally {
        await cursor.close().catch(() => {});
      }
    },
    describe: async (table) => {
      const parts = table.split('.');
      const rows = (
        await query(
          `SELECT column_name AS name, data_type AS type FROM information_schema.columns
           WHERE table_name = $t AND table_schema = ${parts.length > 1 ? '$s' : 'current_schema()'}
           ORDER BY ordinal_position`,
          { t: parts[parts.length - 1], ...(parts.length > 1 ? { s: parts[0] } : {}) },
        )
      ).rows;
      return rows.map((r) => ({ name: String(r.name), type: String(r.type) }));
    },
    createTable: async (name, columns) => {
      await query(createTableSql(name, columns, 'postgres'));
    },
    insert: async (name, rows) => {
      if (rows.length) for (const b of insertBatches(name, rows, 'postgres')) await query(b.sql, b.params);
    },
    // A second connection asks the server to cancel this session's running statement.
    cancel: async () => {
      const pid = (client as unknown as { processID: number | null }).processID;
      if (pid === null) return;
      const params = (client as unknown as { connectionParameters: pg.ClientConfig }).connectionParameters;
      const other = new PgClient(params);
      try {
        await other.connect();
        await other.query('SELECT pg_cancel_backend($1)', [pid]);
      } finally {
        await other.end().catch(() => {});
      }
    },
    close,
  };
}

/** Connects to PostgreSQL (url, else SEGMINT_PG_URL / DATABASE_URL / PG* variables) as an engine. */
export async function connectPostgres(url: string | undefined, where = 'engine.url'): Promise<Engine> {
  const client = await pgConnect(url, where);
  return postgresEngine(client, () => client.end());
}

/** The ClickHouse URL from the recipe, else SEGMINT_CLICKHOUSE_URL, else the local default. */
export function clickhouseUrl(url: string | undefined): string {
  return url ?? process.env.SEGMINT_CLICKHOUSE_URL ?? 'http://127.0.0.1:8123';
}

/**
 * A ClickHouse server (single node, or the node that receives queries for a cluster's
 * Distributed tables) through the official client over HTTP; works with servers from 18.16 on.
 * Outer joins fill unmatched columns with NULL (join_use_nulls), as in the other engines. User and
 * password may be in the URL; they never appear in messages.
 */
export function clickhouseEngine(url: string, options: { database?: string | undefined } = {}): Engine {
  const u = new URL(url);
  const username = decodeURIComponent(u.username) || undefined;
  const password = decodeURIComponent(u.password) || undefined;
  u.username = '';
  u.password = '';
  const client = createClient({
    url: u.toString().replace(/\/$/, ''),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    ...(options.database ? { database: options.database } : {}),
    clickhouse_settings: { join_use_nulls: 1 },
    log: { level: ClickHouseLogLevel.OFF },
  });
  const kit = sqlKit('clickhouse');
  const text = (sql: string, params?: EngineParams) =>
    params
      ? bindNamed(sql, params, (n) =>
          typeof params[n] === 'number' ? kit.num(params[n] as number) : kit.str(String(params[n])),
        )
      : sql;
  const fail = (e: unknown, sql: string): never => {
    const msg = (e as Error).message;
    if (
      /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|socket hang up/.test(msg) ||
      (e as { code?: string }).code === 'ECONNREFUSED'
    )
      throw new SegmintError('DB_ERROR', `Cannot reach ClickHouse at ${redactUrl(url)}: ${msg}`, {
        hint: 'Check engine.url (http://user:password@host:8123) or SEGMINT_CLICKHOUSE_URL; the HTTP interface must be reachable from here.',
      });
    throw databaseError('ClickHouse', e, { sql });
  };
  // Statements running now, by query id, so that cancel() can stop them on the server too.
  const running = new Map<string, AbortController>();
  const tracked = async <T>(
    q: string,
    f: (id: { query_id: string; abort_signal: AbortSignal }) => Promise<T>,
  ) => {
    const query_id = randomUUID();
    const ac = new AbortController();
    running.set(query_id, ac);
    try {
      return await f({ query_id, abort_signal: ac.signal });
    } catch (e) {
      return fail(e, q);
    } finally {
      running.delete(query_id);
    }
  };
  const all = (sql: string, params?: EngineParams): Promise<Row[]> => {
    const q = text(sql, params);
    return tracked(
      q,
      async (id) => (await (await client.query({ query: q, format: 'JSONEachRow', ...id })).json()) as Row[],
    );
  };
  const command = (q: string) => tracked(q, (id) => client.command({ query: q, ...id }));
  return {
    dialect: 'clickhouse',
    all,
    exec: async (sql, params) => {
      await command(text(sql, params));
    },
    async *stream(sql, params) {
      const q = text(sql, params);
      const rs = await tracked(q, (id) => client.query({ query: q, format: 'JSONEachRow', ...id }));
      for await (const rows of rs.stream()) for (const r of rows) yield r.json() as Row;
    },
    describe: async (table) =>
      (await all(`DESCRIBE TABLE ${tableRef(table, 'clickhouse')}`)).map((r) => ({
        name: String(r.name),
        type: String(r.type),
      })),
    createTable: async (name, columns) => {
      await command(createTableSql(name, columns, 'clickhouse'));
    },
    insert: async (name, rows) => {
      if (!rows.length) return;
      await tracked(`INSERT INTO ${name}`, (id) =>
        client.insert({ table: name, values: rows, format: 'JSONEachRow', ...id }),
      );
    },
    cancel: async () => {
      const ids = [...running.keys()];
      for (const ac of running.values()) ac.abort();
      for (const id of ids)
        await client.command({ query: `KILL QUERY WHERE query_id = ${kit.str(id)} ASYNC` }).catch(() => {});
    },
    close: () => client.close(),
  };
}

export type EngineType = (typeof ENGINE_NAMES)[number];

/** Where an engine is: its type, the URL of a server, or the file of an embedded DuckDB database. */
export interface EngineTarget {
  type: EngineType;
  url?: string | undefined;
  /** DuckDB: the database file; ClickHouse: the database (default: the user's default). */
  database?: string | undefined;
}

/**
 * Opens the engine a recipe or command line names. `where` is the config path or flag quoted in
 * errors. An embedded DuckDB opens the file read-write (it is where the features table goes).
 */
export async function openEngine(target: EngineTarget, where = 'engine'): Promise<Engine> {
  return debugged(await connect(target, where));
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
          `[segmint sql ${engine.dialect} ${(performance.now() - t).toFixed(0)} ms] ${String(a[0]).replace(/\s+/g, ' ').slice(0, 400)}\n`,
        );
      }
    };
  return { ...engine, all: time(engine.all), exec: time(engine.exec) };
}

async function connect(target: EngineTarget, where: string): Promise<Engine> {
  if (target.type === 'duckdb') {
    if (!target.database)
      throw new SegmintError(
        'USAGE',
        `${where}: a DuckDB engine needs the database file that holds the tables.`,
        {
          where: { path: `${where}.database` },
          hint: 'Give engine.database (or --database) the path of a .duckdb file.',
        },
      );
    const { Duck } = await import('../data/duck.js');
    const duck = await Duck.open(target.database, undefined, { shared: true });
    return { ...duckdbEngine(duck), close: async () => duck.close() };
  }
  if (target.type === 'postgres') return connectPostgres(target.url, `${where}.url`);
  if (target.type === 'clickhouse') {
    const engine = clickhouseEngine(clickhouseUrl(target.url), { database: target.database });
    try {
      await engine.all('SELECT 1 AS ok');
    } catch (e) {
      await engine.close();
      throw e;
    }
    return engine;
  }
  throw new SegmintError(
    'USAGE',
    `${where}: the engine must be duckdb, postgres or clickhouse, not "${target.type}".`,
    {
      where: { path: where },
    },
  );
}

/**
 * Runs the statements that replace a table: in one transaction where the engine has transactional
 * DDL (DuckDB, PostgreSQL), so a failure changes nothing; elsewhere (ClickHouse) staged and renamed,
 * so a failure leaves the last good table.
 */
async function swap(engine: Engine, steps: string[], params?: EngineParams): Promise<void> {
  const tx = sqlKit(engine.dialect).d.transactionalDdl;
  if (tx) await engine.exec('BEGIN TRANSACTION');
  try {
    for (const sql of steps) await engine.exec(sql, params);
    if (tx) await engine.exec('COMMIT');
  } catch (e) {
    if (tx) await engine.exec('ROLLBACK').catch(() => {});
    throw e;
  }
}

/**
 * Replaces table `name` in the engine by the rows of `select` (with bound parameters): a typed
 * staging table is filled by INSERT ... SELECT (PostgreSQL takes no parameters in CREATE TABLE AS),
 * then swapped in.
 */
export async function replaceTable(
  engine: Engine,
  name: string,
  columns: EngineColumn[],
  select: string,
  params?: EngineParams,
): Promise<void> {
  const kit = sqlKit(engine.dialect);
  await swap(
    engine,
    replaceTableSql(name, select, engine.dialect, (staging) => [
      createTableSql(staging, columns, engine.dialect),
      `INSERT INTO ${staging.split('.').map(kit.q).join('.')} (${columns.map((c) => kit.q(c.name)).join(', ')}) ${select}`,
    ]),
    params,
  );
}

/** Replaces table `name` by CREATE TABLE AS `select` (no parameters), staged and swapped in; returns its rows. */
export async function replaceTableAs(engine: Engine, name: string, select: string): Promise<number> {
  await swap(engine, replaceTableSql(name, select, engine.dialect));
  return Number((await engine.all(`SELECT count(*) AS n FROM ${tableRef(name, engine.dialect)}`))[0].n);
}

/**
 * Interpolated quantiles (numpy's default, DuckDB's quantile_cont, PostgreSQL's percentile_cont)
 * of expressions over `from`, computed in the engine: in one query where the dialect has them;
 * otherwise (ClickHouse 18) from the two order statistics around (n - 1) p, interpolated here.
 * Null where an expression has no values.
 */
export async function engineQuantiles(
  engine: Pick<Engine, 'dialect' | 'all'>,
  from: string,
  items: { expr: string; p: number }[],
  params?: EngineParams,
): Promise<(number | null)[]> {
  if (!items.length) return [];
  const d = sqlKit(engine.dialect).d;
  const one = async (cols: string[]) =>
    (await engine.all(`SELECT ${cols.join(', ')} FROM ${from}`, params))[0] ?? {};
  if (d.quantile('x', 0.5) !== null) {
    const r = await one(items.map((it, i) => `${d.quantile(it.expr, it.p)} AS q${i}`));
    return items.map((_, i) => (r[`q${i}`] === null || r[`q${i}`] === undefined ? null : Number(r[`q${i}`])));
  }
  const stat = d.orderStatistic;
  if (!stat)
    throw new SegmintError(
      'ENGINE_UNSUPPORTED',
      `${engine.dialect} has no quantile segmint can compute exactly.`,
    );
  const counts = await one(items.map((it, i) => `count(${it.expr}) AS n${i}`));
  const cols: string[] = [];
  const at = items.map((it, i) => {
    const n = Number(counts[`n${i}`] ?? 0);
    if (!n) return null;
    const h = (n - 1) * it.p;
    const lo = Math.floor(h);
    const hi = Math.ceil(h);
    cols.push(`${stat(it.expr, (lo + 0.5) / n)} AS lo${i}`, `${stat(it.expr, (hi + 0.5) / n)} AS hi${i}`);
    return h - lo;
  });
  const r = cols.length ? await one(cols) : {};
  return at.map((frac, i) => {
    if (frac === null) return null;
    const lo = Number(r[`lo${i}`]);
    return lo + frac * (Number(r[`hi${i}`]) - lo);
  });
}

/**
 * Replaces table `name` in the engine by `rows` (typed `columns`), staged and swapped in, in one
 * transaction where the engine's DDL is transactional: a failure leaves the last good table.
 */
export async function replaceTableWithRows(
  engine: Engine,
  name: string,
  columns: EngineColumn[],
  rows: Row[],
): Promise<void> {
  const d = sqlKit(engine.dialect).d;
  let staging = '';
  const steps = replaceTableSql(name, '', engine.dialect, (at) => {
    staging = at;
    return [createTableSql(at, columns, engine.dialect)];
  });
  if (d.transactionalDdl) await engine.exec('BEGIN TRANSACTION');
  try {
    await engine.exec(steps[0]);
    await engine.exec(steps[1]);
    for (let i = 0; i < rows.length; i += 10_000) await engine.insert(staging, rows.slice(i, i + 10_000));
    for (const sql of steps.slice(2)) await engine.exec(sql);
    if (d.transactionalDdl) await engine.exec('COMMIT');
  } catch (e) {
    if (d.transactionalDdl) await engine.exec('ROLLBACK').catch(() => {});
    throw e;
  }
}

/**
 * Writes the rows of a DuckDB query into table `table` of an engine, replacing it atomically
 * (replaceTableWithRows): numbers as doubles, the rest as text. `where` names the recipe key in
 * errors. Returns the number of rows.
 */
export async function writeQueryToEngine(
  duck: Duck,
  query: string,
  engine: Engine,
  table: string,
  where: string,
): Promise<number> {
  const r = await duck.columns(query);
  const n = r.values[0]?.length ?? 0;
  const columns: EngineColumn[] = r.names.map((name, j) => ({
    name,
    type: /DOUBLE|INT|FLOAT|DECIMAL/.test(r.types[j]) ? 'double' : 'text',
  }));
  const rows: Row[] = Array.from({ length: n }, (_, i) =>
    Object.fromEntries(r.names.map((name, j) => [name, r.values[j][i] ?? null])),
  );
  try {
    await replaceTableWithRows(engine, table, columns, rows);
  } catch (e) {
    throw new SegmintError(
      'DB_ERROR',
      `${engine.dialect}: writing ${table} failed, the previous table is unchanged: ${(e as Error).message.replace(/^(PostgreSQL|ClickHouse): /, '')}`,
      { where: { path: where }, ...(e instanceof SegmintError && e.details ? { details: e.details } : {}) },
    );
  }
  return n;
}

import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { type DuckDBConnection, DuckDBInstance, type DuckDBValue } from '@duckdb/node-api';
import { databaseError } from '../core/db-errors.js';
import { SegmintError } from '../core/errors.js';
import { COLUMN_TYPES, sqlKit, tableRef } from './dialect.js';
import { createTableSql, type Engine, insertBatches, type Row } from './query.js';

export type Params = Record<string, DuckDBValue>;

const kit = sqlKit('duckdb');
/** Quotes an identifier from config for DuckDB. */
export const qi: (name: string) => string = kit.q;
/** A SQL string literal; only for values that cannot be bound (e.g. DDL). Prefer parameters. */
export const qs: (value: string) => string = kit.str;

/** Keeps only the parameters the SQL names ($name), since binding an unused one is an error. */
function usedParams(sql: string, params?: Params): Params | undefined {
  if (!params) return undefined;
  const out: Params = {};
  let any = false;
  for (const [k, v] of Object.entries(params)) {
    if (new RegExp(`\\$${k}\\b`).test(sql)) {
      out[k] = v;
      any = true;
    }
  }
  return any ? out : undefined;
}

/** Converts BigInt and DuckDB value objects to plain JSON-able JS values. */
function plain(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  return v;
}

/**
 * Instances of database files that Ducks of this process share, by path, with how many Ducks use
 * each. DuckDB's own instance cache keeps a file open for the life of the process, so a long-running
 * `segmint serve` held its engine file locked against every other process between runs; here the
 * last Duck to close closes the instance and the file is free again.
 */
const sharedInstances = new Map<string, { instance: Promise<DuckDBInstance>; users: number }>();

/** How many database files this process holds open for shared Ducks (tests). */
export const sharedFilesOpen = (): number => sharedInstances.size;

/**
 * One embedded DuckDB database and connection. The only place that talks to DuckDB's API, so the
 * rest of the code deals in SQL text, bound parameters and plain rows.
 */
/** DuckDB's memory limit for an in-memory database when SEGMINT_MEMORY_LIMIT is unset: a sixth of the machine's memory, at least 1 GB. */
export function defaultMemoryLimit(total = totalmem()): string {
  return `${Math.max(1024, Math.floor(total / 6 / 2 ** 20))}MiB`;
}

export class Duck {
  private closed = false;
  private constructor(
    private readonly instance: DuckDBInstance,
    readonly con: DuckDBConnection,
    /** The key of a shared instance of a database file, which other Ducks may still use. */
    private readonly sharedKey: string | null = null,
    /** Where this in-memory database spills (removed at close). */
    private readonly spillDir: string | null = null,
  ) {}

  static async open(path = ':memory:', threads?: number, options: { shared?: boolean } = {}): Promise<Duck> {
    const opts: Record<string, string> = {
      autoinstall_known_extensions: 'false',
      autoload_known_extensions: 'true',
    };
    if (threads) opts.threads = String(threads);
    // Larger than memory spills to disk: into a folder of this process under the system's
    // temporary directory (DuckDB's default, ./.tmp, would write into the user's working folder,
    // which may be read-only), removed at close. SEGMINT_MEMORY_LIMIT caps DuckDB's memory (a
    // DuckDB size such as 8GB); by default an in-memory database takes a sixth of the machine's
    // memory (at least 1 GB), not DuckDB's 80%: the run's own arrays need the rest, and a run
    // larger than that spills instead of taking the machine (measured at 100M lines: bench/RESULTS.md).
    const spill =
      path === ':memory:'
        ? join(tmpdir(), `segmint-duckdb-${process.pid}-${randomBytes(4).toString('hex')}`)
        : null;
    if (spill) {
      opts.temp_directory = spill;
      opts.memory_limit = defaultMemoryLimit();
    }
    if (process.env.SEGMINT_MEMORY_LIMIT) opts.memory_limit = process.env.SEGMINT_MEMORY_LIMIT;
    // An engine's database file is opened once per process while any Duck uses it, and shared (two
    // instances on one file would not see each other's writes); each Duck has its own connection,
    // and the last to close closes the file. Other files (the run history) are opened and closed.
    // Keyed by path alone: the first Duck's settings hold for the file while it is open.
    const key = options.shared === true && path !== ':memory:' ? resolve(path) : null;
    let instance: DuckDBInstance;
    try {
      if (key) {
        let entry = sharedInstances.get(key);
        if (!entry) {
          entry = { instance: DuckDBInstance.create(path, opts), users: 0 };
          sharedInstances.set(key, entry);
          const mine = entry;
          mine.instance.catch(() => {
            if (sharedInstances.get(key) === mine) sharedInstances.delete(key);
          });
        }
        entry.users++;
        try {
          instance = await entry.instance;
        } catch (e) {
          entry.users--;
          throw e;
        }
      } else instance = await DuckDBInstance.create(path, opts);
    } catch (e) {
      const msg = (e as Error).message ?? String(e);
      if (opts.memory_limit && /memory|config/i.test(msg))
        throw new SegmintError(
          'USAGE',
          `SEGMINT_MEMORY_LIMIT="${opts.memory_limit}" is not a memory size DuckDB reads.`,
          {
            hint: 'Give a size with its unit, such as 8GB or 512MB, or unset it (segmint then gives DuckDB a sixth of the memory, at least 1 GB).',
            cause: e,
          },
        );
      throw new SegmintError('DATA_READ', `Cannot open the DuckDB database ${path}: ${msg.split('\n')[0]}`, {
        where: { file: path },
        hint: /not a valid DuckDB database/i.test(msg)
          ? 'The file is not a DuckDB database (another format, or damaged): point engine.database at a .duckdb file DuckDB wrote, or at a new name to create one.'
          : /lock/i.test(msg)
            ? 'Another process holds the database open for writing; close it, or work on a copy.'
            : 'Check that the path is a DuckDB database file this user can read and write.',
        cause: e,
      });
    }
    const con = await instance.connect();
    return new Duck(instance, con, key, spill);
  }

  /** Runs a statement; DuckDB errors become DB_ERROR with the failing SQL in details. */
  async exec(sql: string, params?: Params): Promise<void> {
    try {
      await this.con.run(sql, usedParams(sql, params));
    } catch (e) {
      throw dbError(e, sql);
    }
  }

  /** Runs a query and returns rows as plain objects (BIGINT -> number). */
  async all(sql: string, params?: Params): Promise<Row[]> {
    try {
      const r = await this.con.runAndReadAll(sql, usedParams(sql, params));
      const rows = r.getRowObjectsJS() as Row[];
      for (const row of rows) for (const k of Object.keys(row)) row[k] = plain(row[k]);
      return rows;
    } catch (e) {
      throw dbError(e, sql);
    }
  }

  /** Runs a query and yields its rows chunk by chunk (as `all` converts them), without holding the result. */
  async *stream(sql: string, params?: Params): AsyncGenerator<Row> {
    let result: Awaited<ReturnType<DuckDBConnection['stream']>>;
    try {
      result = await this.con.stream(sql, usedParams(sql, params));
    } catch (e) {
      throw dbError(e, sql);
    }
    for await (const rows of result.yieldRowObjectJs())
      for (const row of rows as Row[]) {
        for (const k of Object.keys(row)) row[k] = plain(row[k]);
        yield row;
      }
  }

  async one(sql: string, params?: Params): Promise<Row> {
    const rows = await this.all(sql, params);
    return rows[0] ?? {};
  }

  /** Column names and types of a query or table. */
  async describe(sqlOrTable: string): Promise<{ name: string; type: string }[]> {
    const rows = await this.all(`DESCRIBE ${sqlOrTable}`);
    return rows.map((r) => ({ name: String(r.column_name), type: String(r.column_type) }));
  }

  /** Reads a query's columns: numeric ones as Float64Array (NULL -> NaN), others as string|null arrays. */
  async columns(
    sql: string,
    params?: Params,
  ): Promise<{ names: string[]; types: string[]; values: (Float64Array | (string | null)[])[] }> {
    try {
      const r = await this.con.runAndReadAll(sql, usedParams(sql, params));
      const names = r.columnNames();
      const types = r.columnTypes().map(String);
      const cols = r.getColumnsJS();
      const values = cols.map((col, j) => {
        if (COLUMN_TYPES.numeric(types[j])) {
          const out = new Float64Array(col.length);
          for (let i = 0; i < col.length; i++) {
            const v = col[i];
            out[i] = v === null || v === undefined ? Number.NaN : Number(v);
          }
          return out;
        }
        return col.map((v) => (v === null || v === undefined ? null : String(v)));
      });
      return { names, types, values };
    } catch (e) {
      throw dbError(e, sql);
    }
  }

  /**
   * Creates table `name` and fills it from columns of JS values with DuckDB's appender.
   * Column types: VARCHAR (string|null), INTEGER (Int32Array) or DOUBLE (Float64Array, NaN -> NULL).
   */
  async createFromColumns(
    name: string,
    cols: {
      name: string;
      type: 'VARCHAR' | 'INTEGER' | 'DOUBLE';
      values: ArrayLike<string | number | null>;
    }[],
  ): Promise<void> {
    await this.exec(
      `CREATE OR REPLACE TABLE ${qi(name)} (${cols.map((c) => `${qi(c.name)} ${c.type}`).join(', ')})`,
    );
    const n = cols.length ? cols[0].values.length : 0;
    const app = await this.con.createAppender(name);
    try {
      for (let i = 0; i < n; i++) {
        for (const c of cols) {
          const v = c.values[i];
          if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) app.appendNull();
          else if (c.type === 'VARCHAR') app.appendVarchar(String(v));
          else if (c.type === 'INTEGER') app.appendInteger(Number(v));
          else app.appendDouble(Number(v));
        }
        app.endRow();
      }
      app.flushSync();
    } finally {
      app.closeSync();
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.con.closeSync();
    } catch {
      /* already closed */
    }
    if (this.sharedKey) {
      const entry = sharedInstances.get(this.sharedKey);
      if (entry && --entry.users > 0) return;
      sharedInstances.delete(this.sharedKey);
    }
    try {
      this.instance.closeSync();
    } catch {
      /* already closed */
    }
    if (this.spillDir) rmSync(this.spillDir, { recursive: true, force: true });
  }
}

export function dbError(e: unknown, sql: string): SegmintError {
  return databaseError('DuckDB', e, { sql });
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

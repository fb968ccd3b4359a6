import pg from 'pg';
import Cursor from 'pg-cursor';
import { databaseError } from '../core/db-errors.js';
import { SegmintError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { tableRef } from './dialect.js';
import {
  bindNamed,
  createTableSql,
  type Engine,
  type EngineParams,
  insertBatches,
  type Row,
} from './query.js';

/** The connection URL from the recipe, else SEGMINT_PG_URL or DATABASE_URL; libpq's PG* variables fill the rest. */
export function pgUrl(url: string | undefined): string | undefined {
  return url ?? process.env.SEGMINT_PG_URL ?? process.env.DATABASE_URL;
}

/**
 * A libpq keyword/value connection string (`host=h port=5432 dbname=shop user=u password='a b'`)
 * as the client's settings, parsed whole (pg reads a string without `://` as a URL relative to a
 * made-up host, so the host became "base"). Values may be single-quoted with `\'` and `\\`
 * escapes; an unknown keyword is a usage error naming it.
 */
export function parseLibpq(text: string): pg.ClientConfig {
  const out: pg.ClientConfig = {};
  const re = /\s*([a-z_]+)\s*=\s*('(?:[^'\\]|\\.)*'|[^\s']*)/giy;
  let at = 0;
  for (;;) {
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) break;
    at = re.lastIndex;
    const key = m[1].toLowerCase();
    const value = m[2].startsWith("'") ? m[2].slice(1, -1).replace(/\\(.)/g, '$1') : m[2];
    switch (key) {
      case 'host':
      case 'hostaddr':
        out.host = value;
        break;
      case 'port':
        out.port = Number(value);
        break;
      case 'dbname':
        out.database = value;
        break;
      case 'user':
        out.user = value;
        break;
      case 'password':
        out.password = value;
        break;
      case 'sslmode':
        out.ssl =
          value === 'disable' || value === 'allow' || value === 'prefer'
            ? false
            : { rejectUnauthorized: value.startsWith('verify') };
        break;
      case 'connect_timeout':
        out.connectionTimeoutMillis = 1000 * Number(value);
        break;
      case 'application_name':
        out.application_name = value;
        break;
      case 'options':
        out.options = value;
        break;
      default:
        throw new SegmintError(
          'USAGE',
          `The PostgreSQL connection string has a keyword segmint does not pass on: ${key}.`,
          {
            hint: 'Use host, hostaddr, port, dbname, user, password, sslmode, connect_timeout, application_name or options; or a postgres:// URL.',
          },
        );
    }
  }
  if (text.slice(at).trim())
    throw new SegmintError(
      'USAGE',
      'The PostgreSQL connection string is neither a postgres:// URL nor keyword=value pairs.',
      {
        hint: "Write it as postgres://user:password@host:port/db, or host=... dbname=... user=... password='...'.",
      },
    );
  return out;
}

/** Client settings from a URL or a libpq keyword/value string. */
export const pgClientConfig = (u: string): pg.ClientConfig =>
  /^[a-z][a-z0-9+.-]*:\/\//i.test(u.trim()) ? { connectionString: u } : parseLibpq(u);

export async function pgConnect(url: string | undefined, where: string): Promise<pg.Client> {
  const u = pgUrl(url);
  const client = new pg.Client(u ? pgClientConfig(u) : {});
  try {
    await client.connect();
    return client;
  } catch (e) {
    throw new SegmintError(
      'DB_ERROR',
      `Cannot connect to PostgreSQL${u ? ` at ${redactUrl(u)}` : ''}: ${(e as Error).message}`,
      {
        where: { path: where },
        hint: 'Check the url (postgres://user:password@host:port/db), or set SEGMINT_PG_URL; the server must accept connections from here.',
      },
    );
  }
}

/** Quotes a possibly schema-qualified table name for PostgreSQL. */
export const pgTable = (name: string): string => tableRef(name, 'postgres');

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

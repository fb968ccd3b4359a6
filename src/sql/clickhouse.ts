import { randomUUID } from 'node:crypto';
import { ClickHouseLogLevel, createClient } from '@clickhouse/client';
import { databaseError } from '../core/db-errors.js';
import { SegmintError } from '../core/errors.js';
import { redactUrl } from '../core/redact.js';
import { sqlKit, tableRef } from './dialect.js';
import { bindNamed, createTableSql, type Engine, type EngineParams, type Row } from './query.js';

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

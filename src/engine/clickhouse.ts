import { SegmintError } from '../core/errors.js';
import { redactUrl } from '../data/postgres.js';
import type { SqlRunner } from './kmeans.js';

/**
 * A ClickHouse server through its HTTP interface (any version from 18.16 on): queries go as the
 * request body, results come back as JSON. Engine errors carry the server's message and the SQL.
 */
export function clickhouseRunner(url: string): Required<SqlRunner> {
  const post = async (sql: string): Promise<string> => {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', body: sql });
    } catch (e) {
      throw new SegmintError(
        'DB_ERROR',
        `Cannot reach ClickHouse at ${redactUrl(url)}: ${(e as Error).message}`,
      );
    }
    const text = await res.text();
    if (!res.ok)
      throw new SegmintError('DB_ERROR', `ClickHouse: ${text.split('\n')[0]}`, { details: { sql } });
    return text;
  };
  return {
    dialect: 'clickhouse',
    all: async (sql) =>
      (JSON.parse(await post(`${sql}\nFORMAT JSON`)) as { data: Record<string, unknown>[] }).data,
    exec: async (sql) => {
      await post(sql);
    },
  };
}

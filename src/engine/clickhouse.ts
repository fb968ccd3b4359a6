import { SegmintError } from '../core/errors.js';
import type { SqlRunner } from './kmeans.js';

/** Removes a password from a URL for messages. */
const redact = (url: string) => url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');

/**
 * A ClickHouse server through its HTTP interface (any version from 18.16 on): queries go as the
 * request body, results come back as JSON. Engine errors carry the server's message and the SQL.
 */
export function clickhouseRunner(url: string): SqlRunner & { exec(sql: string): Promise<void> } {
  const post = async (sql: string): Promise<string> => {
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', body: sql });
    } catch (e) {
      throw new SegmintError(
        'DB_ERROR',
        `Cannot reach ClickHouse at ${redact(url)}: ${(e as Error).message}`,
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

import type pg from 'pg';
import { SegmintError } from '../core/errors.js';
import type { Duck } from '../data/duck.js';
import type { SqlRunner } from './kmeans.js';

/** The embedded DuckDB as an engine; its errors already carry the failing SQL. */
export function duckdbRunner(duck: Duck): Required<SqlRunner> {
  return { dialect: 'duckdb', all: (sql) => duck.all(sql), exec: (sql) => duck.exec(sql) };
}

/**
 * A connected PostgreSQL client as an engine. JIT compilation is switched off for the session on
 * first use (it costs more than it saves on these wide, literal-heavy queries); an error comes back
 * as DB_ERROR with PostgreSQL's message and the SQL that failed.
 */
export function postgresRunner(client: pg.ClientBase): Required<SqlRunner> {
  let ready: Promise<unknown> | null = null;
  const query = async (sql: string) => {
    ready ??= client.query('SET jit = off').catch(() => {});
    await ready;
    try {
      return await client.query(sql);
    } catch (e) {
      throw new SegmintError('DB_ERROR', `PostgreSQL: ${(e as Error).message}`, { details: { sql } });
    }
  };
  return {
    dialect: 'postgres',
    all: async (sql) => (await query(sql)).rows,
    exec: async (sql) => {
      await query(sql);
    },
  };
}

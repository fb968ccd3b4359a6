import type pg from 'pg';
import { databaseError } from '../core/db-errors.js';
import { SegmintError } from '../core/errors.js';
import { type Duck, qi } from '../sql/duckdb.js';
import { pgConnect, pgTable } from '../sql/postgres.js';

// PostgreSQL type oids that segmint maps: numbers, booleans, dates and times; the rest is text.
const NUMERIC = new Set([20, 21, 23, 700, 701, 1700]);
const BOOL = 16;
const TEMPORAL = new Set([1082, 1114, 1184]);

/**
 * Reads a PostgreSQL table or query into DuckDB table `table`: numbers as DOUBLE, booleans as
 * BOOLEAN, dates and timestamps as TIMESTAMP, everything else as text (ids keep their zeros).
 */
export async function readPostgres(
  duck: Duck,
  table: string,
  src: { url?: string | undefined; table?: string | undefined; query?: string | undefined },
  where: string,
): Promise<void> {
  if (!src.table === !src.query) {
    throw new SegmintError('RECIPE_INVALID', `${where}: give either table or query.`, {
      where: { path: where },
    });
  }
  const client = await pgConnect(src.url, where);
  try {
    const sql = src.query ?? `SELECT * FROM ${pgTable(src.table!)}`;
    let res: pg.QueryResult;
    try {
      res = await client.query({ text: sql, rowMode: 'array' });
    } catch (e) {
      throw databaseError('PostgreSQL', e, { sql, where: { path: where } });
    }
    const cols = res.fields.map((f, j) => {
      const kind = NUMERIC.has(f.dataTypeID)
        ? 'DOUBLE'
        : f.dataTypeID === BOOL
          ? 'BOOLEAN'
          : TEMPORAL.has(f.dataTypeID)
            ? 'TIMESTAMP'
            : 'VARCHAR';
      return { name: f.name, kind, j };
    });
    const stage = `${table}__stage`;
    await duck.createFromColumns(
      stage,
      cols.map((c) => ({
        name: c.name,
        type: c.kind === 'DOUBLE' ? ('DOUBLE' as const) : ('VARCHAR' as const),
        values: res.rows.map((r: unknown[]) => {
          const v = r[c.j];
          if (v === null || v === undefined) return null;
          if (c.kind === 'DOUBLE') return Number(v);
          if (c.kind === 'TIMESTAMP')
            return v instanceof Date ? v.toISOString().replace('T', ' ').replace('Z', '') : String(v);
          return String(v);
        }),
      })),
    );
    const select = cols.map((c) =>
      c.kind === 'TIMESTAMP'
        ? `CAST(${qi(c.name)} AS TIMESTAMP) AS ${qi(c.name)}`
        : c.kind === 'BOOLEAN'
          ? `CAST(${qi(c.name)} AS BOOLEAN) AS ${qi(c.name)}`
          : qi(c.name),
    );
    await duck.exec(`CREATE OR REPLACE TABLE ${qi(table)} AS SELECT ${select.join(', ')} FROM ${qi(stage)}`);
    await duck.exec(`DROP TABLE ${qi(stage)}`);
  } finally {
    await client.end();
  }
}

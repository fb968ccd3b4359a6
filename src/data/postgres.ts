import pg from 'pg';
import { SegmintError } from '../core/errors.js';
import { type Duck, qi } from './duck.js';

/** A connection URL with its password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]+:)[^@]*@/, '$1***@');
}

/** The connection URL from the recipe, else SEGMINT_PG_URL or DATABASE_URL; libpq's PG* variables fill the rest. */
export function pgUrl(url: string | undefined): string | undefined {
  return url ?? process.env.SEGMINT_PG_URL ?? process.env.DATABASE_URL;
}

export async function pgConnect(url: string | undefined, where: string): Promise<pg.Client> {
  const u = pgUrl(url);
  const client = new pg.Client(u ? { connectionString: u } : {});
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
export const pgTable = (name: string): string =>
  name
    .split('.')
    .map((p) => `"${p.replace(/"/g, '""')}"`)
    .join('.');

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
      throw new SegmintError('DB_ERROR', `PostgreSQL: ${(e as Error).message}`, {
        where: { path: where },
        details: { sql },
      });
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

/**
 * Writes the rows of a DuckDB query into PostgreSQL table `target`, replacing it atomically: a new
 * table is filled and renamed over the old one in one transaction, so a failure leaves the previous
 * table as it was. Numbers go as double precision, the rest as text.
 */
export async function writePostgres(
  duck: Duck,
  query: string,
  target: { url?: string | undefined; table: string },
  where: string,
): Promise<number> {
  const r = await duck.columns(query);
  const n = r.values[0]?.length ?? 0;
  const client = await pgConnect(target.url, where);
  const name = target.table.split('.').pop()!;
  const staging = target.table.includes('.')
    ? `${target.table.split('.').slice(0, -1).join('.')}.${name}__segmint_new`
    : `${name}__segmint_new`;
  try {
    await client.query('BEGIN');
    await client.query(`DROP TABLE IF EXISTS ${pgTable(staging)}`);
    const types = r.types.map((t) => (/DOUBLE|INT|FLOAT|DECIMAL/.test(t) ? 'double precision' : 'text'));
    await client.query(
      `CREATE TABLE ${pgTable(staging)} (${r.names.map((c, j) => `${pgTable(c)} ${types[j]}`).join(', ')})`,
    );
    const perBatch = Math.max(1, Math.floor(30000 / r.names.length));
    for (let start = 0; start < n; start += perBatch) {
      const end = Math.min(n, start + perBatch);
      const params: unknown[] = [];
      const tuples: string[] = [];
      for (let i = start; i < end; i++) {
        const ph: string[] = [];
        for (const col of r.values) {
          const v = col[i];
          params.push(typeof v === 'number' && Number.isNaN(v) ? null : v);
          ph.push(`$${params.length}`);
        }
        tuples.push(`(${ph.join(', ')})`);
      }
      await client.query(`INSERT INTO ${pgTable(staging)} VALUES ${tuples.join(', ')}`, params);
    }
    await client.query(`DROP TABLE IF EXISTS ${pgTable(target.table)}`);
    await client.query(`ALTER TABLE ${pgTable(staging)} RENAME TO ${pgTable(name)}`);
    await client.query('COMMIT');
    return n;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => {});
    throw e instanceof SegmintError
      ? e
      : new SegmintError(
          'DB_ERROR',
          `PostgreSQL: writing ${target.table} failed, the previous table is unchanged: ${(e as Error).message}`,
          { where: { path: where } },
        );
  } finally {
    await client.end();
  }
}

import { SegmintError } from '../core/errors.js';
import { debugged, type Engine } from './query.js';

/** The engines segmint has a driver for (the recipe's engine.type). */
export const ENGINE_NAMES = ['duckdb', 'postgres', 'clickhouse'] as const;
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
    const { Duck, duckdbEngine } = await import('./duckdb.js');
    const duck = await Duck.open(target.database, undefined, { shared: true });
    return { ...duckdbEngine(duck), close: async () => duck.close() };
  }
  // Each driver is loaded when its engine is opened, so commands that need none start at once.
  if (target.type === 'postgres') {
    const { connectPostgres } = await import('./postgres.js');
    return connectPostgres(target.url, `${where}.url`);
  }
  if (target.type === 'clickhouse') {
    const { clickhouseEngine, clickhouseUrl } = await import('./clickhouse.js');
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

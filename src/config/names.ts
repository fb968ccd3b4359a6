/**
 * Names the recipe schema and the CLI share, in a module of their own: the CLI's start-up reads
 * them without loading zod or the schema.
 */
export const ENGINE_NAMES = ['duckdb', 'postgres', 'clickhouse'] as const;

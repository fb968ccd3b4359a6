import { SegmintError } from '../core/errors.js';
import { MISSING, type PrepParams } from '../prep/prepare.js';
import type { Model } from './model.js';

/** The SQL dialects segmint renders; each differs only where the table below says. */
export const DIALECTS = {
  duckdb: {
    /** Whether DDL runs in a transaction (so a table swap is all or nothing). */
    transactionalDdl: true,
    timestamp: 'TIMESTAMP',
    boolean: 'BOOLEAN',
    /** Whether a session keeps temporary tables segmint may use for intermediate rows. */
    tempTables: true,
    quote: '"',
    double: 'DOUBLE',
    text: 'VARCHAR',
    ln: 'ln',
    leastArgs: Number.POSITIVE_INFINITY,
    fence: '',
    hash: 'hash',
    /** What CREATE TABLE ... AS needs after the name (ClickHouse wants a table engine). */
    createSuffix: '',
    /** ALTER TABLE a RENAME TO b, or ClickHouse's RENAME TABLE a TO b. */
    stddevPop: 'stddev_pop',
    rename: 'alter',
  },
  postgres: {
    /** Whether DDL runs in a transaction (so a table swap is all or nothing). */
    transactionalDdl: true,
    timestamp: 'TIMESTAMP',
    boolean: 'BOOLEAN',
    /** Whether a session keeps temporary tables segmint may use for intermediate rows. */
    tempTables: true,
    quote: '"',
    double: 'DOUBLE PRECISION',
    text: 'TEXT',
    ln: 'ln',
    leastArgs: Number.POSITIVE_INFINITY,
    fence: ' OFFSET 0',
    hash: 'hashtext',
    createSuffix: '',
    stddevPop: 'stddev_pop',
    rename: 'alter',
  },
  clickhouse: {
    /** Whether DDL runs in a transaction (so a table swap is all or nothing). */
    transactionalDdl: false,
    timestamp: 'DateTime',
    boolean: 'UInt8',
    /** Whether a session keeps temporary tables segmint may use for intermediate rows. */
    tempTables: false,
    quote: '"',
    double: 'Float64',
    text: 'String',
    ln: 'log',
    leastArgs: 2,
    fence: '',
    hash: 'cityHash64',
    createSuffix: ' ENGINE = MergeTree ORDER BY tuple()',
    stddevPop: 'stddevPop',
    rename: 'rename',
  },
  spark: {
    /** Whether DDL runs in a transaction (so a table swap is all or nothing). */
    transactionalDdl: false,
    timestamp: 'TIMESTAMP',
    boolean: 'BOOLEAN',
    /** Whether a session keeps temporary tables segmint may use for intermediate rows. */
    tempTables: false,
    quote: '`',
    double: 'DOUBLE',
    text: 'STRING',
    ln: 'ln',
    leastArgs: Number.POSITIVE_INFINITY,
    fence: '',
    hash: 'hash',
    createSuffix: '',
    stddevPop: 'stddev_pop',
    rename: 'alter',
  },
  bigquery: {
    /** Whether DDL runs in a transaction (so a table swap is all or nothing). */
    transactionalDdl: false,
    timestamp: 'TIMESTAMP',
    boolean: 'BOOL',
    /** Whether a session keeps temporary tables segmint may use for intermediate rows. */
    tempTables: false,
    quote: '`',
    double: 'FLOAT64',
    text: 'STRING',
    ln: 'LN',
    leastArgs: Number.POSITIVE_INFINITY,
    fence: '',
    hash: 'FARM_FINGERPRINT',
    createSuffix: '',
    stddevPop: 'STDDEV_POP',
    rename: 'alter',
  },
} as const;
export type Dialect = keyof typeof DIALECTS;

/** Aggregates the feature catalogue uses, each optionally over the rows where a condition holds. */
export type AggName = 'sum' | 'count' | 'countDistinct' | 'min' | 'max' | 'avg';
const CH_AGG: Record<AggName, string> = {
  sum: 'sumIf',
  count: 'countIf',
  countDistinct: 'uniqExactIf',
  min: 'minIf',
  max: 'maxIf',
  avg: 'avgIf',
};

/**
 * Quoting, literals, least() and the handful of functions whose spelling differs between the
 * dialects (casts, date difference, epoch, conditional aggregates, trim): everything the cleaning
 * and feature SQL needs to render for another engine goes through here.
 */
export function sqlKit(dialect: Dialect) {
  const d = DIALECTS[dialect];
  const ch = dialect === 'clickhouse';
  const q = (id: string) => `${d.quote}${id.replaceAll(d.quote, d.quote + d.quote)}${d.quote}`;
  const num = (v: number) => `CAST(${v.toExponential()} AS ${d.double})`;
  const str = (v: string) =>
    ch ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'` : `'${v.replace(/'/g, "''")}'`;
  const least = (args: string[]): string =>
    args.length <= d.leastArgs ? `least(${args.join(', ')})` : `least(${args[0]}, ${least(args.slice(1))})`;
  const double = (x: string) => (ch ? `toFloat64(${x})` : `CAST(${x} AS ${d.double})`);
  const date = (x: string) => (ch ? `toDate(${x})` : `CAST(${x} AS DATE)`);
  const fx = {
    double,
    text: (x: string) => (ch ? `toString(${x})` : `CAST(${x} AS ${d.text})`),
    timestamp: (x: string) => (ch ? `toDateTime(${x})` : `CAST(${x} AS TIMESTAMP)`),
    /** Midnight of an ISO date given as text. */
    dayStart: (x: string) => (ch ? `toDateTime(toDate(${x}))` : `CAST(${x} AS TIMESTAMP)`),
    date,
    nullText: ch ? 'CAST(NULL AS Nullable(String))' : `CAST(NULL AS ${d.text})`,
    nullDouble: ch ? 'CAST(NULL AS Nullable(Float64))' : `CAST(NULL AS ${d.double})`,
    nullTimestamp: ch ? 'CAST(NULL AS Nullable(DateTime))' : 'CAST(NULL AS TIMESTAMP)',
    trim: (x: string) => (ch ? `replaceRegexpAll(${x}, '^\\\\s+|\\\\s+$', '')` : `trim(${x})`),
    startsWith: (x: string, prefix: string) =>
      ch
        ? `startsWith(${x}, ${prefix})`
        : dialect === 'bigquery'
          ? `STARTS_WITH(${x}, ${prefix})`
          : `starts_with(${x}, ${prefix})`,
    /** A condition that is false (not NULL) where the condition is NULL. */
    orFalse: (c: string) => (ch ? `ifNull(${c}, 0)` : `coalesce(${c}, false)`),
    /** A condition that is true where the condition is NULL. */
    orTrue: (c: string) => (ch ? `ifNull(${c}, 1)` : `coalesce(${c}, true)`),
    /** An id as trimmed text, NULL when empty; "13085.0" style float ids lose the ".0". */
    id: (x: string) =>
      `NULLIF(${ch ? 'replaceRegexpOne' : 'regexp_replace'}(${ch ? `replaceRegexpAll(toString(${x}), '^\\\\s+|\\\\s+$', '')` : `trim(CAST(${x} AS ${d.text}))`}, ${ch ? "'^(-?[0-9]+)\\\\.0+$', '\\\\1'" : "'^(-?[0-9]+)\\.0+$', '\\1'"}), '')`,
    /** Text read as a timestamp, NULL where it does not read as one. */
    parseTimestamp: (x: string) =>
      ch
        ? `parseDateTimeBestEffortOrNull(${x})`
        : dialect === 'postgres'
          ? `CASE WHEN ${x} ~ '^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?\\s*$' THEN CAST(${x} AS TIMESTAMP) END`
          : `TRY_CAST(${x} AS TIMESTAMP)`,
    /** Text read as a double, NULL where it does not read as a number. */
    parseDouble: (x: string) =>
      ch
        ? `toFloat64OrNull(${x})`
        : dialect === 'postgres'
          ? `CASE WHEN ${x} ~ '^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?\\s*$' THEN CAST(${x} AS ${d.double}) END`
          : `TRY_CAST(${x} AS ${d.double})`,
    /** The interpolated p-quantile (as numpy's default), or null where the dialect has none. */
    quantile: (x: string, p: number): string | null =>
      dialect === 'duckdb'
        ? `quantile_cont(${x}, ${p})`
        : dialect === 'postgres'
          ? `percentile_cont(${p}) WITHIN GROUP (ORDER BY ${x})`
          : null,
    /** A column type that holds NULL (ClickHouse columns do not unless declared so). */
    nullable: (type: string) => (ch ? `Nullable(${type})` : type),
    /** Whole days from `from` to `to` (both cast to dates). */
    days: (from: string, to: string) =>
      dialect === 'duckdb'
        ? `date_diff('day', ${date(from)}, ${date(to)})`
        : dialect === 'spark'
          ? `datediff(${date(to)}, ${date(from)})`
          : dialect === 'bigquery'
            ? `DATE_DIFF(${date(to)}, ${date(from)}, DAY)`
            : `(${date(to)} - ${date(from)})`,
    /** Seconds since 1970 of a timestamp. */
    epoch: (x: string) =>
      dialect === 'postgres'
        ? `extract(epoch FROM ${x})`
        : ch
          ? `toUnixTimestamp(${x})`
          : dialect === 'spark'
            ? `unix_timestamp(${x})`
            : dialect === 'bigquery'
              ? `UNIX_SECONDS(${x})`
              : `epoch(${x})`,
    /** a / b in double precision, NULL where b is 0. */
    div: (a: string, b: string) => `${double(a)} / NULLIF(${b}, 0)`,
    /** An aggregate over the rows where `cond` holds (FILTER, -If combinators or CASE). */
    agg: (fn: AggName, arg: string | null, cond?: string): string => {
      const a = arg ?? '*';
      const plain = fn === 'countDistinct' ? `count(DISTINCT ${a})` : `${fn}(${a})`;
      if (!cond) return plain;
      if (ch) return fn === 'count' && !arg ? `countIf(${cond})` : `${CH_AGG[fn]}(${a}, ${cond})`;
      if (dialect === 'duckdb' || dialect === 'postgres') return `${plain} FILTER (WHERE ${cond})`;
      const v = `CASE WHEN ${cond} THEN ${arg ?? '1'} END`;
      return fn === 'countDistinct' ? `count(DISTINCT ${v})` : `${fn}(${v})`;
    },
  };
  return { d, dialect, q, num, str, least, fx };
}
export type SqlKit = ReturnType<typeof sqlKit>;

/**
 * The statements that replace table `name` by the result of `select` without a moment where a
 * half-written table is visible: build a staging table (CREATE TABLE AS, or the statements `build`
 * gives for the staging table's name), then drop the old one and rename.
 */
export function replaceTableSql(
  name: string,
  select: string,
  dialect: Dialect,
  build?: (staging: string) => string[],
): string[] {
  const kit = sqlKit(dialect);
  const parts = name.split('.');
  const last = parts[parts.length - 1];
  const staging = [...parts.slice(0, -1), `${last}__segmint_staging`];
  const ref = (p: string[]) => p.map(kit.q).join('.');
  return [
    `DROP TABLE IF EXISTS ${ref(staging)}`,
    ...(build
      ? build(staging.join('.'))
      : [`CREATE TABLE ${ref(staging)}${kit.d.createSuffix} AS ${select}`]),
    `DROP TABLE IF EXISTS ${ref(parts)}`,
    kit.d.rename === 'rename'
      ? `RENAME TABLE ${ref(staging)} TO ${ref(parts)}`
      : `ALTER TABLE ${ref(staging)} RENAME TO ${kit.q(last)}`,
  ];
}

/** The prepared feature columns (p0, p1, ...) as SQL expressions over the raw feature columns. */
export function preparedColumns(prep: PrepParams, kit: SqlKit): string[] {
  const { d, q, num, str } = kit;
  const out: string[] = [];
  for (const step of prep.steps) {
    if (step.type === 'numeric') {
      let x = `coalesce(${kit.fx.double(q(step.name))}, ${num(step.impute)})`;
      if (step.log) x = `${d.ln}(${num(1)} + greatest(${x}, ${num(0)}))`;
      out.push(`((${x} - ${num(step.center)}) / ${num(step.scale)}) * ${num(step.weight)}`);
    } else {
      const v = `coalesce(${kit.fx.text(q(step.name))}, ${str(MISSING)})`;
      for (const level of step.levels)
        out.push(`CASE WHEN ${v} = ${str(level)} THEN ${num(step.weight)} ELSE ${num(0)} END`);
      if (step.other)
        out.push(
          `CASE WHEN ${v} IN (${step.levels.map(str).join(', ')}) THEN ${num(0)} ELSE ${num(step.weight)} END`,
        );
    }
  }
  return out;
}

/** Squared distance of (p0, p1, ...) to each centre, as SQL expressions. */
export function distanceColumns(centers: ArrayLike<number>, k: number, dim: number, kit: SqlKit): string[] {
  return Array.from({ length: k }, (_, c) =>
    Array.from(
      { length: dim },
      (_, t) => `(p${t} - ${kit.num(centers[c * dim + t])}) * (p${t} - ${kit.num(centers[c * dim + t])})`,
    ).join(' + '),
  );
}

/**
 * Compiles a model into one SQL SELECT that tags every row of `table` (customer_id plus the model's
 * feature columns in original units) inside the database: the preparation (impute, log1p, scale,
 * weight, one-hot), the distance to every centre, the nearest centre (the first on ties, as the
 * TypeScript scorer) and each segment's rule. Float literals are exponent-form doubles, cast
 * explicitly, so every engine computes in double precision; identifiers are quoted.
 */
export function compileScoringSql(
  model: Model,
  dialect: Dialect,
  table: string,
  idColumn = 'customer_id',
): string {
  if (model.clusterer.method === 'rfm') {
    throw new SegmintError(
      'MODEL_INVALID',
      'A classic RFM model assigns segments by score tables, which segmint does not compile to SQL yet.',
      {
        hint: 'Score it with segmint score --input, or use another cluster.method.',
      },
    );
  }
  const kit = sqlKit(dialect);
  const { d, q, num, str, least } = kit;
  const tableRef = table.split('.').map(q).join('.');
  const prepared = preparedColumns(model.prep as PrepParams, kit);
  const { k, dim, centers } = model.clusterer;
  const dist = distanceColumns(centers, k, dim, kit);
  const features = model.features.filter((f) => f.type === 'numeric').map((f) => f.name);
  const ruleFeatures = [
    ...new Set(model.rules.flatMap((r) => r.rule.any.flatMap((p) => p.all.map((c) => c.feature)))),
  ].filter((f) => features.includes(f));
  const carried = ruleFeatures.map((f) => q(f));
  const ruleCols = model.rules.map((r) => {
    const paths = r.rule.any.map((p) =>
      p.all.length
        ? `(${p.all.map((c) => `${kit.fx.double(q(c.feature))} ${c.op} ${num(c.value)}`).join(' AND ')})`
        : '(1 = 1)',
    );
    return `CASE WHEN ${paths.length ? paths.join(' OR ') : '1 = 0'} THEN 1 ELSE 0 END AS ${q(`rule_${r.segmentId}`)}`;
  });
  const nameCase = `CASE ${model.segments.map((s, c) => `WHEN d${c} = dmin THEN ${str(s.name)}`).join(' ')} END`;
  const idCase = `CASE ${model.segments.map((s, c) => `WHEN d${c} = dmin THEN ${s.id}`).join(' ')} END`;
  return [
    `SELECT ${q(idColumn)} AS ${q('customer_id')}, ${idCase} AS ${q('segment_id')}, ${nameCase} AS ${q('segment_name')}, sqrt(dmin) AS ${q('distance')}${ruleCols.length ? `,\n  ${ruleCols.join(',\n  ')}` : ''}`,
    `FROM (SELECT *, ${least(Array.from({ length: k }, (_, c) => `d${c}`))} AS dmin`,
    `  FROM (SELECT ${q(idColumn)}${carried.length ? `, ${carried.join(', ')}` : ''}, ${dist.map((e, c) => `${e} AS d${c}`).join(',\n      ')}`,
    `    FROM (SELECT ${q(idColumn)}${carried.length ? `, ${carried.join(', ')}` : ''}, ${prepared.map((e, t) => `${e} AS p${t}`).join(',\n        ')}`,
    `      FROM ${tableRef}${d.fence}) prepared${d.fence}) distances) nearest`,
  ].join('\n');
}

/**
 * The SQL dialects segmint renders, and the kit that spells SQL from them: the one place where
 * engines differ in spelling. Nothing here talks to a database.
 */

/** Aggregates the feature catalogue uses, each optionally over the rows where a condition holds. */
export type AggName = 'sum' | 'count' | 'countDistinct' | 'min' | 'max' | 'avg';

/**
 * What one SQL dialect is: type names, quoting and the few things that differ between engines.
 * Functions get the rendered arguments and the dialect's own types, so a dialect states only how
 * it spells something, in one place; everything not stated is standard SQL (STANDARD below).
 */
export interface DialectSpec {
  quote: string;
  double: string;
  text: string;
  timestamp: string;
  boolean: string;
  /** The natural logarithm. */
  ln: string;
  /** How many arguments least() takes (ClickHouse 18: two). */
  leastArgs: number;
  /** What keeps the planner from inlining a subquery whose columns are used many times. */
  fence: string;
  /** A 64-bit hash of text, for the seeded sample. */
  hash: string;
  stddevPop: string;
  /** What CREATE TABLE ... needs after the columns (ClickHouse wants a table engine). */
  createSuffix: string;
  /** ALTER TABLE a RENAME TO b, or ClickHouse's RENAME TABLE a TO b. */
  rename: 'alter' | 'rename';
  /** Whether DDL runs in a transaction (so a table swap is all or nothing). */
  transactionalDdl: boolean;
  /** Whether a session keeps temporary tables segmint may use for intermediate rows. */
  tempTables: boolean;
  /** Whether it has window functions (count(*) OVER ()); ClickHouse 18 has none. */
  windows: boolean;
  /** SQL literals of true and false. */
  true: string;
  false: string;
  /** How an aggregate is limited to some rows: FILTER (WHERE), ClickHouse's -If combinators, or CASE. */
  conditional: 'filter' | 'if' | 'case';
  /** Casts that keep NULL (ClickHouse's CAST refuses NULL into a non-Nullable type). */
  toDouble(x: string, d: DialectSpec): string;
  toText(x: string, d: DialectSpec): string;
  toTimestamp(x: string, d: DialectSpec): string;
  toDate(x: string): string;
  /** Midnight of an ISO date given as text. */
  dayStart(x: string, d: DialectSpec): string;
  /** A column type that holds NULL. */
  nullable(type: string): string;
  trim(x: string): string;
  regexpReplace(x: string, pattern: string, replacement: string): string;
  startsWith(x: string, prefix: string): string;
  /** Whether text matches a (anchored) regular expression given as an SQL string. */
  matches(x: string, pattern: string): string;
  /** The text before the first '.' (all of it where there is none). */
  beforeDot(x: string): string;
  /** Whole days from date `from` to date `to` (both already dates). */
  days(from: string, to: string): string;
  /** Seconds since 1970 of a timestamp. */
  epoch(x: string): string;
  /** Text read as a timestamp / a double, NULL where it does not read as one. */
  parseTimestamp(x: string, d: DialectSpec): string;
  /** A timestamp, NULL where it is infinite (DuckDB and PostgreSQL have infinite timestamps). */
  finiteTime?: (x: string) => string;
  parseDouble(x: string, d: DialectSpec): string;
  /** The interpolated p-quantile (numpy's default), or null where the dialect has none. */
  quantile(x: string, p: number): string | null;
  /**
   * Where there is no interpolated quantile: the order statistic at sorted position
   * floor(level * n) (0-based) of the non-null values, from which segmint interpolates.
   */
  orderStatistic?(x: string, level: number): string;
  /** The most frequent non-null value of a text column, the smallest (byte order) on ties. */
  mode?(x: string): string;
  /** Text unique to each row of a query (no order implied): an order id where each row is one order. */
  rowId(d: DialectSpec): string;
  /** Text read as a timestamp by a strptime format (NULL where it does not read), where the dialect has one. */
  tryStrptime?(x: string, format: string): string;
  /** A double that is infinite or NaN. */
  nonFinite(x: string): string;
  /** The timestamp `x` whole days after 1970-01-01 (a counted period as a date). */
  fromEpochDays(x: string): string;
  /**
   * One row per value of `key` from relation `rel`: the first by `order` (a list of expressions).
   * DISTINCT ON where the dialect has it, ClickHouse's LIMIT 1 BY otherwise.
   */
  firstPerKey(rel: string, key: string, order: string[]): string;
  /**
   * A double as an exact decimal, and a sum of those back to a double: sums and averages are
   * added exactly, so their bits do not depend on how the engine splits the rows over threads or
   * shards (floating-point addition is not associative).
   */
  toExact(x: string): string;
  fromExact(s: string, d: DialectSpec): string;
  /** The column type that holds such an exact decimal (a partial sum kept for a later sum). */
  exact: string;
}

const STANDARD: Omit<DialectSpec, 'quote' | 'double' | 'text'> = {
  timestamp: 'TIMESTAMP',
  boolean: 'BOOLEAN',
  ln: 'ln',
  leastArgs: Number.POSITIVE_INFINITY,
  fence: '',
  hash: 'hash',
  stddevPop: 'stddev_pop',
  createSuffix: '',
  rename: 'alter',
  transactionalDdl: false,
  tempTables: false,
  windows: true,
  true: 'true',
  false: 'false',
  conditional: 'case',
  toDouble: (x, d) => `CAST(${x} AS ${d.double})`,
  toText: (x, d) => `CAST(${x} AS ${d.text})`,
  toTimestamp: (x, d) => `CAST(${x} AS ${d.timestamp})`,
  toDate: (x) => `CAST(${x} AS DATE)`,
  dayStart: (x, d) => `CAST(${x} AS ${d.timestamp})`,
  nullable: (t) => t,
  trim: (x) => `trim(${x})`,
  regexpReplace: (x, p, r) => `regexp_replace(${x}, ${p}, ${r})`,
  startsWith: (x, p) => `starts_with(${x}, ${p})`,
  days: (from, to) => `(${to} - ${from})`,
  epoch: (x) => `extract(epoch FROM ${x})`,
  parseTimestamp: (x, d) => `TRY_CAST(${x} AS ${d.timestamp})`,
  parseDouble: (x, d) => `TRY_CAST(${x} AS ${d.double})`,
  matches: (x, p) => `regexp_matches(${x}, ${p})`,
  beforeDot: (x) => `split_part(${x}, '.', 1)`,
  quantile: () => null,
  rowId: (d) => `CAST(row_number() OVER () AS ${d.text})`,
  nonFinite: (x) => `(${x} IN ('Infinity', '-Infinity') OR ${x} <> ${x})`,
  fromEpochDays: (x) => `CAST(DATE '1970-01-01' + CAST(${x} AS INTEGER) AS TIMESTAMP)`,
  firstPerKey: (rel, key, order) =>
    `SELECT DISTINCT ON (${key}) * FROM ${rel} ORDER BY ${[key, ...order].join(', ')}`,
  toExact: (x) => `CAST(${x} AS DECIMAL(38, 10))`,
  fromExact: (s, d) => `CAST(${s} AS ${d.double})`,
  exact: 'DECIMAL(38, 10)',
};

/** The SQL dialects segmint renders; each differs from STANDARD only where it says. */
export const DIALECTS = {
  duckdb: {
    ...STANDARD,
    quote: '"',
    double: 'DOUBLE',
    text: 'VARCHAR',
    transactionalDdl: true,
    tempTables: true,
    conditional: 'filter',
    mode: (x) => `mode(${x} ORDER BY ${x})`,
    days: (from, to) => `date_diff('day', ${from}, ${to})`,
    epoch: (x) => `epoch(${x})`,
    quantile: (x, p) => `quantile_cont(${x}, ${p})`,
    tryStrptime: (x, f) => `try_strptime(${x}, '${f.replace(/'/g, "''")}')`,
    nonFinite: (x) => `(isinf(${x}) OR isnan(${x}))`,
    finiteTime: (x) => `CASE WHEN isfinite(${x}) THEN ${x} END`,
    // DuckDB reads 'inf', 'infinity' and 'epoch' as timestamps: text that does not start with a
    // digit is not a date here.
    parseTimestamp: (x, d) =>
      `CASE WHEN regexp_matches(${x}, '^\\s*[0-9]') THEN TRY_CAST(${x} AS ${d.timestamp}) END`,
  },
  postgres: {
    ...STANDARD,
    quote: '"',
    double: 'DOUBLE PRECISION',
    text: 'TEXT',
    fence: ' OFFSET 0',
    hash: 'hashtext',
    matches: (x, p) => `(${x} ~ ${p})`,
    transactionalDdl: true,
    tempTables: true,
    conditional: 'filter',
    // No TRY_CAST: the text must look like the value first.
    parseTimestamp: (x, d) =>
      `CASE WHEN ${x} ~ '^\\s*[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9:.]+)?\\s*$' THEN CAST(${x} AS ${d.timestamp}) END`,
    parseDouble: (x, d) =>
      `CASE WHEN ${x} ~ '^\\s*[-+]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][-+]?[0-9]+)?\\s*$' THEN CAST(${x} AS ${d.double}) END`,
    quantile: (x, p) => `percentile_cont(${p}) WITHIN GROUP (ORDER BY ${x})`,
    mode: (x) => `mode() WITHIN GROUP (ORDER BY ${x} COLLATE "C")`,
    fromEpochDays: (x) => `(TIMESTAMP '1970-01-01' + CAST(${x} AS INTEGER) * INTERVAL '1 day')`,
    // PostgreSQL's NaN equals itself, so it is listed.
    nonFinite: (x) => `${x} IN ('Infinity', '-Infinity', 'NaN')`,
    finiteTime: (x) => `CASE WHEN isfinite(${x}) THEN ${x} END`,
    toExact: (x) => `CAST(${x} AS numeric)`,
    exact: 'numeric',
  },
  clickhouse: {
    ...STANDARD,
    quote: '"',
    double: 'Float64',
    text: 'String',
    timestamp: 'DateTime',
    boolean: 'UInt8',
    ln: 'log',
    leastArgs: 2,
    hash: 'cityHash64',
    stddevPop: 'stddevPop',
    createSuffix: ' ENGINE = MergeTree ORDER BY tuple()',
    windows: false,
    rename: 'rename',
    true: '1',
    false: '0',
    conditional: 'if',
    toDouble: (x) => `toFloat64(${x})`,
    toText: (x) => `toString(${x})`,
    toTimestamp: (x) => `toDateTime(${x})`,
    toDate: (x) => `toDate(${x})`,
    dayStart: (x) => `toDateTime(toDate(${x}))`,
    nullable: (t) => `Nullable(${t})`,
    // ClickHouse 18 has no trim().
    trim: (x) => `replaceRegexpAll(${x}, '^\\\\s+|\\\\s+$', '')`,
    regexpReplace: (x, p, r) => `replaceRegexpOne(${x}, ${p}, ${r})`,
    startsWith: (x, p) => `startsWith(${x}, ${p})`,
    matches: (x, p) => `match(${x}, ${p})`,
    // splitByChar refuses a Nullable column; every branch of a CASE is evaluated, so the length
    // stays valid where there is no dot.
    beforeDot: (x) => `substring(${x}, 1, greatest(position(${x}, '.'), 1) - 1)`,
    epoch: (x) => `toUnixTimestamp(${x})`,
    parseTimestamp: (x) => `parseDateTimeBestEffortOrNull(${x})`,
    parseDouble: (x) => `toFloat64OrNull(${x})`,
    // ClickHouse 18 has no interpolated quantile; quantileExact(level) is sorted[floor(level * n)].
    orderStatistic: (x, level) => `quantileExact(${level})(${x})`,
    // No exact mode aggregate in ClickHouse 18: the distinct values sorted by (-count, value).
    mode: (x) =>
      `arraySort((v, n) -> (-n, v), arrayDistinct(groupArray(${x})), arrayMap(v -> countEqual(groupArray(${x}), v), arrayDistinct(groupArray(${x}))))[1]`,
    // No window functions in ClickHouse 18, and a row number would repeat across shards.
    rowId: () => 'toString(generateUUIDv4())',
    nonFinite: (x) => `NOT isFinite(${x})`,
    fromEpochDays: (x) => `toDateTime(addDays(toDate('1970-01-01'), toInt32(${x})))`,
    firstPerKey: (rel, key, order) =>
      `SELECT * FROM ${rel} ORDER BY ${[key, ...order].join(', ')} LIMIT 1 BY ${key}`,
    toExact: (x) => `toDecimal128(${x}, 10)`,
    fromExact: (s) => `toFloat64(${s})`,
    exact: 'Decimal128(10)',
  },
  spark: {
    ...STANDARD,
    quote: '`',
    double: 'DOUBLE',
    text: 'STRING',
    startsWith: (x, p) => `startswith(${x}, ${p})`,
    matches: (x, p) => `(${x} RLIKE ${p})`,
    days: (from, to) => `datediff(${to}, ${from})`,
    epoch: (x) => `unix_timestamp(${x})`,
    parseTimestamp: (x, d) => `try_cast(${x} AS ${d.timestamp})`,
    parseDouble: (x, d) => `try_cast(${x} AS ${d.double})`,
    quantile: (x, p) => `percentile(${x}, ${p})`,
  },
  bigquery: {
    ...STANDARD,
    quote: '`',
    double: 'FLOAT64',
    text: 'STRING',
    boolean: 'BOOL',
    ln: 'LN',
    hash: 'FARM_FINGERPRINT',
    stddevPop: 'STDDEV_POP',
    startsWith: (x, p) => `STARTS_WITH(${x}, ${p})`,
    matches: (x, p) => `REGEXP_CONTAINS(${x}, ${p})`,
    beforeDot: (x) => `SPLIT(${x}, '.')[OFFSET(0)]`,
    days: (from, to) => `DATE_DIFF(${to}, ${from}, DAY)`,
    epoch: (x) => `UNIX_SECONDS(${x})`,
    parseTimestamp: (x, d) => `SAFE_CAST(${x} AS ${d.timestamp})`,
    parseDouble: (x, d) => `SAFE_CAST(${x} AS ${d.double})`,
    rowId: () => 'GENERATE_UUID()',
    toExact: (x) => `CAST(${x} AS BIGNUMERIC)`,
    exact: 'BIGNUMERIC',
  },
} satisfies Record<string, DialectSpec>;
export type Dialect = keyof typeof DIALECTS;

/**
 * What the values of a text id column were found to be (a scan of the column): `plain`, every
 * value already its id (no ".0", no surrounding spaces, not empty); `float`, the same except
 * values of the "13085.0" form. Either reads the id with no regular expression per row.
 */
export type IdForm = 'plain' | 'float';

/** The form of a text id column from its counts (the kit's idFormCounts); undefined: neither. */
export const idFormFrom = (n: { spaced: number; dotted: number; other: number }): IdForm | undefined =>
  n.spaced || n.other ? undefined : n.dotted ? 'float' : 'plain';

/** "13085.0"-style ids (a column of ids read as floats) are the id without the ".0". */
export const FLOAT_ID = /^(-?[0-9]+)\.0+$/;

/** The id rule of the SQL kit's `id`, for ids that arrive outside SQL (the scoring API). */
export const normaliseId = (x: string): string | null => x.trim().replace(FLOAT_ID, '$1') || null;

/**
 * Quoting, literals, least() and the functions the cleaning, feature and scoring SQL use, rendered
 * from the dialect's entry in DIALECTS: nothing else in segmint spells SQL per engine.
 */
export function sqlKit(dialect: Dialect) {
  const d: DialectSpec = DIALECTS[dialect];
  const q = (id: string) => `${d.quote}${id.replaceAll(d.quote, d.quote + d.quote)}${d.quote}`;
  const num = (v: number) => `CAST(${v.toExponential()} AS ${d.double})`;
  // ClickHouse reads backslashes in string literals as escapes; the others double the quote.
  const str = (v: string) =>
    dialect === 'clickhouse'
      ? `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`
      : `'${v.replace(/'/g, "''")}'`;
  const least = (args: string[]): string =>
    args.length <= d.leastArgs ? `least(${args.join(', ')})` : `least(${args[0]}, ${least(args.slice(1))})`;
  const double = (x: string) => d.toDouble(x, d);
  const text = (x: string) => d.toText(x, d);
  const date = (x: string) => d.toDate(x);
  const ifNull = (c: string, v: string) => `coalesce(${c}, ${v})`;
  const rawAgg = (fn: AggName, arg: string | null, cond?: string): string => {
    const a = arg ?? '*';
    const plain = fn === 'countDistinct' ? `count(DISTINCT ${a})` : `${fn}(${a})`;
    if (!cond) return plain;
    if (d.conditional === 'filter') return `${plain} FILTER (WHERE ${cond})`;
    if (d.conditional === 'if') {
      if (fn === 'count' && !arg) return `countIf(${cond})`;
      // avgIf gives NaN over no rows; the others' average is NULL there.
      if (fn === 'avg') return `sumIf(${a}, ${cond}) / NULLIF(countIf(${cond}), 0)`;
      return `${fn === 'countDistinct' ? 'uniqExact' : fn}If(${a}, ${cond})`;
    }
    const v = `CASE WHEN ${cond} THEN ${arg ?? '1'} END`;
    return fn === 'countDistinct' ? `count(DISTINCT ${v})` : `${fn}(${v})`;
  };
  const fx = {
    double,
    text,
    timestamp: (x: string) => d.toTimestamp(x, d),
    /** A timestamp column's value, NULL where infinite (a bad date, as unreadable text is). */
    finiteTime: (x: string) => (d.finiteTime ? d.finiteTime(x) : x),
    date,
    dayStart: (x: string) => d.dayStart(x, d),
    nullText: `CAST(NULL AS ${d.nullable(d.text)})`,
    nullDouble: `CAST(NULL AS ${d.nullable(d.double)})`,
    nullTimestamp: `CAST(NULL AS ${d.nullable(d.timestamp)})`,
    trim: (x: string) => d.trim(x),
    startsWith: (x: string, prefix: string) => d.startsWith(x, prefix),
    /** A condition that is false (not NULL) where the condition is NULL. */
    orFalse: (c: string) => ifNull(c, d.false),
    /** A condition that is true where the condition is NULL. */
    orTrue: (c: string) => ifNull(c, d.true),
    /** An id as trimmed text, NULL when empty; "13085.0" style float ids lose the ".0". */
    id: (x: string) => `NULLIF(${d.regexpReplace(d.trim(text(x)), str(FLOAT_ID.source), str('\\1'))}, '')`,
    /**
     * The same id as `id`, cheaper where the column's type is known: an integer column's text as
     * it is; a whole number in a float column through BIGINT (zero and huge values, which print
     * differently per engine, by the regular expression); text through the regular expression
     * only where it holds ".0" (the pattern cannot match elsewhere). Equal to `id` on every value.
     */
    idOf: (x: string, type: string, form?: IdForm) => {
      if (COLUMN_TYPES.integer(type)) return text(x);
      if (form === 'plain') return text(x);
      // Every value with ".0" is of the "13085.0" form: what is before its dot is the id.
      if (form === 'float')
        return `CASE WHEN ${text(x)} LIKE '%.0%' THEN ${d.beforeDot(text(x))} ELSE ${text(x)} END`;
      const plain = `NULLIF(${d.trim(text(x))}, '')`;
      const byPattern = `CASE WHEN ${text(x)} LIKE '%.0%' THEN ${fx.id(x)} ELSE ${plain} END`;
      // The cast's argument is kept in range and never NULL, since ClickHouse evaluates every
      // branch of a CASE and its casts refuse NULL, NaN and overflow.
      const small = `abs(${x}) < ${num(1e15)}`;
      if (COLUMN_TYPES.numeric(type))
        return `CASE WHEN ${x} <> 0 AND ${x} = round(${x}) AND ${small} THEN ${text(`CAST(CASE WHEN ${small} THEN ${x} ELSE 0 END AS BIGINT)`)} ELSE ${byPattern} END`;
      return byPattern;
    },
    /**
     * What decides a text id column's form (see IdForm), as counts over its rows: values with
     * surrounding spaces or empty, values holding ".0", and those of them not of the "13085.0" form.
     */
    idFormCounts: (x: string) => {
      const t = text(x);
      const n = (c: string) => `sum(CASE WHEN ${ifNull(c, d.false)} THEN 1 ELSE 0 END)`;
      return {
        spaced: n(`${d.trim(t)} <> ${t} OR ${t} = ''`),
        // Values with spaces around them (not empty): read without the spaces, and said.
        padded: n(`${d.trim(t)} <> ${t} AND ${d.trim(t)} <> ''`),
        dotted: n(`${t} LIKE '%.0%'`),
        other: n(`${t} LIKE '%.0%' AND NOT ${d.matches(t, str(FLOAT_ID.source))}`),
      };
    },
    parseTimestamp: (x: string) => d.parseTimestamp(x, d),
    parseDouble: (x: string) => d.parseDouble(x, d),
    tryStrptime: d.tryStrptime ? (x: string, f: string) => d.tryStrptime!(x, f) : null,
    nonFinite: (x: string) => d.nonFinite(x),
    fromEpochDays: (x: string) => d.fromEpochDays(x),
    firstPerKey: (rel: string, key: string, order: string[]) => d.firstPerKey(rel, key, order),
    quantile: (x: string, p: number) => d.quantile(x, p),
    mode: (x: string): string | null => d.mode?.(x) ?? null,
    rowId: () => d.rowId(d),
    nullable: (type: string) => d.nullable(type),
    /** Whole days from `from` to `to` (both cast to dates). */
    days: (from: string, to: string) => d.days(date(from), date(to)),
    epoch: (x: string) => d.epoch(x),
    /** a / b in double precision, NULL where b is 0. */
    div: (a: string, b: string) => `${double(a)} / NULLIF(${b}, 0)`,
    /**
     * An aggregate over the rows where `cond` holds (FILTER, -If combinators or CASE). Sums and
     * averages of a value are exact (decimal) and converted back, so the same rows give the same
     * bits whatever the engine's parallelism.
     */
    agg: (fn: AggName, arg: string | null, cond?: string): string => {
      if ((fn === 'sum' || fn === 'avg') && arg) {
        const total = d.fromExact(rawAgg('sum', d.toExact(arg), cond), d);
        return fn === 'sum' ? total : `${total} / NULLIF(${rawAgg('count', arg, cond)}, 0)`;
      }
      return rawAgg(fn, arg, cond);
    },
    /** The exact (decimal) sum of `arg` where `cond` holds, kept exact: a partial sum to add up later. */
    exactSum: (arg: string, cond?: string): string => rawAgg('sum', d.toExact(arg), cond),
    /** The sum of a column of exact partial sums, as a double (the same bits as summing the rows at once). */
    sumOfExact: (col: string, cond?: string): string => d.fromExact(rawAgg('sum', col, cond), d),
    /** An exact value (a partial sum) as a double. */
    fromExact: (x: string): string => d.fromExact(x, d),
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

/** A possibly schema-qualified table name, each part quoted for the dialect. */
export const tableRef = (name: string, dialect: Dialect): string =>
  name.split('.').map(sqlKit(dialect).q).join('.');

/**
 * Column types of any engine (DuckDB, PostgreSQL, ClickHouse spellings), in the three classes the
 * sniffer and the planner ask about. A time of day alone (TIME) is not temporal: it dates nothing.
 */
export const COLUMN_TYPES = {
  integer: (t: string) =>
    /^(Nullable\()?(U?Int\d+|U?TINYINT|U?SMALLINT|U?INTEGER|U?BIGINT|U?HUGEINT|smallint|integer|bigint)\)?$/i.test(
      t,
    ),
  numeric: (t: string) =>
    /^(Nullable\()?(U?Int\d+|Float\d+|Decimal.*|U?TINYINT|U?SMALLINT|U?INTEGER|U?BIGINT|U?HUGEINT|FLOAT|DOUBLE.*|DECIMAL.*|REAL|NUMERIC.*|smallint|integer|bigint|real|double precision|numeric.*)\)?$/i.test(
      t,
    ),
  temporal: (t: string) => /^(Nullable\()?(Date|DateTime.*|DATE|TIMESTAMP.*|timestamp.*|date)\)?$/.test(t),
  boolean: (t: string) => /^(BOOLEAN|boolean)$/.test(t),
};

import { kmeansPlusPlus, meanVariance } from '../cluster/kmeans.js';
import { createRng, deriveSeed } from '../core/rng.js';
import { type Dialect, distanceColumns, preparedColumns, sqlKit } from '../model/sql.js';
import type { PrepParams } from '../prep/prepare.js';

/** What the in-engine k-means needs of a database: run a query, get plain rows. */
export interface SqlRunner {
  dialect: Dialect;
  all(sql: string): Promise<Record<string, unknown>[]>;
}

/**
 * One Lloyd iteration as one aggregation query: the prepared features and the distances to the
 * centres (as literals) are computed in the database, each row goes to its nearest centre (the
 * first on ties), and only k rows come back: the count, the sums per prepared column, and the sum
 * of squared distances.
 */
export function lloydIterationSql(
  prep: PrepParams,
  centers: ArrayLike<number>,
  k: number,
  table: string,
  dialect: Dialect,
): string {
  const kit = sqlKit(dialect);
  const dim = prep.outputNames.length;
  const p = preparedColumns(prep, kit);
  const dist = distanceColumns(centers, k, dim, kit);
  const cols = Array.from({ length: dim }, (_, t) => `p${t}`);
  const tableRef = table.split('.').map(kit.q).join('.');
  return [
    `SELECT seg, count(*) AS n, ${cols.map((c, t) => `sum(${c}) AS s${t}`).join(', ')}, sum(dmin) AS inertia`,
    `FROM (SELECT ${cols.join(', ')}, dmin, CASE ${Array.from({ length: k }, (_, c) => `WHEN d${c} = dmin THEN ${c}`).join(' ')} END AS seg`,
    `  FROM (SELECT *, ${kit.least(Array.from({ length: k }, (_, c) => `d${c}`))} AS dmin`,
    `    FROM (SELECT ${cols.join(', ')}, ${dist.map((e, c) => `${e} AS d${c}`).join(', ')}`,
    `      FROM (SELECT ${p.map((e, t) => `${e} AS p${t}`).join(', ')} FROM ${tableRef}${kit.d.fence}) prepared${kit.d.fence}) distances) nearest) assigned`,
    'GROUP BY seg ORDER BY seg',
  ].join('\n');
}

/**
 * k-means where the data lives: each Lloyd iteration is one query (above), the client keeps only
 * the centres. Starts from `init` (k x d, e.g. k-means++ on a sample drawn in the engine); stops when
 * the centres move less than tolAbs in total (squared) or after maxIter. An empty cluster keeps its
 * centre. Matches in-process Lloyd from the same start, up to the order the database adds in.
 */
export async function kmeansInEngine(
  runner: SqlRunner,
  prep: PrepParams,
  table: string,
  init: ArrayLike<number>,
  k: number,
  maxIter = 300,
  tolAbs = 0,
): Promise<{
  centers: Float64Array;
  counts: Float64Array;
  inertia: number;
  nIter: number;
  rowsMoved: number;
}> {
  const dim = prep.outputNames.length;
  const centers = Float64Array.from(init);
  const counts = new Float64Array(k);
  let nIter = 0;
  let rowsMoved = 0;
  for (; nIter < maxIter; nIter++) {
    const rows = await runner.all(lloydIterationSql(prep, centers, k, table, runner.dialect));
    rowsMoved += rows.length;
    let shift = 0;
    counts.fill(0);
    for (const r of rows) {
      const c = Number(r.seg);
      const n = Number(r.n);
      counts[c] = n;
      for (let t = 0; t < dim; t++) {
        const v = Number(r[`s${t}`]) / n;
        shift += (v - centers[c * dim + t]) ** 2;
        centers[c * dim + t] = v;
      }
    }
    if (shift <= tolAbs) {
      nIter++;
      break;
    }
  }
  const last = await runner.all(lloydIterationSql(prep, centers, k, table, runner.dialect));
  rowsMoved += last.length;
  const inertia = last.reduce((a, r) => a + Number(r.inertia), 0);
  return { centers, counts, inertia, nIter, rowsMoved };
}

/**
 * A deterministic sample of the prepared features, drawn in the database: the rows with the
 * smallest hash of (seed, customer id), at most `size`. Only the sample comes back.
 */
export function sampleSql(
  prep: PrepParams,
  table: string,
  idColumn: string,
  size: number,
  seed: number,
  dialect: Dialect,
): string {
  const kit = sqlKit(dialect);
  const p = preparedColumns(prep, kit);
  const tableRef = table.split('.').map(kit.q).join('.');
  const key = `${kit.d.hash}(concat(${kit.str(String(seed))}, CAST(${kit.q(idColumn)} AS ${kit.d.text})))`;
  return `SELECT ${p.map((e, t) => `${e} AS p${t}`).join(', ')} FROM ${tableRef} ORDER BY ${key}, ${kit.q(idColumn)} LIMIT ${Math.max(1, Math.floor(size))}`;
}

/**
 * Clusters a feature table where it lives: k-means++ on a seeded sample drawn in the engine, then
 * Lloyd iterations as aggregation queries; the client only ever holds the sample and the centres.
 */
export async function clusterInEngine(
  runner: SqlRunner,
  opts: {
    prep: PrepParams;
    table: string;
    idColumn?: string;
    k: number;
    seed: number;
    sampleSize?: number;
    maxIter?: number;
    tol?: number;
  },
): Promise<{
  centers: Float64Array;
  counts: Float64Array;
  inertia: number;
  nIter: number;
  sampleRows: number;
  rowsMoved: number;
}> {
  const dim = opts.prep.outputNames.length;
  const rows = await runner.all(
    sampleSql(
      opts.prep,
      opts.table,
      opts.idColumn ?? 'customer_id',
      opts.sampleSize ?? 10000,
      opts.seed,
      runner.dialect,
    ),
  );
  const sample = { rows: rows.length, cols: dim, data: new Float64Array(rows.length * dim) };
  rows.forEach((r, i) => {
    for (let t = 0; t < dim; t++) sample.data[i * dim + t] = Number(r[`p${t}`]);
  });
  const init = kmeansPlusPlus(sample, opts.k, createRng(deriveSeed(opts.seed, 0)));
  const tolAbs = (opts.tol ?? 1e-4) * meanVariance(sample);
  const r = await kmeansInEngine(runner, opts.prep, opts.table, init, opts.k, opts.maxIter ?? 300, tolAbs);
  return { ...r, sampleRows: rows.length, rowsMoved: r.rowsMoved + rows.length };
}

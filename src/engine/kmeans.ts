import { assign, kmeansPlusPlus, meanVariance } from '../cluster/kmeans.js';
import { createMatrix, type Matrix } from '../core/matrix.js';
import { createRng, deriveSeed } from '../core/rng.js';
import { kneeIndex, silhouetteScore } from '../metrics/quality.js';
import { distanceColumns, preparedColumns } from '../model/sql.js';
import type { PrepParams } from '../prep/prepare.js';
import { type Dialect, replaceTableSql, type SqlKit, sqlKit } from '../sql/dialect.js';
import { checkAbort, type Queryable } from '../sql/query.js';

/**
 * Every row of `table` with its nearest centre: the prepared features (p0, p1, ...) and the
 * distances to the centres (as literals) are computed in the database; `seg` is the nearest centre
 * (the first on ties, as in-process), `dmin` its squared distance. `carry` columns pass through.
 */
function nearestSql(
  prep: PrepParams,
  centers: ArrayLike<number>,
  k: number,
  table: string,
  kit: SqlKit,
  carry: string[],
): string {
  const dim = prep.outputNames.length;
  const p = preparedColumns(prep, kit);
  const dist = distanceColumns(centers, k, dim, kit);
  const cols = [...carry, ...Array.from({ length: dim }, (_, t) => `p${t}`)];
  const tableRef = table.split('.').map(kit.q).join('.');
  return [
    `SELECT ${cols.join(', ')}, dmin, CASE ${Array.from({ length: k }, (_, c) => `WHEN d${c} = dmin THEN ${c}`).join(' ')} END AS seg`,
    `  FROM (SELECT *, ${kit.least(Array.from({ length: k }, (_, c) => `d${c}`))} AS dmin`,
    `    FROM (SELECT ${cols.join(', ')}, ${dist.map((e, c) => `${e} AS d${c}`).join(', ')}`,
    `      FROM (SELECT ${[...carry, ...p.map((e, t) => `${e} AS p${t}`)].join(', ')} FROM ${tableRef}${kit.d.fence}) prepared${kit.d.fence}) distances) nearest`,
  ].join('\n');
}

/**
 * One Lloyd iteration as one aggregation query over nearestSql: only k rows come back, the count,
 * the sums per prepared column, and the sum of squared distances.
 */
export function lloydIterationSql(
  prep: PrepParams,
  centers: ArrayLike<number>,
  k: number,
  table: string,
  dialect: Dialect,
): string {
  const dim = prep.outputNames.length;
  const sums = Array.from({ length: dim }, (_, t) => `sum(p${t}) AS s${t}`);
  return [
    `SELECT seg, count(*) AS n, ${sums.join(', ')}, sum(dmin) AS inertia`,
    `FROM (${nearestSql(prep, centers, k, table, sqlKit(dialect), [])}) assigned`,
    'GROUP BY seg ORDER BY seg',
  ].join('\n');
}

/** The final assignment as a SELECT: customer_id, segment (0-based centre) and distance. */
export function assignmentSql(
  prep: PrepParams,
  centers: ArrayLike<number>,
  k: number,
  table: string,
  idColumn: string,
  dialect: Dialect,
): string {
  const kit = sqlKit(dialect);
  const id = kit.q(idColumn);
  return `SELECT ${id} AS ${kit.q('customer_id')}, seg AS ${kit.q('segment')}, sqrt(dmin) AS ${kit.q('distance')}\nFROM (${nearestSql(prep, centers, k, table, kit, [id])}) assigned`;
}

/** Progress and cancellation of an in-engine run, as for an in-process one. */
export interface EngineRunOptions {
  /** Called after each Lloyd iteration (done of at most total). */
  onProgress?: (done: number, total: number, label: string) => void;
  /** Aborting stops before the next query with a CANCELLED error. */
  signal?: AbortSignal;
  /** Summarise the data for the report (default true); a campaign's outcome read needs no summary. */
  overview?: boolean;
}

const stopIfAborted = (signal: AbortSignal | undefined, where: string) =>
  checkAbort(signal, `The in-engine k-means (${where})`);

/**
 * k-means where the data lives: each Lloyd iteration is one query (above), the client keeps only
 * the centres. Starts from `init` (k x d, e.g. k-means++ on a sample drawn in the engine); stops when
 * the centres move less than tolAbs in total (squared) or after maxIter. An empty cluster keeps its
 * centre. Matches in-process Lloyd from the same start, up to the order the database adds in.
 */
export async function kmeansInEngine(
  runner: Queryable,
  prep: PrepParams,
  table: string,
  init: ArrayLike<number>,
  k: number,
  maxIter = 300,
  tolAbs = 0,
  run: EngineRunOptions = {},
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
    stopIfAborted(run.signal, `before iteration ${nIter + 1}`);
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
    run.onProgress?.(nIter + 1, maxIter, `Lloyd iteration ${nIter + 1}, shift ${shift.toPrecision(3)}`);
    if (shift <= tolAbs) {
      nIter++;
      break;
    }
  }
  stopIfAborted(run.signal, 'before the final pass');
  const last = await runner.all(lloydIterationSql(prep, centers, k, table, runner.dialect));
  rowsMoved += last.length;
  // Sizes and inertia of the final assignment (to the final centres), as in-process.
  counts.fill(0);
  for (const r of last) counts[Number(r.seg)] = Number(r.n);
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
  const key = `${kit.d.hash}(concat(${kit.str(String(seed))}, ${kit.fx.text(kit.q(idColumn))}))`;
  return `SELECT ${p.map((e, t) => `${e} AS p${t}`).join(', ')} FROM ${tableRef} ORDER BY ${key}, ${kit.q(idColumn)} LIMIT ${Math.max(1, Math.floor(size))}`;
}

/** What clustering in an engine needs to know: the table, its preparation, k and the seed. */
export interface EngineClusterOptions extends EngineRunOptions {
  prep: PrepParams;
  table: string;
  idColumn?: string;
  k: number;
  seed: number;
  sampleSize?: number;
  maxIter?: number;
  tol?: number;
  /** Write the final assignment (customer_id, segment, distance) to this table in the engine. */
  outTable?: string;
  /** A sample already drawn with drawSample (model selection draws it once for every k). */
  sample?: Matrix;
}

/** The seeded sample of prepared rows, drawn in the engine (sampleSql); the only rows that come back. */
export async function drawSample(runner: Queryable, opts: Omit<EngineClusterOptions, 'k'>): Promise<Matrix> {
  stopIfAborted(opts.signal, 'before sampling');
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
  const sample = createMatrix(rows.length, dim);
  rows.forEach((r, i) => {
    for (let t = 0; t < dim; t++) sample.data[i * dim + t] = Number(r[`p${t}`]);
  });
  return sample;
}

/** Replaces `outTable` in the engine by the assignment of every row to its nearest centre. */
export async function writeAssignment(
  runner: Queryable,
  opts: EngineClusterOptions & { outTable: string },
  centers: ArrayLike<number>,
): Promise<void> {
  const exec = (sql: string) => runner.exec(sql);
  const select = assignmentSql(
    opts.prep,
    centers,
    opts.k,
    opts.table,
    opts.idColumn ?? 'customer_id',
    runner.dialect,
  );
  // Past this point the statements run to the end, so an abort never leaves the target dropped.
  stopIfAborted(opts.signal, 'before writing the assignment table');
  for (const sql of replaceTableSql(opts.outTable, select, runner.dialect)) await exec(sql);
}

/**
 * Clusters a feature table where it lives: k-means++ on a seeded sample drawn in the engine, then
 * Lloyd iterations as aggregation queries; the client only ever holds the sample and the centres.
 * With outTable, the final assignment is written as a table in the engine (staged, then renamed).
 */
export async function clusterInEngine(
  runner: Queryable,
  opts: EngineClusterOptions,
): Promise<{
  centers: Float64Array;
  counts: Float64Array;
  inertia: number;
  nIter: number;
  sampleRows: number;
  rowsMoved: number;
}> {
  const drawn = !opts.sample;
  const sample = opts.sample ?? (await drawSample(runner, opts));
  const init = kmeansPlusPlus(sample, opts.k, createRng(deriveSeed(opts.seed, 0)));
  const tolAbs = (opts.tol ?? 1e-4) * meanVariance(sample);
  const r = await kmeansInEngine(
    runner,
    opts.prep,
    opts.table,
    init,
    opts.k,
    opts.maxIter ?? 300,
    tolAbs,
    opts,
  );
  if (opts.outTable) await writeAssignment(runner, { ...opts, outTable: opts.outTable }, r.centers);
  return { ...r, sampleRows: sample.rows, rowsMoved: r.rowsMoved + (drawn ? sample.rows : 0) };
}

/**
 * Chooses k where the data lives: for each k from kMin to kMax, k-means in the engine from one
 * sample drawn once; the full-data inertia comes from the engine, the silhouette is computed here on
 * the sample (labels by the final centres). The best silhouette wins (the smaller k on ties); the
 * elbow of the inertia curve is reported beside it. With outTable, the chosen k's assignment is written.
 */
export async function selectKInEngine(
  runner: Queryable,
  opts: Omit<EngineClusterOptions, 'k'> & { kMin: number; kMax: number },
): Promise<{
  chosen: number;
  elbow: number | null;
  candidates: { k: number; inertia: number; silhouette: number; nIter: number }[];
  best: Awaited<ReturnType<typeof clusterInEngine>>;
  sampleRows: number;
  rowsMoved: number;
}> {
  const { outTable, ...rest } = opts;
  const sample = await drawSample(runner, rest);
  const candidates: { k: number; inertia: number; silhouette: number; nIter: number }[] = [];
  const fits = new Map<number, Awaited<ReturnType<typeof clusterInEngine>>>();
  let rowsMoved = sample.rows;
  for (let k = opts.kMin; k <= opts.kMax; k++) {
    const r = await clusterInEngine(runner, { ...rest, k, sample });
    rowsMoved += r.rowsMoved;
    const labels = new Int32Array(sample.rows);
    assign(sample, r.centers, k, labels, new Float64Array(sample.rows));
    candidates.push({
      k,
      inertia: r.inertia,
      silhouette: silhouetteScore(sample, labels, k),
      nIter: r.nIter,
    });
    fits.set(k, r);
  }
  let chosen = candidates[0];
  for (const c of candidates)
    if (Number.isFinite(c.silhouette) && !(c.silhouette <= chosen.silhouette)) chosen = c;
  const knee = kneeIndex(
    candidates.map((c) => c.k),
    candidates.map((c) => c.inertia),
  );
  const best = fits.get(chosen.k)!;
  if (outTable) await writeAssignment(runner, { ...rest, k: chosen.k, outTable }, best.centers);
  return {
    chosen: chosen.k,
    elbow: knee >= 0 ? candidates[knee].k : null,
    candidates,
    best,
    sampleRows: sample.rows,
    rowsMoved,
  };
}

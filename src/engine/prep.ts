import { PrepSpec } from '../config/recipe.js';
import { SegmintError } from '../core/errors.js';
import {
  type CategoricalStep,
  MISSING,
  type NumericStep,
  outputNamesOf,
  type PrepParams,
} from '../prep/prepare.js';
import { sqlKit } from '../sql/dialect.js';
import type { Queryable } from '../sql/query.js';
import { engineQuantiles } from '../sql/tables.js';

/** Options of the preparation fitted in the engine beyond the numeric columns. */
export interface EnginePrepOptions {
  /** Text columns one-hot encoded as in-process: the `onehotTop` most frequent levels (missing is a level), the rest "other". */
  categorical?: string[];
  onehotTop?: number;
}

/**
 * Fits the preparation where the table lives, in a few aggregation queries (one row back each, and
 * the top levels of each categorical column), in the order segmint applies it in-process: missing
 * values are imputed with the column mean; columns in `log` are log1p-transformed (of max(x, 0));
 * then the imputed values are centred and scaled: `standard` by the mean and population standard
 * deviation (scikit-learn's StandardScaler), `minmax` to [0, 1], `robust` by the median and the
 * interquartile range (interpolated quantiles, where the dialect has them), `none` left as they
 * are. A column with no spread keeps scale 1; a column with no values is an error. Categorical
 * columns become 0/1 columns per level, unscaled; a column with one level is left out (dropped).
 */
export async function fitPrepInEngine(
  runner: Queryable,
  table: string,
  features: string[],
  scaler: Extract<PrepSpec['scaler'], 'standard' | 'minmax' | 'robust' | 'none'>,
  log: string[] = [],
  options: EnginePrepOptions = {},
): Promise<PrepParams> {
  const categorical = options.categorical ?? [];
  if (!features.length && !categorical.length)
    throw new SegmintError('USAGE', 'Name at least one feature column to cluster on.');
  for (const f of log)
    if (!features.includes(f))
      throw new SegmintError('USAGE', `Column ${f} is to be log-transformed but is not among the features.`);
  const kit = sqlKit(runner.dialect);
  const tableRef = table.split('.').map(kit.q).join('.');
  const x = (f: string) => kit.fx.double(kit.q(f));
  const select = async (cols: string[]) =>
    cols.length ? ((await runner.all(`SELECT ${cols.join(', ')} FROM ${tableRef}`))[0] ?? {}) : {};
  const first = await select(features.map((f, j) => `avg(${x(f)}) AS m${j}, count(${x(f)}) AS n${j}`));
  const means = features.map((name, j) => {
    if (!Number(first[`n${j}`]))
      throw new SegmintError('DATA_NO_FEATURES', `Column ${name} of ${table} has no values to cluster on.`, {
        where: { column: name },
        hint: 'Leave the column out of --features, or fill it in the table.',
      });
    return Number(first[`m${j}`]);
  });
  // The scaler sees the imputed (and logged) values, so it is fitted over every row.
  const ready = (f: string, j: number) => {
    const v = `coalesce(${x(f)}, ${kit.num(means[j])})`;
    return log.includes(f) ? `${kit.d.ln}(${kit.num(1)} + greatest(${v}, ${kit.num(0)}))` : v;
  };
  const stats = (f: string, j: number) =>
    `avg(${ready(f, j)}) AS m${j}, ${kit.d.stddevPop}(${ready(f, j)}) AS s${j}, min(${ready(f, j)}) AS lo${j}, max(${ready(f, j)}) AS hi${j}`;
  const second: Record<string, unknown> =
    scaler === 'standard' || scaler === 'minmax' ? await select(features.map(stats)) : {};
  if (scaler === 'robust') {
    // Median and quartiles of the imputed (and logged) values.
    const qs = await engineQuantiles(
      runner,
      tableRef,
      features.flatMap((f, j) => [0.25, 0.5, 0.75].map((p) => ({ expr: ready(f, j), p }))),
    );
    features.forEach((_, j) => {
      [second[`q1${j}`], second[`q2${j}`], second[`q3${j}`]] = qs.slice(3 * j, 3 * j + 3);
    });
  }
  const steps: (NumericStep | CategoricalStep)[] = features.map((name, j) => {
    const at = (key: string) => Number(second[`${key}${j}`]);
    const fit =
      scaler === 'standard'
        ? { center: at('m'), scale: at('s') > 0 ? at('s') : 1 }
        : scaler === 'minmax'
          ? { center: at('lo'), scale: at('hi') > at('lo') ? at('hi') - at('lo') : 1 }
          : scaler === 'robust'
            ? { center: at('q2'), scale: at('q3') - at('q1') > 0 ? at('q3') - at('q1') : 1 }
            : { center: 0, scale: 1 };
    return {
      name,
      type: 'numeric' as const,
      impute: means[j],
      imputeMethod: 'mean' as const,
      log: log.includes(name),
      ...fit,
      weight: 1,
    };
  });
  const dropped: PrepParams['dropped'] = [];
  const top = options.onehotTop ?? PrepSpec.parse({}).onehotTop;
  for (const name of categorical) {
    const level = `coalesce(${kit.fx.text(kit.q(name))}, ${kit.str(MISSING)})`;
    const counts = `SELECT ${level} AS v, count(*) AS n FROM ${tableRef} GROUP BY ${level}`;
    // The count of the top-th level, then every level at least as frequent: ties at the edge are
    // broken here, as in-process, not by the database's collation.
    const head = await runner.all(`SELECT n FROM (${counts}) AS c ORDER BY n DESC LIMIT ${top + 1}`);
    const edge = Number(head[Math.min(top, head.length) - 1]?.n ?? 0);
    const ranked = (await runner.all(`SELECT v, n FROM (${counts}) AS c WHERE n >= ${edge}`))
      .map((r) => [String(r.v), Number(r.n)] as const)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    if (head.length < 2) {
      dropped.push({ name, reason: 'constant' });
      continue;
    }
    const levels = ranked.slice(0, top).map(([v]) => v);
    steps.push({ name, type: 'categorical', levels, other: head.length > top, weight: 1 });
  }
  return { scaler, steps, outputNames: outputNamesOf(steps), dropped };
}

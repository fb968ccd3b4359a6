import type { PrepSpec } from '../config/recipe.js';
import { SegmintError } from '../core/errors.js';
import { sqlKit } from '../model/sql.js';
import type { NumericStep, PrepParams } from '../prep/prepare.js';
import type { SqlRunner } from './kmeans.js';

/**
 * Fits the preparation of numeric feature columns where the table lives, in two aggregation queries
 * (one row back each), in the order segmint applies it in-process: missing values are imputed with
 * the column mean; columns in `log` are log1p-transformed (of max(x, 0)); then the imputed values
 * are centred and scaled: `standard` by the mean and population standard deviation (scikit-learn's
 * StandardScaler), `minmax` to [0, 1], `none` left as they are. A column with no spread keeps
 * scale 1; a column with no values is an error.
 */
export async function fitPrepInEngine(
  runner: SqlRunner,
  table: string,
  features: string[],
  scaler: Extract<PrepSpec['scaler'], 'standard' | 'minmax' | 'none'>,
  log: string[] = [],
): Promise<Omit<PrepParams, 'steps'> & { steps: NumericStep[] }> {
  if (!features.length) throw new SegmintError('USAGE', 'Name at least one feature column to cluster on.');
  for (const f of log)
    if (!features.includes(f))
      throw new SegmintError('USAGE', `Column ${f} is to be log-transformed but is not among the features.`);
  const kit = sqlKit(runner.dialect);
  const tableRef = table.split('.').map(kit.q).join('.');
  const x = (f: string) => kit.fx.double(kit.q(f));
  const select = async (cols: string[]) =>
    (await runner.all(`SELECT ${cols.join(', ')} FROM ${tableRef}`))[0] ?? {};
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
  const second =
    scaler === 'none'
      ? {}
      : await select(
          features.map(
            (f, j) =>
              `avg(${ready(f, j)}) AS m${j}, ${kit.d.stddevPop}(${ready(f, j)}) AS s${j}, min(${ready(f, j)}) AS lo${j}, max(${ready(f, j)}) AS hi${j}`,
          ),
        );
  const steps = features.map((name, j) => {
    const [m, sd, lo, hi] = ['m', 's', 'lo', 'hi'].map((key) => Number(second[`${key}${j}`]));
    const fit =
      scaler === 'standard'
        ? { center: m, scale: sd > 0 ? sd : 1 }
        : scaler === 'minmax'
          ? { center: lo, scale: hi > lo ? hi - lo : 1 }
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
  return { scaler, steps, outputNames: [...features], dropped: [] };
}

import type { PrepSpec } from '../config/recipe.js';
import { SegmintError } from '../core/errors.js';
import { sqlKit } from '../model/sql.js';
import type { NumericStep, PrepParams } from '../prep/prepare.js';
import type { SqlRunner } from './kmeans.js';

/**
 * Fits the preparation of numeric feature columns where the table lives, in one aggregation query:
 * missing values are imputed with the column mean, then centred and scaled by the population
 * standard deviation (`standard`, as scikit-learn's StandardScaler) or left as they are (`none`).
 * Columns in `log` are log1p-transformed (of max(x, 0), after imputing) before scaling, with the
 * scale fitted on the transformed values in a second query. Only one row per query comes back. A
 * column with no spread keeps scale 1; a column with no values is an error.
 */
export async function fitPrepInEngine(
  runner: SqlRunner,
  table: string,
  features: string[],
  scaler: Extract<PrepSpec['scaler'], 'standard' | 'none'>,
  log: string[] = [],
): Promise<Omit<PrepParams, 'steps'> & { steps: NumericStep[] }> {
  if (!features.length) throw new SegmintError('USAGE', 'Name at least one feature column to cluster on.');
  for (const f of log)
    if (!features.includes(f))
      throw new SegmintError('USAGE', `Column ${f} is to be log-transformed but is not among the features.`);
  const kit = sqlKit(runner.dialect);
  const tableRef = table.split('.').map(kit.q).join('.');
  const x = (f: string) => `CAST(${kit.q(f)} AS ${kit.d.double})`;
  const sql = `SELECT ${features.map((f, j) => `avg(${x(f)}) AS m${j}, ${kit.d.stddevPop}(${x(f)}) AS s${j}, count(${x(f)}) AS n${j}`).join(', ')} FROM ${tableRef}`;
  const row = (await runner.all(sql))[0] ?? {};
  const means = features.map((name, j) => {
    if (!Number(row[`n${j}`]))
      throw new SegmintError('DATA_NO_FEATURES', `Column ${name} of ${table} has no values to cluster on.`, {
        where: { column: name },
        hint: 'Leave the column out of --features, or fill it in the table.',
      });
    return Number(row[`m${j}`]);
  });
  const stats = features.map((_, j) => ({ mean: means[j], sd: Number(row[`s${j}`]) }));
  if (log.length) {
    const logged = (f: string) =>
      `${kit.d.ln}(${kit.num(1)} + greatest(coalesce(${x(f)}, ${kit.num(means[features.indexOf(f)])}), ${kit.num(0)}))`;
    const lrow =
      (
        await runner.all(
          `SELECT ${log.map((f, j) => `avg(${logged(f)}) AS m${j}, ${kit.d.stddevPop}(${logged(f)}) AS s${j}`).join(', ')} FROM ${tableRef}`,
        )
      )[0] ?? {};
    log.forEach((f, j) => {
      stats[features.indexOf(f)] = { mean: Number(lrow[`m${j}`]), sd: Number(lrow[`s${j}`]) };
    });
  }
  const steps = features.map((name, j) => ({
    name,
    type: 'numeric' as const,
    impute: means[j],
    imputeMethod: 'mean' as const,
    log: log.includes(name),
    center: scaler === 'standard' ? stats[j].mean : 0,
    scale: scaler === 'standard' && stats[j].sd > 0 ? stats[j].sd : 1,
    weight: 1,
  }));
  return { scaler, steps, outputNames: [...features], dropped: [] };
}

import type { PrepSpec } from '../config/recipe.js';
import { SegmintError } from '../core/errors.js';
import { sqlKit } from '../model/sql.js';
import type { NumericStep, PrepParams } from '../prep/prepare.js';
import type { SqlRunner } from './kmeans.js';

/**
 * Fits the preparation of numeric feature columns where the table lives, in one aggregation query:
 * missing values are imputed with the column mean, then centred and scaled by the population
 * standard deviation (`standard`, as scikit-learn's StandardScaler) or left as they are (`none`).
 * Only one row comes back. A column with no spread keeps scale 1; a column with no values is an error.
 */
export async function fitPrepInEngine(
  runner: SqlRunner,
  table: string,
  features: string[],
  scaler: Extract<PrepSpec['scaler'], 'standard' | 'none'>,
): Promise<Omit<PrepParams, 'steps'> & { steps: NumericStep[] }> {
  if (!features.length) throw new SegmintError('USAGE', 'Name at least one feature column to cluster on.');
  const kit = sqlKit(runner.dialect);
  const x = (f: string) => `CAST(${kit.q(f)} AS ${kit.d.double})`;
  const sql = `SELECT ${features.map((f, j) => `avg(${x(f)}) AS m${j}, ${kit.d.stddevPop}(${x(f)}) AS s${j}, count(${x(f)}) AS n${j}`).join(', ')} FROM ${table.split('.').map(kit.q).join('.')}`;
  const row = (await runner.all(sql))[0] ?? {};
  const steps = features.map((name, j) => {
    if (!Number(row[`n${j}`]))
      throw new SegmintError('DATA_NO_FEATURES', `Column ${name} of ${table} has no values to cluster on.`, {
        where: { column: name },
        hint: 'Leave the column out of --features, or fill it in the table.',
      });
    const mean = Number(row[`m${j}`]);
    const sd = Number(row[`s${j}`]);
    return {
      name,
      type: 'numeric' as const,
      impute: mean,
      imputeMethod: 'mean' as const,
      log: false,
      center: scaler === 'standard' ? mean : 0,
      scale: scaler === 'standard' && sd > 0 ? sd : 1,
      weight: 1,
    };
  });
  return { scaler, steps, outputNames: [...features], dropped: [] };
}

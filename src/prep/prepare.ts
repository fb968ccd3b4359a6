import type { PrepSpec } from '../config/recipe.js';
import type { Warning } from '../core/errors.js';
import { createMatrix, type Matrix } from '../core/matrix.js';
import { mean, minMax, quantileSorted, skewness, sortedCopy, std } from './stats.js';

/** The customer x feature table as read from the database: numeric columns and categorical ones. */
export interface FeatureTable {
  ids: string[];
  numeric: { name: string; values: Float64Array }[];
  categorical: { name: string; values: (string | null)[] }[];
}

export interface NumericStep {
  name: string;
  type: 'numeric';
  /** Value that replaces a missing one. */
  impute: number;
  imputeMethod: PrepSpec['impute'];
  log: boolean;
  center: number;
  scale: number;
  weight: number;
}

export interface CategoricalStep {
  name: string;
  type: 'categorical';
  /** Levels that get their own column; anything else (and missing) goes to "other". */
  levels: string[];
  other: boolean;
  weight: number;
}

/** Fitted preparation: plain data, applied the same way at scoring time. */
export interface PrepParams {
  scaler: PrepSpec['scaler'];
  steps: (NumericStep | CategoricalStep)[];
  /** Column names of the prepared matrix. */
  outputNames: string[];
  /** Features left out of clustering, with the reason. */
  dropped: { name: string; reason: string }[];
}

export const OTHER = '(other)';

/** The prepared matrix's column names: a numeric feature's own, one per level of a categorical one. */
export function outputNamesOf(steps: PrepParams['steps']): string[] {
  return steps.flatMap((s) =>
    s.type === 'numeric'
      ? [s.name]
      : [...s.levels.map((l) => `${s.name}=${l}`), ...(s.other ? [`${s.name}=${OTHER}`] : [])],
  );
}
export const MISSING = '(missing)';

/** A numeric feature's missing values and what filled them (the run record and the report say it). */
export interface Imputed {
  feature: string;
  missing: number;
  customers: number;
  method: 'median' | 'mean' | 'zero' | 'constant';
  value: number;
}

/**
 * Fits the preparation on the feature table and returns the params and the prepared matrix.
 * Order per numeric feature: impute -> log1p -> scale -> weight. Categorical features are one-hot
 * encoded (top N levels + other), left unscaled (0/1) and weighted.
 */
export function fitPrep(
  table: FeatureTable,
  spec: PrepSpec,
): { params: PrepParams; matrix: Matrix; warnings: Warning[]; imputed: Imputed[] } {
  const warnings: Warning[] = [];
  const imputed: Imputed[] = [];
  const dropped: PrepParams['dropped'] = [];
  const steps: PrepParams['steps'] = [];
  const excluded = new Set(spec.exclude);
  const known = new Set([...table.numeric.map((c) => c.name), ...table.categorical.map((c) => c.name)]);
  for (const name of [
    ...Object.keys(spec.weights),
    ...spec.exclude,
    ...(Array.isArray(spec.log) ? spec.log : []),
  ]) {
    if (!known.has(name))
      warnings.push({
        code: 'PREP_UNKNOWN_FEATURE',
        message: `prep names "${name}", which is not a feature of this run; it is ignored.`,
        where: { path: 'prep' },
      });
  }
  for (const col of table.numeric) {
    if (excluded.has(col.name)) {
      dropped.push({ name: col.name, reason: 'excluded by prep.exclude' });
      continue;
    }
    const method = spec.imputeOverrides[col.name] ?? spec.impute;
    const sorted = sortedCopy(col.values);
    const missing = col.values.length - sorted.length;
    if (!sorted.length) {
      dropped.push({ name: col.name, reason: 'no values' });
      warnings.push({
        code: 'FEATURE_EMPTY',
        message: `Feature "${col.name}" has no values for any customer; it is left out of clustering.`,
      });
      continue;
    }
    const impute =
      method === 'median'
        ? quantileSorted(sorted, 0.5)
        : method === 'mean'
          ? mean(sorted)
          : method === 'zero'
            ? 0
            : spec.imputeValue;
    if (missing) {
      imputed.push({ feature: col.name, missing, customers: col.values.length, method, value: impute });
      warnings.push({
        code: 'FEATURE_IMPUTED',
        message: `Feature "${col.name}": ${missing} missing value(s) filled with ${method === 'zero' ? '0 (a missing value means no activity)' : `the ${method} (${round(impute)})`}.`,
      });
    }
    const x = new Float64Array(col.values.length);
    for (let i = 0; i < x.length; i++) x[i] = Number.isNaN(col.values[i]) ? impute : col.values[i];
    const [lo, hi] = minMax(x);
    if (lo === hi) {
      dropped.push({ name: col.name, reason: 'constant' });
      warnings.push({
        code: 'FEATURE_CONSTANT',
        message: `Feature "${col.name}" has the same value (${round(lo)}) for every customer; it is left out of clustering.`,
      });
      continue;
    }
    const log =
      spec.log === 'auto'
        ? lo >= 0 && !isBinary(x, lo, hi) && skewness(x) > spec.logSkew
        : Array.isArray(spec.log) && spec.log.includes(col.name);
    if (log && lo < 0) {
      warnings.push({
        code: 'LOG_NEGATIVE',
        message: `Feature "${col.name}" has negative values; log1p is applied to max(x, 0).`,
      });
    }
    if (log) for (let i = 0; i < x.length; i++) x[i] = Math.log1p(Math.max(x[i], 0));
    const { center, scale } = fitScaler(x, spec.scaler);
    steps.push({
      name: col.name,
      type: 'numeric',
      impute,
      imputeMethod: method,
      log,
      center,
      scale,
      weight: spec.weights[col.name] ?? 1,
    });
  }
  for (const col of table.categorical) {
    if (excluded.has(col.name)) {
      dropped.push({ name: col.name, reason: 'excluded by prep.exclude' });
      continue;
    }
    const counts = new Map<string, number>();
    for (const v of col.values) {
      const k = v ?? MISSING;
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
    if (ranked.length < 2) {
      dropped.push({ name: col.name, reason: 'constant' });
      warnings.push({
        code: 'FEATURE_CONSTANT',
        message: `Feature "${col.name}" has one value for every customer; it is left out of clustering.`,
      });
      continue;
    }
    const levels = ranked.slice(0, spec.onehotTop).map(([k]) => k);
    steps.push({
      name: col.name,
      type: 'categorical',
      levels,
      other: ranked.length > levels.length,
      weight: spec.weights[col.name] ?? 1,
    });
  }
  const params: PrepParams = { scaler: spec.scaler, steps, outputNames: outputNamesOf(steps), dropped };
  const num = new Map(table.numeric.map((c) => [c.name, c.values]));
  const cat = new Map(table.categorical.map((c) => [c.name, c.values]));
  const matrix = applyPrep(
    params,
    table.ids.length,
    (name) => num.get(name),
    (name) => cat.get(name),
  );
  return { params, matrix, warnings, imputed };
}

function fitScaler(x: Float64Array, scaler: PrepSpec['scaler']): { center: number; scale: number } {
  switch (scaler) {
    case 'standard': {
      const m = mean(x);
      const s = std(x, m);
      return { center: m, scale: s > 0 ? s : 1 };
    }
    case 'minmax': {
      const [lo, hi] = minMax(x);
      return { center: lo, scale: hi > lo ? hi - lo : 1 };
    }
    case 'robust': {
      const s = sortedCopy(x);
      const iqr = quantileSorted(s, 0.75) - quantileSorted(s, 0.25);
      return { center: quantileSorted(s, 0.5), scale: iqr > 0 ? iqr : 1 };
    }
    default:
      return { center: 0, scale: 1 };
  }
}

/** Prepares one numeric value (NaN -> imputed) exactly as at fit time. */
export function prepareValue(step: NumericStep, v: number): number {
  let x = Number.isNaN(v) ? step.impute : v;
  if (step.log) x = Math.log1p(Math.max(x, 0));
  return ((x - step.center) / step.scale) * step.weight;
}

/**
 * Applies fitted params to `rows` customers whose columns are looked up by name. A missing
 * numeric column is an error for the caller to raise; here it counts as all missing. `into`, when
 * given, is a buffer of the caller's of at least rows x outputs values that the matrix is written
 * over (a scorer of one row at a time reuses one: see scoreModel).
 */
export function applyPrep(
  params: PrepParams,
  rows: number,
  numeric: (name: string) => Float64Array | undefined,
  categorical: (name: string) => (string | null)[] | undefined,
  into?: Float64Array,
): Matrix {
  const cols = params.outputNames.length;
  const m: Matrix = into
    ? { rows, cols, data: into.subarray(0, rows * cols).fill(0) }
    : createMatrix(rows, cols);
  const d = m.data;
  let j = 0;
  for (const step of params.steps) {
    if (step.type === 'numeric') {
      const x = numeric(step.name);
      for (let i = 0; i < rows; i++) d[i * cols + j] = prepareValue(step, x ? x[i] : Number.NaN);
      j++;
    } else {
      const x = categorical(step.name);
      const width = step.levels.length + (step.other ? 1 : 0);
      const index = new Map(step.levels.map((l, k) => [l, k]));
      for (let i = 0; i < rows; i++) {
        const v = x?.[i] ?? MISSING;
        const k = index.get(v) ?? (step.other ? step.levels.length : -1);
        if (k >= 0) d[i * cols + j + k] = step.weight;
      }
      j += width;
    }
  }
  return m;
}

/** Whether every value is one of the two extremes (a 0/1 flag): log1p would only relabel it. */
function isBinary(x: Float64Array, lo: number, hi: number): boolean {
  for (let i = 0; i < x.length; i++) if (x[i] !== lo && x[i] !== hi) return false;
  return true;
}

const round = (v: number): string =>
  Number.isInteger(v) ? String(v) : Math.abs(v) >= 1000 ? v.toFixed(1) : String(Number(v.toPrecision(4)));

import { SegmintError } from './errors.js';
import type { Matrix } from './matrix.js';

/**
 * The checks the public numeric functions make of their arguments before any kernel runs, the way
 * scikit-learn's estimators check theirs (`check_array`, `_check_params_vs_input`): each message
 * names the function, the argument and the numbers, so a caller learns what to change. The
 * kernels behind them trust their input.
 */
function bad(fn: string, message: string, hint: string): SegmintError {
  return new SegmintError('INVALID_ARGUMENT', `${fn}: ${message}`, { hint });
}

/** A matrix with rows and columns that match its data, every value finite. */
export function checkMatrix(fn: string, X: Matrix, name = 'X'): void {
  if (!Number.isInteger(X.rows) || X.rows < 1 || !Number.isInteger(X.cols) || X.cols < 1)
    throw bad(
      fn,
      `${name} has ${X.rows} row(s) and ${X.cols} column(s); it needs at least one of each.`,
      'Pass a matrix { rows, cols, data } with rows x cols values.',
    );
  if (!(X.data instanceof Float64Array) || X.data.length !== X.rows * X.cols)
    throw bad(
      fn,
      `${name}.data holds ${X.data?.length ?? 0} value(s), not rows x cols = ${X.rows} x ${X.cols} = ${X.rows * X.cols}.`,
      'data is a Float64Array of rows x cols values, row after row.',
    );
  const d = X.data;
  for (let i = 0; i < d.length; i++)
    if (!Number.isFinite(d[i]))
      throw bad(
        fn,
        `${name} row ${Math.floor(i / X.cols)}, column ${i % X.cols} is ${d[i]}: every value must be a finite number.`,
        'Impute or drop missing values and infinities first (segmint run imputes them by prep.impute).',
      );
}

/** A number within [min, max]: finite, and whole where `whole`. */
function checkRange(fn: string, name: string, v: number, min: number, max: number, whole: boolean): void {
  const ok = whole ? Number.isInteger(v) : Number.isFinite(v);
  if (ok && v >= min && v <= max) return;
  const what = whole ? 'a whole number' : 'a number';
  throw bad(
    fn,
    `${name} is ${v}; it must be ${what} ${Number.isFinite(max) && max !== Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `of at least ${min}`}.`,
    `Pass ${name} as ${whole ? 'a whole number' : 'a finite number'} in that range.`,
  );
}

/** A whole number within [min, max]. */
export const checkInteger = (
  fn: string,
  name: string,
  v: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
) => checkRange(fn, name, v, min, max, true);

/** A finite number within [min, max]. */
export const checkNumber = (
  fn: string,
  name: string,
  v: number,
  min: number,
  max = Number.POSITIVE_INFINITY,
) => checkRange(fn, name, v, min, max, false);

/** Labels: one per row of X, each in 0..k-1. */
export function checkLabels(fn: string, X: Matrix, labels: Int32Array, k: number): void {
  checkInteger(fn, 'k', k, 1);
  if (labels.length !== X.rows)
    throw bad(
      fn,
      `labels has ${labels.length} value(s) for ${X.rows} row(s) of X.`,
      'Pass one label per row of X, in the same order.',
    );
  for (let i = 0; i < labels.length; i++)
    if (labels[i] < 0 || labels[i] >= k)
      throw bad(
        fn,
        `labels[${i}] is ${labels[i]}; labels run from 0 to k - 1 = ${k - 1}.`,
        'Number the clusters 0..k-1.',
      );
}

/**
 * Loops where a spread would do for a few values but overflows the stack for a customer-sized
 * array (`Math.min(...xs)`, `out.push(...xs)` pass every element as an argument). src/ has no spread
 * in call arguments (test/architecture.test.ts checks it); these serve instead.
 */

/** The smallest value (NaN skipped); Infinity for none. */
export function minOf(values: ArrayLike<number> | Iterable<number>): number {
  let m = Number.POSITIVE_INFINITY;
  for (const v of values as Iterable<number>) if (v < m) m = v;
  return m;
}

/** The largest value (NaN skipped); -Infinity for none. */
export function maxOf(values: ArrayLike<number> | Iterable<number>): number {
  let m = Number.NEGATIVE_INFINITY;
  for (const v of values as Iterable<number>) if (v > m) m = v;
  return m;
}

/** Appends `items` to `target` one by one; returns target. */
export function append<T>(target: T[], items: Iterable<T>): T[] {
  for (const x of items) target.push(x);
  return target;
}

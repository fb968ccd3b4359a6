/** Special functions for the customer-base models: Gauss's hypergeometric 2F1 (log-gamma and log-beta live in core/special). */
export { lbeta, lgamma } from '../core/special.js';

/**
 * Gauss's hypergeometric function 2F1(a, b; c; z) for z < 1: the power series for 0 <= z < 1
 * (summed until terms stop mattering), Pfaff's transformation for z < 0.
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (z === 0) return 1;
  if (z < 0) {
    // Pfaff: 2F1(a,b;c;z) = (1-z)^-a 2F1(a, c-b; c; z/(z-1)), which maps z < 0 into [0, 1).
    return (1 - z) ** -a * hyp2f1(a, c - b, c, z / (z - 1));
  }
  return hyp2f1Series(a, b, c, z);
}

function hyp2f1Series(a: number, b: number, c: number, z: number): number {
  let term = 1;
  let sum = 1;
  for (let n = 0; n < 100000; n++) {
    term *= (((a + n) * (b + n)) / ((c + n) * (n + 1))) * z;
    sum += term;
    if (Math.abs(term) < 1e-15 * Math.abs(sum)) break;
  }
  return sum;
}

/** log(exp(a) + exp(b)) without overflow. */
export function logAddExp(a: number, b: number): number {
  if (a === Number.NEGATIVE_INFINITY) return b;
  if (b === Number.NEGATIVE_INFINITY) return a;
  const m = Math.max(a, b);
  return m + Math.log(Math.exp(a - m) + Math.exp(b - m));
}

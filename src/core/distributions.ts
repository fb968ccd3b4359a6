/** The normal and Student's t distributions: cdf, survival function, quantile and density. */
import { betaInc, gammaQ, lgamma } from './special.js';

/** P(Z > x) for a standard normal Z, accurate in the far tails (0.5 Q(1/2, x^2/2)). */
export function normSf(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  const q = 0.5 * gammaQ(0.5, (x * x) / 2);
  return x >= 0 ? q : 1 - q;
}

export const normCdf = (x: number): number => normSf(-x);

export const normPdf = (x: number): number => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);

const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1,
  2.506628277459239,
];
const B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1,
];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968,
  2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];

/** The standard normal quantile: Acklam's rational approximation polished by Halley steps on normCdf. */
export function normPpf(p: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1) return Number.NaN;
  if (p === 0) return Number.NEGATIVE_INFINITY;
  if (p === 1) return Number.POSITIVE_INFINITY;
  const low = 0.02425;
  let x: number;
  if (p < low || p > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(p < low ? p : 1 - p));
    x =
      (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1);
    if (p > low) x = -x;
  } else {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
      (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1);
  }
  for (let i = 0; i < 3; i++) {
    // Halley on F(x) - p, computed from the side whose tail is small so it keeps its digits.
    const err = p < 0.5 ? normCdf(x) - p : 1 - p - normSf(x);
    const u = err / normPdf(x);
    if (!Number.isFinite(u)) break;
    x -= u / (1 + (x * u) / 2);
  }
  return x;
}

/** Student's t density with df degrees of freedom. */
export function tPdf(t: number, df: number): number {
  if (df === Number.POSITIVE_INFINITY) return normPdf(t);
  return Math.exp(
    lgamma((df + 1) / 2) -
      lgamma(df / 2) -
      0.5 * Math.log(df * Math.PI) -
      ((df + 1) / 2) * Math.log1p((t * t) / df),
  );
}

/** P(T > t) for Student's t with df > 0 degrees of freedom (the normal when df is infinite). */
export function tSf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY || df > 1e10) return normSf(t);
  const tail = 0.5 * betaInc(df / 2, 0.5, df / (df + t * t), (t * t) / (df + t * t));
  return t >= 0 ? tail : 1 - tail;
}

export const tCdf = (t: number, df: number): number => tSf(-t, df);

/** The quantile of Student's t: Newton steps from the normal quantile, kept inside a bisection bracket. */
export function tPpf(p: number, df: number): number {
  if (Number.isNaN(p) || p < 0 || p > 1 || !(df > 0)) return Number.NaN;
  if (df === Number.POSITIVE_INFINITY || df > 1e10) return normPpf(p);
  if (p === 0.5) return 0;
  if (p < 0.5) return -tPpf(1 - p, df);
  // p > 0.5: find t > 0 with tSf(t) = 1 - p.
  const target = 1 - p;
  if (target === 0) return Number.POSITIVE_INFINITY;
  let lo = 0;
  let hi = Math.max(1, normPpf(p));
  while (tSf(hi, df) > target) {
    lo = hi;
    hi *= 2;
    if (hi > 1e300) return Number.POSITIVE_INFINITY;
  }
  let x = Math.min(Math.max(normPpf(p), lo), hi);
  for (let i = 0; i < 200; i++) {
    const f = tSf(x, df) - target; // decreasing in x
    if (f === 0) return x;
    if (f > 0) lo = x;
    else hi = x;
    let next = x + f / tPdf(x, df);
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (Math.abs(next - x) <= 1e-15 * Math.max(1, Math.abs(x))) return next;
    x = next;
  }
  return x;
}

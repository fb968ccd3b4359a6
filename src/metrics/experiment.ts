/**
 * Statistics of a controlled experiment (a campaign's treatment against its holdout): Welch's t
 * interval for a difference of means, Wilson's interval for a rate and Newcombe's hybrid score
 * interval for a difference of rates, a seeded bootstrap for a difference of ratios, and the
 * minimum detectable effect of a planned split.
 */
import { normPpf, normSf, tPpf, tSf } from '../core/distributions.js';
import { createRng } from '../core/rng.js';

/** n, mean and the unbiased variance of a sample (Welford's running update). */
export interface Moments {
  n: number;
  mean: number;
  variance: number;
}

export function moments(values: ArrayLike<number>): Moments {
  let n = 0;
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    n++;
    const d = values[i] - mean;
    mean += d / n;
    m2 += d * (values[i] - mean);
  }
  return { n, mean: n ? mean : Number.NaN, variance: n > 1 ? m2 / (n - 1) : Number.NaN };
}

/** A difference (treatment minus control) with its interval and two-sided p-value. */
export interface Difference {
  estimate: number;
  lower: number | null;
  upper: number | null;
  pValue: number | null;
  method: 'welch-t' | 'newcombe-hybrid-score' | 'bootstrap-percentile';
}

/**
 * Welch's unequal-variances t interval and test for mean(a) - mean(b) (scipy.stats.ttest_ind with
 * equal_var=False). Either arm under 2 customers: no interval. No variance in either arm: the
 * difference is exact (interval of width 0; p = 1 when it is 0).
 */
export function welch(
  a: Moments,
  b: Moments,
  level = 0.95,
): Difference & { df: number | null; se: number | null } {
  const estimate = a.mean - b.mean;
  if (a.n < 2 || b.n < 2)
    return { estimate, lower: null, upper: null, pValue: null, df: null, se: null, method: 'welch-t' };
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se = Math.sqrt(va + vb);
  if (se === 0)
    return {
      estimate,
      lower: estimate,
      upper: estimate,
      pValue: estimate === 0 ? 1 : 0,
      df: null,
      se: 0,
      method: 'welch-t',
    };
  const df = (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const q = tPpf(1 - (1 - level) / 2, df);
  return {
    estimate,
    lower: estimate - q * se,
    upper: estimate + q * se,
    pValue: Math.min(1, 2 * tSf(Math.abs(estimate / se), df)),
    df,
    se,
    method: 'welch-t',
  };
}

/** Wilson's score interval for x successes out of n. */
export function wilson(x: number, n: number, level = 0.95): { lower: number; upper: number } {
  if (n === 0) return { lower: 0, upper: 1 };
  const z = normPpf(1 - (1 - level) / 2);
  const p = x / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { lower: x === 0 ? 0 : Math.max(0, centre - half), upper: x === n ? 1 : Math.min(1, centre + half) };
}

/**
 * Newcombe's hybrid score interval (his method 10) for the difference of two rates x1/n1 - x2/n2,
 * from the two Wilson intervals; the p-value is the pooled two-proportion z test.
 */
export function newcombe(x1: number, n1: number, x2: number, n2: number, level = 0.95): Difference {
  const method = 'newcombe-hybrid-score' as const;
  if (n1 === 0 || n2 === 0) return { estimate: Number.NaN, lower: null, upper: null, pValue: null, method };
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const w1 = wilson(x1, n1, level);
  const w2 = wilson(x2, n2, level);
  const d = p1 - p2;
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return {
    estimate: d,
    lower: d - Math.sqrt((p1 - w1.lower) ** 2 + (w2.upper - p2) ** 2),
    upper: d + Math.sqrt((w1.upper - p1) ** 2 + (p2 - w2.lower) ** 2),
    pValue: se === 0 ? (d === 0 ? 1 : 0) : Math.min(1, 2 * normSf(Math.abs(d) / se)),
    method,
  };
}

/**
 * sum(num) / sum(den) in arm a minus the same in arm b, with a seeded percentile bootstrap over
 * customers (each arm resampled on its own); the p-value is twice the smaller share of resampled
 * differences on either side of 0. Customers whose den is 0 add nothing to either sum and are left
 * out of the resampling.
 */
export function bootstrapRatioDifference(
  a: { num: ArrayLike<number>; den: ArrayLike<number> },
  b: { num: ArrayLike<number>; den: ArrayLike<number> },
  opts: { seed: number; resamples?: number; level?: number },
): Difference & { resamples: number } {
  const B = opts.resamples ?? 1000;
  const level = opts.level ?? 0.95;
  const keep = (arm: { num: ArrayLike<number>; den: ArrayLike<number> }) => {
    const num: number[] = [];
    const den: number[] = [];
    for (let i = 0; i < arm.den.length; i++)
      if (arm.den[i] > 0) {
        num.push(arm.num[i]);
        den.push(arm.den[i]);
      }
    return { num: Float64Array.from(num), den: Float64Array.from(den) };
  };
  const [ka, kb] = [keep(a), keep(b)];
  const ratio = (k: { num: Float64Array; den: Float64Array }) => {
    let s = 0;
    let t = 0;
    for (let i = 0; i < k.num.length; i++) {
      s += k.num[i];
      t += k.den[i];
    }
    return t > 0 ? s / t : Number.NaN;
  };
  const estimate = ratio(ka) - ratio(kb);
  const method = 'bootstrap-percentile' as const;
  if (ka.num.length < 2 || kb.num.length < 2)
    return { estimate, lower: null, upper: null, pValue: null, method, resamples: 0 };
  const rng = createRng(opts.seed);
  const draw = (k: { num: Float64Array; den: Float64Array }) => {
    let s = 0;
    let t = 0;
    const n = k.num.length;
    for (let i = 0; i < n; i++) {
      const j = Math.floor(rng() * n);
      s += k.num[j];
      t += k.den[j];
    }
    return s / t;
  };
  const diffs = new Float64Array(B);
  for (let r = 0; r < B; r++) diffs[r] = draw(ka) - draw(kb);
  diffs.sort();
  const at = (q: number) => {
    const h = (B - 1) * q;
    const lo = Math.floor(h);
    return diffs[lo] + (h - lo) * ((diffs[Math.min(lo + 1, B - 1)] ?? diffs[lo]) - diffs[lo]);
  };
  let below = 0;
  let above = 0;
  for (const d of diffs) {
    if (d <= 0) below++;
    if (d >= 0) above++;
  }
  return {
    estimate,
    lower: at((1 - level) / 2),
    upper: at(1 - (1 - level) / 2),
    pValue: Math.min(1, (2 * Math.min(below, above)) / B),
    method,
    resamples: B,
  };
}

/**
 * The smallest true difference of means a two-sided test at `alpha` detects with probability
 * `power`, for arms of nT and nC customers whose outcome has standard deviation sd (the normal
 * approximation: (z_{1-alpha/2} + z_power) sd sqrt(1/nT + 1/nC)).
 */
export function minimumDetectableEffect(
  sd: number,
  nT: number,
  nC: number,
  alpha = 0.05,
  power = 0.8,
): number | null {
  if (nT < 1 || nC < 1 || !Number.isFinite(sd)) return null;
  return (normPpf(1 - alpha / 2) + normPpf(power)) * sd * Math.sqrt(1 / nT + 1 / nC);
}

import { SegmintError } from '../core/errors.js';
import { hessian, invert, nelderMead } from './optimize.js';
import { hyp2f1, lbeta, lgamma, logAddExp } from './special.js';

/** Repeat-purchase summary of one customer: x repeat purchases, the last at t_x, observed for T. */
export interface Summary {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
}

export interface Fit<P> {
  params: P;
  logLikelihood: number;
  /** Standard errors of the parameters from the inverse Hessian of the log-likelihood (delta method from log-parameters). */
  se: P | null;
  iterations: number;
  converged: boolean;
}

const names = <P>(p: P) => Object.keys(p as object) as (keyof P)[];

/** Maximum likelihood on log-parameters with Nelder-Mead, then standard errors. */
function fitLogParams<P extends Record<string, number>>(
  ll: (p: P) => number,
  start: P,
  model: string,
): Fit<P> {
  const keys = names(start);
  const toP = (v: number[]) => Object.fromEntries(keys.map((k, i) => [k, Math.exp(v[i])])) as P;
  const negLL = (v: number[]) => {
    if (v.some((x) => Math.abs(x) > 30)) return Number.POSITIVE_INFINITY;
    return -ll(toP(v));
  };
  let best = nelderMead(
    negLL,
    keys.map((k) => Math.log(start[k])),
    { maxIter: 4000 },
  );
  // Restart once from the optimum: Nelder-Mead can stall on a ridge.
  best = nelderMead(negLL, best.x, { maxIter: 4000, step: 0.05 });
  if (!Number.isFinite(best.fx)) {
    throw new SegmintError(
      'DATA_NO_FEATURES',
      `The ${model} fit did not converge: the log-likelihood is not finite anywhere tried.`,
      {
        hint: 'Check the summary data: it needs customers with repeat purchases and positive observation times.',
      },
    );
  }
  const params = toP(best.x);
  let se: P | null = null;
  const H = hessian(negLL, best.x);
  const inv = invert(H);
  if (inv?.every((row, i) => row[i] > 0))
    se = Object.fromEntries(keys.map((k, i) => [k, params[k] * Math.sqrt(inv[i][i])])) as P;
  return { params, logLikelihood: -best.fx, se, iterations: best.iterations, converged: best.converged };
}

// ---------------------------------------------------------------- BG/NBD (Fader, Hardie & Lee 2005)

export interface BgNbd extends Record<string, number> {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** Log-likelihood of one customer under BG/NBD (equation 6 of the paper, in log space). */
export function bgnbdLogLik(p: BgNbd, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const common = lgamma(r + x) - lgamma(r) + r * Math.log(alpha);
  const t1 = lbeta(a, b + x) - lbeta(a, b) - (r + x) * Math.log(alpha + T);
  if (x === 0) return common + t1;
  const t2 = lbeta(a + 1, b + x - 1) - lbeta(a, b) - (r + x) * Math.log(alpha + tx);
  return common + logAddExp(t1, t2);
}

export function bgnbdTotal(p: BgNbd, s: Summary, weights?: Float64Array): number {
  // Everything that depends on x alone is computed once per distinct count.
  const { r, alpha, a, b } = p;
  let maxX = 0;
  for (let i = 0; i < s.x.length; i++) if (s.x[i] > maxX) maxX = s.x[i];
  const base = -lgamma(r) + r * Math.log(alpha) - lbeta(a, b);
  const A = new Float64Array(maxX + 1);
  const B = new Float64Array(maxX + 1);
  for (let x = 0; x <= maxX; x++) {
    const g = lgamma(r + x) + base;
    A[x] = g + lbeta(a, b + x);
    B[x] = x > 0 ? g + lbeta(a + 1, b + x - 1) : 0;
  }
  let ll = 0;
  for (let i = 0; i < s.x.length; i++) {
    const x = s.x[i];
    const t1 = A[x] - (r + x) * Math.log(alpha + s.T[i]);
    let v = t1;
    if (x > 0) {
      const t2 = B[x] - (r + x) * Math.log(alpha + s.tx[i]);
      const m = t1 > t2 ? t1 : t2;
      v = m + Math.log(Math.exp(t1 - m) + Math.exp(t2 - m));
    }
    ll += weights ? weights[i] * v : v;
  }
  return ll;
}

/** Collapses customers with identical (x, t_x, T) into weighted rows: the likelihood is a sum over them. */
export function collapse(s: Summary): { summary: Summary; weights: Float64Array } {
  const map = new Map<string, number>();
  const x: number[] = [];
  const tx: number[] = [];
  const T: number[] = [];
  const w: number[] = [];
  for (let i = 0; i < s.x.length; i++) {
    const key = `${s.x[i]}|${s.tx[i]}|${s.T[i]}`;
    const j = map.get(key);
    if (j === undefined) {
      map.set(key, x.length);
      x.push(s.x[i]);
      tx.push(s.tx[i]);
      T.push(s.T[i]);
      w.push(1);
    } else w[j]++;
  }
  return {
    summary: { x: Float64Array.from(x), tx: Float64Array.from(tx), T: Float64Array.from(T) },
    weights: Float64Array.from(w),
  };
}

function checkSummary(s: Summary, model: string): void {
  if (!s.x.length) throw new SegmintError('DATA_EMPTY', `The ${model} fit needs at least one customer.`);
  let repeat = 0;
  for (let i = 0; i < s.x.length; i++) {
    if (!(s.T[i] > 0) || s.tx[i] < 0 || s.tx[i] > s.T[i] + 1e-9 || s.x[i] < 0) {
      throw new SegmintError(
        'DATA_BAD_NUMBER',
        `Customer row ${i + 1}: x = ${s.x[i]}, t_x = ${s.tx[i]}, T = ${s.T[i]} is not a valid summary (need x >= 0, 0 <= t_x <= T, T > 0).`,
        {
          where: { line: i + 1 },
          hint: 'Give each customer x >= 0, 0 <= t_x <= T and T > 0; a customer whose first purchase is on the calibration end (T = 0) carries no information for the fit: leave it out (segmint run does, and scores it as a new customer).',
        },
      );
    }
    if (s.x[i] > 0) repeat++;
  }
  if (!repeat)
    throw new SegmintError(
      'DATA_EMPTY',
      `No customer has a repeat purchase: the ${model} model cannot be fitted.`,
      { hint: 'Use a longer calibration period, or more customers.' },
    );
}

export function fitBgNbd(s: Summary): Fit<BgNbd> {
  checkSummary(s, 'BG/NBD');
  const { summary, weights } = collapse(s);
  // Times repeat (whole days): log(alpha + t) is computed once per distinct time and evaluation.
  const times = new Map<number, number>();
  const index = (v: number) => {
    let j = times.get(v);
    if (j === undefined) {
      j = times.size;
      times.set(v, j);
    }
    return j;
  };
  const Ti = Int32Array.from(summary.T, index);
  const txi = Int32Array.from(summary.tx, index);
  const uniq = Float64Array.from(times.keys());
  const logs = new Float64Array(uniq.length);
  let maxX = 0;
  for (const x of summary.x) if (x > maxX) maxX = x;
  const A = new Float64Array(maxX + 1);
  const B = new Float64Array(maxX + 1);
  const ll = (p: BgNbd): number => {
    const { r, alpha, a, b } = p;
    const base = -lgamma(r) + r * Math.log(alpha) - lbeta(a, b);
    for (let x = 0; x <= maxX; x++) {
      const g = lgamma(r + x) + base;
      A[x] = g + lbeta(a, b + x);
      B[x] = x > 0 ? g + lbeta(a + 1, b + x - 1) : 0;
    }
    for (let j = 0; j < uniq.length; j++) logs[j] = Math.log(alpha + uniq[j]);
    let total = 0;
    for (let i = 0; i < summary.x.length; i++) {
      const x = summary.x[i];
      const t1 = A[x] - (r + x) * logs[Ti[i]];
      let v = t1;
      if (x > 0) {
        const t2 = B[x] - (r + x) * logs[txi[i]];
        const m = t1 > t2 ? t1 : t2;
        v = m + Math.log(Math.exp(t1 - m) + Math.exp(t2 - m));
      }
      total += weights[i] * v;
    }
    return total;
  };
  return fitLogParams(ll, { r: 1, alpha: 1, a: 1, b: 1 }, 'BG/NBD');
}

/** Expected purchases of a new customer in (0, t]. */
export function bgnbdExpected(p: BgNbd, t: number): number {
  const { r, alpha, a, b } = p;
  return (
    ((a + b - 1) / (a - 1)) * (1 - (alpha / (alpha + t)) ** r * hyp2f1(r, b, a + b - 1, t / (alpha + t)))
  );
}

/** P(alive) of a customer with summary (x, t_x, T). */
export function bgnbdPAlive(p: BgNbd, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  const { r, alpha, a, b } = p;
  return 1 / (1 + (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x));
}

/** Expected purchases in the next t of a customer with summary (x, t_x, T). */
export function bgnbdConditional(p: BgNbd, t: number, x: number, tx: number, T: number): number {
  const { r, alpha, a, b } = p;
  const hyp = hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t));
  const num = ((a + b + x - 1) / (a - 1)) * (1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp);
  const den = x > 0 ? 1 + (a / (b + x - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x) : 1;
  return num / den;
}

/** P(X(t) = n) for a new customer (equation 8 of the paper). */
export function bgnbdProbN(p: BgNbd, t: number, n: number): number {
  const { r, alpha, a, b } = p;
  const lgNB = (k: number) =>
    lgamma(r + k) -
    lgamma(r) -
    lgamma(k + 1) +
    r * Math.log(alpha / (alpha + t)) +
    k * Math.log(t / (alpha + t));
  const first = Math.exp(lbeta(a, b + n) - lbeta(a, b) + lgNB(n));
  if (n === 0) return first;
  let tail = 0;
  for (let j = 0; j <= n - 1; j++) tail += Math.exp(lgNB(j));
  return first + Math.exp(lbeta(a + 1, b + n - 1) - lbeta(a, b)) * (1 - tail);
}

// ---------------------------------------------------------------- Pareto/NBD (Schmittlein et al. 1987)

export interface ParetoNbd extends Record<string, number> {
  r: number;
  alpha: number;
  s: number;
  beta: number;
}

/** Log-likelihood of one customer under Pareto/NBD (Fader & Hardie 2005 note, equations 19-22). */
export function paretoLogLik(p: ParetoNbd, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  const base = lgamma(r + x) - lgamma(r) + r * Math.log(alpha) + s * Math.log(beta);
  const left = -(r + x) * Math.log(alpha + T) - s * Math.log(beta + T);
  const rsx = r + s + x;
  let a0: number;
  if (alpha >= beta) {
    const f = (t: number) => hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + t)) / (alpha + t) ** rsx;
    a0 = f(tx) - f(T);
  } else {
    const f = (t: number) => hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + t)) / (beta + t) ** rsx;
    a0 = f(tx) - f(T);
  }
  const right = a0 > 0 ? Math.log(s / rsx) + Math.log(a0) : Number.NEGATIVE_INFINITY;
  return base + logAddExp(left, right);
}

export function fitParetoNbd(s: Summary): Fit<ParetoNbd> {
  checkSummary(s, 'Pareto/NBD');
  const { summary, weights } = collapse(s);
  return fitLogParams(
    (p: ParetoNbd) => {
      let ll = 0;
      for (let i = 0; i < summary.x.length; i++)
        ll += weights[i] * paretoLogLik(p, summary.x[i], summary.tx[i], summary.T[i]);
      return ll;
    },
    { r: 0.5, alpha: 10, s: 0.5, beta: 10 },
    'Pareto/NBD',
  );
}

/** The A0 term of the Pareto/NBD likelihood and P(alive) (Fader & Hardie 2005 note). */
function paretoA0(p: ParetoNbd, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  const rsx = r + s + x;
  const f =
    alpha >= beta
      ? (t: number) => hyp2f1(rsx, s + 1, rsx + 1, (alpha - beta) / (alpha + t)) / (alpha + t) ** rsx
      : (t: number) => hyp2f1(rsx, r + x, rsx + 1, (beta - alpha) / (beta + t)) / (beta + t) ** rsx;
  return f(tx) - f(T);
}

/** P(alive) of a customer with summary (x, t_x, T) under Pareto/NBD. */
export function paretoPAlive(p: ParetoNbd, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  const stay = 1 / ((alpha + T) ** (r + x) * (beta + T) ** s);
  return stay / (stay + (s / (r + s + x)) * paretoA0(p, x, tx, T));
}

/** Expected purchases of a new customer in (0, t] under Pareto/NBD. */
export function paretoExpected(p: ParetoNbd, t: number): number {
  const { r, alpha, s, beta } = p;
  return ((r * beta) / (alpha * (s - 1))) * (1 - (beta / (beta + t)) ** (s - 1));
}

/** Expected purchases in the next t of a customer with summary (x, t_x, T) under Pareto/NBD. */
export function paretoConditional(p: ParetoNbd, t: number, x: number, tx: number, T: number): number {
  const { r, alpha, s, beta } = p;
  return (
    (((r + x) * (beta + T)) / ((alpha + T) * (s - 1))) *
    (1 - ((beta + T) / (beta + T + t)) ** (s - 1)) *
    paretoPAlive(p, x, tx, T)
  );
}

/**
 * P(X(t) = n) for a new customer under Pareto/NBD: given the lifetime tau, purchases are negative
 * binomial with exposure min(t, tau); tau is Pareto (Lomax) with P(tau > u) = (beta / (beta + u))^s.
 * So P = P(tau > t) NB(n; t) + integral over (0, t) of f(u) NB(n; u) du, the integral by composite
 * Simpson's rule on a grid refined toward u = 0, where the density is steepest.
 */
export function paretoProbN(p: ParetoNbd, t: number, n: number, intervals = 2000): number {
  const { r, alpha, s, beta } = p;
  const nb = (u: number) =>
    Math.exp(
      lgamma(r + n) -
        lgamma(r) -
        lgamma(n + 1) +
        r * Math.log(alpha / (alpha + u)) +
        (n > 0 ? n * Math.log(u / (alpha + u)) : 0),
    );
  const density = (u: number) => (s * beta ** s) / (beta + u) ** (s + 1);
  // Substitute u = t w^2 to put more points near 0.
  const g = (w: number) => {
    const u = t * w * w;
    return density(u) * (n > 0 && u === 0 ? 0 : nb(u)) * 2 * t * w;
  };
  const m = intervals % 2 ? intervals + 1 : intervals;
  const h = 1 / m;
  let sum = g(0) + g(1);
  for (let i = 1; i < m; i++) sum += (i % 2 ? 4 : 2) * g(i * h);
  return (beta / (beta + t)) ** s * nb(t) + (sum * h) / 3;
}

// ---------------------------------------------------------------- Gamma-Gamma (Fader & Hardie 2013 note)

export interface GammaGamma extends Record<string, number> {
  p: number;
  q: number;
  gamma: number;
}

/** Fits the spend model on repeat buyers: x > 0 repeat purchases of mean value m > 0. */
export function fitGammaGamma(x: Float64Array, m: Float64Array): Fit<GammaGamma> {
  const rows: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] > 0 && m[i] > 0) rows.push(i);
  if (!rows.length)
    throw new SegmintError(
      'DATA_EMPTY',
      'No repeat buyer with a positive spend: the Gamma-Gamma model cannot be fitted.',
    );
  const xs = Float64Array.from(rows, (i) => x[i]);
  const ms = Float64Array.from(rows, (i) => m[i]);
  const logM = Float64Array.from(ms, Math.log);
  const logX = Float64Array.from(xs, Math.log);
  let maxX = 0;
  for (const v of xs) if (v > maxX) maxX = v;
  const integral = xs.every((v) => Number.isInteger(v));
  const ll = (g: GammaGamma) => {
    // lgamma terms depend on x alone: once per distinct count when counts are whole numbers.
    const C = integral ? new Float64Array(maxX + 1) : null;
    if (C) for (let k = 1; k <= maxX; k++) C[k] = lgamma(g.p * k + g.q) - lgamma(g.p * k);
    let s = 0;
    const lq = -lgamma(g.q) + g.q * Math.log(g.gamma);
    for (let i = 0; i < xs.length; i++) {
      const px = g.p * xs[i];
      s +=
        (C ? C[xs[i]] : lgamma(px + g.q) - lgamma(px)) +
        lq +
        (px - 1) * logM[i] +
        px * logX[i] -
        (px + g.q) * Math.log(g.gamma + xs[i] * ms[i]);
    }
    return s;
  };
  return fitLogParams(ll, { p: 1, q: 1, gamma: 1 }, 'Gamma-Gamma');
}

/** Expected mean spend of a customer with x repeat purchases of mean m (the population mean when x = 0). */
export function gammaGammaExpected(g: GammaGamma, x: number, m: number): number {
  if (!(x > 0)) return (g.p * g.gamma) / (g.q - 1);
  return (g.p * (g.gamma + x * m)) / (g.p * x + g.q - 1);
}

/** Pearson correlation of frequency and mean spend among repeat buyers (the model assumes none). */
export function spendFrequencyCorrelation(x: Float64Array, m: Float64Array): number {
  const xs: number[] = [];
  const ms: number[] = [];
  for (let i = 0; i < x.length; i++)
    if (x[i] > 0 && m[i] > 0) {
      xs.push(x[i]);
      ms.push(m[i]);
    }
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const mm = ms.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (xs[i] - mx) * (ms[i] - mm);
    sxx += (xs[i] - mx) ** 2;
    syy += (ms[i] - mm) ** 2;
  }
  return sxx && syy ? sxy / Math.sqrt(sxx * syy) : 0;
}

/**
 * Customer lifetime value over `horizon` periods: the expected purchases in each period (BG/NBD,
 * conditional on the customer's history) times the expected spend, discounted at `discount` per period.
 */
export function clvValue(
  bg: BgNbd,
  spend: number,
  x: number,
  tx: number,
  T: number,
  horizon: number,
  discount: number,
  steps = horizon,
): number {
  let value = 0;
  let prev = 0;
  const dt = horizon / steps;
  for (let i = 1; i <= steps; i++) {
    const cum = bgnbdConditional(bg, i * dt, x, tx, T);
    value += ((cum - prev) * spend) / (1 + discount) ** (i * dt);
    prev = cum;
  }
  return value;
}
